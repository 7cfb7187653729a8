"""Replaying a recorded sweep's metric histories through an early-termination policy: what it would have canceled.

The replay walks every trial's primary-metric values in the order they were logged (timestamp, then step) and, at each
value, judges that trial with the emulator's own judgement (``emulator.judge.judge_new_values``): its interval n is its
n-th value, judged when ``policy.due(n)``, against every other trial's values logged by then (ties in the timestamp
included), a trial canceled by the replay with its values up to its cancel only, as the live judge counts it
(docs/semantics.md, "Evaluation interval"). A canceled trial's later values are dropped: they would not exist.

What a record cannot tell. A trial whose record ends because something stopped it (a policy, Ctrl-C, `sweep cancel`:
any cancel but a timeout, which would stop it again; or a trial still running) has no values past that point. If the
setting replayed does not cancel it within its values, it would have run on: it is *beyond its record*. From the time
its record ends, every judgement it could have taken part in is unknown, and so is the fate of the trial judged
(*uncertain*), whose own later values then become unknown in turn. The replay names those trials, judges on without
the unknown values, and gives intervals instead of numbers: what certainly ran and what may have, the best value
certainly kept and the best that may have been.

What the replay keeps as recorded: each trial's clock. A cancel frees a slot earlier, so later trials would have
started earlier and met other pools; the replay does not move them (the live emulator's order of starts is the
sampler's, not changed by a cancel, but its timing is). Savings assume the cancel at the value's own timestamp; live,
the cancel lands at the emulator's next read of the store (every 0.5 s) plus the trial's grace to exit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from ..emulator.judge import judge_new_values
from ..emulator.policies import Cancellation, EarlyTerminationPolicy
from ..spec.objective import best_of, better
from .record import MetricPoint, SweepSummary, TrialRecord

# cancels a replayed setting would make again, so a trial they stopped is not cut short by the policy
LIMIT_REASONS = ("trial_timeout", "sweep timeout")


@dataclass(eq=False)  # compared and hashed by identity: one per trial
class Replayed:
    """One trial in the replay: its record, and what the setting did to it."""

    record: TrialRecord
    cut_short: bool  # its values end because something stopped it, not because it ended by itself
    known: list[float] = field(default_factory=list)  # the values it has logged so far in the replay
    judged: int = 0
    cancel: Cancellation | None = None
    canceled_at: MetricPoint | None = None
    uncertain_from: tuple[int, float] | None = None  # (interval, time) from which its fate depends on unknown values
    beyond_record: bool = False

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def points(self) -> list[MetricPoint]:
        return self.record.history

    @property
    def started(self) -> float | None:
        return self.record.started if self.record.started is not None else _first_stamp(self.record)

    @property
    def end(self) -> float | None:
        """When its recorded run ended (its last value for one without an end time)."""
        if self.record.ended is not None:
            return self.record.ended
        return self.points[-1].timestamp if self.points else self.started

    @property
    def record_end(self) -> float:
        """When its record stops telling: its last value's time (its start, with none)."""
        return self.points[-1].timestamp if self.points else (self.started or 0.0)

    def recorded_seconds(self) -> float:
        if self.started is None or self.end is None:
            return 0.0
        return max(0.0, self.end - self.started)

    def could_join(self, n: int, at: float) -> bool:
        """Whether unknown values of this trial could be in a pool at interval ``n`` judged at time ``at``."""
        if self.uncertain_from is None or self.uncertain_from[0] > n:
            return False
        if len(self.points) >= n:
            return self.points[n - 1].timestamp <= at
        return self.cut_short and self.record_end <= at

    def mark_uncertain(self, n: int, at: float) -> None:
        if self.uncertain_from is None:
            self.uncertain_from = (n, at)


def cut_short(trial: TrialRecord) -> bool:
    if trial.status == "running":
        return True
    if trial.status != "canceled":
        return False
    return not (trial.cancel_reason or "").startswith(LIMIT_REASONS)


def replay(summary: SweepSummary, policy: EarlyTerminationPolicy) -> list[Replayed]:
    """Every trial of ``summary`` (by index) as ``policy`` would have judged it; see the module docstring."""
    trials = [Replayed(t, cut_short(t)) for t in summary.by_index()]
    order = {r.name: i for i, r in enumerate(trials)}
    events = [(p.timestamp, order[r.name], n, r) for r in trials for n, p in enumerate(r.points, 1)]
    # a trial stopped before its first value is beyond its record from its start, if nothing else cancels it
    for r in trials:
        if r.cut_short and not r.points:
            _beyond(r)
    # every trial's values so far, by name: the candidate's own entry is replaced by its values 1..n when judged
    known = {r.name: r.known for r in trials}
    for stamp, group in groupby(sorted(events, key=lambda e: e[:3]), key=lambda e: e[0]):
        group = list(group)
        for _, _, _, r in group:  # values logged at the same time are known to each other's judgements
            if r.cancel is None:
                r.known.append(r.points[len(r.known)].value)
        for r in dict.fromkeys(e[3] for e in group):
            if r.cancel is None:
                _judge(r, trials, known, policy, summary.goal, stamp)
            if r.cancel is None and r.cut_short and len(r.known) == len(r.points):
                _beyond(r)
    return trials


def _judge(r: Replayed, trials: list[Replayed], known: dict, policy, goal: str, stamp: float) -> None:
    while r.judged < len(r.known) and r.cancel is None:
        n = r.judged + 1
        if policy.due(n) and any(o.could_join(n, stamp) for o in trials if o.uncertain_from is not None and o is not r):
            r.mark_uncertain(n, stamp)
        r.judged, r.cancel = judge_new_values(policy, goal, r.name, r.known[:n], known, n - 1)
        if r.cancel is not None:
            r.canceled_at = r.points[r.cancel.interval - 1]
            del r.known[r.cancel.interval :]


def _beyond(r: Replayed) -> None:
    r.beyond_record = True
    r.mark_uncertain(len(r.points) + 1, r.record_end)


# what the replay adds up to ---------------------------------------------------------------------------------


def run_seconds(r: Replayed) -> tuple[float, float | None]:
    """The seconds it would have run: (at least, at most); at most None when unbounded (it could run on)."""
    recorded = r.recorded_seconds()
    if r.uncertain_from is None:
        if r.canceled_at is None or r.started is None:
            return recorded, recorded
        ran = max(0.0, min(recorded, r.canceled_at.timestamp - r.started))
        return ran, ran
    if r.beyond_record and r.uncertain_from[0] > len(r.points):
        return recorded, None  # it ran at least as recorded, and then on
    least = max(0.0, r.uncertain_from[1] - r.started) if r.started is not None else 0.0
    return min(least, recorded), None if r.cut_short else recorded


def kept_values(r: Replayed) -> tuple[list[float], list[float], bool]:
    """Its values the setting certainly keeps, those it may keep, and whether it may log others the record lacks."""
    if r.uncertain_from is None:
        return list(r.known), list(r.known), False
    certain = r.record.values[: r.uncertain_from[0] - 1]
    return certain, r.record.values, r.cut_short


def best_kept(trials: list[Replayed], goal: str) -> tuple[Replayed | None, float | None, float | None, bool]:
    """The best trial on the values certainly kept, its value, the best value possible, and whether it is bounded."""
    best, value, possible, bounded = None, None, None, True
    for r in trials:
        certain, maybe, more = kept_values(r)
        top = best_of(certain, goal)
        if top is not None and (value is None or better(top, value, goal)):
            best, value = r, top
        top_maybe = best_of(maybe, goal)
        if top_maybe is not None and (possible is None or better(top_maybe, possible, goal)):
            possible = top_maybe
        bounded = bounded and not more
    return best, value, possible, bounded


def _first_stamp(trial: TrialRecord) -> float | None:
    return trial.history[0].timestamp if trial.history else None
