"""`sweep submit` to Azure, through the real MLClient over a recorded Azure ML REST API (tests/_azure_util.py).

Nothing is stubbed on our side or the SDK's: the client signs every request with a static bearer token, uploads the
trial's ``code`` to blob storage (a loopback server the SAS URI points to), registers the code version, and PUTs the
job; ``AzureMLRest`` answers each as the service does and records it.

One form is not submitted here: a *local* data input (``data_inputs.yaml``). The SDK uploads it to the default
datastore at ``https://<account>.blob.core.windows.net``, a URL it builds from the cloud's storage suffix (not from
anything the service answers) with its own storage client, so it cannot be answered without patching the SDK. Its
REST body before upload is covered by the parity test in test_azure_builder.py.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from azure.ai.ml import MLClient, load_job
from azure.core.exceptions import ServiceRequestError
from azure.identity import CredentialUnavailableError
from typer.testing import CliRunner

from _azure_util import (
    OFFICIAL,
    RESOURCE_GROUP,
    SUBSCRIPTION,
    TENANT,
    WORKSPACE,
    WS_PATH,
    AzureMLRest,
    StaticToken,
    differences,
    drop_zero_slacks,
    parity_specs,
    refusal,
    service_error,
    submit_specs,
    token_claims,
)
from submit.azure.client import find_workspace
from submit.azure.job import job_yaml, to_azure_job
from submit.cli import app
from submit.errors import UserError
from submit.spec.load import load_spec

logging.getLogger("azure").setLevel(logging.ERROR)


def _uploads_local_data(path: Path) -> bool:
    return any(i.type != "literal" and i.path is not None and not i.is_remote for i in load_spec(path).inputs.values())


# every official fixture, corpus file and spec in sweep_specs/ Azure takes, apart from local data inputs (see the
# module docstring)
SUBMITTABLE = [p for p in parity_specs() if refusal(p) is None and not _uploads_local_data(p)]


class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


def submit(rest, paths, **kwargs) -> Run:
    """``submit_cli`` as the CLI calls it, with our static credential and the recorded API under the real client."""
    return Run(*submit_specs(rest, [load_spec(p) for p in paths], **kwargs))


def job_puts(rest):
    return rest.requests_to("PUT", r"/jobs/[^/]+$")


# ---------------------------------------------------------------------------------------------------------------
# the conversation and the job PUT


def test_submit_uploads_the_code_and_puts_the_sweep_job(rest, blob_store):
    run = submit(rest, [OFFICIAL / "truncation_selection.yaml"])
    assert run.code == 0, run.err

    steps = [(r.method, r.path[len(WS_PATH) :].split("/")[1] if r.path != WS_PATH else "") for r in rest.requests]
    assert steps == [
        ("GET", ""),  # the workspace, checked before anything is uploaded
        ("GET", "codes"),  # a code snapshot with this content hash? none yet
        ("POST", "codes"),  # startPendingUpload: a SAS URI for the upload
        ("PUT", "codes"),  # the code version, pointing at the uploaded blobs
        ("PUT", "jobs"),
    ]
    assert all(token_claims(r.headers["Authorization"])["aud"] == "https://management.azure.com" for r in rest.requests)

    # the trial's code went to blob storage, file by file, as the SDK uploads it
    uploaded = {path.rsplit("/src/", 1)[1]: data for path, data in blob_store.blobs.items() if "/src/" in path}
    assert uploaded["main.py"] == (OFFICIAL / "src" / "main.py").read_bytes()

    [put] = job_puts(rest)
    name = put.path.rsplit("/", 1)[1]
    assert (
        put.path
        == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/{WORKSPACE}/jobs/{name}"
    )
    assert put.query["api-version"]
    props = put.body["properties"]
    assert props["jobType"] == "Sweep"
    assert props["samplingAlgorithm"] == {"samplingAlgorithmType": "Random"}
    assert props["searchSpace"] == {
        "lr": ["uniform", [0.001, 0.1]],
        "conv_size": ["choice", [[2, 5, 7]]],
        "dropout_rate": ["uniform", [0.1, 0.5]],
    }
    assert props["objective"] == {"goal": "maximize", "primaryMetric": "accuracy"}
    # 5 s and 30 s in the spec: the service floors timeouts under a minute, and so does the SDK
    assert props["limits"] == {
        "jobLimitsType": "Sweep",
        "maxTotalTrials": 1,
        "maxConcurrentTrials": 10,
        "timeout": "PT1M",
        "trialTimeout": "PT1M",
    }
    assert props["earlyTermination"] == {
        "policyType": "TruncationSelection",
        "truncationPercentage": 40,
        "evaluationInterval": 100,
        "delayEvaluation": 200,
    }
    assert props["experimentName"] == "sdk-cli-v2"
    trial = props["trial"]
    # the legacy single-brace references are sent in the ${{...}} form
    assert (
        trial["command"]
        == "python main.py --lr ${{search_space.lr}} --conv_size ${{search_space.conv_size}} --dropout_rate ${{search_space.dropout_rate}}"
    )
    assert trial["environmentVariables"] == {"test_var1": "set", "AZUREML_COMPUTE_USE_COMMON_RUNTIME": "false"}
    assert trial["environmentId"] == "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33"
    [code_put] = rest.requests_to("PUT", r"/codes/")
    assert trial["codeId"] == f"{WS_PATH}{code_put.path[len(WS_PATH) :]}"
    assert props["computeId"] == f"{WS_PATH}/computes/testCompute"

    # what the user sees: the job's name and its studio URL
    assert f"submitted {name}" in run.out
    assert (
        f"https://ml.azure.com/runs/{name}?wsid={WS_PATH}&tid={TENANT}" in run.out
    )  # tid: the SDK adds it from the token


def test_of_the_official_fixtures_only_the_local_data_input_is_left_out():
    assert [p.name for p in sorted(OFFICIAL.glob("*.yaml")) if p not in SUBMITTABLE] == ["data_inputs.yaml"]


@pytest.mark.parametrize("path", SUBMITTABLE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_job_put_is_what_az_ml_job_create_would_put(rest, path):
    """Same client, same API: our builder's PUT body and load_job's are identical once both are submitted.

    The code snapshot is uploaded once: the second submission finds it by content hash, as it would in Azure, so
    both bodies carry the same codeId. Apart: the job name (in the URL) when the spec has none, as the SDK generates
    one per submission, and the display name the service derives from it; a Bandit policy's unused zero slack
    (``drop_zero_slacks`` says why); the sampling algorithm of a spec that gives none.
    """
    run = submit(rest, [path])
    assert run.code == 0, run.err
    client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)
    client.jobs.create_or_update(load_job(path))
    ours, theirs = (drop_zero_slacks(put.body) for put in job_puts(rest))
    data = load_spec(path).data
    if "name" not in data and "display_name" not in data:
        for body in (ours, theirs):
            body["properties"].pop("displayName", None)
    if "sampling_algorithm" not in data:
        # load_job sends none; `.sweep()` always sends one, and Random is Azure's default (test_azure_builder, 3.)
        assert ours["properties"].pop("samplingAlgorithm") == {"samplingAlgorithmType": "Random"}
    assert differences(ours, theirs) == []
    names = [put.path.rsplit("/", 1)[1] for put in job_puts(rest)]
    assert len(set(names)) == (1 if "name" in load_spec(path).data else 2)


def _put_bodies_differ(rest, spec_data: dict) -> list[str]:
    """The two job PUTs compared, apart from what the SDK generates per submission when the spec names no job."""
    first, second = (drop_zero_slacks(put.body) for put in job_puts(rest))
    if "name" not in spec_data and "display_name" not in spec_data:
        for body in (first, second):
            body["properties"].pop("displayName", None)
    return differences(first, second)


@pytest.mark.parametrize("path", SUBMITTABLE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_dry_run_yaml_submits_the_same_job(rest, path, tmp_path):
    """`sweep submit --dry-run` prints a YAML that `az ml job create -f` submits as the very job `sweep submit` does:
    the printed file, read by load_job and submitted through the same client, PUTs the same body."""
    spec = load_spec(path)
    printed = tmp_path / "job.yaml"
    printed.write_text(job_yaml(spec))
    client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)
    client.jobs.create_or_update(to_azure_job(spec))
    client.jobs.create_or_update(load_job(printed))
    assert _put_bodies_differ(rest, spec.data) == []


def test_the_dry_run_yaml_of_every_remote_input_form_submits_the_same_job(rest, tmp_path):
    """data_inputs.yaml, its local folder set to a datastore path: https, wasbs, abfss, azureml://, an asset by name,
    ARM ids with and without `azureml:` and literals, printed and submitted (`azureml:https://...` would fail here)."""
    remote = "azureml://datastores/workspaceblobstore/paths/iris/"
    spec = load_spec(OFFICIAL / "data_inputs.yaml", [f"inputs.training_data.path={remote}"])
    printed = tmp_path / "job.yaml"
    printed.write_text(job_yaml(spec))
    client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)
    client.jobs.create_or_update(to_azure_job(spec))
    client.jobs.create_or_update(load_job(printed))
    assert _put_bodies_differ(rest, spec.data) == []
    inputs = job_puts(rest)[1].body["properties"]["inputs"]
    assert inputs["iris_https"]["uri"] == "https://azuremlexamples.blob.core.windows.net/datasets/iris.csv"
    assert inputs["lake_abfss"]["uri"] == "abfss://data@sweepsa.dfs.core.windows.net/iris/"
    assert inputs["registered"] == {"uri": f"{WS_PATH}/data/iris/versions/1", "jobInputType": "uri_folder"}
    assert inputs["registered_azureml"]["uri"] == f"{WS_PATH}/data/iris/versions/2"
    assert inputs["seed"] == {"value": "42", "jobInputType": "literal"}


def test_data_inputs_with_the_local_folder_set_to_a_datastore_path(rest):
    """data_inputs.yaml with `--set` pointing its local folder at a datastore: every remote input form, submitted.

    ``load_job``'s ``params_override`` is the SDK's own `--set`; both PUT bodies must agree.
    """
    path, remote = OFFICIAL / "data_inputs.yaml", "azureml://datastores/workspaceblobstore/paths/iris/"
    spec = load_spec(path, [f"inputs.training_data.path={remote}"])
    client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)
    client.jobs.create_or_update(to_azure_job(spec))
    client.jobs.create_or_update(load_job(path, params_override=[{"inputs.training_data.path": remote}]))
    ours, theirs = (put.body for put in job_puts(rest))
    assert differences(ours, theirs) == []
    inputs = ours["properties"]["inputs"]
    assert inputs["training_data"] == {"uri": remote, "jobInputType": "uri_folder"}
    assert inputs["table"] == {
        "uri": f"{WS_PATH}/data/iris-table/versions/1",
        "mode": "Download",
        "jobInputType": "mltable",
    }
    assert inputs["test_url"]["mode"] == "ReadOnlyMount"
    assert inputs["epochs"] == {"value": "3", "jobInputType": "literal"}  # literals travel as strings


def test_several_specs_are_several_jobs(rest):
    run = submit(
        rest, [OFFICIAL / "hello_sweep.yaml", OFFICIAL / "sobol_seed.yaml", OFFICIAL / "grid_string.yaml"], as_json=True
    )
    assert run.code == 0, run.err
    jobs = json.loads(run.out)
    assert [Path(j["spec"]).name for j in jobs] == ["hello_sweep.yaml", "sobol_seed.yaml", "grid_string.yaml"]
    assert [j["name"] for j in jobs] == [put.path.rsplit("/", 1)[1] for put in job_puts(rest)]
    assert jobs[2]["name"] == "grid-string-test"  # the spec's own name is kept
    assert all(j["studio_url"].startswith(f"https://ml.azure.com/runs/{j['name']}?") for j in jobs)
    sobol = job_puts(rest)[1].body["properties"]["samplingAlgorithm"]
    assert sobol == {"samplingAlgorithmType": "Random", "rule": "sobol", "seed": 123, "logbase": "e"}
    # one code snapshot serves all three: the later ones find it by hash and upload nothing
    assert len(rest.requests_to("POST", r"/startPendingUpload$")) == 1


def test_wait_streams_the_sweep_log_until_it_ends(rest, capsys):
    rest.run_statuses = ["Running"]  # the first poll finds it running (the SDK then waits its 2 s poll interval)
    rest.final_status = "Completed"
    rest.logs["sweep-identity-1"] = "[2026-11-23T10:00:00Z] Starting search space sampling\n[...] best: 0.91\n"
    run = submit(rest, [OFFICIAL / "identity_tags.yaml"], wait=True)
    assert run.code == 0, run.err
    assert len(rest.requests_to("GET", r"/runs/sweep-identity-1/details$")) == 2  # polled until it ended
    assert "Starting search space sampling" in capsys.readouterr().out  # jobs.stream prints the log as it grows
    assert "sweep-identity-1: Completed" in run.out


def test_wait_with_json_keeps_the_log_off_stdout(rest, capsys):
    run = submit(rest, [OFFICIAL / "identity_tags.yaml"], wait=True, as_json=True)
    assert run.code == 0, run.err
    [job] = json.loads(run.out)
    assert (job["name"], job["status"]) == ("sweep-identity-1", "Completed")
    captured = capsys.readouterr()
    assert "RunId: sweep-identity-1" in captured.err and "RunId" not in captured.out  # the stream's header


def test_wait_through_a_broken_log_stream_follows_the_status_until_it_ends_and_says_so(rest, monkeypatch):
    # written responses: no recording holds a log stream that breaks. RunHistory stops answering the run's details
    # (what jobs.stream polls) while the job itself, on ARM, goes on running and then completes.
    from submit.azure import client as azure_client

    rest.failures[("GET", r"/runs/[^/]+/details$")] = service_error(404, "UserError", "Run details unavailable")
    polls = []

    def sleep(seconds):  # time passes between status reads: the service finishes the sweep on the second
        polls.append(seconds)
        if len(polls) == 2:
            for job in rest.jobs.values():
                job["properties"]["status"] = "Completed"

    monkeypatch.setattr(azure_client, "time", type("Clock", (), {"sleep": staticmethod(sleep)}))
    run = submit(rest, [OFFICIAL / "identity_tags.yaml"], wait=True, as_json=True)
    assert run.code == 0, run.err
    [job] = json.loads(run.out)
    assert job["status"] == "Completed"  # not the Running it had when the stream broke
    assert polls == [azure_client.STATUS_POLL_S] * 2
    assert "the log stream of sweep-identity-1 broke" in run.err and "Run details unavailable" in run.err
    assert "Traceback" not in run.err


def test_wait_on_a_failed_sweep_exits_non_zero(rest):
    rest.final_status = "Failed"
    run = submit(rest, [OFFICIAL / "hello_sweep.yaml"], wait=True)
    name = job_puts(rest)[0].path.rsplit("/", 1)[1]
    assert run.code == 1
    assert f"{name}: Failed" in run.out + run.err
    assert "Traceback" not in run.out + run.err


# ---------------------------------------------------------------------------------------------------------------
# Azure failures: one line, non-zero, no traceback


def one_line(run: Run) -> str:
    assert run.code != 0
    assert "Traceback" not in run.err + run.out
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    return lines[0]


class NoCredential:
    """DefaultAzureCredential on a machine where nobody signed in."""

    def get_token(self, *scopes, **kwargs):
        raise CredentialUnavailableError(
            "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
            "Attempted credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication unavailable."
        )


def test_no_credentials_says_how_to_sign_in(rest):
    line = one_line(submit(rest, [OFFICIAL / "hello_sweep.yaml"], credential=NoCredential()))
    assert line.startswith("no Azure credentials: sign in with `az login`")
    assert "AZURE_CLIENT_SECRET" in line and "DefaultAzureCredential failed" in line
    assert rest.requests == []  # the token comes first: nothing was sent unsigned


def test_a_token_azure_refuses_says_to_sign_in_again(rest):
    message = "The access token is from the wrong issuer. It must match the tenant associated with this subscription."
    rest.failures[("GET", r"/workspaces/[^/]+$")] = service_error(401, "InvalidAuthenticationTokenTenant", message)
    line = one_line(submit(rest, [OFFICIAL / "hello_sweep.yaml"]))
    assert (
        line
        == f"Azure refused the credentials (InvalidAuthenticationTokenTenant: {message}): sign in again with `az login`"
    )


def test_workspace_not_found(rest):
    line = one_line(submit(rest, [OFFICIAL / "hello_sweep.yaml"], workspace="ws-typo"))
    assert line.startswith(
        f"Azure ML workspace 'ws-typo' not found in resource group '{RESOURCE_GROUP}' of subscription {SUBSCRIPTION}"
    )
    assert "ResourceNotFound" in line
    assert [r.method for r in rest.requests] == ["GET"]  # nothing uploaded to a workspace that is not there


class Unreachable(AzureMLRest):
    def send(self, request, **kwargs):
        self.requests.append(request)
        raise ServiceRequestError(
            "<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: "
            "[Errno -3] Temporary failure in name resolution"
        )


def test_network_unreachable(blob_store):
    rest = Unreachable(blob_store)
    # retry_total=0: the SDK would retry three times with back-off first; the outcome is the same
    line = one_line(submit(rest, [OFFICIAL / "hello_sweep.yaml"], retry_total=0))
    assert line.startswith("cannot reach Azure (")
    assert "Temporary failure in name resolution" in line and line.endswith("check the network connection or proxy")


def test_service_400_shows_the_service_message(rest):
    message = "Compute cpu-cluster not found in workspace ws-sweep.\nPlease check the compute name."
    rest.failures[("PUT", r"/jobs/")] = service_error(400, "UserError", message)
    line = one_line(submit(rest, [OFFICIAL / "hello_sweep.yaml"]))
    assert line.startswith(f"{OFFICIAL / 'hello_sweep.yaml'}: Azure ML refused the job (400 UserError: ")
    assert "Compute cpu-cluster not found in workspace ws-sweep. Please check the compute name." in line


def test_local_compute_is_refused_before_contacting_azure(rest):
    run = Run(*submit_specs(rest, [load_spec(OFFICIAL / "hello_sweep.yaml", ["compute=local"])]))
    assert run.code == 2 and rest.requests == []
    assert (
        run.err.strip()
        == f"{OFFICIAL / 'hello_sweep.yaml'}: compute: local: Azure ML runs no sweep on local compute; run it here with `sweep submit --local`, or name a cluster"
    )


def test_a_refused_spec_does_not_stop_the_next(rest):
    bad = service_error(400, "UserError", "Invalid search space")
    rest.failures[("PUT", r"/jobs/grid-string-test$")] = bad
    run = submit(rest, [OFFICIAL / "grid_string.yaml", OFFICIAL / "hello_sweep.yaml"])
    assert run.code == 1
    assert "grid_string.yaml: Azure ML refused the job (400 UserError: Invalid search space)" in run.err
    assert "hello_sweep.yaml: submitted" in run.out


# ---------------------------------------------------------------------------------------------------------------
# finding the workspace


@pytest.fixture
def no_workspace_env(monkeypatch, tmp_path):
    for var in ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_workspace_from_config_json_in_a_parent_folder(no_workspace_env):
    config = {"subscription_id": SUBSCRIPTION, "resource_group": RESOURCE_GROUP, "workspace_name": WORKSPACE}
    (no_workspace_env / ".azureml").mkdir()
    (no_workspace_env / ".azureml" / "config.json").write_text(json.dumps(config))
    deep = no_workspace_env / "project" / "specs"
    deep.mkdir(parents=True)
    found = find_workspace(start=deep)
    assert (found.subscription, found.resource_group, found.name, found.source) == (
        SUBSCRIPTION,
        RESOURCE_GROUP,
        WORKSPACE,
        "config.json",
    )
    # an option wins over the file, which fills the rest
    assert find_workspace(workspace="other", start=deep).name == "other"


def test_a_config_json_without_the_workspace_keys_is_named(no_workspace_env):
    (no_workspace_env / "config.json").write_text(json.dumps({"subscription_id": SUBSCRIPTION}))
    with pytest.raises(
        UserError, match=r"The config file found in: .*config.json does not seem to contain the required parameters"
    ):
        find_workspace()
    (no_workspace_env / "config.json").write_text("{not json")
    with pytest.raises(UserError, match=r"config.json found from .* upwards is not JSON"):
        find_workspace()


def test_workspace_from_environment_variables(no_workspace_env, monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "sub-env")
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", "rg-env")
    monkeypatch.setenv("AZUREML_WORKSPACE_NAME", "ws-env")
    found = find_workspace()
    assert (found.subscription, found.resource_group, found.name) == ("sub-env", "rg-env", "ws-env")
    assert find_workspace(resource_group="rg-option").resource_group == "rg-option"


def test_no_workspace_anywhere_is_one_clear_line(no_workspace_env):
    result = CliRunner().invoke(app, ["submit", str(OFFICIAL / "hello_sweep.yaml"), "--workspace", "ws"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("no Azure ML workspace given: pass --subscription, --resource-group and --workspace")
    assert "AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and AZUREML_WORKSPACE_NAME" in line
    assert "(missing: --subscription, --resource-group;" in line
