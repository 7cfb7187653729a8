"""A sweep whose emulator was SIGKILLed is `interrupted` to every reader, at once: the store still calls it running,
but nobody holds its lock. `watch` returns, `cancel` has nothing to stop and says how to resume, and `--resume`
still continues it. The real CLI in subprocesses; the store and the output checked."""

from __future__ import annotations

import json
import signal

import pytest
from typer.testing import CliRunner

from cli_process import cli, finish, kill, no_traceback, wait_for
from emulator_helpers import shell_spec, sqlite_uri, stored_sweep, write_spec
from pipeline_helpers import edited
from submit.cli import app

NO_WORKSPACE = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_RESOURCE_GROUP": "", "AZUREML_WORKSPACE_NAME": ""}

# trial 0 logs its accuracy and ends; trial 1 hangs the first time it runs (noting it started), and ends when re-run
TRIALS = (
    "if [ ${{search_space.x}} = 0 ]; then python -c 'import mlflow; mlflow.log_metric(\"accuracy\", 0.5)'; "
    "elif [ -e ../ran ]; then echo second run; else touch ../ran; sleep 300 & wait; fi"
)


def sweep(*args: str):
    return CliRunner().invoke(app, list(args), env=NO_WORKSPACE)


@pytest.mark.slow
def test_a_sigkilled_sweep_is_interrupted_to_every_reader_and_resumes(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec(
            TRIALS,
            sampling="grid",
            space="x: {type: choice, values: [0, 1]}",
            limits="{max_total_trials: 2, max_concurrent_trials: 2}",
        ),
    )
    uri = sqlite_uri(tmp_path)
    at = ("--tracking-uri", uri)
    emulator = cli("submit", str(spec), "--local", "--name", "k", *at, cwd=tmp_path)
    wait_for(
        lambda: (
            (tmp_path / ".sweep" / "k" / "k_1" / "ran").exists()
            and stored_sweep(uri, "k").statuses().get("k_0") == "FINISHED"
        ),
        "trial k_0 finished and k_1 running",
        proc=emulator,
    )
    running = sweep("status", "k", *at)
    assert running.exit_code == 0 and running.output.startswith("running sweep k (local)"), running.output
    watcher = cli("watch", "k", "--interval", "0.2", *at, cwd=tmp_path, env=NO_WORKSPACE)  # watching as it dies

    kill(emulator, signal.SIGKILL)
    finish(emulator)
    assert stored_sweep(uri, "k").statuses() == {"k_0": "FINISHED", "k_1": "RUNNING"}  # what a SIGKILL leaves

    status = sweep("status", "k", *at)
    assert status.exit_code == 0, status.output
    assert status.output.startswith("interrupted sweep k (local): 1 completed, 1 canceled"), status.output
    assert "canceled k_1: interrupted" in status.output
    resume = f"sweep submit {spec} --local --tracking-uri {uri} --resume k"
    assert f"(pid {emulator.pid}) stopped without ending it (killed?). Resume it with: {resume}" in status.output

    data = json.loads(sweep("status", "k", "--json", *at).output)
    assert data["status"] == "interrupted"
    trials = {t["name"]: t for t in data["trials"]}
    assert trials["k_0"]["status"] == "completed" and trials["k_1"]["status"] == "canceled"
    assert trials["k_1"]["cancel_reason"] == "interrupted"

    listed = sweep("list", *at)
    [row] = [line for line in listed.output.splitlines() if " k " in line]
    assert "interrupted" in row and "running" not in row, listed.output

    best = sweep("best", "k", *at)
    assert best.exit_code == 0 and "the sweep is interrupted: this is its best so far" in best.output, best.output
    assert json.loads(sweep("best", "k", "--json", *at).output)["status"] == "interrupted"
    report = sweep("report", "k", "-o", str(tmp_path / "k.html"), *at)
    assert report.exit_code == 0, report.output
    assert 'k <span class="status interrupted">interrupted</span>' in (tmp_path / "k.html").read_text()

    code, out, err = finish(watcher, timeout=120)  # a ceiling for a hang, not a speed claim
    assert code == 130 and "interrupted sweep k (local)" in out and no_traceback(out, err), (code, out, err)

    cancel = sweep("cancel", "k", *at)
    assert cancel.exit_code == 2, cancel.output
    assert cancel.output.strip() == (
        f"sweep k is interrupted: the emulator that ran it (pid {emulator.pid}) stopped without ending it (killed?); "
        f"there is nothing to stop. Resume it with: {resume}"
    )
    # the readers said it; they closed nothing: --resume takes the runs over
    assert stored_sweep(uri, "k").statuses() == {"k_0": "FINISHED", "k_1": "RUNNING"}

    code, out, err = finish(cli("submit", str(spec), "--local", "--resume", "k", *at, cwd=tmp_path))
    assert code == 0, (out, err)
    assert stored_sweep(uri, "k").statuses() == {"k_0": "FINISHED", "k_1": "FINISHED"}
    after = sweep("status", "k", *at)
    assert after.output.startswith("completed sweep k (local): 2 completed"), after.output


def test_a_sweep_that_ended_is_not_taken_for_a_dead_one(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec("echo ${{search_space.x}}", space="x: {type: choice, values: [1]}", limits="{max_total_trials: 1}"),
    )
    uri = sqlite_uri(tmp_path)
    code, out, err = finish(cli("submit", str(spec), "--local", "--name", "done", "--tracking-uri", uri, cwd=tmp_path))
    assert code == 0, (out, err)
    # its lock is free too; the store says it ended, and that is what it is
    assert (tmp_path / ".sweep" / "done" / ".lock").exists()
    status = sweep("status", "done", "--tracking-uri", uri)
    assert status.output.startswith("completed sweep done (local)"), status.output
    cancel = sweep("cancel", "done", "--tracking-uri", uri)
    assert cancel.exit_code == 2 and "is not running (it is completed); nothing to cancel" in cancel.output


@pytest.mark.slow
def test_a_sigkilled_pipeline_is_interrupted_and_cancel_says_how_to_resume(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    # its first trial hangs the first time it runs
    hang = f"if [ ! -e {marks}/hung ]; then touch {marks}/hung; sleep 300 & wait; fi; python train.py"
    pipeline = edited(tmp_path, {"python train.py": hang}, file="components/train.yml")
    # one trial, the one killed and re-run on --resume (the step's other trials would only run after it)
    one_trial = ("--set", "jobs.tune.limits.max_total_trials=1")
    runner = cli("submit", str(pipeline), "--local", "--name", "p1", *one_trial, cwd=tmp_path)
    wait_for(lambda: (marks / "hung").exists(), "the sweep step's first trial running", proc=runner)
    kill(runner, signal.SIGKILL)
    finish(runner)

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    status = sweep("status", "p1", "--tracking-uri", uri)
    assert status.exit_code == 0 and status.output.startswith("interrupted pipeline p1 (local)"), status.output
    assert "interrupted sweep p1_tune (local)" in status.output  # its sweep step's emulator died with it
    data = json.loads(sweep("status", "p1", "--json", "--tracking-uri", uri).output)
    assert data["status"] == "interrupted" and data["steps"]["tune"]["status"] == "interrupted", data
    cancel = sweep("cancel", "p1", "--tracking-uri", uri)
    assert cancel.exit_code == 2, cancel.output
    assert "pipeline p1 is interrupted" in cancel.output and "there is nothing to stop" in cancel.output
    assert f"Resume it with: sweep submit {pipeline} --local --tracking-uri {uri} --resume p1" in cancel.output

    code, out, err = finish(cli("submit", str(pipeline), "--local", "--resume", "p1", *one_trial, cwd=tmp_path))
    assert code == 0, (out, err)
    after = sweep("status", "p1", "--tracking-uri", uri)
    assert after.output.startswith("completed pipeline p1 (local)"), after.output
