"""Judging trials as their values arrive: the early-termination policy, and Azure's best trial.

The policy judges each running trial once at each due interval, in order, with every trial's values up to that
interval (the service cannot know a trial's later values when it judges its n-th one). The best trial is the best-ever
finite primary value of any trial, canceled trials included; ties keep the first to reach it (``submit.objective``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..objective import best_of, better
from .policies import Cancellation, EarlyTerminationPolicy
from .results import SweepResult, TrialResult
from .tracking import Store
from .trial import TrialProcess


class PolicyJudge:
    """The policy applied to running trials; remembers which intervals it has judged and whom each cancel was among."""

    def __init__(self, policy: EarlyTerminationPolicy | None, goal: str):
        self.policy, self.goal = policy, goal
        self.judged: dict[str, int] = {}  # trial name -> the last interval the policy has seen
        self.pools: dict[str, list[str]] = {}  # trial canceled by the policy -> the trials it was judged among

    def start(self, trial: TrialResult) -> None:
        """``trial`` is judged from its next value on (a resumed trial's earlier values were judged before)."""
        self.judged[trial.name] = len(trial.history)

    def judge(self, trials: Sequence[TrialResult], trial: TrialResult, proc: TrialProcess) -> Cancellation | None:
        """Judge ``trial`` at each due interval it reached since last time; cancel its process on the first verdict."""
        if self.policy is None or proc.cancel_reason:
            return None
        histories = {t.name: t.history for t in trials}
        for n in range(self.judged.get(trial.name, 0) + 1, len(trial.history) + 1):
            self.judged[trial.name] = n
            if not self.policy.due(n):
                continue
            cancellation = self.policy.evaluate(trial.name, n, {**histories, trial.name: trial.history[:n]}, self.goal)
            if cancellation is not None:
                proc.cancel(cancellation.reason)
                if proc.cancel_reason == cancellation.reason:  # not if the process had exited meanwhile
                    self.pools[trial.name] = [t for t, h in histories.items() if len(h) >= n]
                return cancellation
        return None


class BestTrial:
    """The sweep's best trial; each new best is recorded on the parent run, as the service appends to its table."""

    def __init__(self, store: Store, goal: str):
        self.store, self.goal = store, goal
        self.value: float | None = None
        self.updates = 0

    def consider(self, result: SweepResult, trial: TrialResult, *, record: bool = True) -> bool:
        """Update ``trial.best`` from its history; True when it became the sweep's best."""
        trial.best = best_of(trial.history, self.goal)
        if trial.best is None or (self.value is not None and not better(trial.best, self.value, self.goal)):
            return False
        self.value = trial.best
        result.best_trial = trial
        if record:  # the parent's tag and metric follow every new best
            self.updates += 1
            self.store.set_best(result.parent_run_id, trial.run_id, trial.best, self.updates)
        return True
