"""`sweep watch`, as data: the changes between successive looks at a sweep, until it ends.

``follow`` reads the sweep every ``interval`` seconds (without histories: one search per look, not one query per
trial) and yields an ``Event`` for each trial that started, ended or was canceled, for each new best, and ``look``
after each look; when the sweep has ended it reads it once more in full and yields ``end`` with that summary (or
``until`` when the condition the caller waits for is met first). ``sleep`` is passed in, so a
caller (or a test) decides how time passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..spec.objective import better
from .record import Judged, SweepSummary, TrialRecord, _json_number, judged_at

ENDED = {"completed", "failed", "canceled", "interrupted"}


@dataclass(frozen=True)
class Event:
    kind: str  # started | ended | best | look | until | end
    summary: SweepSummary
    trial: TrialRecord | None = None
    judged: Judged | None = None  # a trial the policy canceled: the value it judged, not its latest

    def to_dict(self) -> dict:
        j = self.judged
        return {
            "event": self.kind,
            "sweep": self.summary.name,
            "status": self.summary.status,
            "counts": self.summary.counts,
            "trial": None if self.trial is None else self.trial.to_dict(),
            "judged": None
            if j is None
            else {"interval": j.interval, "step": j.point.step, "value": _json_number(j.value)},
        }


def follow(
    source,
    name: str,
    *,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    until=None,
) -> Iterator[Event]:
    """Events until the sweep ends (``end``), or until ``until`` (a ``monitor.until.Until``) is met (``until``, with
    the sweep read in full); after each look, ``look`` with what it saw (progress is drawn from it)."""
    seen: dict[str, str] = {}
    best: float | None = None
    deadline = None if timeout is None else clock() + timeout
    while True:
        summary = source.status(name, histories=False)
        for trial in summary.by_index():
            before = seen.get(trial.name)
            if before != trial.status:
                seen[trial.name] = trial.status
                if trial.status in ("running", "queued") and before is None:
                    yield Event("started", summary, trial)
                elif trial.status in ("completed", "failed", "canceled"):
                    yield Event("ended", summary, trial, _judged(source, summary, trial))
        leader = summary.best
        if leader is not None and better(leader.best, best, summary.goal):
            best = leader.best
            yield Event("best", summary, leader)
        if summary.status in ENDED:
            yield Event("end", source.status(name))
            return
        yield Event("look", summary)
        if until is not None and until.met(summary):
            yield Event("until", source.status(name))
            return
        if deadline is not None and clock() >= deadline:
            return
        sleep(interval)


def _judged(source, summary: SweepSummary, trial: TrialRecord) -> Judged | None:
    # a look holds each trial's latest value only: the judged one is read, once, for a trial the policy canceled
    if trial.canceled_at is None:
        return None
    history = source.history(trial.run_id, summary.primary_metric)
    return judged_at(history, trial.canceled_at, summary.policy, summary.goal)
