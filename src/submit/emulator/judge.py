"""Judging trials as their values arrive: the early-termination policy, and Azure's best trial.

The policy judges each running trial once at each due interval, in order, with every trial's values up to that
interval (the service cannot know a trial's later values when it judges its n-th one). The best trial is the best-ever
finite primary value of any trial, canceled trials included; ties keep the first to reach it (``submit.spec.objective``).

``judge_new_values`` is the one judgement: the live scheduler calls it with the histories it has read from the store,
the what-if replay (``submit.monitor.replay``) with the histories a recorded sweep had logged by then, so a replay
cancels what the emulator would have canceled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..spec.objective import best_of, better
from .live import LiveSweep, LiveTrial
from .policies import Cancellation, EarlyTerminationPolicy, Histories, interval_of
from .tracking import Store
from .trial import TrialProcess


def _reason_head(policy: EarlyTerminationPolicy) -> str:
    return policy.name.replace("_", " ") + ":"


def judge_new_values(
    policy: EarlyTerminationPolicy,
    goal: str,
    trial: str,
    history: Sequence[float],
    others: Histories,
    since: int = 0,
) -> tuple[int, Cancellation | None]:
    """Judge ``trial`` at each due interval from ``since + 1`` to ``len(history)``, in order, against ``others``: every
    other trial's values known at this evaluation (a trial the policy canceled with its values up to its cancel only).

    Returns the last interval judged (the one canceled at, else ``len(history)``) and the first cancellation."""
    for n in range(since + 1, len(history) + 1):
        if not policy.due(n):
            continue
        cancellation = policy.evaluate(trial, n, {**others, trial: history[:n]}, goal)
        if cancellation is not None:
            return n, cancellation
    return len(history), None


def pool_at(n: int, histories: Mapping[str, Sequence[float]]) -> list[str]:
    """The trials a judgement at interval ``n`` was among: those with at least n values (``sweep.cancel_pool``)."""
    return [t for t, h in histories.items() if len(h) >= n]


class PolicyJudge:
    """The policy applied to running trials; remembers which intervals it has judged and whom each cancel was among."""

    def __init__(self, policy: EarlyTerminationPolicy | None, goal: str):
        self.policy, self.goal = policy, goal
        self.judged: dict[str, int] = {}  # trial name -> the last interval the policy has seen
        self.pools: dict[str, list[str]] = {}  # trial canceled by the policy -> the trials it was judged among
        self.cut: dict[str, int] = {}  # trial canceled by the policy -> the interval it was canceled at

    def start(self, trial: LiveTrial) -> None:
        """``trial`` is judged from its next value on (a resumed trial's earlier values were judged before); one the
        policy canceled before the sweep was resumed keeps the cut its reason names."""
        self.judged[trial.name] = len(trial.history)
        reason = trial.cancel_reason or ""
        if self.policy is not None and trial.status == "canceled" and reason.startswith(_reason_head(self.policy)):
            interval = interval_of(reason)
            if interval is not None:
                self.cut[trial.name] = interval
                if len(trial.history) >= interval:
                    trial.judged = self.policy.judged_value(trial.history, interval, self.goal)

    def as_judged(self, trial: LiveTrial) -> Sequence[float]:
        """A trial's values as later judgements see them. Ours: a trial the policy canceled at interval n takes part
        with its values 1..n only. What it logs while the cancel reaches its process stays in the store and counts
        toward the best trial, but how many such values there are depends on when the store was read, and the
        policy's decisions must not: a replay of the recorded sweep (`sweep whatif`) then makes the same ones."""
        cut = self.cut.get(trial.name)
        return trial.history if cut is None else trial.history[:cut]

    def judge(self, trials: Sequence[LiveTrial], trial: LiveTrial, proc: TrialProcess) -> Cancellation | None:
        """Judge ``trial`` at each due interval it reached since last time; cancel its process on the first verdict."""
        if self.policy is None or proc.cancel_reason:
            return None
        others = {t.name: self.as_judged(t) for t in trials if t.name != trial.name}
        since = self.judged.get(trial.name, 0)
        self.judged[trial.name], cancellation = judge_new_values(
            self.policy, self.goal, trial.name, trial.history, others, since
        )
        if cancellation is not None:
            proc.cancel(cancellation.reason)
            if proc.cancel_reason == cancellation.reason:  # not if the process had exited meanwhile
                self.cut[trial.name] = cancellation.interval
                trial.judged = self.policy.judged_value(trial.history, cancellation.interval, self.goal)
                judged = {t.name: trial.history if t is trial else others[t.name] for t in trials}  # trials' order
                self.pools[trial.name] = pool_at(cancellation.interval, judged)
        return cancellation


class BestTrial:
    """The sweep's best trial; each new best is recorded on the parent run, as the service appends to its table."""

    def __init__(self, store: Store, goal: str):
        self.store, self.goal = store, goal
        self.value: float | None = None
        self.updates = 0

    def consider(self, result: LiveSweep, trial: LiveTrial, *, record: bool = True) -> bool:
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
