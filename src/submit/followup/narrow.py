"""The narrowing rules of `sweep refine`: one search-space parameter and the best trials -> its new distribution.

The best trials are a set, never an order: every trial tied with the last one counted is counted, and the trials
tied at the best value are all "the best trial" (``Pool.tied``): a rule that looks at the best trial looks at all of
them, so no value a tied-best trial used is dropped and nothing is fixed at one of them when they differ.

Every rule works in the distribution's own scale: the exponent for ``loguniform``/``qloguniform``/``lognormal``/
``qlognormal`` (``logbase`` as the sampling algorithm sets it), the value otherwise. With L and H the lowest and
highest value among the best trials and R the old range (``max_value - min_value``):

- bounded (``uniform``, ``quniform``, ``loguniform``, ``qloguniform``): ``[L - m, H + m]`` with the margin
  ``m = max(SPREAD_MARGIN * (H - L), RANGE_MARGIN * R)``, clipped to the old bounds; ``q`` is kept, and a quantized
  parameter's bounds are rounded outward to multiples of ``q`` (integers when ``q`` and the old bounds are);
- pressing: when a best trial (any of the tied best) lies within ``PRESS * R`` of a bound, the optimum may lie beyond it, so that
  bound moves out by ``max(m, WIDEN * R)`` instead of being clipped; a linear bound at or beyond zero is not moved
  across zero (a count, a rate or a probability would turn negative);
- ``randint(upper)``: only ``upper`` exists (values 0 .. upper - 1): ``floor(H + m) + 1``, or widened when pressing;
- gaussian (``normal`` and its kin): ``mu`` the best trials' mean, ``sigma`` ``SIGMA_FACTOR`` times their standard
  deviation, at least ``SIGMA_FLOOR`` of the old sigma and at most the old sigma (no bound to press against);
- ``choice``: the values the best trials took, in the spec's order (nested choices are kept as they are);
- any parameter whose importance is negligible (below ``max(NEGLIGIBLE, NEGLIGIBLE_SHARE * the top importance)``) is
  fixed at the best trial's value, as a one-value ``choice`` so that the command line still renders it; when the
  trials tied at the best value took different values of it, it is not fixed but narrowed like any other.

Nothing here reads a store or a file: ``narrow`` takes the space, the trials and the importances.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from ..spec.space import (
    Choice,
    Distribution,
    LogNormal,
    LogUniform,
    QLogNormal,
    QLogUniform,
    QUniform,
    Randint,
    SearchSpace,
    _Bounded,
    _Gaussian,
)

SPREAD_MARGIN = 0.25  # a quarter of the best trials' spread on each side
RANGE_MARGIN = 0.05  # and at least 5% of the old range: a tight cluster of 3 trials is not the optimum's width
PRESS = 0.10  # the best trial within 10% of the old range from a bound presses against it
WIDEN = 0.25  # and that bound moves out by a quarter of the old range (or the margin, if larger)
SIGMA_FACTOR = 1.25
SIGMA_FLOOR = 0.1
NEGLIGIBLE = 0.01  # a drop in R^2 below 0.01 when the parameter is shuffled
NEGLIGIBLE_SHARE = 0.05  # or below 5% of the most important parameter's: a forest fitted to a dozen trials gives a
# parameter that does not matter 0.02 to 0.04 (measured), one that does more than twice that


@dataclass(frozen=True)
class Pool:
    """What the rules see: the best trials' values of each parameter, the tied-best trials', and the importances."""

    best_values: dict[str, list[Any]]  # parameter -> its value in each of the best trials, best first
    tied_params: list[dict[str, Any]]  # the parameters of each trial tied at the best value (one when none ties)
    importance: dict[str, float] = field(default_factory=dict)  # empty when there is no ranking
    logbase: float = math.e

    @property
    def tied(self) -> int:
        """How many trials share the best value: the first ``tied`` of each ``best_values`` list."""
        return len(self.tied_params)

    def negligible(self, name: str) -> float | None:
        """The parameter's importance when it is negligible, else None."""
        if not self.importance or name not in self.importance:
            return None
        threshold = max(NEGLIGIBLE, NEGLIGIBLE_SHARE * max(self.importance.values()))
        value = self.importance[name]
        return value if value < threshold else None

    @property
    def threshold(self) -> float:
        return max(NEGLIGIBLE, NEGLIGIBLE_SHARE * max(self.importance.values())) if self.importance else NEGLIGIBLE


@dataclass(frozen=True)
class ParamChange:
    name: str
    old: Distribution
    new: Distribution
    reason: str  # what changed and why, with the numbers: the YAML comment and the CLI's line
    numbers: dict[str, Any]  # the same numbers for --json
    kind: str  # narrowed | widened | fixed | choices


def narrow(space: SearchSpace, pool: Pool, keep: frozenset[str] = frozenset()) -> list[ParamChange]:
    """The changes to ``space``, one per parameter that changes, in the spec's order."""
    changes = []
    for name, dist in space.items():
        if name in keep:
            continue
        change = _one(name, dist, pool)
        if change is not None and change.new.to_yaml() != dist.to_yaml():
            changes.append(change)
    return changes


def _one(name: str, dist: Distribution, pool: Pool) -> ParamChange | None:
    values = pool.best_values.get(name) or []
    score = pool.negligible(name)
    best = _tied_value(name, pool)
    if score is not None and best is not None:
        whose = "the best trial's value" if pool.tied == 1 else f"the value all {pool.tied} tied best trials took"
        reason = f"importance {score:.3g} (below {pool.threshold:.3g}: negligible): fixed at {whose} {_show(best[0])}"
        reason += f"; was {dist.describe()}"
        return ParamChange(name, dist, Choice([best[0]]), reason, {"importance": score, "value": best[0]}, "fixed")
    if not values or any(isinstance(v, dict) for v in values):
        return None
    if isinstance(dist, Choice):
        return _choice(name, dist, values, pool)
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) != len(values):
        return None
    if isinstance(dist, _Bounded):
        return _bounded(name, dist, numbers, pool)
    if isinstance(dist, Randint):
        return _randint(name, dist, numbers, pool)
    if isinstance(dist, _Gaussian):
        return _gaussian(name, dist, numbers, pool)
    return None


def _tied_value(name: str, pool: Pool) -> tuple[Any] | None:
    """The one value every tied-best trial took (as a 1-tuple: None is a value), or None when they differ."""
    taken = [p[name] for p in pool.tied_params if name in p]
    if not taken or len(taken) != pool.tied or any(isinstance(v, dict) for v in taken):
        return None
    return (taken[0],) if all(_same(v, taken[0]) for v in taken) else None


def _best_of(xs: list[float], pool: Pool) -> tuple[float, float, str]:
    """The lowest and highest of the tied-best trials' values (``xs`` in ranked order) and how to say them."""
    bests = xs[: max(1, pool.tied)]
    low, high = min(bests), max(bests)
    if len(bests) == 1:
        return low, high, f"best {_num(low)}"
    return low, high, f"the {len(bests)} tied best {_num(low)}..{_num(high)}"


def _importance(name: str, pool: Pool) -> str:
    return f"; importance {pool.importance[name]:.3g}" if name in pool.importance else ""


def _choice(name: str, dist: Choice, values: list[Any], pool: Pool) -> ParamChange | None:
    if dist.grid_values() is None:
        return None  # nested distributions: the options' own ranges are not narrowed
    seen = [v for v in dist.values if any(_same(v, b) for b in values)]
    if not seen or len(seen) == len(dist.values):
        return None
    counts = ", ".join(f"{_show(v)} ({sum(_same(v, b) for b in values)})" for v in seen)
    dropped = ", ".join(_show(v) for v in dist.values if v not in seen)
    reason = f"the best {len(values)} trials took {counts}; never {dropped}{_importance(name, pool)}"
    numbers = {"kept": seen, "dropped": [v for v in dist.values if v not in seen]}
    return ParamChange(name, dist, Choice(seen), reason, numbers, "choices")


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (_number(a) and _number(b) and float(a) == float(b))


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _scale(dist: Distribution, pool: Pool):
    """(to the distribution's scale, back to values, the scale's name) for a parameter."""
    if isinstance(dist, (LogUniform, QLogUniform, LogNormal, QLogNormal)):
        base = pool.logbase
        tiny = getattr(dist, "q", 1e-300) / 2  # a q-log value rounded to 0 sits below q / 2

        def to(v: float) -> float:
            return math.log(max(v, tiny)) / math.log(base)

        return to, "exponents"
    return float, "values"


def _bounded(name: str, dist: _Bounded, values: list[float], pool: Pool) -> ParamChange | None:
    to, scale = _scale(dist, pool)
    xs = [to(v) for v in values]
    lo_old, hi_old = dist.min_value, dist.max_value
    r = hi_old - lo_old
    low, high = min(xs), max(xs)
    best_low, best_high, said = _best_of(xs, pool)
    m = max(SPREAD_MARGIN * (high - low), RANGE_MARGIN * r)
    new_lo, new_hi = max(low - m, lo_old), min(high + m, hi_old)
    notes, pressed = [], set()
    linear = scale == "values"
    if best_low - lo_old <= PRESS * r:
        target = lo_old - max(m, WIDEN * r)
        if linear and lo_old >= 0 > target:
            notes.append(f"the best trials press against min_value {_num(lo_old)}: kept, not moved below 0")
        else:
            new_lo, pressed = target, pressed | {"min"}
            notes.append(f"the best trials press against min_value {_num(lo_old)}: widened to {{lo}}")
    if hi_old - best_high <= PRESS * r:
        target = hi_old + max(m, WIDEN * r)
        if linear and hi_old <= 0 < target:
            notes.append(f"the best trials press against max_value {_num(hi_old)}: kept, not moved above 0")
        else:
            new_hi, pressed = target, pressed | {"max"}
            notes.append(f"the best trials press against max_value {_num(hi_old)}: widened to {{hi}}")
    new_lo, new_hi = _outward(dist, new_lo, new_hi)
    # rounding outward never crosses a bound that was not pressed against
    new_lo = new_lo if "min" in pressed else max(new_lo, lo_old)
    new_hi = new_hi if "max" in pressed else min(new_hi, hi_old)
    if (new_lo, new_hi) == (lo_old, hi_old):
        return None
    new = type(dist)(**{**{k: getattr(dist, k) for k in dist.PARAMS}, "min_value": new_lo, "max_value": new_hi})
    widened = new_lo < lo_old or new_hi > hi_old
    seen = f"the best {len(values)} trials had {scale} {_num(low)}..{_num(high)} ({said})"
    why = [seen, f"margin {_num(m)}"] + [n.format(lo=_num(new_lo), hi=_num(new_hi)) for n in notes]
    reason = "; ".join(why) + f"; was {_num(lo_old)}..{_num(hi_old)}{_importance(name, pool)}"
    numbers = {"best_low": low, "best_high": high, "best": xs[0], "tied_best": [best_low, best_high], "margin": m}
    numbers["scale"] = scale
    return ParamChange(name, dist, new, reason, numbers, "widened" if widened else "narrowed")


def _outward(dist: _Bounded, lo: float, hi: float) -> tuple[float, float]:
    """Bounds rounded outward: to multiples of q for ``quniform``, else to 3 significant digits of the width."""
    q = getattr(dist, "q", None)
    if isinstance(dist, QUniform) and q:
        lo, hi = math.floor(lo / q + 1e-9) * q, math.ceil(hi / q - 1e-9) * q
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (q, dist.min_value, dist.max_value)):
            return int(round(lo)), int(round(hi))
        return round(lo, 12), round(hi, 12)
    width = hi - lo
    digits = max(0, 2 - math.floor(math.log10(width))) if width > 0 else 6
    step = 10.0**-digits
    lo, hi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    lo, hi = round(lo, digits), round(hi, digits)
    both_int = all(isinstance(v, int) and not isinstance(v, bool) for v in (dist.min_value, dist.max_value))
    if both_int and lo == int(lo) and hi == int(hi):
        return int(lo), int(hi)
    return lo, hi


def _randint(name: str, dist: Randint, values: list[float], pool: Pool) -> ParamChange | None:
    upper = dist.upper
    low, high = min(values), max(values)
    _, best_high, said = _best_of(values, pool)
    m = max(SPREAD_MARGIN * (high - low), RANGE_MARGIN * upper)
    if (upper - 1) - best_high <= PRESS * upper:
        new_upper = upper + max(math.ceil(m), math.ceil(WIDEN * upper))
        note = f"the best trials press against upper {upper}: widened to {new_upper}"
    else:
        new_upper = min(upper, math.floor(high + m) + 1)
        note = f"upper {new_upper} (values 0..{new_upper - 1}; randint has no lower bound to raise)"
    if new_upper == upper:
        return None
    seen = f"the best {len(values)} trials had {_num(low)}..{_num(high)} ({said}); margin {_num(m)}"
    reason = f"{seen}; {note}; was upper {upper}{_importance(name, pool)}"
    kind = "widened" if new_upper > upper else "narrowed"
    return ParamChange(name, dist, Randint(new_upper), reason, {"best_low": low, "best_high": high, "margin": m}, kind)


def _gaussian(name: str, dist: _Gaussian, values: list[float], pool: Pool) -> ParamChange | None:
    to, scale = _scale(dist, pool)
    xs = [to(v) for v in values]
    mu = statistics.fmean(xs)
    spread = statistics.stdev(xs) if len(xs) > 1 else 0.0
    sigma = min(dist.sigma, max(SIGMA_FACTOR * spread, SIGMA_FLOOR * dist.sigma))
    mu, sigma = _sig(mu, 4), _sig(sigma, 3)
    if (mu, sigma) == (dist.mu, dist.sigma):
        return None
    params = {k: getattr(dist, k) for k in dist.PARAMS}
    new = type(dist)(**{**params, "mu": mu, "sigma": sigma})
    reason = (
        f"the best {len(values)} trials had {scale} with mean {_num(mu)} and standard deviation {_num(spread)}: "
        f"mu {_num(mu)}, sigma {SIGMA_FACTOR} x theirs within [{SIGMA_FLOOR} x, 1 x] the old; "
        f"was mu {_num(dist.mu)}, sigma {_num(dist.sigma)}{_importance(name, pool)}"
    )
    numbers = {"mean": mu, "stdev": spread, "scale": scale}
    return ParamChange(name, dist, new, reason, numbers, "narrowed")


def _sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


def _num(x: float) -> str:
    return f"{x:.4g}"


def _show(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
