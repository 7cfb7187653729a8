"""Which parameters matter: permutation importance of a random forest fitted to the finished trials.

Method (shown in the report beside the chart): a random forest (100 trees, at least 2 trials a leaf, fixed seed;
scikit-learn's ``RandomForestRegressor`` algorithm, in numpy: ``monitor.forest`` says why) predicts each trial's best
primary-metric value from its parameters; a parameter's importance is the mean drop in the forest's R^2 when that
parameter's column is shuffled (as ``sklearn.inspection.permutation_importance`` computes it, 5 repeats), on the
trials themselves. Permutation importance is used rather than the forest's impurity-based
importance, which favours continuous parameters over a few-valued ``choice`` (scikit-learn's user guide, 4.2.2).
String choices are encoded by their index; a forest's splits do not care about the order. A tree ensemble is also
indifferent to monotone rescaling, so a log-uniform parameter needs no log.

Trials whose value is NaN/inf, or that logged no primary metric, are left out (they have no value to explain).
"""

from __future__ import annotations

from dataclasses import dataclass

from .record import SweepSummary, usable

METHOD = (
    "permutation importance (mean drop in R² when the parameter is shuffled, 5 repeats) of a 100-tree random forest "
    "fitted to the trials' best {metric}"
)
MIN_TRIALS = 5
# below this many trials a ranking gets a caution: a forest on a handful of points explains noise as readily as an
# effect, and its error bars say so (the 6-trial quickstart's are as large as the values)
CAUTION_TRIALS = 20


@dataclass(frozen=True)
class Importance:
    parameter: str
    importance: float  # mean drop in R^2
    spread: float  # its standard deviation over the repeats


@dataclass(frozen=True)
class Importances:
    method: str
    ranked: list[Importance]  # most important first
    trials_used: int
    reason: str | None = None  # why there is no ranking (too few trials, no parameter varies)


def parameter_importance(summary: SweepSummary, seed: int = 0) -> Importances:
    import numpy as np

    method = METHOD.format(metric=summary.primary_metric)
    trials = [t for t in summary.trials if usable(t.best)]
    names = [n for n in summary.parameter_names if len({_key(t.params.get(n)) for t in trials}) > 1]
    if len(trials) < MIN_TRIALS:
        why = (
            f"{len(trials)} trial(s) with a value of {summary.primary_metric}; the ranking needs at least {MIN_TRIALS}"
        )
        return Importances(method, [], len(trials), why)
    if not names:
        return Importances(method, [], len(trials), "no parameter takes more than one value among those trials")
    X = np.array([_column(n, trials) for n in names], dtype=float).T
    y = np.array([t.best for t in trials], dtype=float)
    if float(np.ptp(y)) == 0.0:
        return Importances(method, [], len(trials), f"every trial reached the same {summary.primary_metric}")

    from .forest import Forest, permutation_importance

    forest = Forest(X, y, n_trees=100, min_samples_leaf=2, seed=seed)
    means, spreads = permutation_importance(forest, X, y, repeats=5, seed=seed)
    ranked = [Importance(n, float(m), float(s)) for n, m, s in zip(names, means, spreads, strict=True)]
    ranked.sort(key=lambda i: -i.importance)
    return Importances(method, ranked, len(trials))


def _key(value) -> str:
    return repr(value)


def _column(name: str, trials) -> list[float]:
    """A parameter's values as numbers: as they are when all are numbers, else each value's index (a choice)."""
    values = [t.params.get(name) for t in trials]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values]
    levels = sorted({_key(v) for v in values})
    return [float(levels.index(_key(v))) for v in values]


def importance_cautions(found: Importances) -> list[str]:
    """Plain-words cautions for a ranking that may not hold: too few trials, or a parameter whose error bar (one
    standard deviation over the shuffles) reaches zero, so the data cannot tell it matters at all."""
    if not found.ranked:
        return []
    notes = []
    if found.trials_used < CAUTION_TRIALS:
        notes.append(
            f"Caution: only {found.trials_used} trials. A ranking fitted to so few trials can change with the next "
            f"few; read it as a hint, not a finding (it firms up with {CAUTION_TRIALS} or more)."
        )
    unsure = [i.parameter for i in found.ranked if i.importance - i.spread <= 0]
    if unsure:
        which = ", ".join(unsure)
        verb = "reaches" if len(unsure) == 1 else "reach"
        notes.append(
            f"The error bar of {which} {verb} zero: these trials cannot tell whether "
            f"{'it matters' if len(unsure) == 1 else 'they matter'} at all."
        )
    return notes
