"""`sweep whatif`: a recorded sweep, local or cloud, replayed under other early-termination settings.

``parse_setting("bandit slack_factor=0.1 evaluation_interval=1 delay_evaluation=5")`` reads one setting in Azure's
option names, checked by the spec's own policy rules (``spec.validate.policy_of``: the same messages, the same
did-you-mean); ``what_if(summary, policies)`` replays the sweep's histories under each (``monitor.replay``) and returns
per setting the cancels (trial, interval, the value's MLflow step, seconds into the trial), the two figures of
``savings`` for them (the *run after cancel*, measured on the record: what an instant cancel cuts from it;
the *avoided* estimate, computed by the function `sweep status` uses, so the sweep's own policy replayed gives its
numbers), and whether the recorded best trial keeps its best value. Where the record cannot tell (trials the setting
would have let run past their record), it names them and gives intervals. Nothing here prints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..emulator.policies import EarlyTerminationPolicy, make_policy
from .local import record_clock
from .record import MonitorInputError, SweepSummary, _json_number
from .replay import Replayed, best_kept, replay, run_seconds
from .savings import Savings, estimate_savings

_SEPARATORS = re.compile(r"[\s,]+")


def parse_setting(text: str) -> EarlyTerminationPolicy:
    """A policy from ``TYPE NAME=VALUE ...`` (Azure's names: slack_factor, slack_amount, truncation_percentage,
    evaluation_interval, delay_evaluation); ``MonitorInputError`` in one line naming the option at fault."""
    import yaml

    from ..spec.validate import Checker, policy_of

    words = [w for w in _SEPARATORS.split(text.strip()) if w]
    if not words:
        raise MonitorInputError("--policy needs a policy, e.g. --policy 'bandit slack_factor=0.1'")
    value: dict[str, Any] = {"type": words[0]}
    for word in words[1:]:
        key, eq, raw = word.partition("=")
        if not eq or not key or not raw:
            raise MonitorInputError(f"--policy {text!r}: expected NAME=VALUE, found {word!r} (e.g. slack_factor=0.1)")
        try:
            value[key] = yaml.safe_load(raw)
        except yaml.YAMLError:
            value[key] = raw
    check = Checker("--policy", {}, set())
    policy = policy_of(value, check)
    if check.problems:
        p = check.problems[0]
        where = p.path.removeprefix("early_termination").lstrip(".")
        what = "unknown option" if p.message.startswith("unknown key") else p.message
        hint = re.sub(r"\b(\w+): (\S+)$", r"e.g. \1=\2", p.hint)  # the spec's YAML example in --policy's words
        raise MonitorInputError(
            f"--policy {text!r}: " + (f"{where}: " if where else "") + what + (f" ({hint})" if hint else "")
        )
    return make_policy(policy)


def describe(policy: EarlyTerminationPolicy) -> str:
    """The setting in the words `--policy` takes, as given: ``bandit slack_factor=0.1 delay_evaluation=5``.

    An interval or a delay left out is not written (the policy holds 0 for it, which is not what Azure applies:
    ``defaults`` says what is)."""
    parts = [policy.name]
    for key in ("slack_factor", "slack_amount", "truncation_percentage", "evaluation_interval", "delay_evaluation"):
        v = getattr(policy, key, None)
        if v:
            parts.append(f"{key}={v:g}" if isinstance(v, float) else f"{key}={v}")
    return " ".join(parts)


def defaults(policy: EarlyTerminationPolicy) -> dict[str, int]:
    """The settings left out, as they apply: ``evaluation_interval`` 1 (Azure's YAML default: every value is judged;
    the SDK's 0 reads the same, docs/semantics.md) and ``delay_evaluation`` 0 (no delay)."""
    found = {}
    if not policy.evaluation_interval:
        found["evaluation_interval"] = 1
    if not policy.delay_evaluation:
        found["delay_evaluation"] = 0
    return found


def first_judged(policy: EarlyTerminationPolicy) -> int:
    """The first interval (a trial's n-th value) at which the setting judges a trial.

    >>> from submit.emulator.policies import BanditPolicy
    >>> first_judged(BanditPolicy(slack_factor=0.1, delay_evaluation=5)), first_judged(BanditPolicy(slack_factor=0.1))
    (5, 1)
    >>> first_judged(BanditPolicy(slack_factor=0.1, evaluation_interval=3, delay_evaluation=5))
    6
    """
    every = max(policy.evaluation_interval, 1)
    return max(every, math.ceil(max(policy.delay_evaluation, 1) / every) * every)


@dataclass(frozen=True)
class WhatIfCancel:
    trial: str
    index: int | None
    interval: int  # the trial's n-th value of the primary metric, as the policy counts
    step: int  # that value's MLflow step
    after_seconds: float | None  # seconds into the trial when it was logged
    reason: str
    after_cancel_seconds: float  # measured: what the record shows it running after that value
    avoided_seconds: float  # estimated: what a full trial would have run after that value
    certain: bool  # False: its pool could hold values the record lacks

    def to_dict(self) -> dict[str, Any]:
        return {
            "trial": self.trial,
            "index": self.index,
            "interval": self.interval,
            "step": self.step,
            "after_s": None if self.after_seconds is None else round(self.after_seconds, 3),
            "reason": self.reason,
            "after_cancel_s": round(self.after_cancel_seconds, 3),
            "avoided_s_estimate": round(self.avoided_seconds, 3),
            "certain": self.certain,
        }


@dataclass
class WhatIf:
    """One setting replayed. Intervals are (low, high); high None = unbounded, exact ones have low == high."""

    setting: str
    exact: bool  # every trial's fate is known from the record
    cancels: list[WhatIfCancel]
    beyond_record: list[str]  # trials it would have let run past their recorded values
    uncertain: list[str]  # trials whose fate depends on values the record lacks (beyond_record ones included)
    unknown_from: dict[str, tuple[int, float | None]]  # uncertain trial -> (interval, seconds in) its fate is unknown
    recorded_seconds: float  # every trial's recorded run time, summed
    seconds: tuple[float, float | None]  # what the trials would have run under this setting
    savings: Savings  # its cancels' run after cancel (measured) and avoided (estimate), as `sweep status` counts
    recorded_best: str | None  # the record's best trial
    recorded_best_value: float | None
    best: str | None  # the best trial under this setting (on the values it certainly keeps)
    best_value: float | None
    best_possible: float | None  # the best value it may reach (None: unbounded, trials could log better values)
    best_survives: bool | None  # the record's best trial keeps its best value (None: unknown)
    goal: str = "maximize"
    warnings: list[str] = field(default_factory=list)
    defaults: dict[str, int] = field(default_factory=dict)  # the settings left out, as they apply
    first_judged: int = 1  # the first interval at which it judges a trial
    judgeable: list[str] = field(default_factory=list)  # the trials that logged that many values
    most_values: int = 0  # the most values of the primary metric any trial logged

    @property
    def fate_unknown(self) -> list[str]:
        """The trials whose fate the record cannot tell, other than those let run past it and those it cancels."""
        named = set(self.beyond_record) | {c.trial for c in self.cancels}
        return [t for t in self.uncertain if t not in named]

    @property
    def loss(self) -> tuple[float | None, float | None]:
        """How much worse the best value is than the record's: (at least, at most); 0 when the best survives."""
        if self.recorded_best_value is None or self.best_value is None:
            return None, None
        sign = 1 if self.goal == "maximize" else -1
        worst = sign * (self.recorded_best_value - self.best_value)
        if self.best_possible is None:
            return None, max(0.0, worst)
        return max(0.0, sign * (self.recorded_best_value - self.best_possible)), max(0.0, worst)

    def to_dict(self) -> dict[str, Any]:
        loss_low, loss_high = self.loss
        return {
            "setting": self.setting,
            "defaults": self.defaults,
            "first_judged_interval": self.first_judged,
            "judgeable_trials": self.judgeable,
            "most_values_logged": self.most_values,
            "exact": self.exact,
            "cancels": [c.to_dict() for c in self.cancels],
            "beyond_record": self.beyond_record,
            "uncertain": [
                {"trial": t, "from_interval": n, "after_s": None if at is None else round(at, 3)}
                for t, (n, at) in self.unknown_from.items()
            ],
            "recorded_seconds": round(self.recorded_seconds, 3),
            "seconds": _interval(self.seconds),
            "after_cancel_seconds": round(self.savings.after_cancel_seconds, 3),
            "avoided_seconds_estimate": round(self.savings.avoided_seconds, 3),
            "recorded_best": {"trial": self.recorded_best, "value": _json_number(self.recorded_best_value)},
            "best": {
                "trial": self.best,
                "value": _json_number(self.best_value),
                "possible": _json_number(self.best_possible),
            },
            "best_survives": self.best_survives,
            "best_loss": _interval((loss_low, loss_high)),
            "warnings": self.warnings,
        }


@dataclass
class WhatIfReport:
    sweep: str
    where: str
    primary_metric: str
    goal: str
    recorded_policy: str | None
    trials: int
    settings: list[WhatIf]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sweep": self.sweep,
            "where": self.where,
            "objective": {"goal": self.goal, "primary_metric": self.primary_metric},
            "recorded_policy": self.recorded_policy,
            "trials": self.trials,
            "settings": [s.to_dict() for s in self.settings],
        }


def what_if(summary: SweepSummary, policies: list[EarlyTerminationPolicy]) -> WhatIfReport:
    """Each setting replayed on ``summary`` (read with its histories); refuses a sweep with nothing to replay."""
    if not summary.trials:
        raise MonitorInputError(f"sweep {summary.name} has no trials: nothing to replay ({summary.location})")
    if not any(t.history for t in summary.trials):
        raise MonitorInputError(
            f"sweep {summary.name} has no recorded values of its primary metric {summary.primary_metric!r}: "
            "nothing to replay"
        )
    if not policies:
        raise MonitorInputError("give at least one setting, e.g. --policy 'bandit slack_factor=0.1'")
    return WhatIfReport(
        summary.name,
        summary.where,
        summary.primary_metric,
        summary.goal,
        summary.policy,
        len(summary.trials),
        [_one(summary, p) for p in policies],
    )


def _one(summary: SweepSummary, policy: EarlyTerminationPolicy) -> WhatIf:
    trials = replay(summary, policy)
    savings = estimate_savings(
        summary.trials, {r.name: r.cancel.interval for r in trials if r.cancel}, record_clock, policy.name
    )
    cancels = [_cancel(r, savings) for r in trials if r.cancel is not None]
    cancels.sort(key=lambda c: (c.index is None, c.index or 0))
    low = sum(run_seconds(r)[0] for r in trials)
    highs = [run_seconds(r)[1] for r in trials]
    high = None if any(h is None for h in highs) else sum(highs)
    recorded = summary.best
    best, value, possible, bounded = best_kept(trials, summary.goal)
    survives = None
    if recorded is not None:
        mine = next(r for r in trials if r.name == recorded.name)
        reached = next(n for n, p in enumerate(mine.points, 1) if p.value == recorded.best)
        kept = mine.cancel is None or mine.cancel.interval >= reached
        certain = mine.uncertain_from is None or mine.uncertain_from[0] > reached
        survives = kept if certain else None
    uncertain = [r.name for r in trials if r.uncertain_from is not None]
    first = first_judged(policy)
    what = WhatIf(
        setting=describe(policy),
        defaults=defaults(policy),
        first_judged=first,
        judgeable=[t.name for t in summary.trials if len(t.history) >= first],
        most_values=max(len(t.history) for t in summary.trials),
        exact=not uncertain,
        cancels=cancels,
        beyond_record=[r.name for r in trials if r.beyond_record],
        uncertain=uncertain,
        unknown_from={
            r.name: (r.uncertain_from[0], None if r.started is None else r.uncertain_from[1] - r.started)
            for r in trials
            if r.uncertain_from is not None
        },
        recorded_seconds=sum(r.recorded_seconds() for r in trials),
        seconds=(low, high),
        savings=savings,
        recorded_best=recorded.name if recorded else None,
        recorded_best_value=recorded.best if recorded else None,
        best=best.name if best else None,
        best_value=value,
        best_possible=possible if bounded else None,
        best_survives=survives,
        goal=summary.goal,
    )
    if summary.status == "running":
        what.warnings.append("the sweep is still running: its running trials are treated as cut short")
    return what


def _cancel(r: Replayed, savings: Savings) -> WhatIfCancel:
    point = r.canceled_at
    started = r.started
    cut = savings.cuts[r.name]
    return WhatIfCancel(
        trial=r.name,
        index=r.record.index,
        interval=r.cancel.interval,
        step=point.step,
        after_seconds=None if started is None else point.timestamp - started,
        reason=r.cancel.reason,
        after_cancel_seconds=cut.after_cancel_seconds,
        avoided_seconds=cut.avoided_seconds,
        certain=r.uncertain_from is None or r.uncertain_from[0] > r.cancel.interval,
    )


def _interval(pair: tuple[float | None, float | None]) -> list[float | None]:
    return [None if v is None or not math.isfinite(v) else round(v, 6) for v in pair]
