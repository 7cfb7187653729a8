"""Synthetic sweeps for the monitor tests and bench/: the emulator's store layout, written with MlflowClient directly.

A real sweep is the point of some tests (tests/test_monitor_local.py runs them); where it is not (500 trials, a NaN,
a metric missing in some trials), ``synth_sweep`` writes the same parent/child runs, tags, params and metric
histories the emulator writes (emulator/tracking.py), with chosen timestamps, in three store calls per trial.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from submit.emulator import tags as t
from submit.emulator.tracking import sqlite_path

STATUS = {"completed": "FINISHED", "failed": "FAILED", "canceled": "KILLED", "running": "RUNNING"}


@dataclass
class Trial:
    params: dict[str, Any]
    values: list[float]  # the primary metric, one per step
    status: str = "completed"
    cancel_reason: str | None = None
    by_policy: bool = False
    seconds: float = 10.0  # run time
    exit_code: int | None = None
    other: dict[str, float] = field(default_factory=dict)  # other metrics, logged once


def synth_sweep(
    uri: str,
    name: str,
    trials: list[Trial],
    *,
    metric: str = "accuracy",
    goal: str = "maximize",
    state: str = "completed",
    policy: str | None = None,
    limits: dict | None = None,
    space: dict | None = None,
    start: float = 1_700_000_000.0,
    concurrency: int = 2,
    experiment: str = "synthetic",
) -> str:
    """Write the sweep; returns the parent run id. Trials run ``concurrency`` at a time from ``start``."""
    db = sqlite_path(uri)
    if db is not None:  # as the emulator's Store does: WAL makes each commit ~3x cheaper
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
    tags = {
        t.TAG_SWEEP: name,
        t.TAG_KIND: "parent",
        t.TAG_STATE: state,
        t.TAG_PRIMARY: metric,
        t.TAG_GOAL: goal,
        t.TAG_SAMPLING: "random",
        t.TAG_LIMITS: json.dumps(limits or {"max_total_trials": len(trials), "max_concurrent_trials": concurrency}),
    }
    if policy:
        tags[t.TAG_POLICY] = policy
    if space is not None:
        tags[t.TAG_SPACE] = json.dumps(space)
    parent = client.create_run(exp_id, run_name=name, tags=tags, start_time=int(start * 1000)).info.run_id
    slots = [start] * concurrency
    best, best_id, end_all = None, None, start
    for i, trial in enumerate(trials):
        slot = min(range(concurrency), key=lambda s: slots[s])
        begin = slots[slot]
        end = begin + trial.seconds
        slots[slot] = end
        end_all = max(end_all, end)
        run_tags = {t.TAG_PARENT: parent, t.TAG_SWEEP: name, t.TAG_KIND: "trial", t.TAG_INDEX: str(i)}
        if trial.cancel_reason:
            run_tags[t.TAG_CANCEL] = trial.cancel_reason
        if trial.by_policy:
            run_tags[t.TAG_CANCEL_POOL] = ",".join(f"{name}_{j}" for j in range(i))
        if trial.exit_code is not None:
            run_tags[t.TAG_EXIT] = str(trial.exit_code)
        run = client.create_run(exp_id, run_name=f"{name}_{i}", tags=run_tags, start_time=int(begin * 1000))
        step_s = trial.seconds / (len(trial.values) + 1)
        metrics = [Metric(metric, v, int((begin + (s + 1) * step_s) * 1000), s) for s, v in enumerate(trial.values)] + [
            Metric(k, v, int(end * 1000), 0) for k, v in trial.other.items()
        ]
        params = [Param(k, json.dumps(v) if not isinstance(v, str) else v) for k, v in trial.params.items()]
        client.log_batch(run.info.run_id, metrics=metrics, params=params, tags=[RunTag("sweep.synthetic", "1")])
        if trial.status != "running":
            client.set_terminated(run.info.run_id, STATUS[trial.status], end_time=int(end * 1000))
        finite = [v for v in trial.values if v == v and abs(v) != float("inf")]
        if finite:
            top = max(finite) if goal == "maximize" else min(finite)
            if best is None or (top > best if goal == "maximize" else top < best):
                best, best_id = top, run.info.run_id
    if best_id is not None:
        client.set_tag(parent, t.BEST_RUN_TAG, best_id)
        client.log_metric(parent, t.BEST_METRIC, best)
    if state != "running":
        final = {"completed": "FINISHED", "failed": "FAILED", "canceled": "KILLED", "interrupted": "KILLED"}[state]
        client.set_terminated(parent, final, end_time=int(end_all * 1000))
    return parent


# a real sweep of four quadratic.py trials, two of which (k = c) exit 1 after logging: tests/conftest.py runs it once
FAILING = """\
type: sweep
trial:
  code: src
  command: >-
    python quadratic.py ${{search_space.x}} ${{search_space.k}} && test ${{search_space.k}} != c
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: grid
search_space:
  x: {type: choice, values: [0.1, 0.3]}
  k: {type: choice, values: [b, c]}
objective: {goal: maximize, primary_metric: accuracy}
limits: {max_total_trials: 4, max_concurrent_trials: 2}
"""
