"""Does the ready Bayesian spec show what Bayesian sampling buys? Its sampler against random search, same budget.

    PYTHONPATH=src python bench/bayes_ready_spec.py                        # sweep_specs/bayesian_svm.yaml, seeds 0-2
    PYTHONPATH=src python bench/bayes_ready_spec.py SPEC --seeds 0,1,2,3,4

Each arm proposes the spec's ``max_total_trials`` trials, ``max_concurrent_trials`` (at most 2, as locally) at a
time, running trials told to the sampler as running, as the emulator does; a trial is the spec's own command (its
script, flags and search-space values) trained in this process and scored by the spec's primary metric, the best
value it logged (Azure's rule). In process, not through `submit --local`: the same proposals and scores at a
fraction of the time (the start-up of a trial process and MLflow's logging are what the emulator adds; time a real
run with `sweep submit SPEC --local` for the figure the spec's comment gives). Prints, per seed and arm, the best
value after 10, 20, ... trials and the median of the second half of the trials (how much of the budget went where
the good values are), then the medians over seeds.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"\$\{\{\s*search_space\.(\w+)\s*\}\}")


class Recorded:
    """Stands where a trial's ``trainlib.Progress`` stands: keeps the primary metric's values instead of logging."""

    def __init__(self, trainlib, y_val, metric: str):
        self.trainlib, self.y_val, self.metric, self.values = trainlib, y_val, metric, []

    def probabilities(self, step, proba):
        self.values.append(self.trainlib.validation_metrics(self.y_val, proba)[self.metric])

    def metrics(self, step, values):
        self.values.append(values[self.metric])


def trial_score(spec, params: dict, prepared: dict) -> float:
    """The spec's command with ``params`` substituted, run in this process: the best primary-metric value logged."""
    train = Path(spec.trial.code)
    if str(train) not in sys.path:
        sys.path.insert(0, str(train))
    trainlib = importlib.import_module("trainlib")
    words = shlex.split(REFERENCE.sub(lambda m: shlex.quote(str(params[m.group(1)])), spec.trial.command))
    module = importlib.import_module(Path(words[1]).stem)
    args = trainlib.parser(module.MODEL).parse_args(words[2:])
    key = (module.__name__, args.dataset, args.seed)
    if key not in prepared:
        data = trainlib.load_data(args.dataset, args.data, args.target)
        parts = trainlib.split(data, args.test_size, args.val_size, args.seed)
        prep = trainlib.make_preprocessor(data.X, scale=module.MODEL.scale, max_categories=20, source=data.source)
        prepared[key] = (data, parts, prep.fit_transform(parts.X_train), prep.transform(parts.X_val))
    data, parts, X, X_val = prepared[key]
    recorded = Recorded(trainlib, parts.y_val, spec.objective.primary_metric)
    estimator = module.MODEL.build(args, data, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if module.MODEL.fit is not None:
            module.MODEL.fit(args, estimator, X, parts.y_train, X_val, parts.y_val, recorded)
        else:
            estimator.fit(X, parts.y_train)
            recorded.probabilities(0, estimator.predict_proba(X_val))
    return min(recorded.values) if spec.objective.goal == "minimize" else max(recorded.values)


def one_sweep(spec, arm: str, seed: int, prepared: dict) -> list[float]:
    from submit.emulator.samplers import BayesianSampler, Observation, RandomSampler

    cls = {"bayesian": BayesianSampler, "random": RandomSampler}[arm]
    sampler = cls(spec.search_space, goal=spec.objective.goal, seed=seed, logbase=spec.sampling.base)
    total, at_once = spec.limits.max_total_trials, min(spec.limits.concurrency, 2)
    observations, scores = [], []
    while len(scores) < total:
        batch = []
        for _ in range(min(at_once, total - len(scores))):
            running = [Observation(p, None, "running") for p in batch]
            batch.append(sampler.suggest(len(scores) + len(batch), observations + running))
        for params in batch:
            score = trial_score(spec, params, prepared)
            observations.append(Observation(params, score, "completed"))
            scores.append(score)
    return scores


def main(argv: list[str] | None = None) -> None:
    from submit.spec.load import load_spec

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=str(ROOT / "sweep_specs" / "bayesian_svm.yaml"))
    parser.add_argument("--seeds", default="0,1,2")
    options = parser.parse_args(argv)
    spec = load_spec(options.spec)
    better = np.minimum if spec.objective.goal == "minimize" else np.maximum
    total = spec.limits.max_total_trials
    marks = [k for k in range(10, total, 10)] + [total]
    prepared: dict = {}
    results: dict[str, list[tuple[list[float], float]]] = {"bayesian": [], "random": []}
    for seed in map(int, options.seeds.split(",")):
        for arm in results:
            started = time.perf_counter()
            scores = one_sweep(spec, arm, seed, prepared)
            best = better.accumulate(scores)
            second_half = float(np.median(scores[total // 2 :]))
            results[arm].append(([float(best[k - 1]) for k in marks], second_half))
            shown = " ".join(f"{best[k - 1]:.4f}" for k in marks)
            print(
                f"seed {seed} {arm:8s} best after {'/'.join(map(str, marks))} trials: {shown}; "
                f"second half median {second_half:.4f} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    metric = spec.objective.primary_metric
    print(f"\nmedians over {len(results['random'])} seeds, {metric} ({spec.objective.goal}):")
    for arm, runs in results.items():
        bests = np.median([r[0] for r in runs], axis=0)
        print(
            f"  {arm:8s} best after {'/'.join(map(str, marks))}: {' '.join(f'{b:.4f}' for b in bests)}; "
            f"second half median {np.median([r[1] for r in runs]):.4f}"
        )


if __name__ == "__main__":
    main()
