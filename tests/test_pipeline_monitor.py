"""The monitor on a pipeline run here: `sweep status | list | best | report | watch | cancel PIPELINE`, read from the
store of one real three-step pipeline run (``three_step_pipeline``, conftest.py), and a cancel of a running one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from cli_process import cli, finish, no_traceback, wait_for
from pipeline_helpers import edited
from submit.cli import app
from submit.emulator.tags import TAG_CANCEL_REQUESTED, TAG_KIND, TAG_STATE
from submit.monitor import LocalSweeps

pytestmark = pytest.mark.slow  # the session's three-step pipeline, run through the CLI

NO_WORKSPACE = {"AZUREML_WORKSPACE_NAME": "", "AZURE_RESOURCE_GROUP": "", "AZURE_SUBSCRIPTION_ID": ""}


def sweep(folder: Path, *args: str):
    result = CliRunner().invoke(
        app, [*args, "--tracking-uri", f"sqlite:///{folder / 'mlflow.db'}"], env=NO_WORKSPACE, terminal_width=80
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_status_of_a_pipeline_shows_each_step_and_its_sweep_step_as_a_sweep(three_step_pipeline):
    result = sweep(three_step_pipeline, "status", "p3")
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("completed pipeline p3 (local): 3 steps in ")
    rows = [line.split("│")[1:5] for line in text.splitlines() if line.startswith("│")]
    steps = [[cell.strip() for cell in row] for row in rows if row[0].strip() in ("prepare", "tune", "evaluate")]
    assert [row[:3] for row in steps] == [
        ["prepare", "command", "completed"],
        ["tune", "sweep", "completed"],
        ["evaluate", "command", "completed"],
    ]
    assert all(row[3].endswith(" s") for row in steps)  # each step's duration
    # the sweep step as `sweep status p3_tune` shows it: the same lines after its heading
    alone = sweep(three_step_pipeline, "status", "p3_tune").output
    assert "step tune (sweep p3_tune):\n" + alone in text
    assert "tune.outputs.model: " in text and "/p3_tune_" in text  # its outputs: the best trial's
    tables = [line for line in text.splitlines() if line[:1] in "┏┃┡│└"]
    assert tables and all(len(line) <= 80 for line in tables), text  # paths may run past 80; tables do not


def test_status_json_of_a_pipeline_holds_its_steps_inputs_outputs_and_the_sweep(three_step_pipeline):
    data = json.loads(sweep(three_step_pipeline, "status", "p3", "--json").output)
    assert (data["pipeline"], data["kind"], data["status"]) == ("p3", "pipeline", "completed")
    steps = data["steps"]
    assert list(steps) == ["prepare", "tune", "evaluate"]  # dependency order
    assert set(steps["evaluate"]["after"]) == {"tune", "prepare"} and steps["prepare"]["after"] == []
    assert steps["prepare"]["inputs"] == {"rows": 60}
    tune = steps["tune"]["sweep"]
    alone = json.loads(sweep(three_step_pipeline, "status", "p3_tune", "--json").output)
    assert tune["best"] == alone["best"] and tune["name"] == "p3_tune"
    # the evaluate step read exactly the sweep step's output: the best trial's folder
    assert steps["evaluate"]["inputs"]["model"] == steps["tune"]["outputs"]["model"]
    assert f"/{alone['best']['trial']}/" in steps["tune"]["outputs"]["model"]
    assert steps["prepare"]["duration_s"] >= 0 and steps["tune"]["duration_s"] > steps["prepare"]["duration_s"]


def test_submit_and_status_give_each_step_the_same_time(three_step_pipeline):
    ran = json.loads((three_step_pipeline / "submit.json").read_text())
    read = json.loads(sweep(three_step_pipeline, "status", "p3", "--json").output)
    times = {name: step["duration_s"] for name, step in read["steps"].items()}
    assert {name: step["duration_s"] for name, step in ran["steps"].items()} == times  # the store's, once
    assert all(t is not None and t >= 0 for t in times.values())


def test_list_shows_the_pipeline_as_one_row_not_its_sweep_step(three_step_pipeline):
    data = json.loads(sweep(three_step_pipeline, "list", "--json").output)
    assert [(r["name"], r["kind"]) for r in data["sweeps"]] == [("p3", "pipeline")]
    (row,) = data["sweeps"]
    alone = json.loads(sweep(three_step_pipeline, "status", "p3_tune", "--json").output)
    assert row["steps"] == dict.fromkeys(("prepare", "tune", "evaluate"), "completed")
    assert row["best"] == alone["best"]["value"] and row["trials_done"] == 6
    text = sweep(three_step_pipeline, "list").output
    assert "p3 (pipeline)" in text and "p3_tune" not in text


def test_best_of_a_pipeline_is_its_sweep_steps_best_trial_and_a_command_step_is_refused(three_step_pipeline):
    by_pipeline = json.loads(sweep(three_step_pipeline, "best", "p3", "--json").output)
    by_step = json.loads(sweep(three_step_pipeline, "best", "p3/tune", "--json").output)
    by_sweep = json.loads(sweep(three_step_pipeline, "best", "p3_tune", "--json").output)
    assert by_pipeline == by_step == by_sweep and by_sweep["sweep"] == "p3_tune"
    refused = sweep(three_step_pipeline, "best", "p3/prepare")
    assert refused.exit_code == 2
    assert "pipeline p3: step 'prepare' is a command step, not a sweep step" in refused.output
    assert "Traceback" not in refused.output
    misspelt = sweep(three_step_pipeline, "best", "p3/tun")
    assert misspelt.exit_code == 2 and "did you mean `tune`" in misspelt.output


def test_watch_of_an_ended_pipeline_follows_its_sweep_step_to_its_end(three_step_pipeline):
    result = sweep(three_step_pipeline, "watch", "p3", "--interval", "0.1")
    assert result.exit_code == 0, result.output
    assert "completed sweep p3_tune (local)" in result.output


def test_report_of_a_pipeline_draws_its_sweep_step_and_a_steps_table(three_step_pipeline, tmp_path):
    target = tmp_path / "p3.html"
    result = sweep(three_step_pipeline, "report", "p3", "-o", str(target), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sweeps"] == ["p3_tune"]
    page = target.read_text()
    assert "<h2>pipeline p3 " in page
    for step, kind in (("prepare", "command"), ("tune", "sweep"), ("evaluate", "command")):
        assert f"<tr><td>{step}</td><td>{kind}</td><td>completed</td>" in page


def test_the_library_reads_the_same_pipeline(three_step_pipeline):
    store = LocalSweeps(f"sqlite:///{three_step_pipeline / 'mlflow.db'}")
    pipeline = store.pipeline("p3")
    assert pipeline.sweep_step().name == "tune" and pipeline.sweep_of("tune").name == "p3_tune"
    assert pipeline.sweep_of().best.run_id == store.status("p3_tune").best.run_id
    assert "p3" in store.names() and "p3_tune" in store.names()


def test_cancel_of_a_running_pipeline_stops_its_sweep_step_resumable(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    hang = f"touch {marks}/$$; sleep 300; python train.py"
    pipeline = edited(tmp_path, {"python train.py": hang}, file="components/train.yml")
    proc = cli("submit", str(pipeline), "--local", "--name", "c2", cwd=tmp_path)
    wait_for(lambda: any(marks.iterdir()), "a trial of the sweep step to start", proc=proc)
    code, out, err = finish(cli("cancel", "c2", "--local", cwd=tmp_path))
    assert code == 0 and no_traceback(out, err), out + err
    assert "cancel requested for pipeline c2" in out
    code, out, err = finish(proc)
    assert code == 130, out + err
    assert "resume with: sweep submit" in err
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    (top,) = [r for r in runs if r.data.tags.get(TAG_KIND) == "pipeline"]
    (tune,) = [r for r in runs if r.data.tags.get(TAG_KIND) == "parent"]
    assert TAG_CANCEL_REQUESTED in top.data.tags and TAG_CANCEL_REQUESTED in tune.data.tags
    assert top.data.tags[TAG_STATE] == "interrupted" and tune.data.tags[TAG_STATE] == "interrupted"
    again = finish(cli("cancel", "c2", "--local", cwd=tmp_path))
    assert again[0] == 2 and "pipeline c2 is not running (it is interrupted)" in again[2], again


def test_plan_of_a_pipeline_lays_out_its_sweep_steps_trials(three_step_pipeline):
    pipeline = three_step_pipeline / "pipelines" / "three_steps.yml"
    result = CliRunner().invoke(app, ["plan", str(pipeline), "--json"], env=NO_WORKSPACE)
    assert result.exit_code == 0, result.output
    planned = json.loads(result.output)
    assert len(planned["trials"]) == 4  # the step's max_total_trials, as written in the file
    first = planned["trials"][0]
    assert set(first["params"]) == {"lr", "depth"}
    # the swept inputs reach the trial's command as its component reads them; a bound input is named, not a path
    assert "--data '<prepare.outputs.data>'" in first["command"] and "--kernel linear" in first["command"]
    assert f"--depth {first['params']['depth']}" in first["command"]
    # a pipeline runs without a lock file (plan --lock refuses it): its note points to the step's seed alone
    assert any("sampling_algorithm.seed" in n for n in planned["notes"])
    assert not any("--lock" in n for n in planned["notes"]), planned["notes"]


def test_preflight_of_a_pipeline_whose_sweep_step_reads_another_step_says_what_to_run(three_step_pipeline):
    pipeline = three_step_pipeline / "pipelines" / "three_steps.yml"
    result = CliRunner().invoke(app, ["validate", "--preflight", str(pipeline)], env=NO_WORKSPACE)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--preflight runs one trial of step tune, which reads the outputs of prepare" in result.output
    assert "--local --set jobs.tune.limits.max_total_trials=1 runs prepare and one trial" in result.output


def test_refine_of_a_pipeline_writes_the_pipeline_with_its_sweep_step_narrowed(three_step_pipeline):
    target = three_step_pipeline / "pipelines" / "refined.yml"  # beside the original: its components resolve
    result = sweep(three_step_pipeline, "refine", "p3", "-o", str(target), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sweeps"] == ["p3_tune"]
    keys = [c["key"] for c in data["changes"]]
    assert keys and all(k.startswith("jobs.tune.") for k in keys), keys
    from submit.pipeline import load_pipeline

    original = load_pipeline(three_step_pipeline / "pipelines" / "three_steps.yml")
    refined = load_pipeline(target)  # a valid pipeline, its other steps as they were
    assert list(refined.steps) == list(original.steps)
    assert refined.steps["prepare"].inputs == original.steps["prepare"].inputs
    changed = {k.split(".")[3] for k in keys if ".search_space." in k}
    for name in changed:  # each change is in the file, with its reason above it
        assert refined.steps["tune"].sweep.search_space[name] != original.steps["tune"].sweep.search_space[name]
    assert target.read_text().count("# refine: ") >= len(changed)
