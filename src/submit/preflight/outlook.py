"""When an early-termination policy would first judge a trial that logs at the rate a preflight trial did, and whether
it could ever act before the trial ends.

A policy judges a trial at its n-th value of the primary metric when ``policy.due(n)`` (``delay_evaluation``,
``evaluation_interval``; docs/semantics.md "Evaluation interval"), and a cancel saves only what the trial would run
after that value. So a script that logs once, at the end, gives any policy nothing to act on, however it is set.

>>> from submit.emulator.policies import BanditPolicy
>>> end_only = policy_outlook(BanditPolicy(slack_factor=0.1, evaluation_interval=1), [4.0], ended=True, end=4.2, bound=60)
>>> end_only.acts, end_only.first_evaluation
(False, 1)
>>> policy_outlook(BanditPolicy(slack_factor=0.1, evaluation_interval=0), [4.0], ended=True, end=4.2, bound=60).policy
'bandit (slack_factor 0.1, evaluation_interval 1, delay_evaluation 0)'
>>> every = policy_outlook(BanditPolicy(slack_factor=0.1, evaluation_interval=2, delay_evaluation=5),
...                        [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], ended=True, end=4.1, bound=60)
>>> every.acts, every.first_evaluation, every.first_evaluation_after
(True, 6, 3.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PolicyOutlook:
    policy: str  # e.g. "bandit (slack_factor 0.1, evaluation_interval 1, delay_evaluation 0)"
    first_evaluation: int  # the value n at which the policy first judges a trial
    first_evaluation_after: float | None  # seconds into the trial: as observed, or estimated at the observed rate
    estimated: bool  # first_evaluation_after is extrapolated from the rate, not seen
    acts: bool | None  # True: it can act before the trial ends; False: it never can; None: not seen within the bound
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "first_evaluation": self.first_evaluation,
            "first_evaluation_after_s": None
            if self.first_evaluation_after is None
            else round(self.first_evaluation_after, 3),
            "estimated": self.estimated,
            "acts": self.acts,
            "message": self.message,
        }


def first_due(policy) -> int:
    """The first value n at which ``policy`` judges a trial: its own ``due`` rule asked, not re-derived."""
    n = 1
    while not policy.due(n):
        n += 1
    return n


def policy_outlook(policy, stamps: Sequence[float], *, ended: bool, end: float | None, bound: float) -> PolicyOutlook:
    """``stamps``: the seconds into the trial at which each primary-metric value was logged; ``ended``: the trial
    exited by itself (at ``end`` seconds), rather than being stopped at ``bound`` seconds while still running."""
    n, first = len(stamps), first_due(policy)
    interval = max(policy.evaluation_interval, 1)
    name = _describe(policy)
    at, estimated = _when(stamps, first)
    timing = "" if at is None else f", {'about ' if estimated else ''}{at:.1f} s into the trial"
    then = f"; then every {interval} value{'s' if interval > 1 else ''}"
    if ended and first > n:
        message = (
            f"{name} never acts: the script logged {n} value{'s' if n != 1 else ''} and ended, and the first "
            f"evaluation is at value {first}"
        )
        return PolicyOutlook(name, first, at, estimated, False, message)
    if ended and first == n:
        tail = max(0.0, end - stamps[-1]) if end is not None else 0.0
        message = (
            f"{name} never acts before the trial's last value: its first evaluation is at value {first}, the last one "
            f"the script logs, and a cancel there saves only the {tail:.1f} s the trial runs after it; log the metric "
            "as training goes (e.g. every epoch) for the policy to save anything"
        )
        return PolicyOutlook(name, first, at, estimated, False, message)
    if n >= first:
        return PolicyOutlook(
            name, first, at, False, True, f"{name} first judges a trial at value {first}{timing}{then}"
        )
    if n == 0:
        message = (
            f"{name}: no value of the primary metric in the {bound:g} s the trial ran, so its first evaluation "
            f"(value {first}) was not seen; a script that logs only at the end gives the policy nothing to act on"
        )
        return PolicyOutlook(name, first, None, False, None, message)
    message = (
        f"{name}: its first evaluation (value {first}) was not reached in the {bound:g} s the trial ran "
        f"({n} value{'s' if n != 1 else ''}){timing if at is not None else ''}"
    )
    return PolicyOutlook(name, first, at, estimated, None, message)


def _when(stamps: Sequence[float], n: int) -> tuple[float | None, bool]:
    """Seconds into the trial of its n-th value: seen, or extrapolated at its mean rate so far (None: no rate)."""
    if len(stamps) >= n:
        return stamps[n - 1], False
    if len(stamps) >= 2:
        rate = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
        return stamps[-1] + (n - len(stamps)) * rate, True
    return None, False


def _describe(policy) -> str:
    settings = [
        f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
        for k in ("slack_factor", "slack_amount", "truncation_percentage")
        if (v := getattr(policy, k, None))
    ]
    # a left-out (or 0) evaluation_interval applies as 1, as spec.model.Policy.describe says it
    settings += [
        f"evaluation_interval {policy.evaluation_interval or 1}",
        f"delay_evaluation {policy.delay_evaluation or 0}",
    ]
    return f"{policy.name} ({', '.join(settings)})"
