"""`sweep submit pipeline.yml --local`: the pipeline runs here, step by step, through the real CLI in a subprocess;
the store holds pipeline -> steps -> trials, a sweep step hands on its best trial's outputs, a failed step skips its
dependants, and a pipeline killed in its sweep step resumes without running its finished steps again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from cli_process import children_of, cli, finish, kill, no_traceback, serves_mlflow, wait_for
from pipeline_helpers import edited
from submit.emulator.tags import (
    BEST_RUN_TAG,
    TAG_CANCEL_REQUESTED,
    TAG_INPUTS,
    TAG_KIND,
    TAG_PARENT,
    TAG_PIPELINE,
    TAG_STEP,
    TAG_STEPS,
)
from submit.monitor import LocalSweeps

pytestmark = pytest.mark.slow  # every test runs a pipeline through the CLI: 15-150 s each on a loaded machine

SWEEP_PIPELINE = (
    Path(__file__).parent
    / "fixtures"
    / "official"
    / "azureml-examples/cli/jobs/pipelines-with-components/pipeline_with_hyperparameter_sweep"
)


def run(*args: str, cwd: Path, timeout: float = 300) -> tuple[int, str, str]:
    code, out, err = finish(cli("submit", *args, "--local", cwd=cwd), timeout=timeout)
    assert no_traceback(out, err), out + err
    return code, out, err


def store_runs(db: Path) -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    return list(client.search_runs(experiments, max_results=1000))


def children(runs: list, parent) -> list:
    return [r for r in runs if r.data.tags.get(TAG_PARENT) == parent.info.run_id]


def test_three_steps_run_here_the_evaluate_step_reads_the_best_trial_and_the_store_nests_them(three_step_pipeline):
    # the session's run (conftest.py), which the monitor tests read too: `submit p3 --local --json`, six trials
    out, err = ((three_step_pipeline / name).read_text() for name in ("submit.json", "submit.err"))
    assert no_traceback(out, err), out + err
    result = json.loads(out)
    assert result["status"] == "completed"
    assert {n: s["status"] for n, s in result["steps"].items()} == dict.fromkeys(
        ("prepare", "tune", "evaluate"), "completed"
    )
    # the progress (stderr under --json): a line per step, then the table within 80 columns
    assert "step prepare completed" in err and "step tune started (sweep p3_tune)" in err
    table = err[err.index("pipeline p3\n") : err.index("tune: best trial")].splitlines()
    assert [row.split()[1:4] for row in table if "command" in row or "sweep " in row] == [
        ["prepare", "│", "command"],
        ["tune", "│", "sweep"],
        ["evaluate", "│", "command"],
    ]
    assert all(len(row) <= 80 for row in table), table

    runs = store_runs(three_step_pipeline / "mlflow.db")
    (top,) = [r for r in runs if r.data.tags.get(TAG_KIND) == "pipeline"]
    steps = {r.data.tags[TAG_STEP]: r for r in children(runs, top)}
    assert set(steps) == {"prepare", "tune", "evaluate"}
    assert all(r.data.tags[TAG_PIPELINE] == "p3" for r in [top, *steps.values()])
    trials = children(runs, steps["tune"])
    assert len(trials) == 6 and all(t.data.tags[TAG_KIND] == "trial" for t in trials)

    # the best trial, read from the trials' own metrics (maximize accuracy; the first to reach it on a tie)
    best = max(trials, key=lambda t: (t.data.metrics["accuracy"], -int(t.data.tags["sweep.trial_index"])))
    assert steps["tune"].data.tags[BEST_RUN_TAG] == best.info.run_id
    thresholds = {}
    for t in trials:
        artifact = Path(t.info.artifact_uri.removeprefix("file://")) / "named-outputs" / "model" / "threshold.txt"
        thresholds[t.info.run_id] = artifact.read_text().strip()
    assert len(set(thresholds.values())) > 1  # the trials' models differ, so the content names one trial
    report = Path(result["outputs"]["final_report"]) / "report.txt"
    assert report.read_text() == f"threshold {thresholds[best.info.run_id]}\n"
    evaluate_inputs = json.loads(steps["evaluate"].data.tags[TAG_INPUTS])
    assert evaluate_inputs["model"] == result["steps"]["tune"]["outputs"]["model"]
    assert result["steps"]["tune"]["best"]["trial"] == best.info.run_name
    # the sweep step is a sweep as the monitor reads one, by its own name
    sweep = LocalSweeps(f"sqlite:///{three_step_pipeline / 'mlflow.db'}").status("p3_tune")
    assert len(sweep.trials) == 6 and sweep.best.run_id == best.info.run_id
    assert json.loads(top.data.tags[TAG_STEPS]) == {
        name: {"type": step["type"], "state": "completed", "after": step["after"], "reason": None}
        for name, step in result["steps"].items()
    }


FAILING = """\
type: pipeline
settings:
  continue_on_step_failure: {flag}
jobs:
  broken:
    type: command
    command: python -c 'import sys; sys.exit(3)' ${{{{outputs.out}}}}
    environment: azureml:env:1
    outputs:
      out:
  needs_broken:
    type: command
    code: ./src
    command: python say.py --text ${{{{inputs.given}}}} --out ${{{{outputs.said}}}}
    environment: azureml:env:1
    inputs:
      given: ${{{{parent.jobs.broken.outputs.out}}}}
    outputs:
      said:
  needs_that:
    type: command
    code: ./src
    command: python say.py --text ${{{{inputs.given}}}} --out ${{{{outputs.said}}}}
    environment: azureml:env:1
    inputs:
      given: ${{{{parent.jobs.needs_broken.outputs.said}}}}
    outputs:
      said:
  independent:
    type: command
    code: ./src
    command: python say.py --text alone --out ${{{{outputs.said}}}}
    environment: azureml:env:1
    outputs:
      said:
"""


def _failing(tmp_path: Path, flag: str) -> Path:
    folder = tmp_path / flag
    shutil.copytree(Path(__file__).parent / "fixtures" / "pipelines" / "src", folder / "src")
    path = folder / "failing.yml"
    path.write_text(FAILING.format(flag=flag))
    return path


def test_a_failed_step_skips_its_dependants_by_name_and_stops_the_pipeline(tmp_path):
    path = _failing(tmp_path, "false")
    # one step at a time, in file order: `broken` fails before `independent` could start
    code, out, err = run(str(path), "--name", "f1", "--max-concurrent", "1", "--json", cwd=path.parent)
    assert code == 1, out + err
    steps = json.loads(out)["steps"]
    assert steps["broken"]["status"] == "failed" and "exited with code 3" in steps["broken"]["reason"]
    assert steps["needs_broken"] == {
        **steps["needs_broken"],
        "status": "skipped",
        "reason": "needs broken, which failed",
    }
    assert steps["needs_that"]["reason"] == "needs needs_broken, skipped as broken failed"
    assert steps["independent"]["status"] == "skipped"
    assert "continue_on_step_failure" in steps["independent"]["reason"]
    assert "step needs_broken skipped: needs broken, which failed" in err
    assert "pipeline f1 failed" in err and "skipped: needs_broken, needs_that, independent" in err


def test_with_continue_on_step_failure_the_independent_steps_still_run(tmp_path):
    path = _failing(tmp_path, "true")
    code, out, err = run(str(path), "--name", "f2", "--max-concurrent", "1", "--json", cwd=path.parent)
    assert code == 1, out + err
    steps = json.loads(out)["steps"]
    assert [steps[n]["status"] for n in ("broken", "needs_broken", "needs_that", "independent")] == [
        "failed",
        "skipped",
        "skipped",
        "completed",
    ]
    said = Path(steps["independent"]["outputs"]["said"]) / "said.txt"
    assert said.read_text() == "alone\n"


def test_killed_in_the_sweep_step_and_resumed_the_prepare_step_is_not_run_again(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    pipeline = edited(
        tmp_path,
        {"command: python prepare.py": f"command: echo ran >> {marks}/prepare_runs; python prepare.py"},
        file="components/prepare.yml",
    )
    # the second trial hangs the first time it runs (the one after `first` was marked), never again
    train = pipeline.parent / "components" / "train.yml"
    text = train.read_text().replace(
        "command: >-\n  python train.py",
        f"command: >-\n  if [ -e {marks}/first ] && [ ! -e {marks}/hung ]; then touch {marks}/hung; sleep 300; fi;"
        f" touch {marks}/first; python train.py",
    )
    train.write_text(text)
    one_at_a_time = ("--set", "jobs.tune.limits.max_concurrent_trials=1")
    proc = cli("submit", str(pipeline), "--local", "--name", "k1", *one_at_a_time, cwd=tmp_path)
    wait_for(lambda: (marks / "hung").exists(), "the sweep step's second trial to start", proc=proc)
    # the pipeline's one tracking server, forked before the pipeline opened its store, serves its sweep step
    (server,) = [pid for pid in children_of(proc.pid) if serves_mlflow(pid)]
    assert Path(f"/proc/{server}/cmdline").read_bytes().startswith(f"mlflow.server sqlite:///{tmp_path}/".encode())
    kill(proc, signal.SIGKILL)
    proc.communicate()

    code, out, err = run(str(pipeline), "--resume", "k1", *one_at_a_time, "--json", cwd=tmp_path)
    assert code == 0, out + err
    result = json.loads(out)
    assert result["resumed"] is True and result["status"] == "completed"
    assert result["steps"]["prepare"]["earlier_run"] is True
    assert (marks / "prepare_runs").read_text() == "ran\n"  # prepare ran once, before the kill
    assert "resuming sweep k1_tune" in err
    runs = store_runs(tmp_path / "mlflow.db")
    (top,) = [r for r in runs if r.data.tags.get(TAG_KIND) == "pipeline"]
    steps = children(runs, top)
    assert sorted(r.data.tags[TAG_STEP] for r in steps) == ["evaluate", "prepare", "tune"]
    (tune,) = [r for r in steps if r.data.tags[TAG_STEP] == "tune"]
    trials = children(runs, tune)
    by_index = {}
    for t in trials:
        by_index.setdefault(t.data.tags["sweep.trial_index"], []).append(t)
    assert len(by_index["0"]) == 1 and by_index["0"][0].info.status == "FINISHED"  # the trial done before the kill
    assert len(by_index["1"]) == 2  # the hung trial, superseded by its re-run
    assert sorted(by_index) == ["0", "1", "2", "3"]


def test_the_official_sweep_pipeline_runs_here_and_its_predict_step_reads_the_best_model(tmp_path):
    folder = tmp_path / "official"
    shutil.copytree(SWEEP_PIPELINE, folder)
    # its commands start with `pip install 'mlflow<2.19'`, the image's set-up; here a stand-in pip does nothing, so
    # the run neither downloads nor changes this environment (--local runs with this interpreter's packages)
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "pip").write_text("#!/bin/sh\necho pip stand-in: $@\n")
    (shim / "pip").chmod(0o755)
    path = f"PATH={shim}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    iris = tmp_path / "iris.csv"  # the example's data: Fisher's iris, as scikit-learn ships it (150 rows)
    _write_iris(iris)
    code, out, err = run(
        str(folder / "pipeline.yml"),
        "--name",
        "iris",
        "--input",
        f"data={iris}",
        "--env",
        path,
        "--set",
        "jobs.sweep_step.limits.max_total_trials=2",
        "--json",
        cwd=tmp_path,
        timeout=600,
    )
    assert code == 0, out + err
    result = json.loads(out)
    sweep, predict = result["steps"]["sweep_step"], result["steps"]["predict_step"]
    assert sweep["status"] == predict["status"] == "completed"
    runs = store_runs(tmp_path / "mlflow.db")
    (predict_run,) = [r for r in runs if r.data.tags.get(TAG_STEP) == "predict_step"]
    read = json.loads(predict_run.data.tags[TAG_INPUTS])
    assert read["model"] == sweep["outputs"]["model_output"]
    best = [r for r in runs if r.info.run_id == sweep["best"]["run_id"]][0]
    logged = Path(best.info.artifact_uri.removeprefix("file://")) / "named-outputs" / "model_output" / "MLmodel"
    assert (Path(read["model"]) / "MLmodel").read_text() == logged.read_text()  # the best trial's own model
    predictions = (Path(predict["outputs"]["predict_result"]) / "predict_result.csv").read_text().splitlines()
    assert predictions[0].endswith(",predict") and len(predictions) == 31  # iris's test split: 30 rows


def _write_iris(path: Path) -> None:
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    frame["species"] = [data.target_names[t] for t in frame.pop("target")]
    frame.to_csv(path, index=False)


@pytest.mark.parametrize("stop", ["ctrl-c", "cancel-request"])
def test_ctrl_c_in_a_command_step_leaves_the_pipeline_resumable_and_resume_runs_that_step_again(stop, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    hang_once = f"if [ ! -e {marks}/hung ]; then touch {marks}/hung; sleep 300; fi; python prepare.py"
    pipeline = edited(tmp_path, {"command: python prepare.py": f"command: {hang_once}"}, file="components/prepare.yml")
    fewer = ("--set", "jobs.tune.limits.max_total_trials=1")  # the subject is the prepare step: one trial will do
    proc = cli("submit", str(pipeline), "--local", "--name", "c1", *fewer, cwd=tmp_path)
    wait_for(lambda: (marks / "hung").exists(), "the prepare step to start", proc=proc)
    if stop == "ctrl-c":
        kill(proc, signal.SIGINT)
    else:  # the tag `sweep cancel` sets on a sweep's run, here on the pipeline's: the runner stops as on Ctrl-C
        (top,) = [r for r in store_runs(tmp_path / "mlflow.db") if r.data.tags.get(TAG_KIND) == "pipeline"]
        from mlflow.tracking import MlflowClient

        MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}").set_tag(
            top.info.run_id, TAG_CANCEL_REQUESTED, "now"
        )
    code, out, err = finish(proc)
    assert code == 130, out + err
    assert "step prepare interrupted" in out and "step tune skipped" not in out
    assert f"resume with: sweep submit {pipeline} --local --resume c1" in err

    code, out, err = run(str(pipeline), "--resume", "c1", *fewer, "--json", cwd=tmp_path)
    assert code == 0, out + err
    assert {n: s["status"] for n, s in json.loads(out)["steps"].items()} == dict.fromkeys(
        ("prepare", "tune", "evaluate"), "completed"
    )
    runs = store_runs(tmp_path / "mlflow.db")
    prepared = sorted(r.info.status for r in runs if r.data.tags.get(TAG_STEP) == "prepare")
    assert prepared == ["FINISHED", "KILLED"]  # the interrupted run, closed, and the run that completed


RENDEZVOUS = """\
type: pipeline
jobs:
  writer:
    type: command
    command: timeout 60 sh -c 'echo met > {fifo}'
    environment: azureml:env:1
  reader:
    type: command
    command: timeout 60 cat {fifo}
    environment: azureml:env:1
"""


def test_steps_with_no_dependency_between_them_run_at_once(tmp_path):
    # each step blocks until the other has the pipe open: they complete only if they run at the same time
    fifo = tmp_path / "meet"
    os.mkfifo(fifo)
    path = tmp_path / "rendezvous.yml"
    path.write_text(RENDEZVOUS.format(fifo=fifo))
    code, out, err = run(str(path), "--name", "r1", "--max-concurrent", "2", "--json", cwd=tmp_path)
    assert code == 0, out + err
    steps = json.loads(out)["steps"]
    assert steps["writer"]["status"] == steps["reader"]["status"] == "completed"
    (reader,) = [r for r in store_runs(tmp_path / "mlflow.db") if r.data.tags.get(TAG_STEP) == "reader"]
    log = Path(reader.info.artifact_uri.removeprefix("file://")) / "user_logs" / "std_log.txt"
    assert log.read_text().strip().endswith("met")
