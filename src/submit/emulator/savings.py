"""The compute an early-termination policy saved: trial-seconds run, and an estimate of those it avoided.

What ran is measured: the sum of every trial's wall time (start to exit, the cancel grace included). What was avoided
cannot be measured, only estimated; we estimate it per trial the policy canceled, as

    (expected intervals - intervals it reached) x its own seconds per interval + the tail of a completed trial

- expected intervals: the median number of primary-metric values logged by the trials that completed (the length of
  a full run); with no completed trial yet, the most any trial reached, which under-estimates.
- its seconds per interval: from the store's timestamps of its own values, (last - first) / (n - 1), so the fixed
  start-up cost of a trial (interpreter, imports, MLflow) is not counted as if each interval repeated it; a trial
  canceled at its first value borrows the median rate of the trials that have one.
- the tail: what a completed trial runs after its last value (final test metrics, artifacts, the model: often
  longer than the training itself), the median over the completed trials of (run end - last value); a canceled
  trial skips it.

Trials canceled for other reasons (timeout, Ctrl-C, the sweep failing) saved nothing and are not counted.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .results import TrialResult

# a trial's primary-metric timestamps (epoch seconds, logged order) and its run's end (epoch seconds, None if unknown)
Timestamps = Callable[[TrialResult], tuple[Sequence[float], float | None]]


@dataclass(frozen=True)
class Savings:
    trial_seconds: float  # measured: every trial's wall time, summed
    avoided_seconds: float  # estimated: what the trials the policy canceled would have run on
    canceled: int  # trials canceled by the policy
    expected_intervals: int | None  # a full run's number of primary-metric values
    policy: str | None = None  # the policy's name; None when the sweep had none

    @property
    def share(self) -> float:
        """The estimated share of a policy-free sweep's trial-seconds that the policy avoided."""
        total = self.trial_seconds + self.avoided_seconds
        return self.avoided_seconds / total if total > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "trial_seconds": round(self.trial_seconds, 3),
            "avoided_seconds_estimate": round(self.avoided_seconds, 3),
            "avoided_share_estimate": round(self.share, 4),
            "canceled_by_policy": self.canceled,
            "expected_intervals": self.expected_intervals,
            "policy": self.policy,
        }

    def describe(self) -> str:
        text = f"compute: {self.trial_seconds:.1f} trial-seconds run"
        if self.policy is None:
            return text + " (no early-termination policy)"
        if not self.canceled:
            return text + "; the policy canceled no trial"
        return text + (
            f"; the policy canceled {self.canceled} trial(s), avoiding about {self.avoided_seconds:.1f} trial-seconds "
            f"({self.share:.0%} of the sweep without it; {self.expected_intervals} intervals expected per trial, "
            "each canceled trial at its own seconds per interval, plus a completed trial's time after its last value)"
        )


def estimate_savings(
    trials: Sequence[TrialResult],
    canceled_by_policy: Mapping[str, object] | set[str],
    timestamps: Timestamps,
    policy: str | None = None,
) -> Savings:
    run = sum(t.duration or 0.0 for t in trials)
    canceled = [t for t in trials if t.name in canceled_by_policy and t.status == "canceled"]
    completed = [t for t in trials if t.status == "completed" and t.history]
    if completed:
        expected = int(statistics.median(len(t.history) for t in completed))
    else:
        expected = max((len(t.history) for t in trials), default=0)
    rates = {t.name: _seconds_per_interval(timestamps(t)[0]) for t in canceled}
    finished = [timestamps(t) for t in completed] if canceled else []
    known = [r for r in rates.values() if r is not None] or [
        r for r in (_seconds_per_interval(stamps) for stamps, _ in finished) if r is not None
    ]
    fallback = statistics.median(known) if known else 0.0
    tails = [max(0.0, end - stamps[-1]) for stamps, end in finished if stamps and end is not None]
    tail = statistics.median(tails) if tails else 0.0
    avoided = 0.0
    for t in canceled:
        rate = rates[t.name] if rates[t.name] is not None else fallback
        avoided += max(0, expected - len(t.history)) * rate + tail
    return Savings(run, avoided, len(canceled), expected if trials else None, policy)


def _seconds_per_interval(stamps: Sequence[float]) -> float | None:
    if len(stamps) < 2:
        return None
    return max(0.0, (stamps[-1] - stamps[0]) / (len(stamps) - 1))


def store_timestamps(store, metric: str) -> Timestamps:
    """A trial's primary-metric timestamps from the store, in the order ``Store.history`` gives its values."""

    def timestamps(trial: TrialResult) -> tuple[list[float], float | None]:
        points = store.client.get_metric_history(trial.run_id, metric)
        end = store.client.get_run(trial.run_id).info.end_time
        stamps = [m.timestamp / 1000 for m in sorted(points, key=lambda m: (m.timestamp, m.step))]
        return stamps, None if end is None else end / 1000

    return timestamps
