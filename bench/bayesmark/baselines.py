"""Freeze the B1 score's reference points, once, in bench/bayesmark/baselines.json (as Bayesmark's baseline-*.json).

    PYTHONPATH=src python -m bench.bayesmark.baselines                  # all tasks: ~50 min of one core at load 7-13
    PYTHONPATH=src python -m bench.bayesmark.baselines --tasks Branin --out part.json   # a subset; merge with --merge

The score of a run is 100 * (R - best) / (R - O). Taken from the runs being compared, O (the best loss any run reached)
moves whenever an arm is added or improves, so scores would not be comparable between runs or versions. Here, per
task, from runs that are not the ones scored (their seeds are outside 0-9):

- R[t] is random search's expected best loss after t trials, from a pool of ``--draws`` random evaluations (the
  order-statistics estimator of E[min of t iid draws], Bayesmark's ``expected_min``), for t in 10, 15, 30, 60, 100;
- O is the lowest loss in that pool and in ``--ref-trials``-trial runs of our Bayesian sampler and of Optuna's TPE
  (the arms B1 had before the Gaussian-process peers joined) at seeds 100 and 101.

A run that beats O scores above 100: it found a better configuration than the reference did.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from submit.emulator.samplers import RandomSampler

from .arms import run_one
from .tasks import tasks

DEFAULT = Path(__file__).parent / "baselines.json"
BUDGETS = (10, 15, 30, 60, 100)
REF_SEEDS = (100, 101)
REF_ARMS = ("bayesian", "tpe")


def expected_min(pool: np.ndarray, t: int) -> float:
    """E[min of t iid draws] from the empirical distribution of ``pool``."""
    x = np.sort(pool)
    n = len(x)
    i = np.arange(1, n + 1)
    return float(np.sum((((n - i + 1) / n) ** t - ((n - i) / n) ** t) * x))


def task_baseline(task, draws: int, ref_trials: int) -> dict:
    sampler = RandomSampler(task.space, goal="minimize", seed=10_000)
    pool = np.array([task.loss(sampler.suggest(i, [])) for i in range(draws)])
    ref = {f"{arm}@{seed}": min(run_one(task, arm, seed, ref_trials)[0]) for arm in REF_ARMS for seed in REF_SEEDS}
    best_source = min(ref, key=ref.get)
    o = min(float(pool.min()), ref[best_source])
    return {
        "O": o,
        "O_from": best_source if ref[best_source] <= pool.min() else f"random pool of {draws}",
        "R": {str(t): expected_min(pool, t) for t in BUDGETS},
        "random_pool_median": float(np.median(pool)),
        "draws": draws,
        "ref_trials": ref_trials,
        "ref_best": ref,
    }


def load(path: Path = DEFAULT) -> dict:
    return json.loads(path.read_text())["tasks"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bayesmark.baselines", description=__doc__.split("\n")[0])
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--ref-trials", type=int, default=100)
    ap.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    ap.add_argument("--out", type=Path, default=DEFAULT)
    ap.add_argument("--merge", type=Path, nargs="+", help="merge partial files into --out and stop")
    args = ap.parse_args(argv)
    if args.merge:
        parts = [json.loads(p.read_text()) for p in args.merge]
        merged = {**parts[0], "tasks": {t: b for part in parts for t, b in part["tasks"].items()}}
        args.out.write_text(json.dumps(merged, indent=1) + "\n")
        return 0
    import optuna

    chosen = tasks()
    if args.tasks:
        wanted = args.tasks.split(",")
        chosen = [t for t in chosen if t.name in wanted]
    out = {"optuna": optuna.__version__, "tasks": {}}
    for task in chosen:
        start = time.perf_counter()
        out["tasks"][task.name] = task_baseline(task, args.draws, args.ref_trials)
        args.out.write_text(json.dumps(out, indent=1) + "\n")
        print(f"{task.name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
