"""`sweep diff A B`: two sweeps of one spec side by side, typically a local try and the cloud run.

Per sweep: statuses, the best trial and value, the distribution of the primary metric (each trial's best-ever value,
Azure's per-trial value: quantiles and a histogram on bins shared by both), the cancels by interval. Across both:
the sampled parameters trial by trial in index order (a grid, or random or Sobol with a seed, samples the same values
on both sides in the emulator; the cloud's random generator is not public, so there they differ, and the diff says
where). Nothing here prints.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .record import SweepSummary, TrialRecord, _json_number, usable

BINS = 10


@dataclass
class Side:
    name: str
    where: str
    location: str
    status: str
    sampling: str | None
    policy: str | None
    counts: dict[str, int]
    best: str | None
    best_value: float | None
    best_params: dict[str, Any] | None
    values: list[float]  # each trial's best-ever usable value, by index
    cancels: dict[int, int]  # policy cancels: interval -> trials
    other_cancels: int  # canceled for another reason (a timeout, Ctrl-C, `sweep cancel`)

    @property
    def quantiles(self) -> dict[str, float | None]:
        return quantiles(self.values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "where": self.where,
            "location": self.location,
            "status": self.status,
            "sampling": self.sampling,
            "policy": self.policy,
            "counts": self.counts,
            "best": {"trial": self.best, "value": _json_number(self.best_value), "params": self.best_params},
            "values": len(self.values),
            "quantiles": {k: _json_number(v) for k, v in self.quantiles.items()},
            "cancels_by_interval": {str(k): v for k, v in sorted(self.cancels.items())},
            "other_cancels": self.other_cancels,
        }


@dataclass(frozen=True)
class ParamDiff:
    index: int  # the trials' index (their position when neither has one)
    a: dict[str, Any] | None  # None: no such trial on that side
    b: dict[str, Any] | None
    keys: tuple[str, ...]  # the parameters whose values differ (every key of the side that has the trial)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "a": self.a, "b": self.b, "differs": list(self.keys)}


@dataclass
class SweepDiff:
    a: Side
    b: Side
    primary_metric: str
    goal: str
    compared: int  # trials paired by index
    same_params: int  # of those, sampled with the same values
    differences: list[ParamDiff]  # every pair that differs (or has no partner), in index order
    edges: list[float]  # the histogram's bin edges, shared
    histogram_a: list[int]
    histogram_b: list[int]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "objective": {"goal": self.goal, "primary_metric": self.primary_metric},
            "params": {
                "compared": self.compared,
                "same": self.same_params,
                "identical": not self.differences,
                "differences": [d.to_dict() for d in self.differences],
            },
            "histogram": {"edges": self.edges, "a": self.histogram_a, "b": self.histogram_b},
            "warnings": self.warnings,
        }


def diff_sweeps(a: SweepSummary, b: SweepSummary) -> SweepDiff:
    """``a`` and ``b`` compared (each read with ``status()``); a different objective is said, not refused."""
    warnings = []
    if (a.primary_metric, a.goal) != (b.primary_metric, b.goal):
        warnings.append(
            f"the objectives differ: {a.name} {a.goal}s {a.primary_metric!r}, {b.name} {b.goal}s {b.primary_metric!r}"
        )
    sa, sb = side(a), side(b)
    edges = bin_edges(sa.values + sb.values)
    pairs = pair_trials(a, b)
    differences = [d for d in (param_diff(i, x, y) for i, x, y in pairs) if d is not None]
    both = sum(1 for _, x, y in pairs if x is not None and y is not None)
    return SweepDiff(
        sa,
        sb,
        a.primary_metric,
        a.goal,
        compared=both,
        same_params=both - sum(1 for d in differences if d.a is not None and d.b is not None),
        differences=differences,
        edges=edges,
        histogram_a=histogram(sa.values, edges),
        histogram_b=histogram(sb.values, edges),
        warnings=warnings,
    )


def side(summary: SweepSummary) -> Side:
    best = summary.best
    trials = summary.by_index()
    cancels: Counter[int] = Counter()
    other = 0
    for t in trials:
        if t.status != "canceled":
            continue
        if t.canceled_by_policy:
            cancels[cancel_interval(t)] += 1
        else:
            other += 1
    return Side(
        name=summary.name,
        where=summary.where,
        location=summary.location,
        status=summary.status,
        sampling=summary.sampling,
        policy=summary.policy,
        counts=summary.counts,
        best=best.name if best else None,
        best_value=best.best if best else None,
        best_params=best.params if best else None,
        values=[t.best for t in trials if usable(t.best)],
        cancels=dict(cancels),
        other_cancels=other,
    )


def cancel_interval(trial: TrialRecord) -> int:
    """The interval the policy canceled it at: its reason's, else (Azure records none) the values it had logged."""
    return trial.canceled_at or len(trial.history)


def pair_trials(a: SweepSummary, b: SweepSummary) -> list[tuple[int, TrialRecord | None, TrialRecord | None]]:
    """The trials of both sweeps paired by index (by position where a side has none), in order."""

    def keyed(s: SweepSummary) -> dict[int, TrialRecord]:
        trials = s.by_index()
        if all(t.index is not None for t in trials):
            return {t.index: t for t in trials}
        return dict(enumerate(trials))

    ka, kb = keyed(a), keyed(b)
    return [(i, ka.get(i), kb.get(i)) for i in sorted(set(ka) | set(kb))]


def param_diff(index: int, a: TrialRecord | None, b: TrialRecord | None) -> ParamDiff | None:
    if a is None or b is None:
        only = a or b
        return ParamDiff(index, a.params if a else None, b.params if b else None, tuple(only.params))
    keys = tuple(k for k in dict.fromkeys([*a.params, *b.params]) if not same_value(a.params.get(k), b.params.get(k)))
    return ParamDiff(index, a.params, b.params, keys) if keys else None


def same_value(x: Any, y: Any) -> bool:
    """Equal as sampled values: numbers to 1e-9 relative (a value through JSON and back, or str() and float())."""
    numbers = (int, float)
    if isinstance(x, numbers) and isinstance(y, numbers) and not isinstance(x, bool) and not isinstance(y, bool):
        return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-12)
    return x == y


def quantiles(values: list[float]) -> dict[str, float | None]:
    keys = ("min", "q25", "median", "q75", "max")
    if not values:
        return dict.fromkeys(keys)
    if len(values) == 1:
        return dict.fromkeys(keys, values[0])
    q25, median, q75 = statistics.quantiles(values, n=4, method="inclusive")
    return dict(zip(keys, (min(values), q25, median, q75, max(values)), strict=True))


def bin_edges(values: list[float], bins: int = BINS) -> list[float]:
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [low, high]
    return [low + (high - low) * i / bins for i in range(bins + 1)]


def histogram(values: list[float], edges: list[float]) -> list[int]:
    """Counts per bin; the last bin holds its upper edge."""
    if len(edges) < 2:
        return []
    counts = [0] * (len(edges) - 1)
    width = edges[-1] - edges[0]
    for v in values:
        i = len(counts) - 1 if width == 0 else min(int((v - edges[0]) / width * len(counts)), len(counts) - 1)
        counts[i] += 1
    return counts
