"""Did a local Bayesian sweep concentrate on the better region? First half of the trials against the second, from the store.

    PYTHONPATH=src python bench/bayes_e2e_halves.py sqlite:////tmp/bayes_e2e/mlflow.db val_log_loss minimize

Reads every child run (the sweep's trials) from the MLflow store, orders them by trial index, and prints, per half,
the median and best primary metric and the median and spread (IQR) of each numeric hyperparameter, plus the value
counts of each categorical one.
"""

from __future__ import annotations

import sys

import numpy as np


def main(uri: str, metric: str, goal: str) -> None:
    import mlflow

    client = mlflow.MlflowClient(uri)
    runs = [
        r
        for e in client.search_experiments()
        for r in client.search_runs([e.experiment_id], max_results=5000)
        if "mlflow.parentRunId" in r.data.tags and metric in r.data.metrics
    ]
    runs.sort(key=lambda r: int(r.info.run_name.rsplit("_", 1)[1]))

    # the final logged value is what MLflow keeps in data.metrics; the best-so-far is what Azure ranks by
    def best(r):
        hist = [m.value for m in client.get_metric_history(r.info.run_id, metric)]
        return min(hist) if goal == "minimize" else max(hist)

    values = [best(r) for r in runs]
    half = len(runs) // 2
    print(f"{len(runs)} trials with {metric}")
    for label, sl in (("first half", slice(0, half)), ("second half", slice(half, None))):
        v = np.array(values[sl])
        print(
            f"\n{label} (trials {sl.start or 0}..{(sl.stop or len(runs)) - 1}): {metric} median {np.median(v):.4f}, best "
            f"{(v.min() if goal == 'minimize' else v.max()):.4f}"
        )
        varying = sorted(k for k in runs[0].data.params if len({r.data.params.get(k) for r in runs}) > 1)
        for name in varying:  # the sampled hyperparameters; the script's fixed settings are logged too
            xs = [r.data.params[name] for r in runs[sl]]
            try:
                nums = np.array([float(x) for x in xs])
                q1, q2, q3 = np.percentile(nums, [25, 50, 75])
                print(f"  {name:18s} median {q2:8.4g}   IQR {q1:8.4g} .. {q3:8.4g}")
            except ValueError:
                vals, counts = np.unique(xs, return_counts=True)
                print(f"  {name:18s} " + ", ".join(f"{a}: {c}" for a, c in zip(vals, counts, strict=False)))
    best_run = runs[int(np.argmin(values) if goal == "minimize" else np.argmax(values))]
    print(f"\nbest trial {best_run.info.run_name}: {metric} {min(values) if goal == 'minimize' else max(values):.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
