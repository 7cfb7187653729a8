"""Start-up: how long `sweep submit --local` takes to launch its first trial on an existing store.

The trial is `echo $EPOCHREALTIME > FILE` (bash's clock, read by the trial process itself, with no interpreter to
start), so "launched" is the moment the trial's own process runs. The clock starts just before the command is
spawned. Each repetition gets a fresh copy of one migrated store (an existing store: no first-time migrations).
Reported: the median and spread of time-to-first-trial and of the whole command, with the load average.

The peer, interleaved with it (the "floor"): a bare process that does the least any launcher must do before a trial's
environment is complete, on a copy of the same store. A trial gets its child run's id in ``MLFLOW_RUN_ID`` and MLflow
makes that id when it creates the run, so something must import MLflow, open the store and create a run first. The
floor is that process (``import mlflow``, ``SqlAlchemyStore`` over the store, ``create_run``) starting a trial the same
way; its parts are timed inside it. ``first_trial - floor`` is what the sweep adds on top.

    PYTHONPATH=src python bench/startup.py --reps 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
type: sweep
trial:
  command: echo $EPOCHREALTIME > {marker}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: {{type: random, seed: 1}}
search_space:
  x: {{type: uniform, min_value: 0, max_value: 1}}
objective: {{goal: maximize, primary_metric: score}}
limits: {{max_total_trials: 1}}
"""


# The floor: one process, the least before a trial can be started with its run id. Times from its own start.
FLOOR = """\
import subprocess, sys, time
t = [time.time()]
import mlflow  # noqa
t.append(time.time())
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
store = SqlAlchemyStore(sys.argv[1], sys.argv[2])
t.append(time.time())
run = store.create_run("0", "floor", int(time.time() * 1000), [], "floor")
t.append(time.time())
subprocess.Popen(["bash", "-c", f"echo $EPOCHREALTIME > {sys.argv[3]}"]).wait()
print(" ".join(str(x) for x in t))
"""


def floor(work: Path) -> dict[str, float]:
    """The floor's time to its trial, and its parts, from just before it was spawned."""
    marker = work / "floor-launched"
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", FLOOR, f"sqlite:///{work}/floor.db", (work / "art").as_uri(), str(marker)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    start, imported, opened, created = (float(x) for x in out)
    return {
        "launched": float(marker.read_text()) - t0,
        "interpreter": start - t0,
        "import_mlflow": imported - start,
        "open_store": opened - imported,
        "create_run": created - opened,
    }


def _stats(xs: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(xs), 3), "min": round(min(xs), 3), "max": round(max(xs), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sweep-startup-"))
    template = folder / "template.db"
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from mlflow.tracking import MlflowClient; MlflowClient('sqlite:///{template}')"
            ".search_experiments(max_results=1)",
        ],
        check=True,
        capture_output=True,
    )
    first, whole, loads, floors = [], [], [], []
    for rep in range(args.reps):
        work = folder / f"rep{rep}"
        work.mkdir()
        shutil.copy(template, work / "mlflow.db")
        shutil.copy(template, work / "floor.db")
        if rep % 2:  # interleaved, each arm first in half of the repetitions
            floors.append(floor(work))
        marker = work / "launched"
        (work / "spec.yaml").write_text(SPEC.format(marker=marker))
        loads.append(os.getloadavg()[0])
        cmd = [sys.executable, "-m", "submit", "submit", "spec.yaml", "--local", "--tracking-uri"]
        t0 = time.time()
        subprocess.run([*cmd, f"sqlite:///{work}/mlflow.db"], cwd=work, capture_output=True, check=True)
        whole.append(time.time() - t0)
        first.append(float(marker.read_text()) - t0)
        if not rep % 2:
            floors.append(floor(work))
    floor_launched = [f["launched"] for f in floors]
    report = {
        "first_trial_launched_s": _stats(first),
        "whole_command_s": _stats(whole),
        "floor_launched_s": _stats(floor_launched),
        "floor_parts_median_s": {k: round(statistics.median(f[k] for f in floors), 3) for k in floors[0]},
        "first_trial_minus_floor_s_median_of_pairs": round(
            statistics.median(a - b for a, b in zip(first, floor_launched, strict=True)), 3
        ),
        "load_average_1min": [round(x, 2) for x in loads],
        "runs_first_s": [round(x, 3) for x in first],
        "runs_floor_s": [round(x, 3) for x in floor_launched],
    }
    print(json.dumps(report, indent=2))
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
