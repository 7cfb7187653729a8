"""A pipeline job to Azure ML: `--dry-run` prints a job that reads back as the same REST body, and `sweep submit`
sends it through the real MLClient over the recorded REST API (tests/_azure_util.py) with the body `load_job` of the
original file sends, the same workspace finding, one-line errors, studio URL and `--wait` as a sweep.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from azure.ai.ml import MLClient, load_job
from typer.testing import CliRunner

from _azure_util import (
    OFFICIAL,
    PIPELINE_FIXTURES,
    RESOURCE_GROUP,
    SUBSCRIPTION,
    TENANT,
    WORKSPACE,
    WS_PATH,
    StaticToken,
    differences,
    pipelines,
    plain,
    service_error,
    submit_specs,
)
from pipeline_helpers import edited
from submit.cli import app
from submit.cli.common import load_specs
from submit.monitor import MonitorInputError
from submit.monitor.cloud import CloudSweeps

logging.getLogger("azure").setLevel(logging.ERROR)

OFFICIAL_PIPELINE = (
    OFFICIAL / "azureml-examples/cli/jobs/pipelines-with-components/pipeline_with_hyperparameter_sweep/pipeline.yml"
)


def rest_of(path) -> dict:
    """The REST body load_job gives, components not yet registered shown as their YAML dict (``plain``)."""
    return plain(load_job(path)._to_rest_object().as_dict())


@pytest.mark.parametrize("path", pipelines(), ids=lambda p: p.name if p.parent == PIPELINE_FIXTURES else "official")
def test_the_dry_run_reads_back_as_the_same_job(path, tmp_path):
    """What `--dry-run` prints, saved anywhere, is the job: load_job of it gives load_job's body of the original."""
    result = CliRunner().invoke(app, ["submit", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    printed = tmp_path / "elsewhere" / "job.yml"
    printed.parent.mkdir()
    printed.write_text(result.stdout)

    assert differences(rest_of(printed), rest_of(path)) == []
    assert result.stdout.startswith("$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n")


def test_the_dry_run_applies_set_as_load_job_applies_params_override(tmp_path):
    override = "jobs.tune.limits.max_total_trials=6"
    result = CliRunner().invoke(
        app, ["submit", str(PIPELINE_FIXTURES / "three_steps.yml"), "--dry-run", "--set", override]
    )
    assert result.exit_code == 0, result.output
    printed = tmp_path / "job.yml"
    printed.write_text(result.stdout)

    theirs = load_job(PIPELINE_FIXTURES / "three_steps.yml", params_override=[{"jobs.tune.limits.max_total_trials": 6}])
    assert differences(rest_of(printed), plain(theirs._to_rest_object().as_dict())) == []
    assert rest_of(printed)["properties"]["jobs"]["tune"]["limits"]["max_total_trials"] == 6


def test_the_dry_run_json_carries_the_job(tmp_path):
    result = CliRunner().invoke(app, ["submit", str(OFFICIAL_PIPELINE), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    [job] = json.loads(result.stdout)
    assert job["spec"] == str(OFFICIAL_PIPELINE) and job["name"] is None
    assert job["job"]["jobs"]["predict_step"]["component"] == str(OFFICIAL_PIPELINE.parent / "predict.yml")


# ---------------------------------------------------------------------------------------------------------------
# submitting


def submit(rest, paths, **kwargs):
    return submit_specs(rest, load_specs(paths, [], pipelines=True), **kwargs)


def job_puts(rest):
    return rest.requests_to("PUT", r"/jobs/[^/]+$")


@pytest.mark.parametrize("path", pipelines(), ids=lambda p: p.name if p.parent == PIPELINE_FIXTURES else "official")
def test_the_job_put_is_what_az_ml_job_create_would_put(rest, path):
    """Our submission and load_job's, through the same client and API, PUT the same body: the components registered
    by the same content hash, the code uploaded once and found by hash the second time."""
    code, out, err = submit(rest, [path])
    assert code == 0, err
    client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)
    client.jobs.create_or_update(load_job(path))

    ours, theirs = (put.body for put in job_puts(rest))
    assert differences(ours, theirs) == []
    assert ours["properties"]["jobType"] == "Pipeline"
    names = [put.path.rsplit("/", 1)[1] for put in job_puts(rest)]
    assert len(set(names)) == 2  # no name in the file: the SDK picks one per submission
    assert f"submitted {names[0]}" in out


def test_submit_registers_the_components_and_puts_the_pipeline(rest, blob_store):
    code, out, err = submit(rest, [OFFICIAL_PIPELINE])
    assert code == 0, err

    steps = [(r.method, r.path[len(WS_PATH) :].split("/")[1] if r.path != WS_PATH else "") for r in rest.requests]
    assert steps[0] == ("GET", "")  # the workspace, checked before anything is uploaded
    assert steps.count(("PUT", "components")) == 2  # train.yml and predict.yml, as anonymous components
    assert steps[-1] == ("PUT", "jobs")
    uploaded = {path.rsplit("/", 1)[1] for path in blob_store.blobs}
    assert {"train.py", "predict.py"} <= uploaded  # both code folders, as the SDK uploads them

    [put] = job_puts(rest)
    jobs = put.body["properties"]["jobs"]
    sweep = jobs["sweep_step"]
    assert sweep["type"] == "sweep" and sweep["limits"] == {
        "max_concurrent_trials": 3,
        "max_total_trials": 5,
        "timeout": 7200,
    }
    assert set(sweep["search_space"]) == {"c_value", "kernel", "coef0"}
    assert sweep["trial"]["componentId"].startswith(f"{WS_PATH}/components/azureml_anonymous/versions/")
    assert jobs["predict_step"]["inputs"]["model"]["value"] == "${{parent.jobs.sweep_step.outputs.model_output}}"
    assert put.body["properties"]["settings"]["default_compute"].endswith("/computes/cpu-cluster")

    name = put.path.rsplit("/", 1)[1]
    assert f"{OFFICIAL_PIPELINE}: submitted {name}" in out
    assert f"https://ml.azure.com/runs/{name}?wsid={WS_PATH}&tid={TENANT}" in out


def test_a_pipeline_and_a_sweep_in_one_submit_are_two_jobs(rest):
    code, out, err = submit(rest, [PIPELINE_FIXTURES / "three_steps.yml", OFFICIAL / "hello_sweep.yaml"], as_json=True)
    assert code == 0, err
    jobs = json.loads(out)
    assert [put.body["properties"]["jobType"] for put in job_puts(rest)] == ["Pipeline", "Sweep"]
    assert [j["name"] for j in jobs] == [put.path.rsplit("/", 1)[1] for put in job_puts(rest)]


def test_wait_follows_the_pipeline_until_it_ends(rest):
    rest.run_statuses = ["Running"]
    rest.final_status = "Failed"
    code, out, err = submit(rest, [OFFICIAL_PIPELINE], wait=True)
    name = job_puts(rest)[0].path.rsplit("/", 1)[1]
    assert len(rest.requests_to("GET", rf"/runs/{name}/details$")) == 2  # polled until it ended
    assert code == 1
    assert f"{name}: Failed" in out + err


def test_azure_refusing_the_pipeline_is_one_line_naming_the_file(rest):
    rest.failures[("PUT", r"/jobs/")] = service_error(400, "UserError", "Compute cpu-cluster not found")
    code, out, err = submit(rest, [OFFICIAL_PIPELINE])
    assert code == 1
    assert err.strip() == (
        f"{OFFICIAL_PIPELINE}: Azure ML refused the job (400 UserError: Compute cpu-cluster not found)"
    )


def test_a_workspace_that_is_not_there_is_one_line(rest):
    code, out, err = submit(rest, [OFFICIAL_PIPELINE], workspace="nope")
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("Azure ML workspace 'nope' not found in resource group 'rg-sweep'")
    assert job_puts(rest) == []


def test_what_azure_refuses_in_a_sweep_step_stops_the_submission_before_azure(rest, tmp_path):
    path = edited(tmp_path, {"sampling_algorithm: random": "sampling_algorithm: {type: random, seed: 7}"})

    code, out, err = submit(rest, [path])

    assert code == 2
    assert rest.requests == []
    assert f"{path}: jobs.tune.sampling_algorithm: Azure ML refuses a sampling algorithm written as a mapping" in err


SWEEP = """\
type: sweep
experiment_name: monitor-cloud
trial:
  code: src
  command: python train.py --lr ${{search_space.lr}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33
compute: azureml:cpu-cluster
sampling_algorithm: random
search_space:
  lr: {type: loguniform, min_value: -9, max_value: -2}
objective: {goal: maximize, primary_metric: accuracy}
limits: {max_total_trials: 4, max_concurrent_trials: 2}
"""


@pytest.mark.slow
def test_status_of_a_cloud_pipeline_reads_its_steps_from_runhistory_and_its_sweep_step_as_a_sweep(rest, tmp_path):
    from rich.console import Console

    from emulator_helpers import write_spec
    from submit.azure.client import submit_job
    from submit.cli.monitor_render import render_pipeline_status
    from submit.spec.load import load_spec

    code, out, err = submit(rest, [PIPELINE_FIXTURES / "three_steps.yml"])
    assert code == 0, err
    name = job_puts(rest)[-1].path.rsplit("/", 1)[1]
    client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('train')\n")
    tune = submit_job(client, load_spec(write_spec(tmp_path, SWEEP))).name  # the sweep step's job, a sweep
    rest.jobs[tune]["properties"]["status"] = "Running"
    rest.children[tune] = [
        {"runId": f"{tune}_{i}", "parentRunId": tune, "status": state, "displayName": f"{tune}_{i}"}
        for i, state in enumerate(("Completed", "Running"))
    ]
    rest.pipeline_steps(
        name,
        {
            "prepare": ("prep_job", "Completed", "2026-11-30T10:00:00.000Z", "2026-11-30T10:01:30.000Z"),
            "tune": (tune, "Running", "2026-11-30T10:01:40.000Z", None),
        },
    )
    rest.requests.clear()

    pipeline = CloudSweeps(client, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}").pipeline(name)

    assert (pipeline.where, pipeline.status, list(pipeline.steps)) == (
        "cloud",
        "running",
        ["prepare", "tune", "evaluate"],
    )
    steps = pipeline.steps
    assert (steps["prepare"].type, steps["prepare"].status, steps["prepare"].duration) == ("command", "completed", 90.0)
    assert (steps["evaluate"].status, steps["evaluate"].run_id) == ("waiting", None)  # not started: no child job
    sweep = steps["tune"].sweep
    assert (steps["tune"].run_id, sweep.name, sweep.counts["completed"], sweep.counts["running"]) == (tune, tune, 1, 1)
    assert pipeline.sweep_of().name == tune
    assert rest.requests_to("GET", rf"/runs/{name}/children$")  # jobs.list(parent_job_name=...): RunHistory
    assert not [r for r in rest.requests if r.method in ("PUT", "POST", "DELETE")]  # reading changes nothing

    listed = {row.name: row.kind for row in CloudSweeps(client, tracking_uri="sqlite:///unused.db").list()}
    assert listed[name] == "pipeline" and listed[tune] == "sweep"  # the test API lists every job at the top

    shown = Console(width=80, record=True, file=io.StringIO())
    render_pipeline_status(pipeline, shown)
    text = shown.export_text()
    assert text.startswith(f"running pipeline {name} (cloud): 3 steps")
    rows = [[c.strip() for c in line.split("│")[1:4]] for line in text.splitlines() if line.startswith("│")]
    assert ["prepare", "command", "completed"] in rows and ["evaluate", "command", "waiting"] in rows
    assert f"step tune (sweep {tune}):" in text and f"running sweep {tune} (cloud)" in text
    assert f"studio: https://ml.azure.com/runs/{name}?" in text.replace("\n", "")  # the pipeline's own page


def test_cancel_of_a_cloud_pipeline_posts_azures_cancel_of_the_pipeline_job(rest, tmp_path):
    code, out, err = submit(rest, [PIPELINE_FIXTURES / "three_steps.yml"])
    assert code == 0, err
    name = job_puts(rest)[-1].path.rsplit("/", 1)[1]
    client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)
    rest.pipeline_steps(name, {"prepare": ("prep_job", "Running", "2026-11-30T10:00:00.000Z", None)})
    cloud = CloudSweeps(client, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")

    pipeline = cloud.request_pipeline_cancel(name, wait=True)

    [post] = rest.requests_to("POST", rf"/jobs/{name}/cancel$")  # the pipeline job itself: Azure cancels its steps
    assert rest.requests_to("GET", rf"/mfeOperationResults/jc:{name}$")  # --wait followed the operation
    assert pipeline.status == "canceled"  # Azure's CancelRequested, in the monitor's words
    rest.requests.clear()
    with pytest.raises(MonitorInputError, match=f"pipeline {name} is not running"):
        rest.jobs[name]["properties"]["status"] = "Canceled"
        cloud.request_pipeline_cancel(name)
    assert not rest.requests_to("POST", r"/cancel$")


def test_a_cloud_pipeline_given_where_a_sweep_is_needed_says_how_to_name_its_step(rest):
    code, out, err = submit(rest, [OFFICIAL_PIPELINE])
    assert code == 0, err
    name = job_puts(rest)[0].path.rsplit("/", 1)[1]
    client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)

    with pytest.raises(MonitorInputError) as refused:
        CloudSweeps(client, tracking_uri="sqlite:///unused.db").status(name)

    assert str(refused.value).startswith(f"job {name} in ")
    assert f"is a pipeline job, not a sweep\n  hint: give {name}/STEP" in str(refused.value)


# ---------------------------------------------------------------------------------------------------------------
# what azure-ai-ml sends for the Azure traps of a sweep step (docs/semantics.md, "Sweep steps in a pipeline"): the
# facts the validator's warning and errors state, held by the installed SDK


def _sent(tmp_path, edits: dict[str, str]) -> dict:
    return rest_of(edited(tmp_path, edits))["properties"]["jobs"]["tune"]


def test_the_sdk_sends_a_sweep_steps_trial_timeout(tmp_path):
    tune = _sent(tmp_path, {"      timeout: 600\n": "      timeout: 600\n      trial_timeout: 120\n"})
    assert tune["limits"]["trial_timeout"] == 120  # sent: whether the service applies it is azure-sdk#39549


def test_the_sdk_sends_a_sweep_steps_seed_in_its_yaml_form_not_the_sweep_jobs(tmp_path):
    tune = _sent(tmp_path, {"sampling_algorithm: random": "sampling_algorithm: {type: random, seed: 7}"})
    assert tune["sampling_algorithm"] == {"type": "random", "seed": 7}
    standalone = plain(load_job(OFFICIAL / "sobol_seed.yaml")._to_rest_object().as_dict())["properties"]
    assert standalone["samplingAlgorithm"]["samplingAlgorithmType"] == "Random"  # what a sweep job sends instead


def test_the_sdk_sends_a_search_range_binding_as_text(tmp_path):
    tune = _sent(tmp_path, {"min_value: -6": "min_value: ${{parent.inputs.rows}}"})
    assert tune["search_space"]["lr"]["min_value"] == "${{parent.inputs.rows}}"
