"""`sweep refine` measured: a broad sweep then a refined one, against one sweep of the same total budget.

    PYTHONPATH=src nice -n 5 python -m bench.refine                       # 3 tasks x 10 seeds, random and sobol
    PYTHONPATH=src nice -n 5 python -m bench.refine --samplers bayesian --seeds 5 --tasks Branin,LR_breast_nll

For each Bayesmark-lite task (bench/bayesmark/tasks.py), sampler and seed:

- one sweep: ``2 * trials`` trials (default 40) of the sampler on the task's space, seed ``s``;
- broad + refined: the first ``trials`` of that same sweep (the same seed draws the same points), then
  ``refine.narrow_space`` (the rules `sweep refine` writes, default top quarter) on those trials, then ``trials`` new
  trials of the same sampler on the refined space, seed ``s + 1000`` and no memory of the broad sweep: a new Azure
  sweep starts from nothing (Azure ML v2 has no warm start).

The score is the best loss reached by each arm, paired over seeds: the mean of (one sweep - broad + refined), a 95 %
bootstrap interval, wins/losses (refine wins when its best loss is lower) and a Wilcoxon signed-rank p. Everything
runs in process on one thread: the comparison measures the search, not a launcher.
"""

from __future__ import annotations

import argparse
import sys
import time

from submit.emulator.samplers import BayesianSampler, Observation, RandomSampler, SobolSampler
from submit.followup.refine import narrow_space
from submit.monitor.record import MetricPoint, SweepSummary, TrialRecord

from .bayesmark.run import paired
from .bayesmark.tasks import tasks

SAMPLERS = {"random": RandomSampler, "sobol": SobolSampler, "bayesian": BayesianSampler}


def run(space, loss, sampler: str, seed: int, trials: int) -> list[tuple[dict, float]]:
    s = SAMPLERS[sampler](space, goal="minimize", seed=seed)
    observations: list[Observation] = []
    out = []
    for i in range(trials):
        params = s.suggest(i, observations)
        value = loss(params)
        observations.append(Observation(params, value, "completed"))
        out.append((params, value))
    return out


def as_summary(results: list[tuple[dict, float]]) -> SweepSummary:
    trials = [
        TrialRecord(f"broad_{i}", f"r{i}", i, "completed", params, [MetricPoint(0, value, float(i))])
        for i, (params, value) in enumerate(results)
    ]
    return SweepSummary("broad", "local", "bench", "completed", "loss", "minimize", trials)


def one(task, sampler: str, seed: int, trials: int, top: float) -> dict:
    single = run(task.space, task.loss, sampler, seed, 2 * trials)
    broad = single[:trials]
    narrowed = narrow_space(task.space, [as_summary(broad)], top=top)
    refined = run(narrowed.space, task.loss, sampler, seed + 1000, trials)
    return {
        "single": min(v for _, v in single),
        "refined": min(v for _, v in broad + refined),
        "kinds": [c.kind for c in narrowed.changes],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="Branin,Hartmann6,LR_breast_nll")
    ap.add_argument("--samplers", default="random,sobol")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trials", type=int, default=20, help="trials of each stage; the single sweep runs twice this")
    ap.add_argument("--top", type=float, default=0.25)
    args = ap.parse_args(argv)
    by_name = {t.name: t for t in tasks()}
    print(
        f"| task | sampler | seeds | one {2 * args.trials}-trial sweep: mean best | broad {args.trials} + refined "
        f"{args.trials}: mean best | mean (one - refined) [95 % CI] | refine wins/losses | Wilcoxon p | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.tasks.split(","):
        for sampler in args.samplers.split(","):
            started = time.perf_counter()
            rows = [one(by_name[name], sampler, seed, args.trials, args.top) for seed in range(args.seeds)]
            single = [r["single"] for r in rows]
            refined = [r["refined"] for r in rows]
            p = paired(single, refined)
            mean = sum(single) / len(single), sum(refined) / len(refined)
            print(
                f"| {name} | {sampler} | {len(rows)} | {mean[0]:.4g} | {mean[1]:.4g} | {p['mean']:.3g} "
                f"[{p['ci'][0]:.3g}, {p['ci'][1]:.3g}] | {p['wins']}/{p['losses']} | {p['p']:.2g} | "
                f"{time.perf_counter() - started:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
