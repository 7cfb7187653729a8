"""What an early-termination policy's cancels cost and spared, in trial-seconds: two figures, each with one name.

Both are counted per trial the policy canceled, from the value it was canceled at: its interval n, the n-th value
of the primary metric in logged order, the one the policy judged (the cancel reason names it: "... at interval 4").

- **run after cancel** (measured): what the record shows the trial running after that value, its run's end minus
  the value's timestamp. Live, it is the time the cancel took to land (the emulator's next read of the store, then the
  trial's grace to exit); in `sweep whatif`, whose cancels land at the value itself, it is what the setting cuts from
  the recorded sweep.
- **avoided** (estimate): what the trial would have run after that value, had it run to a full trial's end:

      (expected intervals - n) x its own seconds per interval + the tail of a completed trial

  - expected intervals: the median number of primary-metric values logged by the trials that completed (the length
    of a full run); with no completed trial, the most any trial reached, which under-estimates.
  - its seconds per interval: from the timestamps of its values 1..n, (n-th - first) / (n - 1), so the fixed start-up
    cost of a trial (interpreter, imports, MLflow) is not counted as if each interval repeated it; a trial canceled
    at its first value borrows the median rate of the canceled trials that have one (else of the completed ones).
  - the tail: what a completed trial runs after its last value (final test metrics, artifacts, the model: often
    longer than the training itself), the median over the completed trials of (run end - last value).

Part of what was avoided by the estimate's count ran anyway, while the cancel landed: that part is the run after
cancel. The sweep without the policy would have run about ``trial_seconds - run after cancel + avoided``.

Trials canceled for other reasons (timeout, Ctrl-C, the sweep failing) are not the policy's and are not counted.
``sweep status`` and ``sweep whatif`` (replaying the sweep's own policy) call ``estimate_savings`` on the same record
with the same cancels, so they give the same two numbers.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class Clock(NamedTuple):
    stamps: Sequence[float]  # its primary-metric values' timestamps (epoch seconds), in logged order
    started: float | None  # its run's start (epoch seconds), None if unknown
    ended: float | None  # its run's end


# a trial (anything with name, status, history and duration) -> its clock in the store
Clocks = Callable[[object], Clock]

AVOIDED = "avoided (estimate)"
AFTER_CANCEL = "run after cancel (measured)"


@dataclass(frozen=True)
class Cut:
    """One trial the policy canceled: the two figures for it."""

    interval: int  # the value it was canceled at
    after_cancel_seconds: float
    avoided_seconds: float


@dataclass(frozen=True)
class Savings:
    trial_seconds: float  # measured: every trial's run time (run start to end), summed
    avoided_seconds: float  # estimated: see the module docstring
    after_cancel_seconds: float  # measured: see the module docstring
    canceled: int  # trials canceled by the policy
    expected_intervals: int | None  # a full run's number of primary-metric values
    policy: str | None = None  # the policy's name; None when the sweep had none
    cuts: Mapping[str, Cut] = field(default_factory=dict)  # by trial name

    @property
    def share(self) -> float:
        """The estimated share of a policy-free sweep's trial-seconds that the policy avoided."""
        total = self.trial_seconds - self.after_cancel_seconds + self.avoided_seconds
        return self.avoided_seconds / total if total > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "trial_seconds": round(self.trial_seconds, 3),
            "avoided_seconds_estimate": round(self.avoided_seconds, 3),
            "avoided_share_estimate": round(self.share, 4),
            "after_cancel_seconds": round(self.after_cancel_seconds, 3),
            "canceled_by_policy": self.canceled,
            "expected_intervals": self.expected_intervals,
            "policy": self.policy,
        }

    def rows(self) -> list[tuple[str, str]]:
        """(label, text) for people: what ran, then each figure under its name (the CLI and the report show these)."""
        run = f"{self.trial_seconds:.1f} trial-seconds run"
        if self.policy is None:
            return [("compute", run + " (no early-termination policy)")]
        if not self.canceled:
            return [("compute", run + f"; {self.policy} canceled no trial")]
        return [
            ("compute", run + f"; {self.policy} canceled {self.canceled} trial(s)"),
            (AVOIDED, f"{self.avoided_seconds:.1f} trial-seconds, {self.share:.0%} of the sweep without the policy"),
            (AFTER_CANCEL, f"{self.after_cancel_seconds:.1f} trial-seconds past the values canceled at"),
        ]

    def describe(self) -> str:
        """The rows as lines that fit 80 columns: ``compute: ...`` then one indented line per figure."""
        (_, head), *figures = self.rows()
        return "\n".join([f"compute: {head}", *(f"  {label}: {text}" for label, text in figures)])


def estimate_savings(trials: Sequence, cancels: Mapping[str, int], clock: Clocks, policy: str | None = None) -> Savings:
    """Both figures for ``cancels`` (trial name -> the interval the policy canceled it at) among ``trials``."""
    clocks = {t.name: clock(t) for t in trials if t.name in cancels or t.status == "completed"}
    run = sum(_run_seconds(t, clocks.get(t.name) or clock(t)) for t in trials)
    # a completed trial's values counted from its clock: the store's, the same for the emulator and the monitor
    completed = [t for t in trials if t.status == "completed" and clocks[t.name].stamps]
    if completed:
        expected = int(statistics.median(len(clocks[t.name].stamps) for t in completed))
    else:
        expected = max((len(t.history) for t in trials), default=0)
    canceled = {name: n for name, n in cancels.items() if name in clocks and len(clocks[name].stamps) >= n >= 1}
    rates = {name: _seconds_per_interval(clocks[name].stamps[:n]) for name, n in canceled.items()}
    finished = [clocks[t.name] for t in completed] if canceled else []
    known = [r for r in rates.values() if r is not None] or [
        r for r in (_seconds_per_interval(c.stamps) for c in finished) if r is not None
    ]
    fallback = statistics.median(known) if known else 0.0
    tails = [max(0.0, c.ended - c.stamps[-1]) for c in finished if c.stamps and c.ended is not None]
    tail = statistics.median(tails) if tails else 0.0
    cuts = {}
    for name, n in canceled.items():
        rate = rates[name] if rates[name] is not None else fallback
        cuts[name] = Cut(n, after_cancel(clocks[name], n), max(0, expected - n) * rate + tail)
    return Savings(
        trial_seconds=run,
        avoided_seconds=sum(c.avoided_seconds for c in cuts.values()),
        after_cancel_seconds=sum(c.after_cancel_seconds for c in cuts.values()),
        canceled=len(cuts),
        expected_intervals=expected if trials else None,
        policy=policy,
        cuts=cuts,
    )


def after_cancel(clock: Clock, n: int) -> float:
    """What the record shows a trial running after its n-th value: to its run's end, else to its latest value."""
    end = clock.ended if clock.ended is not None else clock.stamps[-1]
    return max(0.0, end - clock.stamps[n - 1])


def _run_seconds(trial, clock: Clock) -> float:
    if clock.started is not None and clock.ended is not None:
        return max(0.0, clock.ended - clock.started)
    return trial.duration or 0.0


def _seconds_per_interval(stamps: Sequence[float]) -> float | None:
    if len(stamps) < 2:
        return None
    return max(0.0, (stamps[-1] - stamps[0]) / (len(stamps) - 1))
