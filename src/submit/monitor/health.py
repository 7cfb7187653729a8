"""Health flags: what is wrong with a sweep, each with the trials it concerns, from its ``SweepSummary`` alone.

``flags(summary, now)`` runs every check; each is a pure function of the summary that returns a ``Flag`` or None, so
a sweep with no problem has no flag. The thresholds are named below with the reason for each. A summary read without
histories (``histories_read`` False: `list`, `watch`) holds each trial's latest value only, so the checks that need
every value (NaN anywhere in a history, the count of values a policy saw) wait for a full read (`status`, the report).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..spec.names import closest_name
from .progress import progress_of
from .record import SweepSummary

# a failure rate at or above this share of the ended trials (at least FAILURES_MIN of them) is flagged: one failure
# in four is what the users report as "something is broken", not the odd bad draw of a large space
FAILURE_RATE = 0.25
FAILURES_MIN = 1
# a running trial is a straggler when it has run STRAGGLER_FACTOR times the median duration of the trials that
# ended, and at least STRAGGLER_MIN_S more than it: a factor alone flags every trial of a sweep of one-second trials
STRAGGLER_FACTOR = 3.0
STRAGGLER_MIN_S = 2.0
STRAGGLER_MIN_ENDED = 2  # a median of fewer ended trials says nothing of what is normal
# a trial queued this long has waited for compute rather than for the sweep's own start-up (an Azure cluster scales
# from zero in a few minutes)
QUEUED_LONG_S = 15 * 60
# Azure's words for a parent that ended well (its status lower-cased) while children failed: azure-docs #63784
ENDED_WELL = {"completed"}

KINDS = (
    "metric_missing",
    "non_finite",
    "failure_rate",
    "straggler",
    "queued_long",
    "state_disagrees",
    "policy_idle",
    "unreadable_trials",
    "listing_cut",
)
MARKS = {  # one letter per flag, for `sweep list`'s one marker column
    "metric_missing": "M",
    "non_finite": "N",
    "failure_rate": "F",
    "straggler": "S",
    "queued_long": "Q",
    "state_disagrees": "D",
    "policy_idle": "P",
    "unreadable_trials": "U",
    "listing_cut": "C",
}


@dataclass
class Flag:
    kind: str  # one of KINDS
    message: str
    trials: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def mark(self) -> str:
        return MARKS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "trials": self.trials, "details": self.details}


def flags(summary: SweepSummary, now: float | None = None) -> list[Flag]:
    """Every flag the sweep raises, in the order of ``KINDS``."""
    now = time.time() if now is None else now
    checks: list[Callable[[SweepSummary, float], Flag | None]] = [
        metric_missing,
        non_finite,
        failure_rate,
        stragglers,
        queued_long,
        state_disagrees,
        policy_idle,
        unreadable_trials,
        listing_cut,
    ]
    return [f for f in (check(summary, now) for check in checks) if f is not None]


def _names(trials) -> list[str]:
    return [t.name for t in trials]


def metric_missing(s: SweepSummary, now: float) -> Flag | None:
    """Completed trials that never logged the primary metric, with what they logged instead and a did-you-mean
    (failed and canceled ones may have stopped before their first value: the failure rate speaks of those)."""
    missing = [t for t in s.trials if t.status == "completed" and not t.history and s.primary_metric not in t.metrics]
    if not missing:
        return None
    logged = sorted({k for t in missing for k in t.metrics})
    hint = closest_name(s.primary_metric, logged) if logged else None
    what = f"they logged {', '.join(logged)}" if logged else "they logged no metric"
    message = f"{len(missing)} completed trial(s) never logged the primary metric {s.primary_metric!r} ({what})"
    if hint:
        message += f"; did you mean `{hint}`?"
    return Flag(
        "metric_missing", message, _names(missing), {"primary_metric": s.primary_metric, "logged": logged, "hint": hint}
    )


def non_finite(s: SweepSummary, now: float) -> Flag | None:
    """Trials that logged NaN or an infinity as the primary metric (a numerical failure, never a result)."""
    bad = [t for t in s.trials if any(not math.isfinite(v) for v in t.values)]
    if not bad:
        return None
    counts = {t.name: sum(not math.isfinite(v) for v in t.values) for t in bad}
    return Flag(
        "non_finite",
        f"{len(bad)} trial(s) logged NaN or infinity as {s.primary_metric}",
        _names(bad),
        {"values": counts, "from_latest_values_only": not s.histories_read},
    )


def failure_rate(s: SweepSummary, now: float) -> Flag | None:
    ended = s.ended_trials
    failed = [t for t in ended if t.status == "failed"]
    if len(failed) < FAILURES_MIN or len(failed) < FAILURE_RATE * len(ended):
        return None
    rate = len(failed) / len(ended)
    return Flag(
        "failure_rate",
        f"{len(failed)} of {len(ended)} ended trials failed ({rate:.0%}, the threshold is {FAILURE_RATE:.0%})",
        _names(failed),
        {"failed": len(failed), "ended": len(ended), "rate": round(rate, 4), "threshold": FAILURE_RATE},
    )


def stragglers(s: SweepSummary, now: float) -> Flag | None:
    durations = [t.duration for t in s.ended_trials if t.duration is not None]
    if len(durations) < STRAGGLER_MIN_ENDED:
        return None
    median = statistics.median(durations)
    bar = max(median * STRAGGLER_FACTOR, median + STRAGGLER_MIN_S)
    slow = [t for t in s.trials if t.status == "running" and t.started is not None and now - t.started > bar]
    if not slow:
        return None
    ages = {t.name: round(now - t.started, 1) for t in slow}
    return Flag(
        "straggler",
        f"{len(slow)} trial(s) running far longer than the median trial ({median:.1f} s): "
        + ", ".join(f"{n} {a:.0f} s" for n, a in list(ages.items())[:5]),
        _names(slow),
        {"median_s": round(median, 3), "threshold_s": round(bar, 3), "running_s": ages},
    )


def queued_long(s: SweepSummary, now: float) -> Flag | None:
    # a queued trial has no start time; its wait is counted from the sweep's start, the earliest it could start
    if s.started is None:
        return None
    waiting = [t for t in s.trials if t.status == "queued" and now - s.started > QUEUED_LONG_S]
    if not waiting:
        return None
    return Flag(
        "queued_long",
        f"{len(waiting)} trial(s) queued and not started for over {QUEUED_LONG_S // 60} min "
        "(the compute may be at its cap, or scaling up)",
        _names(waiting),
        {"threshold_s": QUEUED_LONG_S},
    )


def state_disagrees(s: SweepSummary, now: float) -> Flag | None:
    """A sweep that ended well while trials failed, or one that ended with trials it still shows running."""
    failed = [t for t in s.trials if t.status == "failed"]
    unfinished = [t for t in s.trials if t.status in ("running", "queued")]
    if s.status in ENDED_WELL and failed:
        message = f"the sweep is {s.status} but {len(failed)} of its {len(s.trials)} trials failed"
        return Flag("state_disagrees", message, _names(failed), {"sweep_status": s.status})
    if s.status in ("completed", "failed", "canceled", "interrupted") and unfinished:
        message = f"the sweep is {s.status} but {len(unfinished)} trial(s) are still shown running or queued"
        return Flag("state_disagrees", message, _names(unfinished), {"sweep_status": s.status})
    return None


def policy_idle(s: SweepSummary, now: float) -> Flag | None:
    """A policy that could never judge: every ended trial logged fewer values than the first interval it judges at
    (``n % evaluation_interval == 0 and n >= delay_evaluation``, docs/semantics.md "Evaluation interval")."""
    if s.policy is None or not s.histories_read:
        return None
    interval = max(int(s.policy_settings.get("evaluation_interval") or 1), 1)
    delay = int(s.policy_settings.get("delay_evaluation") or 0)
    first = max(interval, math.ceil(max(delay, 1) / interval) * interval)
    ended = s.ended_trials
    short = [t for t in ended if len(t.history) < first]
    if not ended or len(short) < len(ended):
        return None
    most = max((len(t.history) for t in ended), default=0)
    return Flag(
        "policy_idle",
        f"the {s.policy} policy never could act: it first judges a trial at its value {first} "
        f"(delay_evaluation {delay}, evaluation_interval {interval}) and no trial logged more than {most}",
        _names(short),
        {"first_interval": first, "delay_evaluation": delay, "evaluation_interval": interval, "most_values": most},
    )


def unreadable_trials(s: SweepSummary, now: float) -> Flag | None:
    if not s.unparsed_children:
        return None
    return Flag(
        "unreadable_trials",
        f"{len(s.unparsed_children)} trial(s) listed by Azure could not be read by azure-ai-ml (not in the counts)",
        list(s.unparsed_children),
    )


def listing_cut(s: SweepSummary, now: float) -> Flag | None:
    if not s.cut_short:
        return None
    return Flag("listing_cut", "a listing stopped before its end: " + "; ".join(s.cut_short), [], {"cut": s.cut_short})


def status_dict(summary: SweepSummary, histories: bool = False, now: float | None = None) -> dict[str, Any]:
    """`sweep status --json`: the summary, its progress against the budget and its health flags."""
    body = summary.to_dict(histories=histories)
    body["progress"] = progress_of(summary, now).to_dict()
    body["flags"] = [f.to_dict() for f in flags(summary, now)]
    return body
