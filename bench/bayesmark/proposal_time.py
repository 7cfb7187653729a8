"""How long the Bayesian sampler takes to choose a trial after 200, against Optuna's TPE in the same run.

    PYTHONPATH=src python -m bench.bayesmark.proposal_time

A 6-parameter mixed space (uniform, quniform, numeric and string choice), a cheap objective, 200 sequential trials per
sampler; reports the median and the worst proposal time over trials 150-199, and a cold proposal at 200 trials (a
resumed sweep's first: a fresh sampler given the whole history, so it fits its kernel from scratch), median of 5.
"""

from __future__ import annotations

import time

import numpy as np

from submit.emulator.samplers import BayesianSampler, Observation
from submit.spec.space import Choice, QUniform, SearchSpace, Uniform

from .peers import optuna_distributions as _optuna_distributions

SPACE = SearchSpace(
    {
        "x": Uniform(-5, 5),
        "y": Uniform(0, 1),
        "z": Uniform(0, 1),
        "depth": QUniform(1, 10, 1),
        "width": Choice([16, 32, 64, 128]),
        "kind": Choice(["a", "b", "c"]),
    }
)


def loss(p) -> float:
    return (
        (p["x"] - 1) ** 2
        + p["y"]
        + abs(p["z"] - 0.3)
        + 0.1 * p["depth"]
        + {"a": 0, "b": 1, "c": 2}[p["kind"]]
        + (p["width"] / 128)
    )


def ours(n: int = 200) -> tuple[list[float], list[Observation]]:
    s, observations, times = BayesianSampler(SPACE, goal="minimize", seed=0), [], []
    for i in range(n):
        t = time.perf_counter()
        p = s.suggest(i, observations)
        times.append(time.perf_counter() - t)
        observations.append(Observation(p, loss(p), "completed"))
    return times, observations


def tpe(n: int = 200) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    dists, times = _optuna_distributions(SPACE), []
    for _ in range(n):
        t = time.perf_counter()
        trial = study.ask(dists)
        times.append(time.perf_counter() - t)
        study.tell(trial, loss(trial.params))
    return times


def main() -> None:
    t_ours, history = ours()
    t_tpe = tpe()
    cold = []
    for _ in range(5):
        t = time.perf_counter()
        BayesianSampler(SPACE, goal="minimize", seed=1).suggest(len(history), history)
        cold.append(time.perf_counter() - t)
    late_ours, late_tpe = np.array(t_ours[150:]), np.array(t_tpe[150:])
    print("| sampler | median ms, trials 150-199 | worst ms, trials 150-199 |")
    print("|---|---|---|")
    print(f"| bayesian (ours) | {1000 * np.median(late_ours):.0f} | {1000 * late_ours.max():.0f} |")
    print(f"| Optuna TPE | {1000 * np.median(late_tpe):.0f} | {1000 * late_tpe.max():.0f} |")
    print(f"\nratio bayesian / TPE (medians): {np.median(late_ours) / np.median(late_tpe):.1f}x")
    print(f"cold proposal at 200 trials (a resumed sweep's first), median of 5: {1000 * np.median(cold):.0f} ms")
    print(f"best loss after 200: bayesian {min(o.value for o in history):.3f}")


if __name__ == "__main__":
    main()
