"""The monitor on an Azure ML sweep: the real MLClient over the recorded REST API (tests/_azure_util.py), and a real
`mlflow server` process on loopback standing in for the workspace's tracking server.

The sweep is submitted as `sweep submit` submits it (so the job the API holds is the one the service would hold);
its trials are RunHistory children the API lists a page at a time, and MLflow runs in the stand-in server whose
`mlflow.parentRunId` is the sweep, as Azure's MLflow integration shows them.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from azure.ai.ml import MLClient
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from _azure_util import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, WS_PATH, StaticToken
from emulator_helpers import write_spec
from submit.azure.client import submit_job
from submit.monitor import MonitorInputError
from submit.monitor.cloud import CloudSweeps
from submit.spec.load import load_spec

logging.getLogger("azure").setLevel(logging.ERROR)

SPEC = """\
type: sweep
experiment_name: monitor-cloud
trial:
  code: src
  command: python train.py --lr ${{search_space.lr}} --opt ${{search_space.opt}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33
compute: azureml:cpu-cluster
sampling_algorithm: random
search_space:
  lr: {type: loguniform, min_value: -9, max_value: -2}
  opt: {type: choice, values: [adam, sgd]}
objective: {goal: maximize, primary_metric: accuracy}
early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1}
limits: {max_total_trials: 4, max_concurrent_trials: 2}
"""


def client(rest) -> MLClient:
    return MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)


TRIALS = [  # (status, params, accuracy per step)
    ("Completed", {"lr": 0.001, "opt": "adam"}, [0.6, 0.7, 0.8]),
    ("Canceled", {"lr": 0.0002, "opt": "sgd"}, [0.3]),
    ("Failed", {"lr": 0.01, "opt": "sgd"}, []),
    ("Running", {"lr": 0.003, "opt": "adam"}, [0.5, 0.9]),
]


def a_sweep(rest, tmp_path: Path, tracking: str, status: str = "Running", spec: str = SPEC) -> str:
    """Submit the spec, then give the job the trials of TRIALS: children in RunHistory, runs in the MLflow server."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('train')\n")
    job = submit_job(client(rest), load_spec(write_spec(tmp_path, spec)))
    name = job.name
    resource = rest.jobs[name]
    resource["properties"]["status"] = status
    mlflow = MlflowClient(tracking_uri=tracking)
    exp = mlflow.get_experiment_by_name("monitor-cloud")
    exp_id = exp.experiment_id if exp else mlflow.create_experiment("monitor-cloud")
    t0 = int(time.time() * 1000) - 100_000
    children = []
    for i, (state, params, values) in enumerate(TRIALS):
        child = f"{name}_{i}"
        resource["properties"]["tags"][child] = json.dumps({f"--{k}": v for k, v in params.items()})  # HyperDrive's
        run = mlflow.create_run(exp_id, run_name=child, tags={"mlflow.parentRunId": name}, start_time=t0 + i * 1000)
        mlflow.log_batch(
            run.info.run_id,
            metrics=[Metric("accuracy", v, t0 + i * 1000 + 100 * (s + 1), s) for s, v in enumerate(values)],
        )
        if state != "Running":
            end = {"Completed": "FINISHED", "Canceled": "KILLED", "Failed": "FAILED"}[state]
            mlflow.set_terminated(run.info.run_id, end, end_time=t0 + i * 1000 + 900)
        children.append(
            {
                "runId": child,
                "parentRunId": name,
                "rootRunId": name,
                "experimentId": "5e0c1f5a-0000-4000-8000-0000000000e1",
                "status": state,
                "displayName": child,
                "createdUtc": "2026-11-30T10:00:00.000Z",
                "startTimeUtc": "2026-11-30T10:00:05.000Z",
                "tags": {"_aml_system_ComputeTargetStatus": "{}"},
                "properties": {"azureml.runsource": "hyperdrive"},
                "compute": {"target": "cpu-cluster", "vmSize": "STANDARD_DS3_V2"},
                "runTypeV2": {"orchestrator": "Execution", "traits": ["hyperdrive"]},
            }
        )
    rest.children[name] = children
    resource["properties"]["properties"]["best_child_run_id"] = f"{name}_3"
    return name


def test_status_reads_the_sweep_its_children_page_by_page_and_their_histories(rest, tmp_path, tracking_server):
    name = a_sweep(rest, tmp_path, tracking_server)
    rest.page_size = 3  # 4 children: two pages, the second reached by the first page's nextLink
    rest.requests.clear()
    summary = CloudSweeps(client(rest), tracking_uri=tracking_server).status(name)

    assert summary.where == "cloud" and summary.status == "running" and summary.policy == "bandit"
    assert (
        summary.location == f"the workspace {WORKSPACE} (resource group {RESOURCE_GROUP}, subscription {SUBSCRIPTION})"
    )
    assert summary.limits.max_total_trials == 4 and summary.limits.max_concurrent_trials == 2
    assert summary.url.startswith(f"https://ml.azure.com/runs/{name}?wsid={WS_PATH}")
    assert {t.name: t.status for t in summary.trials} == {
        f"{name}_0": "completed",
        f"{name}_1": "canceled",
        f"{name}_2": "failed",
        f"{name}_3": "running",
    }
    by_index = {t.index: t for t in summary.trials}
    assert by_index[0].params == {"lr": 0.001, "opt": "adam"}  # from the sweep's tags, without HyperDrive's dashes
    assert by_index[0].values == [0.6, 0.7, 0.8] and by_index[2].values == []
    assert summary.best.name == f"{name}_3" and summary.best.best == 0.9 == by_index[3].best
    assert by_index[1].cancel_reason is None  # the sweep is still running: Azure says nothing of why

    pages = rest.requests_to("GET", rf"/runs/{name}/children$")
    assert [p.query.get("$continuationtoken") for p in pages] == [None, "3"]
    assert rest.requests_to("GET", rf"/jobs/{name}$")  # the sweep itself, from ARM
    assert not [r for r in rest.requests if r.method in ("PUT", "POST", "DELETE")]  # status changes nothing


def test_canceled_trials_of_a_completed_sweep_with_a_policy_are_the_policys(rest, tmp_path, tracking_server):
    name = a_sweep(rest, tmp_path, tracking_server, status="Completed")
    summary = CloudSweeps(client(rest), tracking_uri=tracking_server).status(name)
    [canceled] = [t for t in summary.trials if t.status == "canceled"]
    assert canceled.canceled_by_policy and canceled.cancel_reason.startswith("bandit")
    assert summary.savings.canceled == 1 and summary.savings.policy == "bandit"


def test_cancel_posts_the_cancel_and_follows_the_operation(rest, tmp_path, tracking_server):
    name = a_sweep(rest, tmp_path, tracking_server)
    summary = CloudSweeps(client(rest), tracking_uri=tracking_server).request_cancel(name, wait=True)
    [post] = rest.requests_to("POST", rf"/jobs/{name}/cancel$")
    assert post.query["api-version"]
    assert rest.requests_to("GET", rf"/mfeOperationResults/jc:{name}$")  # the poller followed the Location
    assert summary.status == "canceled"
    assert {t.status for t in summary.trials} == {"completed", "canceled", "failed"}  # the running one canceled


def test_cancel_of_a_sweep_that_ended_sends_nothing(rest, tmp_path, tracking_server):
    name = a_sweep(rest, tmp_path, tracking_server, status="Completed")
    with pytest.raises(MonitorInputError, match=f"sweep {name} is not running \\(it is completed\\)"):
        CloudSweeps(client(rest), tracking_uri=tracking_server).request_cancel(name)
    assert not rest.requests_to("POST", r"/cancel$")


def test_an_unknown_job_names_the_workspace_searched(rest):
    with pytest.raises(MonitorInputError) as e:
        CloudSweeps(client(rest), tracking_uri="http://127.0.0.1:9").status("no-such-sweep")
    assert str(e.value) == (
        f"no sweep named 'no-such-sweep' in the workspace {WORKSPACE} (resource group {RESOURCE_GROUP}, "
        f"subscription {SUBSCRIPTION})"
    )


def test_list_reads_every_page_of_jobs_and_keeps_the_sweeps(rest, tmp_path, tracking_server):
    names = []
    for i in range(3):
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        names.append(a_sweep(rest, folder, tracking_server))
    rest.page_size = 2
    rows = CloudSweeps(client(rest), tracking_uri=tracking_server).list()
    assert sorted(r.name for r in rows) == sorted(names)
    assert all(r.where == "cloud" and r.total == 4 and r.status == "running" for r in rows)
    assert len(rest.requests_to("GET", rf"^{WS_PATH}/jobs$")) == 2


def test_the_tracking_uri_is_the_workspaces_own(rest):
    # the workspace answers mlFlowTrackingUri .../mlflow/v1.0/...; the SDK's Workspace entity gives the v2.0 form
    assert CloudSweeps(client(rest)).tracking_uri() == f"azureml://westeurope.api.azureml.ms/mlflow/v2.0{WS_PATH}"
    assert [r.path for r in rest.requests] == [WS_PATH]


def test_watch_follows_a_cloud_sweep_until_azure_says_it_ended(rest, tmp_path, tracking_server):
    from submit.monitor.follow import follow

    name = a_sweep(rest, tmp_path, tracking_server)
    looks = []

    def sleep(seconds):  # time passes: the service finishes the running trial, then the sweep
        looks.append(seconds)
        rest.children[name][3]["status"] = "Completed"
        if len(looks) == 2:
            rest.jobs[name]["properties"]["status"] = "Completed"

    events = list(follow(CloudSweeps(client(rest), tracking_uri=tracking_server), name, interval=7, sleep=sleep))
    kinds = [(e.kind, e.trial.name if e.trial else None) for e in events]
    assert kinds[-1] == ("end", None) and events[-1].summary.status == "completed" and looks == [7, 7]
    assert ("ended", f"{name}_3") in kinds and ("started", f"{name}_3") in kinds  # seen running, then ended
    assert ("best", f"{name}_3") in kinds


def test_a_child_the_sdk_cannot_read_is_counted_and_named_not_dropped(rest, tmp_path, tracking_server):
    name = a_sweep(rest, tmp_path, tracking_server)
    rest.children[name][2]["compute"] = "cpu-cluster"  # a string where RunHistory's schema has an object
    rest.page_size = 2  # the unreadable child on the second page: its name is read from that page
    summary = CloudSweeps(client(rest), tracking_uri=tracking_server).status(name)

    assert summary.unparsed_children == [f"{name}_2 (Failed)"]
    assert summary.warnings == [
        f"1 child job(s) listed by Azure could not be read by azure-ai-ml and are left out: {name}_2 (Failed)"
    ]
    assert sorted(t.name for t in summary.trials) == [f"{name}_0", f"{name}_1", f"{name}_3"]
    assert summary.to_dict()["unparsed_children"] == [f"{name}_2 (Failed)"]
    assert len(rest.requests_to("GET", rf"/runs/{name}/children$")) == 2


SETTINGS_FIXTURES = [
    "bandit_slack_factor.yaml",
    "bandit_slack_amount.yaml",
    "median_stopping.yaml",
    "truncation_selection.yaml",
    "sobol_seed.yaml",
    "logbase_number.yaml",
    "bayesian_string.yaml",
    "grid_string.yaml",
]


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'm.db'}"


@pytest.mark.parametrize("fixture", SETTINGS_FIXTURES)
def test_every_policy_and_sampling_setting_the_job_carries_is_read_back(rest, fixture, empty_store):
    # written responses: the job as the API stores its PUT (the recorded truncation sweep is in test_cloud_replay)
    from _azure_util import OFFICIAL

    spec = load_spec(OFFICIAL / fixture)
    name = submit_job(client(rest), spec).name
    rest.jobs[name]["properties"]["status"] = "Running"
    summary = CloudSweeps(client(rest), tracking_uri=empty_store).status(name)

    assert summary.policy == (spec.policy.type if spec.policy else None)
    given = spec.policy.settings() if spec.policy else {}
    # what the spec leaves out reads back as the SDK's default, 0 (a bandit's delay_evaluation)
    assert {k: v for k, v in summary.policy_settings.items() if k in given or v != 0} == given
    assert summary.sampling == spec.sampling.label  # sobol as a local sweep names it
    given = {k: getattr(spec.sampling, k) for k in ("rule", "seed", "logbase") if getattr(spec.sampling, k) is not None}
    assert {k: _plain(v) for k, v in summary.sampling_settings.items()} == {k: _plain(v) for k, v in given.items()}


def _plain(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
