"""`sweep submit --local` on Azure's own sweep shapes: what the store holds afterwards, and what the user reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emulator_helpers import shell_spec, spec_from, sqlite_uri, stored_sweep, write_spec
from submit import cli
from submit.emulator import LocalOptions, run_local

pytestmark = pytest.mark.slow  # real sweeps with autolog and the official hello sweep: 15-20 s each on a loaded machine

# Azure's hello-sweep, in the official CLI v2 format: a literal input, a choice of strings and a uniform
HELLO = """\
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
trial:
  code: src
  command: >-
    python hello_sweep.py --A ${{inputs.A}} --B ${{search_space.B}} --C ${{search_space.C}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
inputs:
  A: 0.5
compute: azureml:cpu-cluster
sampling_algorithm: random
search_space:
  B: {type: choice, values: ["hello", "world", "hello_world"]}
  C: {type: uniform, min_value: 0.1, max_value: 1.0}
objective: {goal: maximize, primary_metric: accuracy}
limits: {max_total_trials: 4, max_concurrent_trials: 2, timeout: 3600}
experiment_name: hello-sweep
"""


def test_official_hello_sweep_fills_the_store_and_the_leaderboard_agrees(tmp_path):
    spec = write_spec(tmp_path, HELLO, scripts=("hello_sweep.py",))
    uri = sqlite_uri(tmp_path)
    res = CliRunner().invoke(
        cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "hello", "--json"]
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    summary = json.loads(res.stdout)

    stored = stored_sweep(uri, "hello")
    assert sorted(stored.children) == ["hello_0", "hello_1", "hello_2", "hello_3"]
    assert set(stored.statuses().values()) == {"FINISHED"}
    accuracy = {}
    for name, run in stored.children.items():
        b, c = stored.values(name)["B"], stored.values(name)["C"]
        assert b in ("hello", "world", "hello_world") and 0.1 <= c <= 1.0
        assert run.data.tags["received_B"] == b  # the script parsed the value the emulator logged
        # plain mlflow.log_metric, no start_run: the 3 values landed in this child run; the best is the last
        assert abs(run.data.metrics["accuracy"] - (0.5 * c + 0.02)) < 1e-9
        accuracy[name] = run.data.metrics["accuracy"]
    ranked = sorted(accuracy, key=accuracy.get, reverse=True)
    best = stored.children[ranked[0]]

    assert stored.parent.data.tags["best_child_run_id"] == best.info.run_id
    assert stored.parent.data.metrics["best_child_by_primary_metric"] == accuracy[ranked[0]]
    assert stored.parent.info.status == "FINISHED"

    assert summary["status"] == "completed" and summary["counts"]["completed"] == 4
    assert summary["best"]["run_id"] == best.info.run_id and summary["best"]["value"] == accuracy[ranked[0]]
    assert {t["name"]: t["best"] for t in summary["trials"]} == accuracy
    assert {t["name"]: t["params"] for t in summary["trials"]} == {n: stored.values(n) for n in stored.children}
    assert all(run.data.params == {} for run in stored.children.values())  # params are the script's: none here

    # with --json the people's output goes to stderr: the leaderboard ranks the trials as the store does
    board = res.stderr[res.stderr.index("best trials by accuracy") :]
    assert "trial i is run hello_i" in board
    rows = re.findall(r"^\W*(\d+)\W+(\d+)\W+([\d.]+)", board, re.M)  # rank, trial index, accuracy
    assert [f"hello_{index}" for _, index, _ in rows] == ranked
    assert [float(value) for *_, value in rows] == [float(f"{accuracy[name]:.6g}") for name in ranked]  # shown .6g
    assert f"run id: {best.info.run_id}" in board
    assert f"open the MLflow UI: mlflow ui --backend-store-uri {uri}" in board


def test_autolog_with_scikit_learn_logs_into_each_child_run(tmp_path):
    spec = spec_from(
        tmp_path,
        """\
        type: sweep
        trial:
          code: src
          command: python autolog_iris.py ${{search_space.C}}
          environment: azureml:AzureML-sklearn-1.0@latest
        sampling_algorithm: grid
        search_space:
          C: {type: choice, values: [0.01, 10.0]}
        objective: {goal: maximize, primary_metric: training_accuracy_score}
        limits: {max_total_trials: 2, max_concurrent_trials: 2}
        """,
        scripts=("autolog_iris.py",),
    )
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="auto")

    stored = stored_sweep(sqlite_uri(tmp_path), "auto")
    assert stored.statuses() == {"auto_0": "FINISHED", "auto_1": "FINISHED"}
    scores = {n: r.data.metrics["training_accuracy_score"] for n, r in stored.children.items()}
    # autolog's own params, in the child run: the C each trial was given
    assert {n: float(r.data.params["C"]) for n, r in stored.children.items()} == {"auto_0": 0.01, "auto_1": 10.0}
    assert scores["auto_1"] > scores["auto_0"]  # a strongly regularised logistic regression fits iris worse
    assert result.best_trial.name == "auto_1" and result.best_trial.best == scores["auto_1"]
    assert stored.parent.data.tags["best_child_run_id"] == stored.children["auto_1"].info.run_id


def test_autolog_keeps_all_its_params_for_every_kind_of_sampled_value(tmp_path):
    """An int choice read as a float, a float choice, a quniform and a string choice: autolog logs every param of
    the model, in its own spelling (C=2 arrives as 2.0); the sampled values are the parent's, as Azure keeps them."""
    from sklearn.linear_model import LogisticRegression

    spec = spec_from(
        tmp_path,
        """\
        type: sweep
        trial:
          code: src
          command: >-
            python autolog_kinds.py --C ${{search_space.C}} --tol ${{search_space.tol}}
            --intercept_scaling ${{search_space.intercept_scaling}} --solver ${{search_space.solver}}
          environment: azureml:AzureML-sklearn-1.0@latest
        sampling_algorithm: {type: random, seed: 3}
        search_space:
          C: {type: choice, values: [1, 2]}
          tol: {type: choice, values: [0.001, 0.0001]}
          intercept_scaling: {type: quniform, min_value: 1, max_value: 3, q: 0.5}
          solver: {type: choice, values: [lbfgs, newton-cg]}
        objective: {goal: maximize, primary_metric: training_accuracy_score}
        limits: {max_total_trials: 2, max_concurrent_trials: 2}
        """,
        scripts=("autolog_kinds.py",),
    )
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="kinds")

    assert [t.status for t in result.trials] == ["completed", "completed"]
    stored = stored_sweep(sqlite_uri(tmp_path), "kinds")
    every = set(LogisticRegression().get_params())
    for name, run in stored.children.items():
        values = stored.values(name)
        assert isinstance(values["C"], int) and isinstance(values["tol"], float), values
        assert run.data.params.keys() == every, name  # all of autolog's params, none lost
        assert run.data.params["C"] == str(float(values["C"]))  # autolog's spelling, e.g. 2.0
        assert float(run.data.params["intercept_scaling"]) == values["intercept_scaling"]
        assert (run.data.params["tol"], run.data.params["solver"]) == (str(values["tol"]), values["solver"])
        assert "training_accuracy_score" in run.data.metrics
    for trial in result.trials:  # its log, kept as the run's artifact
        assert "Changing param values" not in Path(trial.log_file).read_text()


def test_a_choice_value_reaches_the_trial_as_one_literal_string_and_runs_nothing(tmp_path):
    victim = tmp_path / "pwned"
    value = f"x; touch {victim}"
    spec = spec_from(
        tmp_path,
        shell_spec(
            "printf '%s' ${{search_space.B}} > arg.txt; printf '%s' \"$AZUREML_SWEEP_B\" > env.txt",
            space=f"B: {{type: choice, values: [{json.dumps(value)}]}}",
            limits="{max_total_trials: 1}",
        ),
    )
    result = run_local(spec, LocalOptions(keep_work=True), tracking_uri=sqlite_uri(tmp_path), name="quoted")

    assert result.trials[0].status == "completed"
    code = tmp_path / ".sweep" / "quoted" / "quoted_0" / "code"
    assert (code / "arg.txt").read_text() == value
    assert (code / "env.txt").read_text() == value
    assert not victim.exists()
    assert stored_sweep(sqlite_uri(tmp_path), "quoted").values("quoted_0") == {"B": value}
