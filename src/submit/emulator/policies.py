"""Azure ML early-termination policies as pure functions of the trials' primary-metric histories.

A history is the list of a trial's primary-metric values in the order they were logged; value n (1-based) is the
trial's interval n. The scheduler asks ``policy.due(n)`` when a running trial logs its n-th value and, if due,
``policy.evaluate(trial, n, histories, goal)``; a returned ``Cancellation`` says why the trial must stop.
No processes, no MLflow: the rules are tested on hand-made histories (docs/semantics.md, "Evaluation interval" to
"Truncation selection").

>>> policy = BanditPolicy(slack_factor=0.1, evaluation_interval=1)
>>> policy.evaluate("t1", 2, {"t0": [0.90, 0.93], "t1": [0.70, 0.71]}, "maximize").reason
'bandit: 0.71 < best 0.93 / (1 + 0.1) at interval 2'

Choices where Azure is silent, shared by the three policies:
- Every trial that has logged at least n values takes part at interval n, finished and canceled ones included, and
  the candidate itself; a trial with no other trial at its interval is never canceled.
- Equal is not worse: every comparison is strict, so a tie never cancels. In truncation, trials tied at the cutoff
  share one fate: canceled only if they are among the k worst whichever way the tie is broken.
- A non-finite value (NaN, +inf, -inf) is a failed value, as everywhere (``submit.spec.objective``): it never sets the bar
  for other trials (it is skipped in a trial's best and running average; a trial with nothing else has no running
  average and is left out of the median), and a trial whose values to judge are all non-finite ranks below every
  finite value: Bandit and median stopping cancel it as soon as one trial at its interval has a finite value,
  truncation ranks it last.
  An infinity "better" than every finite value would otherwise cancel every other trial.
"""

from __future__ import annotations

import math
import re
import statistics
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..spec.objective import best_of, check_goal, is_failed, worse


@dataclass(frozen=True)
class Cancellation:
    trial: str
    interval: int
    reason: str  # e.g. "bandit: 0.71 < best 0.93 / (1 + 0.1) at interval 20"


Histories = Mapping[str, Sequence[float]]

_AT_INTERVAL = re.compile(r" at interval (\d+)")  # every reason below ends its verdict so


def interval_of(reason: str | None) -> int | None:
    """The interval a policy's cancel reason names: the trial's n-th value, the one the policy judged."""
    match = _AT_INTERVAL.search(reason or "")
    return int(match.group(1)) if match else None


class EarlyTerminationPolicy(ABC):
    name = ""

    def __init__(self, *, evaluation_interval: int = 0, delay_evaluation: int = 0):
        self.evaluation_interval = evaluation_interval
        self.delay_evaluation = delay_evaluation

    def due(self, n: int) -> bool:
        """Azure applies the policy at every multiple of evaluation_interval that is >= delay_evaluation."""
        # UNCERTAIN upstream how the service reads evaluation_interval 0 (the SDK default); we read it as 1
        return n >= 1 and n % max(self.evaluation_interval, 1) == 0 and n >= self.delay_evaluation

    @staticmethod
    def judged_value(values: Sequence[float], n: int, goal: str) -> float | None:
        """The number the policy weighs for a trial at its interval n: bandit and median stopping, its best value up
        to n (a trial's earlier best is not forgotten); truncation selection overrides it."""
        return best_of(values[:n], goal)

    @abstractmethod
    def evaluate(self, trial: str, n: int, histories: Histories, goal: str) -> Cancellation | None:
        """Whether ``trial``, at its interval ``n``, must be canceled, judged against every trial's values 1..n."""

    def trials_to_cancel(self, histories: Histories, goal: str, running: Sequence[str] | None = None) -> set[str]:
        """Each (running) trial judged at its latest interval, if the policy is due there."""
        names = histories if running is None else running
        return {
            t
            for t in names
            if self.due(len(histories[t])) and self.evaluate(t, len(histories[t]), histories, goal) is not None
        }

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({settings})"


class BanditPolicy(EarlyTerminationPolicy):
    """Cancel a trial whose best value up to interval n is not within the slack of the best any trial reached by its
    own interval n: maximize ``Y < best / (1 + slack_factor)`` or ``Y < best - slack_amount``, minimize mirrored."""

    name = "bandit"

    def __init__(self, *, slack_factor: float | None = None, slack_amount: float | None = None, **intervals):
        super().__init__(**intervals)
        if bool(slack_factor) == bool(slack_amount):
            raise ValueError("BanditPolicy takes exactly one of slack_factor and slack_amount (> 0)")
        self.slack_factor = slack_factor or None
        self.slack_amount = slack_amount or None

    def evaluate(self, trial, n, histories, goal):
        pool = _pool(trial, n, histories, goal)
        y = self.judged_value(histories[trial], n, goal)
        best = best_of([best_of(histories[t][:n], goal) for t in pool], goal)
        if best is None:
            return None
        if self.slack_factor:
            bar, shown = _factor_bar(best, self.slack_factor, goal)
        else:
            bar = best - self.slack_amount if goal == "maximize" else best + self.slack_amount
            shown = f"{_num(best)} {'-' if goal == 'maximize' else '+'} {_num(self.slack_amount)}"
        if worse(y, bar, goal):
            return Cancellation(trial, n, f"bandit: {_num(y)} {_worse_sign(goal)} best {shown} at interval {n}")
        return None


class MedianStoppingPolicy(EarlyTerminationPolicy):
    """Cancel a trial whose best value up to interval n is worse than the median, over every trial with >= n values
    (finished ones and the candidate included), of their running averages of values 1..n."""

    name = "median_stopping"

    def evaluate(self, trial, n, histories, goal):
        pool = _pool(trial, n, histories, goal)
        averages = [a for a in (_running_average(histories[t][:n]) for t in pool) if a is not None]
        if not averages:
            return None
        m = statistics.median(averages)
        y = self.judged_value(histories[trial], n, goal)
        if worse(y, m, goal):
            return Cancellation(
                trial,
                n,
                f"median stopping: {_num(y)} {_worse_sign(goal)} median {_num(m)} of the "
                f"running averages of {len(averages)} trials at interval {n}",
            )
        return None


class TruncationSelectionPolicy(EarlyTerminationPolicy):
    """Cancel a trial whose value at interval n is among the k = floor(len(pool) * truncation_percentage / 100) worst
    values at interval n of the pool of trials with >= n values (finished ones and the candidate included)."""

    name = "truncation_selection"

    def __init__(self, *, truncation_percentage: int, **intervals):
        super().__init__(**intervals)
        if not 0 < truncation_percentage < 100:
            raise ValueError(f"truncation_percentage must be from 1 to 99, found {truncation_percentage}")
        self.truncation_percentage = truncation_percentage

    @staticmethod
    def judged_value(values: Sequence[float], n: int, goal: str) -> float | None:
        """Its value at interval n: the pool is ranked by that."""
        return values[n - 1]

    def evaluate(self, trial, n, histories, goal):
        pool = _pool(trial, n, histories, goal)
        k = int(len(pool) * self.truncation_percentage // 100)  # floor: 20 % of 5 trials is 1, of 4 is 0
        score = self.judged_value(histories[trial], n, goal)
        better = sum(1 for t in pool if worse(score, histories[t][n - 1], goal))
        # Ties at the cutoff: a trial is canceled only if it is among the k worst under every ordering of the ties,
        # i.e. at least len(pool) - k trials are strictly better. Tied trials share one fate (none is canceled for
        # its name or arrival), so a tie can cancel fewer than k trials, never more.
        if k and better >= len(pool) - k:
            return Cancellation(
                trial,
                n,
                f"truncation selection: {_num(score)} is among the {k} worst of {len(pool)} "
                f"trials ({self.truncation_percentage}%) at interval {n}, {better} better",
            )
        return None


POLICIES = {p.name: p for p in (BanditPolicy, MedianStoppingPolicy, TruncationSelectionPolicy)}


def make_policy(policy) -> EarlyTerminationPolicy | None:
    """The policy object for a validated spec's ``Policy`` (or None)."""
    if policy is None:
        return None
    intervals = dict(evaluation_interval=policy.evaluation_interval or 0, delay_evaluation=policy.delay_evaluation or 0)
    if policy.type == "bandit":
        return BanditPolicy(slack_factor=policy.slack_factor, slack_amount=policy.slack_amount, **intervals)
    if policy.type == "median_stopping":
        return MedianStoppingPolicy(**intervals)
    if policy.type == "truncation_selection":
        return TruncationSelectionPolicy(truncation_percentage=policy.truncation_percentage, **intervals)
    raise ValueError(f"unknown early-termination policy {policy.type!r}")


def _pool(trial: str, n: int, histories: Histories, goal: str) -> list[str]:
    """The trials that have reached interval n, the candidate first (it must have reached it).

    Alone in its pool a trial is never canceled, with no special case: it is its own best, its best is never below
    its own running average, and k = floor(1 * pct / 100) is 0."""
    check_goal(goal)
    if len(histories[trial]) < n:
        raise ValueError(f"trial {trial!r} has logged {len(histories[trial])} values, cannot be judged at interval {n}")
    return [trial, *(t for t, h in histories.items() if t != trial and len(h) >= n)]


def _running_average(values: Sequence[float]) -> float | None:
    """Mean of the finite values; a trial with none has no running average and is left out of the median (counted
    at its bottom, two such trials would drag an even-sized median to -inf and spare every trial, failures included)."""
    finite = [float(v) for v in values if not is_failed(v)]
    return math.fsum(finite) / len(finite) if finite else None


def _worse_sign(goal: str) -> str:
    return "<" if goal == "maximize" else ">"


def _factor_bar(best: float, slack_factor: float, goal: str) -> tuple[float, str]:
    """The bar a trial's best must not fall behind, and how it was worked out.

    Azure's formulas, best/(1+sf) to maximize and best*(1+sf) to minimize, put the bar on the wrong side of a negative
    best: even the best trial would be canceled. We keep them for best >= 0 and use the margins they imply there,
    |best|*sf/(1+sf) and |best|*sf, for a negative best, so the bar always trails the best by the same fraction."""
    sf = _num(slack_factor)
    if goal == "maximize":
        if best >= 0:
            return best / (1 + slack_factor), f"{_num(best)} / (1 + {sf})"
        bar = best - abs(best) * slack_factor / (1 + slack_factor)
        return bar, f"{_num(best)} - |{_num(best)}| * {sf} / (1 + {sf}) = {_num(bar)}"
    if best >= 0:
        return best * (1 + slack_factor), f"{_num(best)} * (1 + {sf})"
    bar = best + abs(best) * slack_factor
    return bar, f"{_num(best)} + |{_num(best)}| * {sf} = {_num(bar)}"


def _num(x: float | None) -> str:
    """Six significant digits, and a failure (NaN, infinity, nothing) named as such."""
    return "no finite value" if is_failed(x) else f"{float(x):.6g}"
