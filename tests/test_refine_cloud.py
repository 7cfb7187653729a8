"""`sweep refine` on an Azure ML sweep: the real MLClient over the recorded REST API (tests/_azure_util.py), the spec
rebuilt from the job the API holds, the trials' values from the sweep's tags and their metrics from a real MLflow
store standing in for the workspace's tracking server (a SQLite store: MlflowClient reads it as it reads a server).
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

import pytest
import yaml
from azure.ai.ml import MLClient, load_job
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from _azure_util import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, StaticToken
from emulator_helpers import sqlite_uri, write_spec
from submit.azure.client import submit_job
from submit.cli import app
from submit.followup.original import cloud_original
from submit.followup.refine import RefineOptions, refine
from submit.monitor import MonitorInputError
from submit.monitor.cloud import CloudSweeps
from submit.spec.load import load_spec

logging.getLogger("azure").setLevel(logging.ERROR)

SPEC = """\
type: sweep
experiment_name: refine-cloud
trial:
  code: src
  command: python train.py --lr ${{search_space.lr}} --opt ${{search_space.opt}} --seed ${{search_space.seed}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33
compute: azureml:cpu-cluster
sampling_algorithm: random
search_space:
  lr: {type: uniform, min_value: 0.0, max_value: 1.0}
  opt: {type: choice, values: [adam, sgd, rmsprop]}
  seed: {type: choice, values: [1, 2, 3]}
objective: {goal: maximize, primary_metric: accuracy}
limits: {max_total_trials: 12, max_concurrent_trials: 3}
tags: {team: vision}
"""


def accuracy(p: dict) -> float:  # best at lr = 0.4, opt = adam; seed does not matter
    return 1 - 3 * (p["lr"] - 0.4) ** 2 - 0.4 * (p["opt"] != "adam")


# 12 trials: lr on a grid, opt and seed cycling
OPTS = ["adam", "adam", "sgd", "rmsprop"]
TRIALS = [{"lr": round(0.05 + 0.08 * i, 2), "opt": OPTS[i % 4], "seed": 1 + i % 3} for i in range(12)]


def client(rest) -> MLClient:
    return MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)


def a_cloud_sweep(rest, tmp_path: Path) -> tuple[str, str]:
    """Submit SPEC, then give the job its 12 completed trials: children in RunHistory, runs in the MLflow store."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('train')\n")
    job = submit_job(client(rest), load_spec(write_spec(tmp_path, SPEC)))
    name = job.name
    resource = rest.jobs[name]
    resource["properties"]["status"] = "Completed"
    tracking = sqlite_uri(tmp_path)
    mlflow = MlflowClient(tracking_uri=tracking)
    exp_id = mlflow.create_experiment("refine-cloud")
    t0 = int(time.time() * 1000) - 100_000
    children = []
    for i, params in enumerate(TRIALS):
        child = f"{name}_{i}"
        resource["properties"]["tags"][child] = json.dumps({f"--{k}": v for k, v in params.items()})  # HyperDrive's
        run = mlflow.create_run(exp_id, run_name=child, tags={"mlflow.parentRunId": name}, start_time=t0 + i * 1000)
        mlflow.log_batch(run.info.run_id, metrics=[Metric("accuracy", accuracy(params), t0 + i * 1000 + 500, 0)])
        mlflow.set_terminated(run.info.run_id, "FINISHED", end_time=t0 + i * 1000 + 900)
        children.append(
            {
                "runId": child,
                "parentRunId": name,
                "rootRunId": name,
                "experimentId": "5e0c1f5a-0000-4000-8000-0000000000e1",
                "status": "Completed",
                "displayName": child,
                "createdUtc": "2026-11-30T10:00:00.000Z",
                "startTimeUtc": "2026-11-30T10:00:05.000Z",
                "properties": {"azureml.runsource": "hyperdrive"},
                "runTypeV2": {"orchestrator": "Execution", "traits": ["hyperdrive"]},
            }
        )
    rest.children[name] = children
    return name, tracking


def test_a_cloud_sweep_is_refined_from_its_job(rest, tmp_path):
    name, tracking = a_cloud_sweep(rest, tmp_path)
    rest.requests.clear()
    cloud = CloudSweeps(client(rest), tracking_uri=tracking)
    out = tmp_path / "next.yaml"
    result = refine([cloud.status(name)], [cloud_original(cloud, name)], RefineOptions(output=out, budget=6))
    out.write_text(result.text)
    data = yaml.safe_load(result.text)

    lr = data["search_space"]["lr"]
    assert 0 < lr["min_value"] <= 0.4 <= lr["max_value"] < 1  # narrower, the optimum inside
    tops = sorted(TRIALS, key=lambda p: -accuracy(p))[:3]
    assert lr["min_value"] <= min(p["lr"] for p in tops) and max(p["lr"] for p in tops) <= lr["max_value"]
    assert "adam" in data["search_space"]["opt"]["values"]
    assert data["search_space"]["seed"]["values"] in ([1], [2], [3])  # fixed, at the best trial's value
    assert data["search_space"]["seed"]["values"] == [tops[0]["seed"]]
    # rebuilt: the trial, code snapshot, environment, compute and objective of the job; the user's tags kept
    assert data["trial"]["command"].startswith("python train.py --lr ${{search_space.lr}}")
    assert data["trial"]["code"].startswith(f"azureml:/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/")
    assert data["trial"]["environment"] == "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33"
    assert data["compute"] == "azureml:cpu-cluster" and data["objective"] == {
        "goal": "maximize",
        "primary_metric": "accuracy",
    }
    assert data["tags"] == {"team": "vision", "refined_from": name}
    assert data["limits"]["max_total_trials"] == 6 and data["sampling_algorithm"] == "bayesian"
    assert "name" not in data and "status" not in data and "services" not in data
    assert not any(k.startswith(name) for k in data["tags"])  # the trials' values are the service's tags
    assert result.origin == f"the Azure ML job {name}, rebuilt from its REST body"
    assert f"# refine: {name}" not in result.text and "# refine: narrowed: the best 3 trials had values" in result.text

    assert not [r for r in rest.requests if r.method in ("PUT", "POST", "DELETE")]  # refine sends nothing
    run = CliRunner().invoke(app, ["validate", str(out)])
    assert run.exit_code == 0, run.output
    job = load_job(out)
    assert set(job.search_space) == {"lr", "opt", "seed"} and job.limits.max_total_trials == 6


def test_a_job_that_cannot_be_rebuilt_is_one_line(rest, tmp_path):
    name, tracking = a_cloud_sweep(rest, tmp_path)
    rest.jobs[name]["properties"]["trial"]["command"] = ""
    cloud = CloudSweeps(client(rest), tracking_uri=tracking)
    with pytest.raises(MonitorInputError) as e:
        cloud_original(cloud, name)
    assert str(e.value) == f"the spec of cloud sweep {name} cannot be rebuilt from its job: it has no trial.command"


def test_the_importance_and_best_value_are_in_the_changes(rest, tmp_path):
    name, tracking = a_cloud_sweep(rest, tmp_path)
    cloud = CloudSweeps(client(rest), tracking_uri=tracking)
    result = refine([cloud.status(name)], [cloud_original(cloud, name)], RefineOptions(top=0.5))
    assert result.top == 6 and result.finished == 12
    best = max(TRIALS, key=accuracy)
    assert result.best.params == best and math.isclose(result.best.best, accuracy(best))
    fixed = [c for c in result.changes if c.kind == "fixed"]
    assert [c.key for c in fixed] == ["search_space.seed"] and fixed[0].numbers["importance"] == result.importance[
        "seed"
    ]
