"""The emulator's cost, as ratios against peers measured in the same run (B2 and B3, bench/README.md).

B2, overhead: N short trials through `sweep submit --local` (concurrency 1) against a plain loop running the same N
command lines one after another with the same MLflow logging (each trial logs 10 values; without the emulator MLflow
creates the run itself). Reported: wall(sweep) / wall(loop), and the per-trial overhead in ms, both for the whole
command (CLI start, store open, report) and for the sweep alone (the `elapsed_s` of its --json summary).

B3, concurrency: the same kind of trial made CPU-bound (~1 s of pure-Python work on top of the MLflow start), 8
trials, through the emulator at --max-concurrent 1 and 2, and through a raw `subprocess.Popen` pool of 1 and 2 workers
as the ceiling. The emulator's T is the sweep's own elapsed time (`elapsed_s` of its --json summary: from the first
trial's preparation to the last trial's end), the pool's is its loop's; so T(1) / T(2) compares the same thing in both,
and the command's fixed start-up (interpreter, imports, store open, parent run, report, exit), which does not depend
on concurrency, is reported on its own line (median of wall - elapsed over every sweep run) instead of being charged to
concurrency. Reported: T(1) / T(2) for both, and the emulator's efficiency = its speed-up / the raw pool's.

Arms are interleaved (loop, sweep, raw1, emu1, raw2, emu2, then again) and repeated; every ratio is the median over
repetitions of the ratio of arms run in the same repetition (they share the load of the moment), the efficiency too.
Each arm gets a fresh copy of one migrated empty SQLite store, so none pays MLflow's one-time schema migrations.

    PYTHONPATH=src python bench/overhead.py              # 6 + 8 trials, 5 repetitions: ~12 min on 2 idle cores
    PYTHONPATH=src python bench/overhead.py --reps 3     # quicker, noisier
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
sys.path.insert(0, str(ROOT / "src"))

from submit import load_spec  # noqa: E402
from submit.emulator.samplers import make_sampler  # noqa: E402
from submit.emulator.trial import render_command  # noqa: E402

TRIAL = """\
import sys

import mlflow

x, work = float(sys.argv[1]), int(sys.argv[2])
total = 0
for i in range(work):  # CPU-bound work for B3; 0 for B2
    total += i % 7
for step in range(10):
    mlflow.log_metric("score", x + step / 100, step=step)
"""

SPEC = """\
type: sweep
trial:
  code: code
  command: python trial.py ${{{{search_space.x}}}} {work}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: {{type: random, seed: 1}}
search_space:
  x: {{type: uniform, min_value: 0, max_value: 1}}
objective: {{goal: maximize, primary_metric: score}}
limits: {{max_total_trials: {trials}, max_concurrent_trials: 2}}
"""


class Bench:
    def __init__(self, folder: Path):
        self.folder = folder
        self.template = folder / "template.db"
        from mlflow.tracking import MlflowClient

        MlflowClient(tracking_uri=f"sqlite:///{self.template}").search_experiments(max_results=1)
        # `python` in the command must be this interpreter in both arms, as the emulator arranges for its trials
        path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
        self.env = {
            **os.environ,
            "PATH": path,
            "PYTHONPATH": str(ROOT / "src"),
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
        }
        self.runs = 0

    def workload(self, trials: int, work: int) -> Path:
        """A folder with the spec and its code; the command lines a plain loop would run."""
        path = self.folder / f"w{trials}_{work}"
        (path / "code").mkdir(parents=True, exist_ok=True)
        (path / "code" / "trial.py").write_text(TRIAL)
        (path / "spec.yaml").write_text(SPEC.format(trials=trials, work=work))
        return path

    def fresh_store(self) -> str:
        self.runs += 1
        db = self.folder / f"store{self.runs}" / "mlflow.db"
        db.parent.mkdir()
        shutil.copy(self.template, db)
        return f"sqlite:///{db}"

    def commands(self, workload: Path) -> list[str]:
        spec = load_spec(workload / "spec.yaml")
        sampler = make_sampler(spec)
        return [
            render_command(spec.trial.command, {"search_space": sampler.suggest(i, []), "inputs": {}, "outputs": {}})
            for i in range(spec.limits.max_total_trials)
        ]

    def sweep(self, workload: Path, concurrent: int) -> tuple[float, float]:
        """(wall of `sweep submit --local`, the sweep's own elapsed time from its --json summary)."""
        uri = self.fresh_store()
        cmd = [
            sys.executable,
            "-m",
            "submit",
            "submit",
            str(workload / "spec.yaml"),
            "--local",
            "--json",
            "--tracking-uri",
            uri,
            "--max-concurrent",
            str(concurrent),
            "--name",
            f"b{self.runs}",
        ]
        start = time.perf_counter()
        done = subprocess.run(cmd, env=self.env, cwd=workload, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"sweep failed:\n{done.stderr}")
        summary = json.loads(done.stdout)
        assert summary["counts"]["completed"] == len(summary["trials"]), summary["counts"]
        return wall, summary["elapsed_s"]

    def pool(self, workload: Path, commands: list[str], workers: int, served: bool = False) -> float:
        """The same command lines, `workers` at a time, each logging into a run MLflow creates for it: in the SQLite
        store itself, or (``served``) through a tracking server over it, the one the sweep starts, started before the
        clock so that only the trials are timed. The second is the same workload as the emulator's trials: a pool whose
        trials open SQLite themselves does more of its work inside the trials, where two workers share it."""
        from mlflow.tracking import MlflowClient

        from submit.emulator.server import TrackingServer
        from submit.emulator.tracking import sqlite_path

        uri = self.fresh_store()
        experiment = MlflowClient(tracking_uri=uri).create_experiment("loop")
        server = None
        if served:
            server = TrackingServer(uri, (sqlite_path(uri).parent / "mlartifacts").as_uri())
            server.start()
            if not server.wait_ready(120):
                raise SystemExit(f"the tracking server did not start: {server.failure}")
        env = {**self.env, "MLFLOW_TRACKING_URI": server.uri if server else uri, "MLFLOW_EXPERIMENT_ID": experiment}
        try:
            return self._run_pool(workload, commands, workers, env)
        finally:
            if server is not None:
                server.stop()

    def _run_pool(self, workload: Path, commands: list[str], workers: int, env: dict[str, str]) -> float:
        pending, running = list(commands), []
        start = time.perf_counter()
        while pending or running:
            while pending and len(running) < workers:
                # its output to nowhere, as the emulator's trials write theirs to their log (not to this JSON)
                trial = subprocess.Popen(
                    pending.pop(0), shell=True, cwd=workload / "code", env=env, stdout=subprocess.DEVNULL
                )
                running.append(trial)
            running[0].wait()
            for p in [p for p in running if p.poll() is not None]:
                if p.returncode != 0:
                    raise SystemExit(f"a loop trial failed with exit code {p.returncode}")
                running.remove(p)
        return time.perf_counter() - start


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=6, help="B2: trials per sweep")
    ap.add_argument("--speedup-trials", type=int, default=8, help="B3: trials per sweep (at least 8)")
    ap.add_argument("--work", type=int, default=10_000_000, help="B3: loop iterations of CPU work per trial")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    if args.speedup_trials < 8:
        # with fewer, the last trial of a 2-worker arm runs alone for a large share of the arm: the ratio measures that
        ap.error("--speedup-trials must be at least 8")

    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        bench = Bench(Path(tmp))
        short = bench.workload(args.trials, 0)
        cpu = bench.workload(args.speedup_trials, args.work)
        short_cmds, cpu_cmds = bench.commands(short), bench.commands(cpu)
        b2 = {"loop": [], "sweep": [], "sweep_elapsed": []}
        b3 = {k: [] for k in ("emu1", "emu2", "raw1", "raw2", "served1", "served2", "emu1_wall", "emu2_wall")}
        for rep in range(args.reps):
            b2["loop"].append(bench.pool(short, short_cmds, 1))
            wall, elapsed = bench.sweep(short, 1)
            b2["sweep"].append(wall)
            b2["sweep_elapsed"].append(elapsed)
            b3["raw1"].append(bench.pool(cpu, cpu_cmds, 1))
            wall, elapsed = bench.sweep(cpu, 1)
            b3["emu1"].append(elapsed)
            b3["emu1_wall"].append(wall)
            b3["raw2"].append(bench.pool(cpu, cpu_cmds, 2))
            b3["served1"].append(bench.pool(cpu, cpu_cmds, 1, served=True))
            b3["served2"].append(bench.pool(cpu, cpu_cmds, 2, served=True))
            wall, elapsed = bench.sweep(cpu, 2)
            b3["emu2"].append(elapsed)
            b3["emu2_wall"].append(wall)
            print(
                f"rep {rep + 1}/{args.reps}: " + json.dumps({k: round(v[-1], 2) for k, v in {**b2, **b3}.items()}),
                file=sys.stderr,
            )

    print(json.dumps(summarize(b2, b3, args)))
    print(table(summarize(b2, b3, args)), file=sys.stderr)


def paired(a: list[float], b: list[float]) -> float:
    """Median over repetitions of a_i / b_i: arms run back to back share the machine's load of the moment."""
    return statistics.median(x / y for x, y in zip(a, b, strict=False))


def summarize(b2: dict, b3: dict, args) -> dict:
    n = args.trials
    loop, sweep, elapsed = b2["loop"], b2["sweep"], b2["sweep_elapsed"]
    r_emu, r_raw = paired(b3["emu1"], b3["emu2"]), paired(b3["raw1"], b3["raw2"])
    r_served = paired(b3["served1"], b3["served2"])

    def efficiency(one: str, two: str) -> float:  # the emulator's speed-up over a pool's, per repetition
        arms = zip(b3["emu1"], b3["emu2"], b3[one], b3[two], strict=True)
        return statistics.median((e1 / e2) / (r1 / r2) for e1, e2, r1, r2 in arms)

    walls = sweep + b3["emu1_wall"] + b3["emu2_wall"]
    startup = [w - e for w, e in zip(walls, elapsed + b3["emu1"] + b3["emu2"], strict=True)]
    return {
        "bench": "emulator_overhead",
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "load_1min": os.getloadavg()[0]},
        "trials": n,
        "speedup_trials": args.speedup_trials,
        "reps": args.reps,
        "medians_s": {k: round(median(v), 3) for k, v in {**b2, **b3}.items()},
        "B2_ratio_command": round(paired(sweep, loop), 3),
        "B2_ratio_sweep": round(paired(elapsed, loop), 3),
        "B2_overhead_ms_per_trial_command": round(
            median([(s - b) / n * 1000 for s, b in zip(sweep, loop, strict=False)]), 1
        ),
        "B2_overhead_ms_per_trial_sweep": round(
            median([(e - b) / n * 1000 for e, b in zip(elapsed, loop, strict=False)]), 1
        ),
        "B3_speedup_emulator": round(r_emu, 3),
        "B3_speedup_raw_pool": round(r_raw, 3),
        "B3_efficiency": round(efficiency("raw1", "raw2"), 3),
        "B3_speedup_served_pool": round(r_served, 3),
        "B3_efficiency_served": round(efficiency("served1", "served2"), 3),
        "B3_speedup_emulator_whole_command": round(paired(b3["emu1_wall"], b3["emu2_wall"]), 3),
        "fixed_startup_s": round(median(startup), 3),
        "runs_s": {**b2, **b3},
    }


def table(r: dict) -> str:
    m = r["medians_s"]
    return f"""
| quantity | value |
|---|---|
| plain loop, {r["trials"]} trials (median) | {m["loop"]:.2f} s |
| `sweep submit --local`, whole command / loop | {r["B2_ratio_command"]:.3f} ({r["B2_overhead_ms_per_trial_command"]:+.0f} ms/trial) |
| the sweep alone (`elapsed_s`) / loop | {r["B2_ratio_sweep"]:.3f} ({r["B2_overhead_ms_per_trial_sweep"]:+.0f} ms/trial) |
| 2 concurrent over 1, emulator, {r["speedup_trials"]} trials (the sweep's elapsed time) | {r["B3_speedup_emulator"]:.2f}x |
| 2 workers over 1, raw Popen pool | {r["B3_speedup_raw_pool"]:.2f}x |
| emulator efficiency (its speed-up / the pool's, paired) | {r["B3_efficiency"]:.2f} |
| 2 workers over 1, the pool's trials logging through a tracking server | {r["B3_speedup_served_pool"]:.2f}x |
| emulator efficiency against that pool (paired) | {r["B3_efficiency_served"]:.2f} |
| fixed start-up of `sweep submit --local` (wall - elapsed, median of every sweep run) | {r["fixed_startup_s"]:.2f} s |
| for comparison: 2 over 1 on the whole command's wall time | {r["B3_speedup_emulator_whole_command"]:.2f}x |
| repetitions | {r["reps"]} |
| 1-minute load average at the end, {r["machine"]["cores"]} cores | {r["machine"]["load_1min"]:.1f} |"""


if __name__ == "__main__":
    main()
