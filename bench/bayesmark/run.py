"""Bayesmark-style search-quality benchmark (B1): our samplers against Optuna's TPE and two Gaussian-process peers.

    PYTHONPATH=src python -m bench.bayesmark            # 10 tasks x 6 arms x 10 seeds x 30 trials: ~95 min of one core at load 7-13
    PYTHONPATH=src python -m bench.bayesmark --quick    # smoke run: 3 tasks, 2 seeds, 12 trials

Arms: ours (``bayesian``, ``random``, ``sobol``) through ``suggest``; Optuna's ``tpe`` and ``optuna_gp`` and
scikit-optimize's ``skopt_gp`` through ask-and-tell (peers.py). Every arm is called in process, sequentially, on one
thread, so the comparison measures the search, not a launcher.

Scores (per task, then averaged): the Bayesmark normalized score of each run's best loss after the budget,
100 * (R - best) / (R - O), with O and R frozen per task in baselines.json (baselines.py says how they were made):
100 = the reference best loss, 0 = random search's expected best after the same budget. Also the rank of the arms on
each (task, seed) and the time spent proposing. Our Bayesian sampler is paired with every other arm on the same
(task, seed): mean difference with a bootstrap interval, wins/losses, and a Wilcoxon signed-rank test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .arms import run_one
from .baselines import DEFAULT, load
from .tasks import tasks

# the column order of the report: ours, then the model-based peers, then the model-free arms
SAMPLERS = ("bayesian", "optuna_gp", "skopt_gp", "tpe", "sobol", "random")


def normalized_scores(best: dict[str, dict[str, list[float]]], frozen: dict | None, trials: int):
    """task -> sampler -> per-seed Bayesmark score: 100 = the reference best loss O, 0 = random's expected best R.

    With ``frozen`` (baselines.json), O and R are the task's frozen values; without, the old in-run reading: R is
    random's mean best in this run and O the best loss any run of this run reached.
    """
    out = {}
    for task, by_sampler in best.items():
        if frozen is not None:
            r, o = frozen[task]["R"][str(trials)], frozen[task]["O"]
        elif "random" in by_sampler:
            r, o = float(np.mean(by_sampler["random"])), min(min(v) for v in by_sampler.values())
        else:
            raise SystemExit(f"{task}: no frozen baseline and no random arm to score against; see baselines.py")
        span = r - o
        out[task] = {s: [100.0 * (r - b) / span if span > 0 else 0.0 for b in v] for s, v in by_sampler.items()}
    return out


def ranks(best: dict[str, dict[str, list[float]]]) -> dict[str, float]:
    from scipy.stats import rankdata

    per: dict[str, list[float]] = {}
    for by_sampler in best.values():
        names = list(by_sampler)
        for seed in range(len(by_sampler[names[0]])):
            r = rankdata([by_sampler[s][seed] for s in names])  # ties share their mean rank
            for s, v in zip(names, r, strict=True):
                per.setdefault(s, []).append(float(v))
    return {s: float(np.mean(v)) for s, v in per.items()}


def paired(ours: list[float], theirs: list[float], seed: int = 0) -> dict:
    """Paired comparison over (task, seed): mean difference, its 95 % bootstrap interval, wins/losses, Wilcoxon p."""
    from scipy.stats import wilcoxon

    diff = np.array(ours) - np.array(theirs)
    boot = np.random.default_rng(seed).choice(diff, size=(10_000, len(diff))).mean(axis=1)
    p = wilcoxon(ours, theirs, alternative="two-sided", zero_method="zsplit").pvalue if np.any(diff) else 1.0
    return {
        "mean": float(diff.mean()),
        "ci": (float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))),
        "wins": int(np.sum(diff > 0)),
        "losses": int(np.sum(diff < 0)),
        "n": len(diff),
        "p": float(p),
    }


def report(results: dict, trials: int, frozen: dict | None) -> str:
    runs = results["runs"]
    best = {t: {s: [min(losses[:trials]) for losses in r["losses"]] for s, r in by.items()} for t, by in runs.items()}
    scores = normalized_scores(best, frozen, trials)
    samplers = [s for s in SAMPLERS if s in next(iter(best.values()))]
    scale = "frozen O and R (bench/bayesmark/baselines.json)" if frozen is not None else "in-run O and R"
    lines = [
        f"tasks {len(best)}, seeds {results['seeds']}, trials {trials}, optuna {results['optuna']}, "
        f"process time {results['wall_s']:.0f} s, score on {scale}",
        "",
        "| task | " + " | ".join(samplers) + " |",
        "|---|" + "---:|" * len(samplers),
    ]
    for task, by in scores.items():
        means = {s: np.mean(by[s]) for s in samplers}
        top = max(means.values())
        cells = [f"**{means[s]:.1f}**" if means[s] == top else f"{means[s]:.1f}" for s in samplers]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    overall = {s: float(np.mean([np.mean(by[s]) for by in scores.values()])) for s in samplers}
    lines.append("| **mean normalized score** | " + " | ".join(f"**{overall[s]:.1f}**" for s in samplers) + " |")
    rk = ranks({t: {s: by[s] for s in samplers} for t, by in best.items()})
    lines.append("| mean rank (1 = best) | " + " | ".join(f"{rk[s]:.2f}" for s in samplers) + " |")
    per_proposal = {
        s: 1000
        * sum(sum(by[s]["proposing_s"]) for by in runs.values())
        / sum(len(by[s]["proposing_s"]) * trials for by in runs.values())
        for s in samplers
    }
    lines.append("| proposing, ms per trial | " + " | ".join(f"{per_proposal[s]:.1f}" for s in samplers) + " |")
    lines.append("")
    if "bayesian" in samplers:
        ours = [x for by in scores.values() for x in by["bayesian"]]
        for peer in samplers:
            if peer == "bayesian":
                continue
            c = paired(ours, [x for by in scores.values() for x in by[peer]])
            lines.append(
                f"bayesian vs {peer}: mean score difference {c['mean']:+.1f} (95 % bootstrap CI "
                f"{c['ci'][0]:+.1f} .. {c['ci'][1]:+.1f}) over {c['n']} (task, seed) pairs, "
                f"wins/losses {c['wins']}/{c['losses']}, Wilcoxon signed-rank p = {c['p']:.2g}"
            )
    return "\n".join(lines)


def merge(parts: list[dict]) -> dict:
    """Results files of the same seeds and trials, split by task or by sampler, as one."""
    out = {**parts[0], "runs": {}, "wall_s": sum(p["wall_s"] for p in parts)}
    for part in parts:
        for task, by in part["runs"].items():
            out["runs"].setdefault(task, {}).update(by)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bayesmark", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 3 tasks, 2 seeds, 12 trials")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument(
        "--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1 (develop on 10 and up)"
    )
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    ap.add_argument("--samplers", default=",".join(SAMPLERS), help="comma-separated arms (default: all)")
    ap.add_argument("--baselines", type=Path, default=DEFAULT, help="frozen O and R; a missing file: in-run values")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "results.json")
    ap.add_argument(
        "--report",
        type=Path,
        nargs="+",
        help="only print the report of saved results files (split by task or by sampler over processes)",
    )
    args = ap.parse_args(argv)
    frozen = load(args.baselines) if args.baselines.exists() else None
    if args.report:
        saved = merge([json.loads(p.read_text()) for p in args.report])
        print(report(saved, saved["trials"], frozen))
        return 0
    chosen = tasks()
    if args.quick:
        args.seeds, args.trials = 2, 12
        chosen = [t for t in chosen if t.name in ("DT_breast_nll", "LR_breast_nll", "Branin")]
        frozen = None  # the frozen R is for the standard budgets; a smoke run reads its own
    if args.tasks:
        by_name = {t.name: t for t in chosen}
        chosen = [by_name[name] for name in args.tasks.split(",")]  # in the order given
    arms = args.samplers.split(",")
    unknown = sorted(set(arms) - set(SAMPLERS))
    if unknown:
        ap.error(f"unknown sampler(s) {', '.join(unknown)}; expected some of {', '.join(SAMPLERS)}")
    import optuna

    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = {
        "seeds": args.seeds,
        "first_seed": args.first_seed,
        "trials": args.trials,
        "optuna": optuna.__version__,
        "runs": {},
    }
    start = time.perf_counter()
    for task in chosen:
        by = results["runs"][task.name] = {s: {"losses": [], "proposing_s": []} for s in arms}
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            # samplers interleaved within a seed, so machine-load drift hits every arm alike
            for s in arms:
                losses, proposing = run_one(task, s, seed, args.trials)
                by[s]["losses"].append(losses)
                by[s]["proposing_s"].append(proposing)
        results["wall_s"] = time.perf_counter() - start
        args.out.write_text(json.dumps(results))  # after every task: a long run interrupted keeps what it measured
        print(f"{task.name}: done at {results['wall_s']:.0f} s", file=sys.stderr, flush=True)
    if frozen is not None and any(t.name not in frozen for t in chosen):
        frozen = None
    print(report(results, args.trials, frozen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
