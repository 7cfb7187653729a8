"""The cloud path on real Azure ML traffic: azure-ai-ml's own e2e recordings (tests/fixtures/recordings, SOURCE.md)
replayed under the real MLClient by tests/replay.py, which fails a test on any request no recording answers.

Which answers are recorded and which are written is said where each test asks: ``answer_as`` serves a recorded
answer for a request the recorded flow made differently (named), ``write`` a hand-written one for a call no recording
holds (named, with why). MLflow traffic is in no recording: the trials' MLflow runs come from an empty local store,
so what a trial shows here comes from Azure's own records alone.
"""

from __future__ import annotations

import io
import logging

import pytest
import yaml
from azure.ai.ml import MLClient
from rich.console import Console

from _azure_util import OFFICIAL, RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, StaticToken, differences, submit_specs
from replay import ReplayTransport, Unrecorded, load
from submit.cli.monitor_render import event_line, render_status
from submit.monitor import MonitorInputError
from submit.monitor.cloud import CloudSweeps
from submit.monitor.follow import follow
from submit.monitor.record import require_best
from submit.spec.load import load_spec

logging.getLogger("azure").setLevel(logging.ERROR)

SWEEP = "test_191180105196"  # sweep_job_submit: sweep_job_test.yaml as the service took it (truncation selection)
PIPELINE = "test_680454434153"  # pipeline_children_failed: a pipeline whose two steps failed
CANCELED = "000000000000000000000"  # dsl_pipeline_cancel: the pipeline canceled (its name sanitized)
SCOPE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/{WORKSPACE}"
HISTORY = f"/history/v1.0{SCOPE}"
# RunHistory's two failed steps, as recorded: (runId, start, end, the message's first words, as status shows it)
FAILED = {
    "3d732853-5b72-43e3-b2ee-e1d99500a13a": (
        "2026-02-27T20:32:31.099682+00:00",
        "2026-02-27T20:35:53.628143+00:00",
        "Error Code: ScriptExecution.WriteStreams.Authentication Native Error: Permission denied",
        "ScriptExecution.WriteStreams.Authentication: Authentication failed when trying to access destination.",
    ),
    "7a0886d5-045b-48d0-86dd-f2894ce85a2a": (
        "2026-02-27T20:34:08.423298+00:00",
        "2026-02-27T20:37:16.540022+00:00",
        "Error Code: ScriptExecution.StreamAccess.Authentication Native Error: error in streaming",
        "ScriptExecution.StreamAccess.Authentication: Authentication failed when trying to access the stream.",
    ),
}


def epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> str:
    """An MLflow store with no runs: MLflow is in no recording, so nothing a trial shows comes from MLflow."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def replay():
    """A replay transport built by the test; the test fails if anything asked went unanswered, even if the error
    was caught on the way."""
    made: list[ReplayTransport] = []

    def build(*names: str) -> ReplayTransport:
        made.append(ReplayTransport(*(load(n) for n in names)))
        return made[-1]

    yield build
    for transport in made:
        assert not transport.misses, f"requests no recording answers: {transport.misses}"


def client(transport) -> MLClient:
    return MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=transport, show_progress=False)


def sweeps(transport, store: str) -> CloudSweeps:
    return CloudSweeps(client(transport), tracking_uri=store)


def with_canceled_pipeline_as_created(transport) -> None:
    """The canceled pipeline's GET is answered with its PUT's recorded answer (the job as the service created it: the
    recording reads it no other way), and its children listing, which no recording holds, is written empty."""
    transport.answer_as(
        "GET",
        f"{SCOPE}/jobs/{CANCELED}",
        "PUT",
        f"{SCOPE}/jobs/{CANCELED}",
        why="the job as its PUT created it",
        status=200,
    )
    transport.write("GET", f"{HISTORY}/runs/{CANCELED}/children", 200, {"value": []}, why="no recording lists them")


def with_failed_children(transport) -> None:
    """The sweep's children listing is answered with the recorded listing of pipeline PIPELINE: no recording holds
    a sweep's children (the sweep recordings end while the sweep is queued); RunHistory lists a pipeline's steps and
    a sweep's trials with the same `Run` records."""
    transport.answer_as(
        "GET",
        f"{HISTORY}/runs/{SWEEP}/children",
        "GET",
        f"{HISTORY}/runs/{PIPELINE}/children",
        why="the recorded children listing with failed children, of a pipeline",
    )


def text_of(render, *args) -> str:
    buffer = io.StringIO()
    render(*args, Console(file=buffer, width=80, soft_wrap=True, highlight=False))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# the replay itself


def test_a_request_no_recording_answers_fails_the_test():
    transport = ReplayTransport(load("sweep_job_submit"))
    with pytest.raises(Unrecorded, match=r"GET .*/jobs/another-job"):
        client(transport).jobs.get("another-job")
    assert transport.misses and "another-job" in transport.misses[0]


def test_requests_match_by_method_and_path_whatever_the_host_query_and_sanitized_scope(replay):
    transport = replay("sweep_job_submit")
    job = client(transport).jobs.get(SWEEP)
    [asked] = transport.requests
    assert asked.url.startswith(f"https://management.azure.com{SCOPE}/jobs/{SWEEP}?api-version=")
    assert transport.served == ["sweep_job_submit#3"]  # recorded under Sanitized.azure.com and zeroed ids
    assert job.name == SWEEP and job.type == "sweep"


# ---------------------------------------------------------------------------------------------------------------
# parsing what the service returns


def test_a_recorded_sweep_job_reads_with_every_setting_the_service_echoes(replay, empty_store):
    transport = replay("sweep_job_submit", "pipeline_children_failed")
    with_failed_children(transport)
    summary = sweeps(transport, empty_store).status(SWEEP)
    assert summary.status == "running"  # the recorded status
    assert (summary.primary_metric, summary.goal) == ("accuracy", "maximize")
    assert summary.experiment == "sdk-cli-v2"
    assert summary.sampling == "random"
    assert summary.policy == "truncation_selection"
    # every setting of the policy the service echoed: truncationPercentage 40 among them
    assert summary.policy_settings == {"truncation_percentage": 40, "evaluation_interval": 100, "delay_evaluation": 200}
    assert summary.sampling_settings == {"rule": "random"}  # echoed "Random"; no seed, no logbase
    assert summary.limits.max_total_trials == 1 and summary.limits.max_concurrent_trials == 10
    assert summary.limits.timeout == 60  # PT1M
    assert summary.search_space == {
        "lr": {"type": "uniform", "min_value": 0.001, "max_value": 0.1},
        "conv_size": {"type": "choice", "values": [2, 5, 7]},
        "dropout_rate": {"type": "uniform", "min_value": 0.1, "max_value": 0.5},
    }
    assert summary.started == epoch("2026-03-03T22:25:00.081395+00:00")  # systemData.createdAt
    assert summary.url.startswith(f"https://ml.azure.com/runs/{SWEEP}?wsid=")
    assert summary.to_dict()["policy_settings"]["truncation_percentage"] == 40


def test_each_recorded_status_reads_as_the_monitor_names_it(replay, empty_store):
    # Running (the sweep), Failed (its listed children), Preparing (the canceled pipeline, as created)
    transport = replay("sweep_job_submit", "pipeline_children_failed", "dsl_pipeline_cancel")
    with_failed_children(transport)
    with_canceled_pipeline_as_created(transport)
    source = sweeps(transport, empty_store)
    summary = source.status(SWEEP)
    assert summary.status == "running" and {t.status for t in summary.trials} == {"failed"}
    assert source.pipeline(CANCELED).status == "preparing"


# ---------------------------------------------------------------------------------------------------------------
# status, watch and best over a real children listing with failed children


def test_status_shows_each_failed_trials_reason_and_times_from_azures_records(replay, empty_store):
    transport = replay("sweep_job_submit", "pipeline_children_failed")
    with_failed_children(transport)
    summary = sweeps(transport, empty_store).status(SWEEP)

    assert {t.name for t in summary.trials} == set(FAILED)
    for trial in summary.trials:
        start, end, reason, _ = FAILED[trial.name]
        assert trial.status == "failed"
        assert (trial.started, trial.ended) == (epoch(start), epoch(end))  # startTimeUtc, endTimeUtc
        assert trial.error.startswith(reason)  # error.error.message, on one line
        assert "\n" not in trial.error
        assert trial.to_dict()["error"] == trial.error and trial.to_dict()["duration_s"] > 180
    shown = text_of(render_status, summary)
    for name, (_, _, _, said) in FAILED.items():
        assert f"failed {name}: {said}" in shown
    assert "exit code -" not in shown
    served = [s.split(" ", 1)[0] for s in transport.served]
    assert served == ["sweep_job_submit#3", "pipeline_children_failed#1", "pipeline_children_failed#2"] + [
        "pipeline_children_failed#3"
    ]  # the sweep, the workspace (its discovery URL), discovery, the children: the SDK's own calls, no others


def test_watch_reports_each_failed_trial_with_its_reason_and_ends(replay, empty_store):
    transport = replay("sweep_job_submit", "pipeline_children_failed")
    with_failed_children(transport)
    looks = []
    events = follow(sweeps(transport, empty_store), SWEEP, interval=5, sleep=looks.append, timeout=None)
    ended = []
    for event in events:
        if event.kind == "ended":
            ended.append(event_line(event))
        if len(ended) == 2:
            break
    # the recorded sweep still runs: watch reports the two failures on its first look, without waiting
    assert looks == []
    for name, (_, _, _, said) in FAILED.items():
        assert any(line.startswith(f"failed {name}") and said in line for line in ended), ended


def test_a_recorded_failed_pipeline_shows_each_failed_step_with_its_reason_and_times(replay, empty_store):
    # the one flow here that is recorded whole: the pipeline's GET, the workspace, discovery, its children
    transport = replay("pipeline_children_failed")
    pipeline = sweeps(transport, empty_store).pipeline(PIPELINE)
    assert pipeline.status == "failed"
    steps = {"hello_world_inline_commandjob_1": "7a0886d5-045b-48d0-86dd-f2894ce85a2a"}
    steps["hello_world_inline_commandjob_2"] = "3d732853-5b72-43e3-b2ee-e1d99500a13a"
    assert set(pipeline.steps) == set(steps)
    for step, run_id in steps.items():
        record, (start, end, reason, _) = pipeline.steps[step], FAILED[run_id]
        assert (record.status, record.run_id) == ("failed", run_id)
        assert (record.started, record.ended) == (epoch(start), epoch(end))
        assert record.reason.startswith(reason)
    assert pipeline.ended == epoch(FAILED["7a0886d5-045b-48d0-86dd-f2894ce85a2a"][1])  # the last step's end
    assert transport.used(load("pipeline_children_failed")) == [0, 1, 2, 3]


def test_best_over_failed_children_says_why_there_is_none(replay, empty_store):
    transport = replay("sweep_job_submit", "pipeline_children_failed")
    with_failed_children(transport)
    summary = sweeps(transport, empty_store).status(SWEEP)
    with pytest.raises(MonitorInputError) as e:
        require_best(summary)
    assert SWEEP in str(e.value) and "Traceback" not in str(e.value)


# ---------------------------------------------------------------------------------------------------------------
# cancel: the 202, its Location, the polls


def test_cancel_posts_once_and_follows_the_recorded_polls_without_waiting_them(replay, empty_store):
    transport = replay("dsl_pipeline_cancel", "pipeline_children_failed")
    # the recorded flow cancels right after its PUT; ours reads the job first (to refuse a job that ended), and
    # after the cancel its steps
    with_canceled_pipeline_as_created(transport)
    pipeline = sweeps(transport, empty_store).request_pipeline_cancel(CANCELED, wait=True)

    posts = [r for r in transport.requests if r.method == "POST"]
    assert [p.url.split("?")[0].rsplit("/", 2)[1:] for p in posts] == [[CANCELED, "cancel"]]
    polls = [
        s for s in transport.served if s.startswith("dsl_pipeline_cancel#2") or s.startswith("dsl_pipeline_cancel#3")
    ]
    assert polls == ["dsl_pipeline_cancel#2", "dsl_pipeline_cancel#3"]  # 202 with its Location, then 200
    assert len(transport.slept) == 1  # the poller's one wait between them, not spent in replay
    assert pipeline.name == CANCELED and set(pipeline.steps) == {"node_0", "node_1"}
    assert pipeline.status == "preparing"  # no recording holds the job after its cancel: the status read is the PUT's
    assert any(s.startswith("written: no recording lists them") for s in transport.served)


# ---------------------------------------------------------------------------------------------------------------
# submit: the PUT body against the recorded one, and the code snapshot reused by its hash


def test_submit_puts_the_recorded_body_and_reuses_the_recorded_code_snapshot(replay, tmp_path):
    recording = load("sweep_job_submit")
    transport = replay("sweep_job_submit", "pipeline_children_failed")  # the latter: a recorded workspace GET
    source = OFFICIAL / "azure-ai-ml" / "test_configs" / "sweep_job" / "sweep_job_test.yaml"
    data = yaml.safe_load(source.read_text())
    data["name"] = SWEEP  # the recorded job's name (the SDK's test gives it the name it recorded under)
    data["trial"]["code"] = str(source.parent.parent / "python")
    spec = tmp_path / "sweep_job_test.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))

    code, out, err = submit_specs(transport, [load_spec(spec)])
    assert code == 0, err
    [put] = [r for r in transport.requests if r.method == "PUT"]
    [recorded] = recording.find("PUT", r"/jobs/")
    ours, theirs = scoped(put.body), scoped(recorded.request_body)
    # the SDK adds the code folder's git state when it is in a git checkout (the recorded test's was not)
    for key in [k for k in ours["properties"]["properties"] if ".git." in k]:
        del ours["properties"]["properties"][key]
    assert differences(ours, theirs) == []
    # the code: found by its hash and reused, nothing uploaded, the recorded version's id in the trial
    assert [r.method for r in transport.requests if "/codes/" in r.url] == ["GET", "GET"]
    assert not any("startPendingUpload" in r.url for r in transport.requests)
    assert put.body["properties"]["trial"]["codeId"].endswith("/codes/83eb68f5-8468-439d-89d0-626f504652e6/versions/1")
    assert f"submitted {SWEEP}" in out


# ---------------------------------------------------------------------------------------------------------------
# a failed read is a name not found, not a refused job


NOT_FOUND = {"error": {"code": "UserError", "message": "The specified resource was not found."}}


def test_an_unknown_sweep_is_not_found_with_a_did_you_mean(replay, empty_store):
    transport = replay("sweep_job_submit")
    # no recording holds a 404 on a job GET, nor a jobs listing: both written, the listing holding the recorded job
    transport.write("GET", f"{SCOPE}/jobs/test_19118010519", 404, NOT_FOUND, why="a 404 for a mistyped name")
    transport.write(
        "GET",
        f"{SCOPE}/jobs",
        200,
        {"value": [recording_body("sweep_job_submit", "GET", r"/jobs/")]},
        why="the workspace's jobs, for a did-you-mean",
    )
    with pytest.raises(MonitorInputError) as e:
        sweeps(transport, empty_store).status("test_19118010519")
    lines = str(e.value).splitlines()
    assert lines[0] == (
        f"no sweep named 'test_19118010519' in the workspace {WORKSPACE} (resource group {RESOURCE_GROUP}, "
        f"subscription {SUBSCRIPTION})"
    )
    assert SWEEP in lines[1] and "refused" not in str(e.value)


def test_a_404_on_the_children_listing_says_what_was_not_found(replay, empty_store):
    transport = replay("sweep_job_submit", "pipeline_children_failed")
    transport.write(
        "GET",
        f"{HISTORY}/runs/{SWEEP}/children",
        404,
        {"error": {"code": "UserError", "message": f"Run {SWEEP} was not found"}},
        why="RunHistory without the run (no recording holds this 404)",
    )
    with pytest.raises(MonitorInputError) as e:
        sweeps(transport, empty_store).status(SWEEP)
    message = str(e.value)
    assert message.startswith(f"the trials of sweep {SWEEP} not found in the workspace {WORKSPACE}")
    assert f"Run {SWEEP} was not found" in message and "refused the job" not in message


def scoped(body):
    """A REST body with its workspace scope (ours, or the recording's sanitized one) as one placeholder."""
    import json
    import re

    text = re.sub(r"/subscriptions/[^/]+/resourceGroups/[^/]+/", "/subscriptions/S/resourceGroups/G/", json.dumps(body))
    return json.loads(re.sub(r"/workspaces/[^/\"]+", "/workspaces/W", text))


def recording_body(name: str, method: str, pattern: str):
    [entry] = load(name).find(method, pattern)
    return entry.body


# ---------------------------------------------------------------------------------------------------------------
# held out: recordings none of the code above was written against


@pytest.mark.parametrize("command", ["status", "cancel", "pipeline"])
def test_a_recorded_command_job_is_named_for_what_it_is_by_every_command(replay, empty_store, command):
    transport = replay("command_job_serverless")
    source = sweeps(transport, empty_store)
    name = "test_334734506738"
    act = {"status": source.status, "cancel": source.request_cancel, "pipeline": source.pipeline}[command]
    with pytest.raises(MonitorInputError) as e:
        act(name)
    assert str(e.value) == f"job {name} in {source.describe()} is a command job, not a sweep"
    assert [r.method for r in transport.requests] == ["GET"]  # nothing is canceled, nothing else is read


def test_a_recorded_refusal_of_a_submitted_sweep_is_one_line_with_the_services_words(replay, tmp_path):
    transport = replay("sweep_job_builder_refused", "pipeline_children_failed")  # the latter: a workspace GET
    spec = tmp_path / "builder.yaml"
    spec.write_text(
        "type: sweep\n"
        "name: test_447187519543\n"  # the recorded job's name
        "experiment_name: mfe-test1-dataset\n"
        "trial:\n"
        "  command: echo ${{search_space.lr}}\n"
        "  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33\n"
        "compute: azureml:testCompute\n"
        "sampling_algorithm: random\n"
        "search_space:\n"
        "  lr: {type: loguniform, min_value: 0.001, max_value: 0.1}\n"
        "objective: {goal: maximize, primary_metric: accuracy}\n"
        "limits: {max_total_trials: 10, max_concurrent_trials: 2, timeout: 300}\n"
    )
    code, out, err = submit_specs(transport, [load_spec(spec)])
    assert code != 0 and out == ""
    assert err.splitlines() == [
        f"{spec}: Azure ML refused the job (400 UserError: mfe-test1-dataset: Compute Not Found for run ID : "
        "test_447187519543)"
    ]


def test_a_recorded_sweep_without_a_policy_reads_whole_and_best_says_there_is_nothing_yet(replay, empty_store):
    transport = replay("sweep_job_await_completion", "pipeline_children_failed")  # the latter: workspace, discovery
    name = "test_910316408761"
    transport.write("GET", f"{HISTORY}/runs/{name}/children", 200, {"value": []}, why="no recording lists its trials")
    summary = sweeps(transport, empty_store).status(name)
    assert (summary.status, summary.policy, summary.policy_settings) == ("running", None, {})
    assert summary.sampling == "random" and summary.sampling_settings == {"rule": "random"}
    assert (summary.limits.max_total_trials, summary.limits.max_concurrent_trials, summary.limits.timeout) == (
        2,
        10,
        300,
    )
    assert summary.experiment == "azure-ai-ml" and summary.trials == []
    shown = text_of(render_status, summary)
    assert shown.splitlines()[:2] == [
        f"running sweep {name} (cloud): no trials yet of max_total_trials 2",
        "objective: maximize accuracy; policy: none",
    ]
    with pytest.raises(MonitorInputError, match=name):
        require_best(summary)
