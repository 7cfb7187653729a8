"""Bayesmark-style search-quality benchmark: our Bayesian, Random and Sobol samplers against Optuna's TPE.

    PYTHONPATH=src python -m bench.bayesmark            # 10 tasks x 4 samplers x 10 seeds x 30 trials, ~20 min, 1 core
    PYTHONPATH=src python -m bench.bayesmark --quick    # smoke run: 3 tasks, 2 seeds, 12 trials

Every sampler is called in process (suggest / ask-and-tell), so the comparison measures the search, not a launcher.
Scores (per task, then averaged): the Bayesmark normalized score of each run's best loss after the budget,
100 * (R - best) / (R - O), with R = random search's mean best loss for the task and O = the best loss any run of the
task reached; the rank of the four samplers on each (task, seed); the time spent proposing. A Wilcoxon signed-rank test
pairs our Bayesian sampler with Random and with TPE on the same (task, seed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from submit.emulator.samplers import BayesianSampler, Observation, RandomSampler, SobolSampler
from submit.space import Choice, QUniform, Uniform

from .tasks import Task, tasks

SAMPLERS = ("bayesian", "random", "sobol", "tpe")


def _optuna_distributions(space):
    import optuna

    out = {}
    for name, d in space.items():
        if isinstance(d, Choice):
            out[name] = optuna.distributions.CategoricalDistribution(d.values)
        elif isinstance(d, QUniform):
            if isinstance(d.q, int):
                out[name] = optuna.distributions.IntDistribution(int(d.min_value), int(d.max_value), step=d.q)
            else:
                out[name] = optuna.distributions.FloatDistribution(d.min_value, d.max_value, step=d.q)
        elif isinstance(d, Uniform):
            out[name] = optuna.distributions.FloatDistribution(d.min_value, d.max_value)
        else:
            raise ValueError(f"{name}: {d.type} has no Optuna counterpart here")
    return out


def run_one(task: Task, sampler: str, seed: int, trials: int) -> tuple[list[float], float]:
    """The losses of ``trials`` sequential trials, and the seconds spent proposing them."""
    losses, proposing = [], 0.0
    if sampler == "tpe":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        # Optuna's defaults (10 random start-up trials; multivariate off in 4.x, on in 5.x), pinned by the version printed
        study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
        dists = _optuna_distributions(task.space)
        for _ in range(trials):
            t = time.perf_counter()
            trial = study.ask(dists)
            params = dict(trial.params)
            proposing += time.perf_counter() - t
            loss = task.loss(params)
            t = time.perf_counter()
            study.tell(trial, loss)
            proposing += time.perf_counter() - t
            losses.append(loss)
        return losses, proposing
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


def normalized_scores(best: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, list[float]]]:
    """task -> sampler -> per-seed Bayesmark score: 100 = the task's best loss in this run, 0 = random's mean best."""
    out = {}
    for task, by_sampler in best.items():
        r = float(np.mean(by_sampler["random"]))
        o = min(min(v) for v in by_sampler.values())
        span = r - o
        out[task] = {s: [100.0 * (r - b) / span if span > 0 else 0.0 for b in v] for s, v in by_sampler.items()}
    return out


def ranks(best: dict[str, dict[str, list[float]]]) -> dict[str, float]:
    from scipy.stats import rankdata

    per = {s: [] for s in SAMPLERS}
    for by_sampler in best.values():
        names = list(by_sampler)
        for seed in range(len(by_sampler[names[0]])):
            r = rankdata([by_sampler[s][seed] for s in names])  # ties share their mean rank
            for s, v in zip(names, r, strict=False):
                per[s].append(float(v))
    return {s: float(np.mean(v)) for s, v in per.items() if v}


def report(results: dict, trials: int) -> str:
    from scipy.stats import wilcoxon

    best = {
        t: {s: [min(losses) for losses in runs["losses"]] for s, runs in by.items()}
        for t, by in results["runs"].items()
    }
    scores = normalized_scores(best)
    samplers = list(next(iter(best.values())))
    lines = [
        f"tasks {len(best)}, seeds {results['seeds']}, trials {trials}, optuna {results['optuna']}, "
        f"process time {results['wall_s']:.0f} s",
        "",
        "| task | " + " | ".join(samplers) + " |",
        "|---|" + "---|" * len(samplers),
    ]
    for task, by in scores.items():
        lines.append(f"| {task} | " + " | ".join(f"{np.mean(by[s]):.1f}" for s in samplers) + " |")
    overall = {s: float(np.mean([np.mean(by[s]) for by in scores.values()])) for s in samplers}
    lines.append("| **mean normalized score** | " + " | ".join(f"**{overall[s]:.1f}**" for s in samplers) + " |")
    rk = ranks(best)
    lines.append("| mean rank (1 = best) | " + " | ".join(f"{rk[s]:.2f}" for s in samplers) + " |")
    per_proposal = {
        s: 1000
        * sum(sum(by[s]["proposing_s"]) for by in results["runs"].values())
        / sum(len(by[s]["proposing_s"]) * trials for by in results["runs"].values())
        for s in samplers
    }
    lines.append("| proposing, ms per trial | " + " | ".join(f"{per_proposal[s]:.1f}" for s in samplers) + " |")
    lines.append("")
    ours = [x for by in scores.values() for x in by["bayesian"]]
    for peer in ("random", "tpe"):
        theirs = [x for by in scores.values() for x in by[peer]]
        diff = np.array(ours) - np.array(theirs)
        wins, losses = int(np.sum(diff > 0)), int(np.sum(diff < 0))
        p = wilcoxon(ours, theirs, alternative="two-sided", zero_method="zsplit").pvalue if np.any(diff) else 1.0
        lines.append(
            f"bayesian vs {peer}: mean score difference {diff.mean():+.1f} over {len(diff)} (task, seed) pairs, "
            f"wins/losses {wins}/{losses}, Wilcoxon signed-rank p = {p:.2g}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bayesmark", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 3 tasks, 2 seeds, 12 trials")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results.json")
    ap.add_argument(
        "--report",
        type=Path,
        nargs="+",
        help="only print the report of saved results files (tasks split over processes)",
    )
    args = ap.parse_args(argv)
    if args.report:
        parts = [json.loads(p.read_text()) for p in args.report]
        saved = {**parts[0], "runs": {t: r for part in parts for t, r in part["runs"].items()}}
        saved["wall_s"] = sum(part["wall_s"] for part in parts)
        print(report(saved, saved["trials"]))
        return 0
    chosen = tasks()
    if args.quick:
        args.seeds, args.trials = 2, 12
        chosen = [t for t in chosen if t.name in ("DT_breast_nll", "LR_breast_nll", "Branin")]
    if args.tasks:
        by_name = {t.name: t for t in chosen}
        chosen = [by_name[name] for name in args.tasks.split(",")]  # in the order given
    import optuna

    results = {"seeds": args.seeds, "trials": args.trials, "optuna": optuna.__version__, "runs": {}}
    start = time.perf_counter()
    for task in chosen:
        by = results["runs"][task.name] = {s: {"losses": [], "proposing_s": []} for s in SAMPLERS}
        for seed in range(args.seeds):
            # samplers interleaved within a seed, so machine-load drift hits all four alike
            for s in SAMPLERS:
                losses, proposing = run_one(task, s, seed, args.trials)
                by[s]["losses"].append(losses)
                by[s]["proposing_s"].append(proposing)
        results["wall_s"] = time.perf_counter() - start
        args.out.write_text(json.dumps(results))  # after every task: a long run interrupted keeps what it measured
        print(f"{task.name}: done at {results['wall_s']:.0f} s", file=sys.stderr, flush=True)
    print(report(results, args.trials))
    return 0


if __name__ == "__main__":
    sys.exit(main())
