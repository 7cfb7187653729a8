"""Azure ML early-termination policies as pure functions of the trials' primary-metric histories.

A history is the list of a trial's primary-metric values in the order they were logged; value n (1-based) is the
trial's interval n. The scheduler asks ``policy.due(n)`` when a running trial logs its n-th value and, if due,
``policy.evaluate(trial, n, histories, goal)``; a returned ``Cancellation`` says why the trial must stop.
No processes, no MLflow: the rules are tested on hand-made histories (DESIGN.md, rows "interval" to "truncation").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Cancellation:
    trial: str
    interval: int
    reason: str  # e.g. "bandit: 0.71 < best 0.93 / (1 + 0.1) at interval 20"


Histories = Mapping[str, Sequence[float]]


class EarlyTerminationPolicy(ABC):
    name = ""

    def __init__(self, *, evaluation_interval: int = 0, delay_evaluation: int = 0):
        self.evaluation_interval = evaluation_interval
        self.delay_evaluation = delay_evaluation

    def due(self, n: int) -> bool:
        """Azure applies the policy at every multiple of evaluation_interval that is >= delay_evaluation."""
        # UNCERTAIN upstream how the service reads evaluation_interval 0 (the SDK default); we read it as 1
        return n >= 1 and n % max(self.evaluation_interval, 1) == 0 and n >= self.delay_evaluation

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


def make_policy(policy) -> EarlyTerminationPolicy | None:
    """The policy object for a validated spec's ``Policy`` (or None)."""
    raise NotImplementedError
