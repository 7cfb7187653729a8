"""What a local pipeline run costs over running its steps by hand (bench/README.md, "A pipeline run here").

The pipeline is the tests' three steps (tests/fixtures/pipelines/three_steps.yml: prepare -> a 4-trial sweep, 2 at a
time -> evaluate), run by `sweep submit --local --json` in a fresh folder. By hand is what a user would type for the
same work with no pipeline and no emulator: the prepare command, the four trial commands two at a time (a
`subprocess.Popen` pool; each trial logs its metric with MLflow into a store of its own, as in the sweep), the best
trial picked by reading the four values back, then the evaluate command on its model. The trial values are the
ones the pipeline's sweep drew (read from its --json), so both arms run the same command lines.

Arms alternate (pipeline, hand, pipeline, hand, ...); the ratio is the median over repetitions of
wall(pipeline) / wall(hand) of the same repetition. Also reported: the pipeline's own `elapsed_s` (from its run's
start to its end, without the interpreter's start-up and imports) over the hand arm.

    PYTHONPATH=src python bench/pipeline.py             # 5 repetitions: ~3 min on 2 idle cores
    PYTHONPATH=src python bench/pipeline.py --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "pipelines"
SRC = FIXTURES / "src"


def run_pipeline(folder: Path) -> tuple[float, dict]:
    shutil.copytree(FIXTURES, folder / "pipelines")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "submit", "submit", str(folder / "pipelines" / "three_steps.yml"), "--local"]
    start = time.perf_counter()
    done = subprocess.run([*command, "--name", "bench", "--json"], cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the pipeline failed:\n{done.stdout}\n{done.stderr}")
    return wall, json.loads(done.stdout)


def trial_values(result: dict) -> list[dict]:
    """The sweep step's trials' values, as `sweep status` reads them."""
    sys.path.insert(0, str(ROOT / "src"))
    from submit.monitor import LocalSweeps

    sweep = LocalSweeps(result["tracking_uri"]).status(result["steps"]["tune"]["sweep"])
    return [{k: str(v) for k, v in t.params.items()} for t in sweep.by_index()]


def run_by_hand(folder: Path, trials: list[dict]) -> float:
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    data, models = folder / "data", folder / "models"

    def py(script: str, *args: str) -> list[str]:
        return [sys.executable, str(SRC / script), *args]

    start = time.perf_counter()
    subprocess.run(py("prepare.py", "--rows", "60", "--out", str(data)), check=True, env=env, capture_output=True)
    pending = [
        py(
            "train.py",
            "--data",
            str(data),
            "--lr",
            t["lr"],
            "--depth",
            t["depth"],
            "--kernel",
            "linear",
            "--model",
            str(models / str(i)),
        )
        for i, t in enumerate(trials)
    ]
    running: list[subprocess.Popen] = []
    while pending or running:
        while pending and len(running) < 2:
            running.append(subprocess.Popen(pending.pop(0), env=env, stdout=subprocess.DEVNULL))
        if running[0].wait() != 0:
            raise SystemExit(f"a trial failed by hand: {running[0].args}")
        running = [p for p in running if p.poll() is None]
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    best = max(range(len(runs)), key=lambda i: runs[i].data.metrics.get("accuracy", float("-inf")))
    subprocess.run(
        py("evaluate.py", "--model", str(models / str(best)), "--data", str(data), "--report", str(folder / "report")),
        check=True,
        env=env,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as empty:
        # each arm starts from a copy of one migrated empty store: neither pays MLflow's one-time schema migrations
        # (and the hand arm's concurrent first trials do not race to migrate it)
        from mlflow.tracking import MlflowClient

        store = Path(empty) / "mlflow.db"
        MlflowClient(tracking_uri=f"sqlite:///{store}").search_experiments()
        for rep in range(args.reps):
            rows.append(_repetition(rep, store))
    _report(rows, args.reps)


def _repetition(rep: int, store: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for arm in ("p", "h"):
            (tmp / arm).mkdir()
            shutil.copy(store, tmp / arm / "mlflow.db")
        wall, result = run_pipeline(tmp / "p")
        trials = trial_values(result)
        hand = run_by_hand(tmp / "h", trials)
        print(f"rep {rep}: pipeline {wall:.2f} s (its run {result['elapsed_s']:.2f} s), by hand {hand:.2f} s")
        return {"pipeline_wall": wall, "pipeline_elapsed": result["elapsed_s"], "hand": hand}


def _report(rows: list[dict], reps: int) -> None:
    ratio = statistics.median(r["pipeline_wall"] / r["hand"] for r in rows)
    own = statistics.median(r["pipeline_elapsed"] / r["hand"] for r in rows)
    print(
        json.dumps(
            {
                "reps": reps,
                "median_wall_ratio": round(ratio, 2),
                "median_elapsed_ratio": round(own, 2),
                "median_pipeline_wall_s": round(statistics.median(r["pipeline_wall"] for r in rows), 2),
                "median_hand_s": round(statistics.median(r["hand"] for r in rows), 2),
                "cores": os.cpu_count(),
                "load": os.getloadavg()[0],
                "python": platform.python_version(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
