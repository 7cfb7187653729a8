"""`sweep list | status | watch | cancel | best | report` on local sweeps: text and --json checked against the store."""

from __future__ import annotations

import json

import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from cli_process import CEILING, cli, finish, wait_for
from emulator_helpers import shell_spec, sqlite_uri, stored_sweep, write_spec
from monitor_helpers import synth_sweep
from submit import load_spec
from submit.cli import app
from submit.emulator import run_local

NO_WORKSPACE = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_RESOURCE_GROUP": "", "AZUREML_WORKSPACE_NAME": ""}


def sweep(*args: str):
    return CliRunner().invoke(app, list(args), env=NO_WORKSPACE)


@pytest.fixture
def store(failing_sweep):
    return failing_sweep[0]


def test_status_text_names_the_state_the_best_trial_and_the_failures(store):
    run = sweep("status", "fails", "--tracking-uri", store)
    assert run.exit_code == 0, run.output
    stored = stored_sweep(store, "fails")
    best_run = stored.parent.data.tags["best_child_run_id"]
    best_name = next(r.info.run_name for r in stored.runs if r.info.run_id == best_run)
    assert "completed sweep fails (local): 2 completed, 2 failed of max_total_trials 4" in run.output
    assert f'best trial: {best_name} (completed) accuracy = 1  [x=0.3, k="b"]' in run.output  # as `started` names them
    assert run.output.count("failed fails_") == 2 and "exit code 1; log: " in run.output
    assert f"open the MLflow UI: mlflow ui --backend-store-uri {store}" in run.output


def test_status_json_is_the_store_read_back(store):
    run = sweep("status", "fails", "--tracking-uri", store, "--json", "--histories")
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    stored = stored_sweep(store, "fails")
    assert data["best"]["run_id"] == stored.parent.data.tags["best_child_run_id"]
    words = {"FINISHED": "completed", "FAILED": "failed"}
    assert {t["name"]: t["status"] for t in data["trials"]} == {n: words[s] for n, s in stored.statuses().items()}
    assert data["counts"]["failed"] == 2 and data["compute"]["trial_seconds"] > 0
    client = MlflowClient(tracking_uri=store)
    for t in data["trials"]:
        assert [p["value"] for p in t["history"]] == [
            m.value for m in client.get_metric_history(t["run_id"], "accuracy")
        ]


def test_list_json(store):
    run = sweep("list", "--tracking-uri", store, "--json")
    assert run.exit_code == 0, run.output
    rows = {r["name"]: r for r in json.loads(run.stdout)["sweeps"]}
    assert rows["fails"]["trials_done"] == 4 and rows["fails"]["status"] == "completed"
    assert rows["empty"]["trials_done"] == 0 and rows["empty"]["status"] == "running"


def test_list_text_at_80_columns_keeps_each_column_whole(store):
    run = sweep("list", "--tracking-uri", store)  # CliRunner's terminal is 80 columns wide
    assert run.exit_code == 0, run.output
    table = [line for line in run.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in table) <= 80 and "…" not in run.stdout
    headers = [h.strip() for line in table if line.startswith("┃") for h in line.strip("┃").split("┃")]
    # every column is shown whole (those that do not fit wrap to a table below, keyed by the sweep's name)
    assert set(headers) == {"name", "status", "trials", "best", "!", "where", "started", "duration"}
    assert sum(line.startswith("│ fails ") for line in table) == headers.count("name")


def test_an_unknown_id_says_where_it_looked(store):
    run = sweep("status", "fail", "--tracking-uri", store)
    assert run.exit_code == 2
    assert f"no sweep named 'fail' in the local store {store}\n  hint: did you mean `fails`?" in run.output
    assert "no workspace searched: none given (see --help, or add a config.json)" in run.output
    assert "Traceback" not in run.output


def test_a_new_user_without_store_or_workspace_is_told_so_in_short_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./mlflow.db, no config.json
    listed = sweep("list")
    assert listed.exit_code == 0 and listed.stdout == "", listed.output  # no empty table
    store = f"sqlite:///{tmp_path}/mlflow.db"
    assert listed.stderr.splitlines() == [
        "no sweeps: nowhere to look",
        f"note: no local store: {store} does not exist (a local sweep here makes it)",
        "note: no workspace searched: none given (see --help, or add a config.json)",
    ]
    status = sweep("status", "nosuch")
    assert status.exit_code == 2 and status.stderr.startswith("no sweep named 'nosuch': nowhere to look\n")
    assert list(tmp_path.iterdir()) == []  # nothing made by looking


def test_a_store_that_is_not_an_mlflow_store(tmp_path):
    (tmp_path / "x.db").write_text("not a database")
    run = sweep("status", "fails", "--tracking-uri", f"sqlite:///{tmp_path}/x.db")
    assert run.exit_code == 2 and "is not an MLflow tracking store (not a SQLite database" in run.output


def test_best_json_and_the_errors_of_a_sweep_without_one(store):
    run = sweep("best", "fails", "--tracking-uri", store, "--json")
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["trial"]["params"] == {"x": 0.3, "k": "b"} and data["value"] == pytest.approx(1.0)
    empty = sweep("best", "empty", "--tracking-uri", store)
    assert empty.exit_code == 2 and "sweep empty has no trials yet (it is running" in empty.output


def test_best_download_copies_the_best_trials_log_and_artifacts(store, tmp_path):
    run = sweep("best", "fails", "--tracking-uri", store, "--download", str(tmp_path / "best"), "--json")
    assert run.exit_code == 0, run.output
    files = json.loads(run.stdout)["downloaded"]["files"]
    assert "artifacts/user_logs/std_log.txt" in files
    assert (
        tmp_path / "best" / "artifacts" / "user_logs" / "std_log.txt"
    ).read_text() == ""  # quadratic.py prints nothing


def test_best_register_without_a_model_says_so(store):
    run = sweep("best", "fails", "--tracking-uri", store, "--register", "quad")
    assert run.exit_code == 2 and "the best trial fails_" in run.output and "logged no MLflow model" in run.output


def test_report_writes_one_file_and_refuses_a_missing_folder_or_an_empty_sweep(store, tmp_path):
    run = sweep("report", "fails", "--tracking-uri", store, "-o", str(tmp_path / "r.html"), "--json")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["sweeps"] == ["fails"] and (tmp_path / "r.html").stat().st_size > 1_000_000
    missing = sweep("report", "fails", "--tracking-uri", store, "-o", str(tmp_path / "no" / "r.html"))
    assert missing.exit_code == 2 and f"the folder {tmp_path / 'no'} does not exist" in missing.output
    empty = sweep("report", "empty", "--tracking-uri", store, "-o", str(tmp_path / "e.html"))
    assert empty.exit_code == 2 and "sweep empty has no trials yet" in empty.output


def test_cancel_of_an_ended_sweep_is_refused_and_of_a_running_one_is_requested(store, tmp_path):
    ended = sweep("cancel", "fails", "--tracking-uri", store)
    assert ended.exit_code == 2 and "sweep fails is not running (it is completed); nothing to cancel" in ended.output
    # the shared store is only read (other files read it at the same time): the running sweep to cancel is our own
    ours = sqlite_uri(tmp_path)
    synth_sweep(ours, "empty", [], state="running")
    running = sweep("cancel", "empty", "--tracking-uri", ours, "--json")
    assert running.exit_code == 0 and json.loads(running.stdout) == {
        "canceling": "empty",
        "where": "local",
        "status": "running",
    }
    assert "sweep.cancel_requested" in stored_sweep(ours, "empty").parent.data.tags


def test_local_and_cloud_exclude_each_other(store):
    run = sweep("status", "fails", "--tracking-uri", store, "--local", "--cloud")
    assert run.exit_code == 2 and "--local and --cloud exclude each other" in run.output


@pytest.mark.slow
def test_watch_follows_a_sweep_in_another_process_until_it_ends(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec(
            "sleep 1; echo ${{search_space.x}}",
            space="x: {type: choice, values: [1, 2, 3]}",
            limits="{max_total_trials: 3, max_concurrent_trials: 1}",
            sampling="grid",
        ),
    )
    uri = sqlite_uri(tmp_path)
    proc = cli("submit", str(spec), "--local", "--tracking-uri", uri, "--name", "w")
    try:
        client = MlflowClient(tracking_uri=uri)
        wait_for(
            lambda: client.search_runs(
                [e.experiment_id for e in client.search_experiments()], "tags.`sweep.name` = 'w'"
            ),
            "the sweep in the store",
            proc=proc,
        )
        run = sweep("watch", "w", "--tracking-uri", uri, "--interval", "0.3", "--timeout", str(int(CEILING)))
        code, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert run.exit_code == 0, run.output
    assert code == 0, out + err
    lines = run.output.splitlines()
    assert [ln.split()[1] for ln in lines if ln.startswith("completed w_")] == ["w_0", "w_1", "w_2"]
    assert "completed sweep w (local): 3 completed" in run.output  # the final status, once it ended


@pytest.mark.slow
def test_cancel_from_a_second_process_stops_the_sweep_resumably_and_resume_finishes_it(tmp_path):
    go = tmp_path / "go"  # trials wait for it: the sweep is surely running when the cancel arrives, however slow
    spec = write_spec(
        tmp_path,
        shell_spec(
            f"while [ ! -f {go} ]; do sleep 0.1; done; echo ${{{{search_space.x}}}}",
            space="x: {type: choice, values: [1, 2, 3, 4]}",
            limits="{max_total_trials: 4, max_concurrent_trials: 2}",
            sampling="grid",
        ),
    )
    uri = sqlite_uri(tmp_path)
    proc = cli("submit", str(spec), "--local", "--tracking-uri", uri, "--name", "c")
    try:
        client = MlflowClient(tracking_uri=uri)

        def a_trial_runs():
            experiments = [e.experiment_id for e in client.search_experiments()]
            trials = client.search_runs(experiments, "tags.`sweep.kind` = 'trial'")
            return [r for r in trials if r.info.status == "RUNNING"]

        wait_for(a_trial_runs, "a trial to run", proc=proc)
        canceled, canceled_out, canceled_err = finish(cli("cancel", "c", "--tracking-uri", uri, "--local"))
        _, _, stderr = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert canceled == 0, canceled_err
    assert "cancel requested for c" in canceled_out
    assert proc.returncode == 130, stderr  # as Ctrl-C ends it
    assert "canceled by `sweep cancel`: resume with --resume c" in stderr
    stopped = stored_sweep(uri, "c")
    assert "RUNNING" not in [r.info.status for r in stopped.runs] and stopped.parent.info.status == "KILLED"
    assert stopped.parent.data.tags["sweep.state"] == "interrupted"
    assert "FINISHED" not in stopped.statuses().values()

    go.touch()
    resumed = run_local(load_spec(spec), tracking_uri=uri, resume="c")
    assert resumed.status == "completed" and resumed.count("completed") == 4
    after = stored_sweep(uri, "c")
    assert "sweep.cancel_requested" not in after.parent.data.tags  # the request ended the previous run only
    assert sorted(after.children) == [f"c_{i}" for i in range(4)]
