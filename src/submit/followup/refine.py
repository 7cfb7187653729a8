"""`sweep refine`: the next, narrower sweep written from finished ones, every change explained.

``refine(summaries, originals, options)`` takes the sweeps as the monitor reads them (``SweepSummary``) and the specs
they ran (``original``), pools their trials, ranks them by Azure's best-trial rule (each trial's best value of
the primary metric) and returns a ``Refinement``: the new spec's text, the changes with their reasons and numbers,
and the diff against the original. The new spec is the original with only the changed keys rewritten
(``edits``), each with a ``# refine:`` comment above it; it must pass the same validation as `sweep validate`.

- the best trials: the top ``top`` fraction (default a quarter) of the finished trials (completed or canceled, with
  a usable value), at least ``MIN_TOP``, and every trial tied with the last of them (a tie is never cut by order);
  a sweep needs ``2 * MIN_TOP`` such trials, so the best are at most half, ties aside;
- ties at the best value: every tied trial is "the best trial" (``narrow.Pool.tied``); when more than half of the
  finished trials share the best value (``SATURATED``), the sweep could not tell its trials apart, and a narrower
  space would only pick among ties: ``advice`` says so (the task is too easy, or the metric saturated) and the
  space is left as it is;
- the search space: ``narrow.narrow`` (its docstring states every rule and margin); the importance is the
  report's (``monitor.importance``), on the pooled trials;
- sampling: ``bayesian`` when every parameter of the new space allows it (choice, uniform, quniform) and no early
  termination is set (Azure's rule), else the original algorithm; ``sampling`` overrides;
- ``budget`` sets ``limits.max_total_trials``; ``tags.refined_from`` names the sweeps; a fixed ``name`` gets a
  ``_refined`` suffix (Azure and the local store refuse a job name twice); relative paths are rewritten for the
  folder the new spec is written to.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, SpecError
from ..monitor.importance import parameter_importance
from ..monitor.record import SweepSummary, TrialRecord, ranked_trials, require_best, usable
from ..spec.load import parse_spec
from ..spec.model import SweepSpec, is_remote
from ..spec.names import did_you_mean
from ..spec.objective import sort_key
from ..spec.space import BAYESIAN_TYPES, Choice, SearchSpace
from .edits import Edit, apply_edits
from .narrow import ParamChange, Pool, narrow
from .original import Original

MIN_TOP = 3
MIN_FINISHED = 2 * MIN_TOP
SATURATED = 0.5  # more than half of the finished trials tied at the best value: nothing left to narrow on
SAMPLINGS = ("random", "sobol", "grid", "bayesian")


@dataclass(frozen=True)
class RefineOptions:
    top: float = 0.25
    budget: int | None = None
    keep: tuple[str, ...] = ()
    sampling: str | None = None  # one of SAMPLINGS
    output: Path | None = None  # where the new spec goes: its relative paths start from that folder


@dataclass(frozen=True)
class Change:
    key: str  # the spec key, e.g. search_space.lr
    kind: str  # narrowed | widened | choices | fixed | sampling | budget | tags | name | path
    old: Any
    new: Any
    reason: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("key", "kind", "old", "new", "reason", "numbers")}


@dataclass
class Refinement:
    sweeps: list[str]
    origin: str  # where the original spec came from
    original: str  # its text
    text: str  # the new spec's text
    changes: list[Change]
    finished: int  # the pooled finished trials with a value
    top: int  # how many of them count as the best
    best: TrialRecord
    primary_metric: str
    importance: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    tied: int = 1  # how many trials share the best value (``best`` is the first of them in the leaderboard)
    advice: str | None = None  # set instead of a narrower space: why none is written (``text`` is the original)

    def diff(self, to_name: str = "refined.yaml") -> str:
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.text.splitlines(keepends=True),
                fromfile=self.origin,
                tofile=to_name,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "sweeps": self.sweeps,
            "origin": self.origin,
            "primary_metric": self.primary_metric,
            "finished_trials": self.finished,
            "best_trials": self.top,
            "best": {"trial": self.best.name, "value": self.best.best, "params": self.best.params},
            "tied_best": self.tied,
            "importance": self.importance,
            "changes": [c.to_dict() for c in self.changes],
            "warnings": self.warnings,
            "advice": self.advice,
            "spec": None if self.advice else self.text,
        }


@dataclass(frozen=True)
class Narrowed:
    """The search space narrowed from the pooled trials: what ``refine`` writes, and what bench/ samples from."""

    space: SearchSpace
    changes: list[ParamChange]
    finished: list[TrialRecord]  # the pooled finished trials with a value
    top: int  # how many of them count as best
    best: TrialRecord
    importance: dict[str, float]
    tied: list[TrialRecord] = field(default_factory=list)  # the trials that share the best value, ``best`` first
    advice: str | None = None  # most trials share the best value: no narrower space (``changes`` is empty)


def narrow_space(
    space: SearchSpace, summaries: list[SweepSummary], top: float = 0.25, keep=(), logbase: float = math.e
) -> Narrowed:
    """The rules of ``narrow`` applied to ``space`` with the best trials of ``summaries``, pooled."""
    if not 0 < top <= 1:
        raise InputError(f"--top {top}: expected a fraction of the trials above 0 and at most 1, e.g. 0.25")
    unknown = [k for k in keep if k not in space]
    if unknown:
        raise InputError(
            f"--keep {unknown[0]}: no such parameter in the search space ({', '.join(space)})"
            + (f"\n  hint: {h}" if (h := did_you_mean(unknown[0], list(space))) else "")
        )
    finished, ranked = _ranked(summaries)
    goal = summaries[0].goal
    tied = _as_good_as(ranked, ranked[0], goal)
    advice = _saturated(summaries[0].primary_metric, len(tied), len(finished), ranked[0].best)
    if advice is not None:
        return Narrowed(space, [], finished, len(tied), ranked[0], {}, tied, advice)
    count = max(MIN_TOP, math.ceil(top * len(finished)), len(tied))
    count = len(_as_good_as(ranked, ranked[count - 1], goal))  # the trials tied with the last one counted count too
    importance = _importance(summaries, finished)
    pool = Pool(
        best_values={n: [t.params[n] for t in ranked[:count] if t.params.get(n) is not None] for n in space},
        tied_params=[t.params for t in tied],
        importance=importance,
        logbase=logbase,
    )
    changes = narrow(space, pool, frozenset(keep))
    new = dict(space) | {c.name: c.new for c in changes}
    return Narrowed(SearchSpace(new), changes, finished, count, ranked[0], importance, tied)


def _as_good_as(ranked: list[TrialRecord], last: TrialRecord, goal: str) -> list[TrialRecord]:
    """The leading trials of ``ranked`` whose value is as good as ``last``'s or better (ties included)."""
    bar = sort_key(last.best, goal)
    return [t for t in ranked if sort_key(t.best, goal) <= bar]


def _saturated(metric: str, tied: int, finished: int, value: float) -> str | None:
    """Advice when most trials share the best value, else None."""
    if tied <= SATURATED * finished:
        return None
    return (
        f"{tied} of {finished} finished trials share the best {metric} {_fmt(value)}, so the sweep cannot tell "
        "them apart and a narrower space would only choose among ties: the task is too easy for this search, or "
        f"the metric is saturated. Make the task harder (less training data, a harder validation set) or rank "
        f"on a finer metric (a loss rather than an accuracy); no refined spec is written"
    )


def refine(summaries: list[SweepSummary], originals: list[Original], options: RefineOptions) -> Refinement:
    """The refined spec of the sweeps ``summaries`` (same search space), from the spec the first one ran."""
    original = originals[0]
    step = _pipeline_step(original, summaries[0])
    if step is not None:
        return _refine_step(summaries, originals, options, step)
    specs = [_parse(o, s.name) for o, s in zip(originals, summaries, strict=True)]
    spec = specs[0]
    _same_space(specs, summaries)
    n = narrow_space(spec.search_space, summaries, options.top, options.keep, spec.sampling.base)
    if n.advice is not None:
        return _refinement(summaries, originals, original.text, [], n, spec)
    changes, edits = [], []
    for c in n.changes:
        key = ("search_space", c.name)
        changes.append(Change(".".join(key), c.kind, c.old.to_yaml(), c.new.to_yaml(), c.reason, c.numbers))
        edits.append(Edit(key, c.new.to_yaml(), [f"{c.kind}: {c.reason}"]))
    extra = _sampling(spec, n.space, options.sampling)
    extra += _budget(spec, options.budget)
    extra += _tags(spec, summaries, n.finished, n.top)
    extra += _name(spec)
    extra += _paths(spec, original, options.output)
    for change, edit in extra:
        changes.append(change)
        edits.append(edit)
    text = apply_edits(original.text, edits)
    where = options.output or (original.base_dir / "refined.yaml" if original.base_dir else None)
    try:
        parse_spec(text, source=str(options.output or "the refined spec"), path=where.resolve() if where else None)
    except SpecError as e:
        raise InputError(f"the refined spec would not validate:\n{e}") from None
    return _refinement(summaries, originals, text, changes, n, spec)


def _refinement(summaries, originals: list[Original], text: str, changes: list[Change], n, spec) -> Refinement:
    return Refinement(
        sweeps=[s.name for s in summaries],
        origin=originals[0].origin,
        original=originals[0].text,
        text=text,
        changes=changes,
        finished=len(n.finished),
        top=n.top,
        best=n.best,
        primary_metric=summaries[0].primary_metric,  # what the trials were ranked by
        importance=n.importance,
        warnings=[w for o in originals for w in o.warnings],
        tied=len(n.tied) or 1,
        advice=n.advice,
    )


def _pipeline_step(original: Original, summary: SweepSummary) -> str | None:
    """The sweep step a sweep ran as, when the text it ran is a pipeline's (its sweep is `<pipeline>_<step>`)."""
    import yaml

    from ..pipeline.load import is_pipeline, parse_pipeline

    try:
        if not is_pipeline(yaml.safe_load(original.text)):
            return None
    except yaml.YAMLError:
        return None  # _parse says what is wrong with it

    try:
        pipeline = parse_pipeline(original.text, source=original.origin, path=_where(original))
    except SpecError as e:
        first = str(e).splitlines()[0]
        raise InputError(f"the pipeline of sweep {summary.name} no longer validates: {first}") from None
    steps = [n for n, s in pipeline.steps.items() if s.type == "sweep" and summary.name.endswith(f"_{n}")]
    if not steps:
        raise InputError(f"sweep {summary.name} ran none of the sweep steps of {original.origin}")
    return max(steps, key=len)


def _where(original: Original) -> Path | None:
    return original.path or ((original.base_dir / "pipeline.yml") if original.base_dir else None)


def _refine_step(summaries, originals, options: RefineOptions, step: str) -> Refinement:
    """A pipeline's sweep step refined in the pipeline's own text: the same narrowing, sampling and budget as a
    sweep's, each edit at ``jobs.<step>.<key>``; the pipeline's other steps and its component paths stay as written
    (so the refined file belongs beside the original: its components are found from there)."""
    from ..pipeline.load import parse_pipeline
    from ..pipeline.sweep_step import planned_sweep_of

    if len(summaries) > 1:
        raise InputError("a pipeline's sweep step is refined alone: give one pipeline (or PIPELINE/STEP)")
    original = originals[0]
    spec = planned_sweep_of(parse_pipeline(original.text, source=original.origin, path=_where(original)), step)
    n = narrow_space(spec.search_space, summaries, options.top, options.keep, spec.sampling.base)
    if n.advice is not None:
        return _refinement(summaries, originals, original.text, [], n, spec)
    at = ("jobs", step)
    changes, edits = [], []
    for c in n.changes:
        key = (*at, "search_space", c.name)
        changes.append(Change(".".join(key), c.kind, c.old.to_yaml(), c.new.to_yaml(), c.reason, c.numbers))
        edits.append(Edit(key, c.new.to_yaml(), [f"{c.kind}: {c.reason}"]))
    for change, edit in _sampling(spec, n.space, options.sampling) + _budget(spec, options.budget):
        changes.append(replace(change, key=".".join((*at, change.key))))
        edits.append(replace(edit, path=(*at, *edit.path)))
    text = apply_edits(original.text, edits)
    where = options.output or _where(original)
    try:
        parse_pipeline(
            text, source=str(options.output or "the refined pipeline"), path=where.resolve() if where else None
        )
    except SpecError as e:
        raise InputError(f"the refined pipeline would not validate:\n{e}") from None
    return _refinement(summaries, originals, text, changes, n, spec)


def _parse(original: Original, name: str) -> SweepSpec:
    path = (original.base_dir / "spec.yaml") if original.base_dir else None
    try:
        return parse_spec(original.text, source=original.origin, path=path)
    except SpecError as e:
        first = str(e).splitlines()[0]
        raise InputError(f"the spec of sweep {name} no longer validates, so it cannot be refined: {first}") from None


def _same_space(specs: list[SweepSpec], summaries: list[SweepSummary]) -> None:
    first = specs[0].search_space.to_yaml()
    for spec, summary in zip(specs[1:], summaries[1:], strict=True):
        if spec.search_space.to_yaml() != first or spec.objective != specs[0].objective:
            what = "search space" if spec.search_space.to_yaml() != first else "objective"
            raise InputError(
                f"sweeps {summaries[0].name} and {summary.name} have different {what}s: their trials cannot be "
                "pooled; refine them one at a time"
            )


def _ranked(summaries: list[SweepSummary]) -> tuple[list[TrialRecord], list[TrialRecord]]:
    """The pooled finished trials with a value, and the same in the leaderboard's order (``ranked_trials``)."""
    finished = [t for s in summaries for t in s.trials if t.status in ("completed", "canceled") and usable(t.best)]
    if not finished:
        for s in summaries:
            require_best(s)  # says why: no trial, none finished, or the metric missing everywhere (did-you-mean)
        raise InputError(
            f"no trial of {', '.join(s.name for s in summaries)} completed with a usable value of "
            f"{summaries[0].primary_metric}"
        )
    if len(finished) < MIN_FINISHED:
        names = ", ".join(s.name for s in summaries)
        raise InputError(
            f"{names}: {len(finished)} finished trial(s) with a value of {summaries[0].primary_metric}; refine needs "
            f"at least {MIN_FINISHED} (the best {MIN_TOP} must be at most half of them)"
        )
    ranked = ranked_trials(finished, summaries[0].goal, {s.best_run_id for s in summaries})
    return finished, ranked


def _importance(summaries: list[SweepSummary], finished: list[TrialRecord]) -> dict[str, float]:
    first = summaries[0]
    pooled = SweepSummary(
        name="+".join(s.name for s in summaries),
        where=first.where,
        location=first.location,
        status=first.status,
        primary_metric=first.primary_metric,
        goal=first.goal,
        trials=list(finished),
        search_space=first.search_space,
    )
    return {i.parameter: i.importance for i in parameter_importance(pooled).ranked}


def _sampling(spec: SweepSpec, space: SearchSpace, asked: str | None) -> list[tuple[Change, Edit]]:
    old = spec.sampling.label
    if asked is not None:
        if asked not in SAMPLINGS:
            raise InputError(
                f"--sampling {asked}: expected one of {', '.join(SAMPLINGS)}"
                + (f"\n  hint: {h}" if (h := did_you_mean(asked, SAMPLINGS)) else "")
            )
        target, why = asked, f"--sampling {asked}"
    elif spec.policy is None and all(_bayesian_ok(d) for d in space.values()):
        target, why = "bayesian", "every parameter is choice, uniform or quniform and no early termination is set"
    else:
        blockers = [f"{n} is {d.type}" for n, d in space.items() if not _bayesian_ok(d)]
        if spec.policy is not None:
            blockers.append(f"early termination ({spec.policy.type}) is set")
        target, why = old, "; ".join(blockers)
    if target == old:
        return []
    value: Any = target
    if target == "sobol":
        value = {"type": "random", "rule": "sobol"} | ({"seed": spec.sampling.seed} if spec.sampling.seed else {})
    reason = f"{target} (was {old}): {why}"
    return [
        (Change("sampling_algorithm", "sampling", old, value, reason), Edit(("sampling_algorithm",), value, [reason]))
    ]


def _bayesian_ok(dist) -> bool:
    return dist.type in BAYESIAN_TYPES and not (isinstance(dist, Choice) and dist.grid_values() is None)


def _budget(spec: SweepSpec, budget: int | None) -> list[tuple[Change, Edit]]:
    if budget is None or budget == spec.limits.max_total_trials:
        return []
    reason = f"--budget {budget} (was {spec.limits.max_total_trials})"
    key = ("limits", "max_total_trials")
    return [
        (
            Change("limits.max_total_trials", "budget", spec.limits.max_total_trials, budget, reason),
            Edit(key, budget, [reason]),
        )
    ]


def _tags(spec, summaries, finished, top) -> list[tuple[Change, Edit]]:
    names = ", ".join(s.name for s in summaries)
    goal, metric = summaries[0].goal, summaries[0].primary_metric
    ranked = sorted((t.best for t in finished), key=lambda v: sort_key(v, goal))[:top]
    tied = sum(1 for v in ranked if v == ranked[0])
    shared = f", shared by {tied}" if tied > 1 else ""
    reason = (
        f"refines {names}: the best {top} of {len(finished)} finished trials (best {metric} {_fmt(ranked[0])}"
        f"{shared}, the {_ordinal(top)} {_fmt(ranked[-1])}) set the ranges above"
    )
    old = spec.tags.get("refined_from")
    return [(Change("tags.refined_from", "tags", old, names, reason), Edit(("tags", "refined_from"), names, [reason]))]


def _name(spec: SweepSpec) -> list[tuple[Change, Edit]]:
    if not spec.name:
        return []
    match = re.match(r"^(.*)_refined(\d*)$", spec.name)
    new = f"{match.group(1)}_refined{int(match.group(2) or 1) + 1}" if match else f"{spec.name}_refined"
    reason = f"{new} (was {spec.name}): a job name is taken once, in Azure ML and in the local store"
    return [(Change("name", "name", spec.name, new, reason), Edit(("name",), new, [reason]))]


def _paths(spec: SweepSpec, original: Original, output: Path | None) -> list[tuple[Change, Edit]]:
    """Relative local paths rewritten for the new spec's folder, when it is not the original's."""
    if original.base_dir is None or output is None:
        return []
    base, folder = original.base_dir.resolve(), output.resolve().parent
    if base == folder:
        return []
    found = []
    data = spec.data
    trial = data.get("trial") if isinstance(data.get("trial"), dict) else {}
    env = trial.get("environment") if isinstance(trial.get("environment"), dict) else {}
    build = env.get("build") if isinstance(env.get("build"), dict) else {}
    candidates = [
        (("trial", "code"), trial.get("code")),
        (("trial", "environment", "conda_file"), env.get("conda_file")),
    ]
    candidates.append((("trial", "environment", "build", "path"), build.get("path")))
    for name, item in (data.get("inputs") or {}).items():
        if isinstance(item, dict):
            candidates.append((("inputs", name, "path"), item.get("path")))
    for key, value in candidates:
        if not isinstance(value, str) or is_remote(value) or "://" in value or os.path.isabs(value):
            continue
        new = os.path.relpath(base / value, folder)
        reason = f"{new}: relative to this file's folder (was {value}, from {base})"
        found.append((Change(".".join(key), "path", value, new, reason), Edit(key, new, [reason])))
    return found


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _fmt(v: float) -> str:
    return f"{v:.4g}"
