"""What a trial sees: what a trial on Azure would (its values, the spec's variables, its child run's MLFLOW_*), what a
process needs to run here, and what the user passes on purpose with --env; never the rest of the shell's secrets."""

from __future__ import annotations

import json
import os
import re

import pytest

from cli_process import cli, finish, no_traceback
from emulator_helpers import shell_spec, sqlite_uri, stored_sweep, write_spec
from submit.emulator.trial import trial_env

DUMP_ENV = 'python -c \'import json, os; json.dump(dict(os.environ), open("../env.json", "w"))\' ${{search_space.x}}'


def env_spec(folder):
    return write_spec(
        folder,
        shell_spec(
            DUMP_ENV,
            sampling="grid",
            space="x: {type: choice, values: [7]}",
            limits="{max_total_trials: 1}",
            extra="",
        ).replace(
            "  environment: azureml:AzureML-sklearn-1.0@latest\n",
            "  environment: azureml:AzureML-sklearn-1.0@latest\n  environment_variables: {FROM_SPEC: spec, ON_BOTH: spec}\n",
        ),
    )


@pytest.mark.slow
def test_a_trial_gets_what_azure_would_give_it_and_what_is_passed_on_purpose(tmp_path):
    spec, uri = env_spec(tmp_path), sqlite_uri(tmp_path)
    shell = {
        "AZURE_CLIENT_SECRET": "s3cret",
        "AWS_SECRET_ACCESS_KEY": "k3y",
        "GITHUB_TOKEN": "t0ken",
        "KEEP_ME": "kept",
        "LC_ALL": "C.UTF-8",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
        "MLFLOW_RUN_ID": "not-this-one",
    }
    args = ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "e", "--env", "KEEP_ME"]
    code, out, err = finish(cli(*args, "--env", "ON_BOTH=cli", "--env", "EMPTY=", env=shell, cwd=tmp_path))
    assert code == 0, (out, err)
    seen = json.loads((tmp_path / ".sweep" / "e" / "e_0" / "env.json").read_text())
    for secret in ("AZURE_CLIENT_SECRET", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"):
        assert secret not in seen
    run = stored_sweep(uri, "e").children["e_0"]
    # the child run in the store, reached through the sweep's own tracking server, as a trial on Azure reaches the
    # workspace's; MLflow's "View run at" links would name that server after it stopped, so they are switched off
    server = re.search(r"trials log to the sweep's MLflow server (http://\S+)", out).group(1)
    assert seen["MLFLOW_RUN_ID"] == run.info.run_id and seen["MLFLOW_TRACKING_URI"] == server
    assert seen["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] == "true"
    assert seen["MLFLOW_EXPERIMENT_ID"] == run.info.experiment_id
    assert seen["AZUREML_SWEEP_x"] == "7" and seen["FROM_SPEC"] == "spec"
    assert seen["KEEP_ME"] == "kept" and seen["ON_BOTH"] == "cli" and seen["EMPTY"] == ""  # --env wins over the spec
    assert seen["LC_ALL"] == "C.UTF-8" and seen["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "30"
    assert seen["HOME"] == os.environ["HOME"] and seen["PATH"].split(os.pathsep)[1:] == os.environ["PATH"].split(":")
    assert "PYTHONPATH" in seen  # what this Python needs to run


def test_env_options_that_cannot_work_are_one_line(tmp_path):
    spec = env_spec(tmp_path)
    for given, expected in (
        ("NOT_SET_ANYWHERE_X", "--env NOT_SET_ANYWHERE_X: not set in this shell"),
        ("1BAD=x", "--env 1BAD=x: expected NAME or NAME=VALUE"),
        ("MLFLOW_RUN_ID=x", "MLFLOW_RUN_ID is set by the emulator"),
    ):
        code, out, err = finish(cli("submit", str(spec), "--local", "--env", given, cwd=tmp_path))
        assert code == 2 and err.strip().count("\n") == 0 and expected in err, (given, err)
        assert no_traceback(out, err)
    code, out, err = finish(cli("submit", str(spec), "--dry-run", "--env", "A=1", cwd=tmp_path))
    assert code == 2 and "--env without --local" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml", "src"]  # nothing ran, no store made


def test_the_environment_is_built_from_an_allowlist_of_the_base():
    env = trial_env(
        params={"lr": 0.1},
        inputs={},
        outputs={},
        spec_env={"OMP_NUM_THREADS": "8"},
        tracking_uri="sqlite:///s.db",
        experiment_id="1",
        run_id="r",
        threads=2,
        base={"PATH": "/bin", "HOME": "/h", "SECRET": "x", "PYTEST_CURRENT_TEST": "t", "LC_TIME": "C", "TMPDIR": "/t"},
        extra={"MLFLOW_RUN_ID": "ignored", "MINE": "1"},
    )
    assert "SECRET" not in env and "PYTEST_CURRENT_TEST" not in env
    assert env["OMP_NUM_THREADS"] == "8" and env["MKL_NUM_THREADS"] == "2"  # the spec wins over the thread cap
    assert env["MLFLOW_RUN_ID"] == "r" and env["MINE"] == "1" and env["LC_TIME"] == "C" and env["TMPDIR"] == "/t"
