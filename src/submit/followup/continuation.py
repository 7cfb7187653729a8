"""`sweep submit SPEC --continue ID`: the sweep(s) that run what sweep ID did not complete.

Azure ML v2 has no warm start (v1's ``resume_from``/``resume_child_runs`` are gone from the SDK), so a continuation
is one or more new sweep jobs, each an ordinary sweep Azure accepts, tagged ``continues: ID``:

- Grid: the points of the spec's grid that ID did not complete (failed, canceled, never run), at most the budget
  left (``max_total_trials`` minus the points completed), in grid order. A grid sweep's space is a cross product of
  ``choice`` lists, and a subset of a cross product is in general no cross product, so the missing points are cut
  into rectangular sub-grids, one grid sweep each (``max_total_trials`` = its size). Why not one sweep: a ``choice``
  over the missing tuples would need one search-space key standing for several command-line values, which the
  trial command cannot unpack (``${{search_space.k}}`` renders one value), and a nested ``choice`` of dicts is not
  a grid Azure documents. The cut (``boxes``) groups the first key's values by the set of missing points under each,
  then cuts each group's set the same way on the next key: one box for a whole row or column of failures, one per
  scattered point at worst; not always the fewest boxes (that problem is NP-hard), never overlapping.
- Random, Sobol, Bayesian: one sweep of the spec with the budget left, ``max_total_trials`` minus the trials ID
  completed. A seeded random or Sobol sweep gets the seed plus the number of trials ID ran, so it does not draw
  ID's points again; a Bayesian one starts afresh (it cannot be told ID's results).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

from ..errors import InputError
from ..spec.model import SweepSpec
from ..spec.space import Choice, SearchSpace

_ENDED = ("completed", "failed", "canceled")


@dataclass(frozen=True)
class Continuation:
    of: str  # the sweep continued
    specs: list[SweepSpec]  # the sweeps to submit; none when nothing is left
    left: int  # trials (grid points) the continuation runs
    note: str  # one line: what is continued, or why nothing is


def continue_sweep(spec: SweepSpec, summary) -> Continuation:
    """The continuation of ``summary`` (a ``monitor`` SweepSummary of sweep ID) under ``spec``; ``InputError``
    when it cannot be continued with this spec."""
    name = summary.name
    if summary.status not in (*_ENDED, "interrupted"):
        raise InputError(
            f"--continue {name}: the sweep is still {summary.status}; wait for it to end, or `sweep cancel {name}`"
        )
    if summary.status == "interrupted":
        raise InputError(
            f"--continue {name}: the local sweep was interrupted; `sweep submit SPEC --local --resume {name}` "
            "finishes it in place"
        )
    difference = spec_difference(spec, summary)
    if difference:
        raise InputError(f"--continue {name}: the spec differs from the sweep's: {difference}")
    done = [t for t in summary.trials if t.status == "completed"]
    budget = max(0, spec.limits.max_total_trials - len(done))
    if spec.sampling.type == "grid":
        return _grid(spec, summary, done, budget)
    if budget == 0:
        return Continuation(name, [], 0, f"sweep {name} completed {len(done)} trials, its whole budget: nothing left")
    seed = spec.sampling.seed
    sampling = spec.sampling if seed is None else replace(spec.sampling, seed=seed + len(summary.trials))
    note = f"{budget} of {spec.limits.max_total_trials} trials left ({len(done)} completed)"
    return Continuation(name, [_part(spec, name, spec.search_space, budget, note, sampling=sampling)], budget, note)


def _grid(spec: SweepSpec, summary, done, budget: int) -> Continuation:
    name = summary.name
    grid = spec.search_space.grid() or []
    completed = {_key(t.params, spec.search_space) for t in done}
    missing = [p for p in grid if _key(p, spec.search_space) not in completed][:budget]
    if not missing:
        return Continuation(name, [], 0, f"sweep {name} completed every grid point it had budget for: nothing left")
    statuses = {_key(t.params, spec.search_space): t.status for t in summary.trials}
    counts = {s: sum(statuses.get(_key(p, spec.search_space)) == s for p in missing) for s in ("failed", "canceled")}
    never = len(missing) - sum(counts.values())
    note = (
        f"{len(missing)} of {len(grid)} grid points left ({counts['failed']} failed, {counts['canceled']} canceled, "
        f"{never} never run)"
    )
    parts = boxes(list(spec.search_space), [[p[k] for k in spec.search_space] for p in missing])
    specs = []
    for i, box in enumerate(parts, 1):
        space = SearchSpace({k: Choice(values=values) for k, values in zip(spec.search_space, box, strict=True)})
        size = math.prod(len(v) for v in box)
        specs.append(_part(spec, name, space, size, note, part=f"{i}/{len(parts)}"))
    return Continuation(name, specs, len(missing), note)


def _part(spec, of, space, trials, note, *, part=None, sampling=None) -> SweepSpec:
    limits = replace(
        spec.limits,
        max_total_trials=trials,
        max_concurrent_trials=min(spec.limits.max_concurrent_trials, trials)
        if spec.limits.max_concurrent_trials
        else None,
    )
    tags = {**spec.tags, "continues": of, **({"continues_part": part} if part else {})}
    what = f"continues sweep {of}: {note}" + (f"; part {part}" if part else "")
    return replace(
        spec,
        search_space=space,
        limits=limits,
        sampling=sampling or spec.sampling,
        tags=tags,
        description=f"{spec.description}\n{what}" if spec.description else what,
        display_name=f"{spec.display_name or of} (continued{' ' + part if part else ''})",
        name=None,  # a job name is unique in a workspace: Azure names each part
    )


def boxes(keys: list[str], points: list[list[Any]]) -> list[list[list[Any]]]:
    """Cut ``points`` (value tuples, in grid order) into disjoint boxes: per key, the list of its values."""
    if not points:
        return []
    if len(keys) == 1:
        return [[_unique([p[0] for p in points])]]
    by_first: dict[str, list[list[Any]]] = {}
    firsts: dict[str, Any] = {}
    for p in points:
        k = json.dumps(_norm(p[0]))
        firsts.setdefault(k, p[0])
        by_first.setdefault(k, []).append(p[1:])
    groups: dict[str, tuple[list[Any], list[list[Any]]]] = {}
    for k, rest in by_first.items():
        signature = json.dumps([_norm(r) for r in rest])
        groups.setdefault(signature, ([], rest))[0].append(firsts[k])
    out = []
    for values, rest in groups.values():
        out += [[values, *sub] for sub in boxes(keys[1:], rest)]
    return out


def spec_difference(spec: SweepSpec, summary) -> str | None:
    """One line naming the first way ``spec`` is not the spec of the sweep ``summary``, or None."""
    theirs = summary.search_space or {}
    ours = spec.search_space.to_yaml()
    for key in list(ours) + [k for k in theirs if k not in ours]:
        if key not in theirs:
            return f"search_space.{key} is only in the spec"
        if key not in ours:
            return f"search_space.{key} is only in sweep {summary.name}"
        a, b = ours[key], {k: v for k, v in theirs[key].items() if k in ours[key] or v is not None}
        if _norm(a) != _norm(b):
            return f"search_space.{key}: the spec has {_describe(a)}, sweep {summary.name} has {_describe(b)}"
    sampling = spec.sampling.type
    theirs_sampling = {"sobol": "random"}.get(summary.sampling or "", summary.sampling)
    if theirs_sampling and theirs_sampling != sampling:
        return f"sampling_algorithm: the spec's is {sampling}, sweep {summary.name}'s is {theirs_sampling}"
    return None


def _describe(dist: dict) -> str:
    return f"{dist.get('type')} " + ", ".join(f"{k}={json.dumps(v)}" for k, v in dist.items() if k != "type")


def _key(params: dict[str, Any], space) -> str:
    return json.dumps([_norm(params.get(k)) for k in space])


def _norm(value: Any) -> Any:
    """A value as compared across stores: numbers as floats (16 and 16.0 are one point), containers item by item."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    return str(value)


def _unique(values: list[Any]) -> list[Any]:
    seen, out = set(), []
    for v in values:
        k = json.dumps(_norm(v))
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out
