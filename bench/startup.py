"""Start-up: how long `sweep submit --local` takes to launch its first trial on an existing store.

The trial is `echo $EPOCHREALTIME > FILE` (bash's clock, read by the trial process itself, with no interpreter to
start), so "launched" is the moment the trial's own process runs. The clock starts just before the command is
spawned. Each repetition gets a fresh copy of one migrated store (an existing store: no first-time migrations).
Reported: the median and spread of time-to-first-trial and of the whole command, with the load average.

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
    first, whole, loads = [], [], []
    for rep in range(args.reps):
        work = folder / f"rep{rep}"
        work.mkdir()
        shutil.copy(template, work / "mlflow.db")
        marker = work / "launched"
        (work / "spec.yaml").write_text(SPEC.format(marker=marker))
        loads.append(os.getloadavg()[0])
        cmd = [sys.executable, "-m", "submit", "submit", "spec.yaml", "--local", "--tracking-uri"]
        t0 = time.time()
        subprocess.run([*cmd, f"sqlite:///{work}/mlflow.db"], cwd=work, capture_output=True, check=True)
        whole.append(time.time() - t0)
        first.append(float(marker.read_text()) - t0)
    report = {
        "first_trial_launched_s": {
            "median": round(statistics.median(first), 3),
            "min": round(min(first), 3),
            "max": round(max(first), 3),
        },
        "whole_command_s": {
            "median": round(statistics.median(whole), 3),
            "min": round(min(whole), 3),
            "max": round(max(whole), 3),
        },
        "load_average_1min": [round(x, 2) for x in loads],
        "runs_first_s": [round(x, 3) for x in first],
    }
    print(json.dumps(report, indent=2))
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
