"""What per-round metric logging costs a 300-round XGBoost run, and how soon a logged value is visible in the store.

    PYTHONPATH=src python bench/train_logging.py [--repeats 5] [--rounds 300]

Arms, interleaved (each repeat runs every arm once, in a rotated order), each a fresh MLflow run in one SQLite store
(MLflow's default backend since 3.7), the same seeded XGBoost fit on digits (10 classes, so 10 trees a round; one
thread, as the emulator gives each of two concurrent trials on this machine):

- ``none``:   no logging; XGBoost still evaluates the validation metrics every round (the same work, minus logging)
- ``stream``: what the training scripts do: trainlib.MetricStream, a background thread batching every 0.5 s
- ``async``:  MLflow's own asynchronous logging, ``mlflow.log_metrics(..., synchronous=False)`` every round
- ``sync``:   a plain ``MlflowClient.log_batch`` of the round's metrics every round (fewer repeats: it is slow)

Times are of ``fit`` through the final flush. Then the lag: the script's streamed run is watched from another
process polling the store every 20 ms, as the emulator's scheduler would; lag = first seen - logged (ms clock).
Results print as a table and are written to bench/results/train_logging.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src" / "train"))

import train_xgb  # noqa: E402
import trainlib  # noqa: E402


def setup(rounds: int):
    args = trainlib.parser(train_xgb.MODEL).parse_args(["--dataset", "digits", "--n-estimators", str(rounds)])
    data = trainlib.load_data(args.dataset, None, None)
    parts = trainlib.split(data, args.test_size, args.val_size, args.seed)
    prep = trainlib.make_preprocessor(data.X, scale=False, max_categories=20, source=data.source)
    X, X_val = prep.fit_transform(parts.X_train), prep.transform(parts.X_val)
    return args, data, X, parts.y_train, X_val, parts.y_val


def arm_none(problem, client, experiment):
    args, data, X, y, X_val, y_val = problem
    model = train_xgb.build(args, data, 1)
    start = time.perf_counter()
    model.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
    return time.perf_counter() - start


def arm_stream(problem, client, experiment):
    args, data, X, y, X_val, y_val = problem
    run_id = client.create_run(experiment).info.run_id
    model = train_xgb.build(args, data, 1)
    start = time.perf_counter()
    with trainlib.MetricStream(run_id, client=client) as stream:
        train_xgb.fit(args, model, X, y, X_val, y_val, trainlib.Progress(stream, y_val))
    elapsed = time.perf_counter() - start
    client.set_terminated(run_id)
    return elapsed


def arm_async(problem, client, experiment):
    import mlflow

    args, data, X, y, X_val, y_val = problem
    run_id = client.create_run(experiment).info.run_id
    model = train_xgb.build(args, data, 1)
    start = time.perf_counter()
    with mlflow.start_run(run_id=run_id):
        model.set_params(
            callbacks=[train_xgb.logging_callback(lambda step, m: mlflow.log_metrics(m, step=step, synchronous=False))]
        )
        model.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
        mlflow.flush_async_logging()
        elapsed = time.perf_counter() - start
    return elapsed


def arm_sync(problem, client, experiment):
    from mlflow.entities import Metric

    args, data, X, y, X_val, y_val = problem
    run_id = client.create_run(experiment).info.run_id

    def log(step, metrics):
        now = int(time.time() * 1000)
        client.log_batch(run_id, metrics=[Metric(k, v, now, step) for k, v in metrics.items()], synchronous=True)

    model = train_xgb.build(args, data, 1)
    start = time.perf_counter()
    model.set_params(callbacks=[train_xgb.logging_callback(log)])
    model.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
    elapsed = time.perf_counter() - start
    client.set_terminated(run_id)
    return elapsed


ARMS = {"none": arm_none, "stream": arm_stream, "async": arm_async, "sync": arm_sync}

WATCHER = textwrap.dedent(
    """
    import json, sys, time
    from mlflow import MlflowClient
    uri, run_id, key, steps, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    client = MlflowClient(uri)
    client.get_metric_history(run_id, key)
    open(out + ".ready", "w").close()
    seen, deadline = {}, time.time() + 600
    while len(seen) < steps and time.time() < deadline:
        now = int(time.time() * 1000)
        for m in client.get_metric_history(run_id, key):
            seen.setdefault(m.step, now - m.timestamp)
        time.sleep(0.02)
    json.dump(seen, open(out, "w"))
    """
)


def lag(problem, uri, client, experiment, rounds, folder: Path) -> list[int]:
    """Visibility lag (ms) of every round's val_log_loss, seen from another process polling the store."""
    args, data, X, y, X_val, y_val = problem
    run_id = client.create_run(experiment).info.run_id
    out = folder / f"lag-{run_id}.json"
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, uri, run_id, "val_log_loss", str(rounds), str(out)])
    while not Path(str(out) + ".ready").exists() and watcher.poll() is None:
        time.sleep(0.05)  # the watcher's imports take seconds; the training must not start before it watches
    model = train_xgb.build(args, data, 1)
    with trainlib.MetricStream(run_id, client=client) as stream:
        train_xgb.fit(args, model, X, y, X_val, y_val, trainlib.Progress(stream, y_val))
    watcher.wait(timeout=600)
    return sorted(json.loads(out.read_text()).values())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sync-repeats", type=int, default=3)
    p.add_argument("--rounds", type=int, default=300)
    p.add_argument("--arms", default=",".join(ARMS), help="comma-separated subset of: " + ", ".join(ARMS))
    opts = p.parse_args()
    import mlflow
    from mlflow import MlflowClient

    problem = setup(opts.rounds)
    times: dict[str, list[float]] = {arm: [] for arm in ARMS}
    with tempfile.TemporaryDirectory() as tmp:
        uri = f"sqlite:///{tmp}/mlflow.db"
        mlflow.set_tracking_uri(uri)
        client = MlflowClient(uri)
        experiment = client.create_experiment("bench", artifact_location=f"{tmp}/artifacts")
        arm_none(problem, client, experiment)  # warm-up: imports, thread pools, the store's first writes
        arm_stream(problem, client, experiment)
        names = [a for a in ARMS if a in opts.arms.split(",")]
        for i in range(opts.repeats):
            order = names[i % len(names) :] + names[: i % len(names)]
            ran = [a for a in order if not (a == "sync" and len(times["sync"]) >= opts.sync_repeats)]
            for arm in ran:
                times[arm].append(ARMS[arm](problem, client, experiment))
            print(f"repeat {i + 1}: " + ", ".join(f"{a} {times[a][-1]:.2f}s" for a in ran), flush=True)
        lags = lag(problem, uri, client, experiment, opts.rounds, Path(tmp))

    times = {arm: v for arm, v in times.items() if v}
    medians = {arm: statistics.median(v) for arm, v in times.items()}
    result = {
        "rounds": opts.rounds,
        "dataset": "digits",
        "times_s": times,
        "median_s": medians,
        "stream_interval_s": trainlib.STREAM_INTERVAL,
        "ratio_to_none": {arm: medians[arm] / medians["none"] for arm in medians},
        # per repeat, the arm against the no-logging fit of the same repeat: robust to load that drifts between repeats
        "paired_ratio_to_none": {
            arm: statistics.median(a / b for a, b in zip(v, times["none"], strict=False)) for arm, v in times.items()
        },
        "lag_ms": {
            "median": statistics.median(lags),
            "p95": lags[int(0.95 * (len(lags) - 1))],
            "max": lags[-1],
            "n": len(lags),
        },
    }
    print(
        f"\n{opts.rounds}-round XGBoost on digits, 1 thread, medians of {opts.repeats} interleaved runs (sync: {opts.sync_repeats})"
    )
    for arm in medians:
        print(
            f"  {arm:7s} {medians[arm]:7.2f} s   x{result['ratio_to_none'][arm]:.2f} of no logging (paired: x{result['paired_ratio_to_none'][arm]:.2f})"
        )
    lag_ms = result["lag_ms"]
    print(
        f"  visible in the store after: median {lag_ms['median']} ms, p95 {lag_ms['p95']} ms, max {lag_ms['max']} ms ({lag_ms['n']} rounds)"
    )
    out = ROOT / "bench" / "results" / "train_logging.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
