"""Scale: one local sweep of N `echo` trials, the emulator's peak memory and time per trial, and the store it leaves.

A child process runs the sweep through ``run_local`` (the same call `sweep submit --local` makes) with 2 trials at a
time, and reports its own peak RSS, its CPU time and the time at which each trial ended; the parent then measures the
store (SQLite file and artifacts) and checks that `mlflow server` (what `mlflow ui` starts) still opens it and lists
the sweep's experiment. "Grows with the trials already run" is read from the per-block times: the ms per trial of the
first block of trials against the last.

Azure caps max_total_trials at 1000 (`sweep validate` refuses more), so the spec is built at 1000 and its limit
raised in Python: this measures the emulator, not a spec Azure would take.

    PYTHONPATH=src python bench/scale.py --trials 1000                       # ~1 min on 2 idle cores
    nice -n 5 env PYTHONPATH=src python bench/scale.py --trials 10000 --folder /tmp/scale10k   # ~10 min
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SPEC = """\
type: sweep
name: {name}
trial:
  command: echo ${{{{search_space.x}}}}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: {{type: random, seed: 1}}
search_space:
  x: {{type: uniform, min_value: 0, max_value: 1}}
objective: {{goal: maximize, primary_metric: score}}
limits: {{max_total_trials: 1000, max_concurrent_trials: 2}}
"""


def child(trials: int, folder: Path) -> dict:
    """Runs in its own process: the sweep, and what it cost this process."""
    sys.path.insert(0, str(ROOT / "src"))
    from submit import load_spec, run_local
    from submit.emulator import LocalOptions

    spec_file = folder / "scale.yaml"
    spec_file.write_text(SPEC.format(name=f"scale_{trials}"))
    spec = load_spec(spec_file)
    spec = dataclasses.replace(spec, limits=dataclasses.replace(spec.limits, max_total_trials=trials))
    marks: list[float] = []  # marks[k]: when k trials had ended (marks[0]: the sweep's start, its store open)

    def on_event(kind, result):
        if kind in ("start", "trial_ended"):
            marks.append(time.monotonic())

    cpu0, wall0 = os.times(), time.monotonic()
    result = run_local(
        spec, LocalOptions(tracking_uri=f"sqlite:///{folder}/mlflow.db", max_concurrent=2, on_event=on_event)
    )
    cpu1 = os.times()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    block = max(1, trials // 10)
    blocks = [round(1000 * (marks[(i + 1) * block] - marks[i * block]) / block, 2) for i in range(trials // block)]
    return {
        "trials": trials,
        "completed": result.count("completed"),
        "status": result.status,
        "tracking_server": result.run.tracking_server,
        "elapsed_s": round(result.run.elapsed, 2),
        "run_local_wall_s": round(time.monotonic() - wall0, 2),
        "ms_per_trial_wall": round(1000 * result.run.elapsed / trials, 2),
        "emulator_cpu_ms_per_trial": round(1000 * ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / trials, 2),
        "trials_cpu_ms_per_trial": round(
            1000 * ((cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)) / trials,
            2,
        ),
        "ms_per_trial_by_block": blocks,
        "emulator_peak_rss_mib": round(peak_kib / 1024, 1),
        "largest_child_peak_rss_mib": round(children_kib / 1024, 1),
        # what the work area keeps: no trial folder; the sweep's own lock file and the store's creation lock stay
        "work_area_left": sorted(str(p.relative_to(folder)) for p in (folder / ".sweep").rglob("*") if p.is_file()),
    }


def store_size(folder: Path) -> dict:
    db = sum(p.stat().st_size for p in folder.glob("mlflow.db*"))
    artifacts = sum(p.stat().st_size for p in (folder / "mlartifacts").rglob("*") if p.is_file())
    files = sum(1 for p in (folder / "mlartifacts").rglob("*") if p.is_file())
    return {"db_mib": round(db / 2**20, 1), "artifacts_mib": round(artifacts / 2**20, 1), "artifact_files": files}


def mlflow_server_opens(folder: Path, timeout: float = 300) -> dict:
    """`mlflow server` (what `mlflow ui` runs) over the store: started, asked for its experiments, stopped."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{folder}/mlflow.db"]
    cmd += ["--port", str(port), "--workers", "1"]
    t0 = time.monotonic()
    server = subprocess.Popen(
        cmd, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/experiments/search?max_results=10"
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    names = [e["name"] for e in json.load(response).get("experiments", [])]
                    return {"opens": True, "seconds_to_answer": round(time.monotonic() - t0, 1), "experiments": names}
            except OSError:
                if server.poll() is not None or time.monotonic() - t0 > timeout:
                    return {"opens": False, "exit_code": server.poll()}
                time.sleep(0.5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--folder", type=Path, help="where the store goes (default: a new temporary folder)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = (args.folder or Path(tempfile.mkdtemp(prefix="sweep-scale-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if args.child:
        print(json.dumps(child(args.trials, folder)))
        return
    load = os.getloadavg()
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--trials", str(args.trials), "--folder", str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["load_average_before"] = [round(x, 1) for x in load]
    report["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    report["store"] = store_size(folder)
    report["mlflow_server"] = mlflow_server_opens(folder)
    report["folder"] = str(folder)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
