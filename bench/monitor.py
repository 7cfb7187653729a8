"""`sweep status` and `sweep report` on a 1,000-trial local sweep, as ratios against peers measured in the same run.

The sweep is synthesised in a fresh SQLite store with MlflowClient (tests/monitor_helpers.py: the emulator's
layout, 10 primary-metric values per trial, 3 parameters one of them a string choice, 10% of trials canceled by a
policy at their 4th value, 3% failed), once per run. Then, interleaved and repeated:

- status: ``LocalSweeps(uri).status(name)`` (every trial with its history, best, savings), against the peer
  "plain MlflowClient": the same reads any tool must do (``search_runs`` of the children, every page, then
  ``get_metric_history`` per trial), with nothing computed. The ratio is what the monitor adds on top of reading.
- report: ``write_report([summary], path)`` from that summary, against the peer "one plotly figure": the same
  parallel-coordinates figure alone written by ``plotly.io.write_html(include_plotlyjs=True)`` (the inlined script
  every self-contained plotly page carries).

Each figure is the median over repetitions; each ratio the median of per-repetition ratios (arms run back to back
share the load of the moment). The report's size is reported in MB.

    PYTHONPATH=src python bench/monitor.py                 # 1,000 trials, 5 repetitions
    PYTHONPATH=src python bench/monitor.py --trials 200 --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from monitor_helpers import Trial, synth_sweep  # noqa: E402
from submit.monitor import LocalSweeps  # noqa: E402
from submit.report.charts import parallel_coordinates  # noqa: E402
from submit.report.page import write_report  # noqa: E402

SPACE = {
    "lr": {"type": "loguniform", "min_value": -9.2, "max_value": -2.3},
    "depth": {"type": "choice", "values": [3, 5, 7, 9]},
    "opt": {"type": "choice", "values": ["adam", "sgd", "rmsprop"]},
}


def trials(n: int, seed: int = 0) -> list[Trial]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        params = {
            "lr": 10 ** rng.uniform(-4, -1),
            "depth": rng.choice([3, 5, 7, 9]),
            "opt": rng.choice(["adam", "sgd", "rmsprop"]),
        }
        level = 0.9 - abs(params["lr"] - 0.01) * 3 - (params["opt"] != "adam") * 0.05 + rng.gauss(0, 0.02)
        curve = [level * (1 - 0.6 ** (s + 1)) for s in range(10)]
        if i % 10 == 7:
            out.append(
                Trial(
                    params,
                    curve[:4],
                    "canceled",
                    f"bandit: {curve[3]:.3f} < best 0.8 / (1 + 0.1) at interval 4",
                    True,
                    4.0,
                )
            )
        elif i % 33 == 5:
            out.append(Trial(params, curve[:2], "failed", exit_code=1, seconds=2.0))
        else:
            out.append(Trial(params, curve, seconds=10.0))
    return out


def plain_reads(uri: str, name: str, metric: str) -> int:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    [parent] = client.search_runs(experiments, f"tags.`sweep.name` = '{name}' and tags.`sweep.kind` = 'parent'")
    runs, token = [], None
    while True:
        page = client.search_runs(
            [parent.info.experiment_id],
            f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'",
            max_results=1000,
            page_token=token,
        )
        runs += list(page)
        token = page.token
        if not token:
            break
    return sum(len(client.get_metric_history(r.info.run_id, metric)) for r in runs)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=1000)
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args()
    import plotly.io as pio

    folder = Path(tempfile.mkdtemp(prefix="bench-monitor-"))
    try:
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        made, _ = timed(
            lambda: synth_sweep(uri, "big", trials(args.trials), policy="bandit", space=SPACE, concurrency=4)
        )
        times: dict[str, list[float]] = {"status": [], "plain": [], "report": [], "figure": []}
        size = 0
        for _ in range(args.reps):
            t_status, summary = timed(lambda: LocalSweeps(uri).status("big"))
            t_plain, points = timed(lambda: plain_reads(uri, "big", "accuracy"))
            assert points == sum(len(t.history) for t in summary.trials)
            t_report, written = timed(lambda s=summary: write_report([s], folder / "report.html"))
            t_figure, _ = timed(
                lambda s=summary: pio.write_html(parallel_coordinates(s), folder / "one.html", include_plotlyjs=True)
            )
            size = written.bytes
            for key, value in zip(times, (t_status, t_plain, t_report, t_figure), strict=True):
                times[key].append(value)
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio = {
            "status / plain reads": statistics.median(
                a / b for a, b in zip(times["status"], times["plain"], strict=True)
            ),
            "report / one figure": statistics.median(
                a / b for a, b in zip(times["report"], times["figure"], strict=True)
            ),
        }
        print(
            json.dumps(
                {
                    "trials": args.trials,
                    "reps": args.reps,
                    "synthesis_s": round(made, 1),
                    "median_s": {k: round(v, 3) for k, v in med.items()},
                    "ratios": {k: round(v, 2) for k, v in ratio.items()},
                    "report_mb": round(size / 1e6, 2),
                    "one_figure_mb": round((folder / "one.html").stat().st_size / 1e6, 2),
                    "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
