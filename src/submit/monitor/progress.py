"""A sweep's progress against its budget, and when it will end: the same for a local sweep and a cloud one.

``progress_of(summary, now)`` counts the trials done of the sweep's planned count (``max_total_trials``, or the grid
size when that is smaller: a grid sweep completes once its grid is run), the trials running of
``max_concurrent_trials``, the time used and left of ``limits.timeout``, and estimates the time to the end from the
durations of the trials that ended. A cloud sweep's budget is read from the parent's ``_aml_system_*`` tags where
Azure set them (``_aml_system_max_total_jobs``, ``_max_concurrent_jobs``, ``_max_duration_minutes``,
``_all_jobs_generated``), as they are what the service itself runs by; the job's limits are the fallback.

The estimate simulates the rest of the sweep: each running trial holds a slot until it reaches the median duration
(or a moment more when it is already past it), then each trial not started yet takes the earliest free slot for one
median duration. It ignores the scheduler's gaps between trials and the policy's future cancels, so it is rough; it
says so by giving its basis ("22 trials left at a median of 75 s, 4 at a time").
"""

from __future__ import annotations

import heapq
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any

from .record import SweepSummary, TrialRecord

ENDED = {"completed", "failed", "canceled", "interrupted"}
# a running trial already older than the median is given this share of the median more, not zero: it is still running
OVERDUE_SHARE = 0.1


@dataclass
class Progress:
    done: int  # trials that ended (completed, failed, canceled)
    planned: int | None  # what the sweep will run: max_total_trials, or the grid size when smaller
    planned_from: str | None  # "max_total_trials" | "grid" | "_aml_system_max_total_jobs" | "generated"
    running: int
    queued: int
    max_concurrent: int | None
    elapsed_s: float | None  # since the sweep started (to its end, once it ended)
    timeout_s: float | None
    left_s: float | None  # of the timeout
    eta_s: float | None  # the estimated time to the end, from now
    median_s: float | None  # the median duration of the trials that ended
    concurrency: int | None  # the trials the estimate runs at a time
    trials_left: int | None
    ended: bool
    basis: str  # the estimate in words, or why there is none

    @property
    def fraction(self) -> float | None:
        return None if not self.planned else min(1.0, self.done / self.planned)

    def to_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "planned": self.planned,
            "planned_from": self.planned_from,
            "running": self.running,
            "queued": self.queued,
            "max_concurrent": self.max_concurrent,
            "elapsed_s": _round(self.elapsed_s),
            "timeout_s": self.timeout_s,
            "timeout_left_s": _round(self.left_s),
            "eta_s": _round(self.eta_s),
            "eta_basis": self.basis,
            "median_trial_s": _round(self.median_s),
            "concurrency": self.concurrency,
            "trials_left": self.trials_left,
            "ended": self.ended,
        }


def progress_of(summary: SweepSummary, now: float | None = None) -> Progress:
    """Where the sweep stands against its budget at ``now`` (epoch seconds; default: the clock)."""
    now = time.time() if now is None else now
    planned, planned_from = _planned(summary)
    max_concurrent = _int(summary.system_tags.get("_aml_system_max_concurrent_jobs")) or _int(
        summary.limits.max_concurrent_trials
    )
    timeout = _timeout(summary)
    ended = summary.status in ENDED
    end = summary.ended if ended and summary.ended is not None else now
    elapsed = None if summary.started is None else max(0.0, end - summary.started)
    left = None if timeout is None or elapsed is None else max(0.0, timeout - elapsed)
    running = [t for t in summary.trials if t.status == "running"]
    queued = summary.count("queued")
    done = len(summary.ended_trials)
    durations = [t.duration for t in summary.ended_trials if t.duration is not None]
    median = statistics.median(durations) if durations else None
    base = Progress(
        done, planned, planned_from, len(running), queued, max_concurrent, elapsed, timeout, left,
        None, median, None, None, ended, "",
    )  # fmt: skip
    if ended:
        base.eta_s, base.trials_left, base.basis = 0.0, 0, f"ended {summary.status}"
        return base
    if planned is None:
        base.basis = "no estimate: the planned number of trials is not known"
        return base
    base.trials_left = max(0, planned - done)
    if median is None:
        base.basis = "no estimate until a trial ends"
        return base
    slots = _concurrency(summary, max_concurrent, base.trials_left)
    base.concurrency = slots
    base.eta_s = _simulate(running, base.trials_left - len(running), median, slots, now)
    base.basis = (
        f"about {_words(base.eta_s)}: {base.trials_left} trial{'s' if base.trials_left != 1 else ''} left "
        f"at a median of {_words(median)}, {slots} at a time"
    )
    if left is not None and base.eta_s > left:
        base.basis += f"; the timeout ends the sweep first, in {_words(left)}"
        base.eta_s = left
    return base


def _planned(summary: SweepSummary) -> tuple[int | None, str | None]:
    tags = summary.system_tags
    if str(tags.get("_aml_system_all_jobs_generated", "")).lower() == "true":
        # Azure generated every trial it will: what it listed is the whole sweep (a grid or a space run out)
        return len(summary.trials) + len(summary.unparsed_children), "generated"
    total = _int(tags.get("_aml_system_max_total_jobs"))
    source = "_aml_system_max_total_jobs"
    if total is None:
        total, source = _int(summary.limits.max_total_trials), "max_total_trials"
    grid = grid_size(summary)
    if grid is not None and (total is None or grid < total):
        return grid, "grid"
    return total, source if total is not None else None


def grid_size(summary: SweepSummary) -> int | None:
    """The number of points of a grid sweep's space (every parameter a choice), else None."""
    if summary.sampling != "grid" or not summary.search_space:
        return None
    size = 1
    for declared in summary.search_space.values():
        values = declared.get("values") if isinstance(declared, dict) else None
        if not isinstance(values, list):
            return None
        size *= len(values)
    return size


def _timeout(summary: SweepSummary) -> float | None:
    minutes = _number(summary.system_tags.get("_aml_system_max_duration_minutes"))
    if minutes is not None:
        return minutes * 60
    return _number(summary.limits.timeout)


def _concurrency(summary: SweepSummary, max_concurrent: int | None, left: int) -> int:
    """The trials the rest runs at a time: the most seen at once so far (which shows a local core cap or a cluster's
    size), never more than the limit, at least one."""
    seen = max(peak_concurrency(summary.trials), summary.count("running"))
    slots = seen or max_concurrent or 1
    if max_concurrent:
        slots = min(slots, max_concurrent)
    return max(1, min(slots, max(left, 1)))


def peak_concurrency(trials: list[TrialRecord]) -> int:
    """The most trials that ran at the same moment (from their start and end times)."""
    edges = []
    for t in trials:
        if t.started is None:
            continue
        edges.append((t.started, 1))
        edges.append((t.ended if t.ended is not None else math.inf, -1))
    peak = current = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):  # an end before a start at the same moment
        current += step
        peak = max(peak, current)
    return peak


def _simulate(running: list[TrialRecord], waiting: int, median: float, slots: int, now: float) -> float:
    free = []
    for t in running[:slots]:
        age = now - t.started if t.started is not None else 0.0
        free.append(max(median - age, median * OVERDUE_SHARE))
    free += [0.0] * (slots - len(free))
    heapq.heapify(free)
    for _ in range(max(0, waiting)):
        heapq.heappush(free, heapq.heappop(free) + median)
    return max(free) if (running or waiting > 0) else 0.0


def _words(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _int(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
