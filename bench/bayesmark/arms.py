"""One run of one arm on one task: ours through ``suggest``, the peers through ask-and-tell (peers.py).

Shared by the benchmark (run.py) and the frozen baselines' reference runs (baselines.py).
"""

from __future__ import annotations

import time

from submit.emulator.samplers import BayesianSampler, Observation, RandomSampler, SobolSampler

from . import peers
from .tasks import Task


def run_one(task: Task, sampler: str, seed: int, trials: int) -> tuple[list[float], float]:
    """The losses of ``trials`` sequential trials, and the seconds spent proposing them."""
    if sampler in ("tpe", "optuna_gp"):
        return peers.run_optuna(task, sampler, seed, trials)
    if sampler == "skopt_gp":
        return peers.run_skopt(task, seed, trials)
    losses, proposing = [], 0.0
    cls = {"bayesian": BayesianSampler, "random": RandomSampler, "sobol": SobolSampler}[sampler]
    s = cls(task.space, goal="minimize", seed=seed)
    observations: list[Observation] = []
    for i in range(trials):
        t = time.perf_counter()
        params = s.suggest(i, observations)
        proposing += time.perf_counter() - t
        loss = task.loss(params)
        observations.append(Observation(params, loss, "completed"))
        losses.append(loss)
    return losses, proposing
