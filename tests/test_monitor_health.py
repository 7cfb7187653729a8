"""Health flags and progress on real local sweeps built to trip them (and one that trips none), in text and --json;
the thresholds on summaries built from the monitor's own data classes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_process import Started, cli, finish, wait_for
from emulator_helpers import shell_spec, spec_from, sqlite_uri, write_spec
from monitor_helpers import Trial, synth_sweep
from submit.cli import app
from submit.emulator import run_local
from submit.monitor import LocalSweeps, SweepSummary, TrialRecord
from submit.monitor.health import FAILURE_RATE, QUEUED_LONG_S, STRAGGLER_FACTOR, flags, status_dict
from submit.monitor.record import MetricPoint

NO_WORKSPACE = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_RESOURCE_GROUP": "", "AZUREML_WORKSPACE_NAME": ""}

TROUBLED = """\
type: sweep
trial:
  code: src
  command: python health_modes.py ${{search_space.mode}}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: grid
search_space:
  mode: {type: choice, values: [acc, nan, fail, ok]}
objective: {goal: maximize, primary_metric: accuracy}
early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 5}
limits: {max_total_trials: 4, max_concurrent_trials: 2}
"""  # each trial logs one value at most: a policy that waits for 5 never acts

CLEAN = """\
type: sweep
trial:
  code: src
  command: python quadratic.py ${{search_space.x}} b
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: grid
search_space:
  x: {type: choice, values: [0.1, 0.3]}
objective: {goal: maximize, primary_metric: accuracy}
early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 1}
limits: {max_total_trials: 5, max_concurrent_trials: 2}
"""  # a grid of 2 under max_total_trials 5: done 2 of 2, not of 5


def sweep(*args: str):
    return CliRunner().invoke(app, list(args), env=NO_WORKSPACE)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("health")
    uri = sqlite_uri(folder)
    run_local(spec_from(folder / "t", TROUBLED, ("health_modes.py",)), tracking_uri=uri, name="troubled")
    run_local(spec_from(folder / "c", CLEAN, ("quadratic.py",)), tracking_uri=uri, name="clean")
    return uri


def by_kind(data: dict) -> dict:
    return {f["kind"]: f for f in data["flags"]}


@pytest.mark.slow  # the module's two real sweeps (its fixture)
def test_each_problem_of_the_troubled_sweep_is_flagged_with_its_trials_in_json(store):
    run = sweep("status", "troubled", "--tracking-uri", store, "--json")
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    trial = {t["params"]["mode"]: t["name"] for t in data["trials"]}
    flagged = by_kind(data)
    assert set(flagged) == {"metric_missing", "non_finite", "failure_rate", "state_disagrees", "policy_idle"}
    missing = flagged["metric_missing"]
    assert missing["trials"] == [trial["acc"]] and missing["details"]["logged"] == ["acc"]
    assert missing["details"]["hint"] == "acc" and "did you mean `acc`?" in missing["message"]
    assert flagged["non_finite"]["trials"] == [trial["nan"]]
    assert flagged["failure_rate"]["trials"] == [trial["fail"]]
    assert flagged["failure_rate"]["details"] == {"failed": 1, "ended": 4, "rate": 0.25, "threshold": FAILURE_RATE}
    assert flagged["state_disagrees"]["trials"] == [trial["fail"]] and data["status"] == "completed"
    idle = flagged["policy_idle"]
    assert idle["details"]["first_interval"] == 5 and idle["details"]["most_values"] == 1
    assert sorted(idle["trials"]) == sorted(trial.values())


@pytest.mark.slow  # the module's two real sweeps (its fixture)
def test_the_troubled_sweep_flags_read_in_text(store):
    run = sweep("status", "troubled", "--tracking-uri", store)
    assert run.exit_code == 0, run.output
    text = run.output
    assert "flag metric_missing (M): 1 completed trial(s) never logged the primary metric 'accuracy'" in text
    assert "(they logged acc); did you mean `acc`?" in text
    assert "flag non_finite (N): 1 trial(s) logged NaN or infinity as accuracy" in text
    assert "flag failure_rate (F): 1 of 4 ended trials failed (25%, the threshold is 25%)" in text
    assert "flag state_disagrees (D): the sweep is completed but 1 of its 4 trials failed" in text
    assert "flag policy_idle (P): the bandit policy never could act: it first judges a trial at its value 5" in text
    assert "health: no flags" not in text
    assert "progress: 4 of 4 (max_total_trials) trials done" in text


@pytest.mark.slow  # the module's two real sweeps (its fixture)
def test_a_sweep_with_no_problem_has_no_flag(store):
    data = json.loads(sweep("status", "clean", "--tracking-uri", store, "--json").stdout)
    assert data["flags"] == []
    assert data["progress"]["done"] == 2 and data["progress"]["planned"] == 2  # the grid, not max_total_trials 5
    assert data["progress"]["planned_from"] == "grid" and data["progress"]["eta_s"] == 0.0
    text = sweep("status", "clean", "--tracking-uri", store).output
    assert "health: no flags" in text and "flag " not in text
    assert "progress: 2 of 2 (grid) trials done" in text


@pytest.mark.slow  # the module's two real sweeps (its fixture)
def test_list_has_one_marker_column_and_the_names_stay_whole_in_80_columns(store):
    run = CliRunner().invoke(app, ["list", "--tracking-uri", store], env={**NO_WORKSPACE, "COLUMNS": "80"})
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    troubled = next(ln for ln in lines if "troubled" in ln)
    clean = next(ln for ln in lines if "clean" in ln)
    assert all(len(ln) <= 80 for ln in lines if "│" in ln), run.output
    assert "MNFD" in troubled and "4/4" in troubled  # the policy check needs every value: status, not list
    assert "·" in clean and "2/2" in clean  # done of the grid's 2
    assert "M metric_missing" in run.output  # the legend under the table
    data = {r["name"]: r for r in json.loads(sweep("list", "--tracking-uri", store, "--json").stdout)["sweeps"]}
    # list reads each trial's latest value only: the NaN is its latest value, so it is seen; the policy check waits
    assert {f["kind"] for f in data["troubled"]["flags"]} == {
        "metric_missing",
        "non_finite",
        "failure_rate",
        "state_disagrees",
    }
    assert data["clean"]["flags"] == [] and data["clean"]["progress"]["planned"] == 2


@pytest.mark.slow
def test_a_straggler_is_flagged_while_it_runs(tmp_path):
    # three quick trials and one that runs until the sweep is canceled; no metric needed, so no MLflow import
    spec = write_spec(
        tmp_path,
        shell_spec(
            'if [ "${{search_space.x}}" = 4 ]; then sleep 120; fi',
            space="x: {type: choice, values: [1, 2, 3, 4]}",
            limits="{max_total_trials: 4, max_concurrent_trials: 2}",
            sampling="grid",
        ),
    )
    uri = sqlite_uri(tmp_path)
    proc = _start(spec, uri, "slow")
    try:  # the observable event: the flag appears once the straggler has outrun the bar

        def flagged():
            data = _status_json(uri, "slow")
            return data if data and "straggler" in by_kind(data) else None

        data = wait_for(flagged, "the straggler flag", proc=proc, interval=0.3)
        text = sweep("status", "slow", "--tracking-uri", uri).output
    finally:
        LocalSweeps(uri).request_cancel("slow")
        finish(proc)
    straggler = by_kind(data)["straggler"]
    assert straggler["trials"] == ["slow_3"]
    median = straggler["details"]["median_s"]
    assert straggler["details"]["running_s"]["slow_3"] > max(median * STRAGGLER_FACTOR, median + 2)
    assert "flag straggler (S): 1 trial(s) running far longer than the median trial" in text
    assert "failure_rate" not in by_kind(data)


def _start(spec: Path, uri: str, name: str, *extra: str) -> Started:
    return cli("submit", str(spec), "--local", "--tracking-uri", uri, "--name", name, *extra)


def _status_json(uri: str, name: str) -> dict | None:
    run = sweep("status", name, "--tracking-uri", uri, "--json")
    return json.loads(run.stdout) if run.exit_code == 0 else None  # not in the store yet


@pytest.mark.slow
def test_the_eta_of_a_running_sweep_is_near_its_actual_end(tmp_path):
    """8 trials of 2 s, 2 at a time. Asked once 2 have ended, the estimate must put the end within a tolerance of
    the actual end: one trial's duration plus a quarter of the time that was left (the scheduler's gaps between
    trials and a loaded machine's start-up are not in the estimate)."""
    spec = write_spec(
        tmp_path,
        shell_spec(
            "sleep 2; echo ${{search_space.x}}",
            space="x: {type: choice, values: [1, 2, 3, 4, 5, 6, 7, 8]}",
            limits="{max_total_trials: 8, max_concurrent_trials: 2}",
            sampling="grid",
        ),
    )
    uri = sqlite_uri(tmp_path)
    proc = _start(spec, uri, "eta", "--max-concurrent", "2")
    try:

        def two_done():
            data = _status_json(uri, "eta")
            return data if data and data["progress"]["done"] >= 2 else None

        data = wait_for(two_done, "two trials done", proc=proc, interval=0.2)
        asked = time.time()
        progress = data["progress"]
        code, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, out + err
    actual_end = LocalSweeps(uri).status("eta", histories=False).ended
    assert progress["planned"] == 8 and progress["concurrency"] == 2 and progress["eta_s"] > 0
    assert progress["eta_basis"].startswith("about ") and "at a time" in progress["eta_basis"]
    left = actual_end - asked
    tolerance = progress["median_trial_s"] + 0.25 * left
    assert abs(asked + progress["eta_s"] - actual_end) <= tolerance, (progress, left)


# the thresholds, on summaries built from the monitor's data classes --------------------------------------------


def _trial(i: int, status: str, started: float | None, ended: float | None, values=(0.5,)) -> TrialRecord:
    history = [MetricPoint(s, v, (started or 0) + s) for s, v in enumerate(values)]
    return TrialRecord(
        f"s_{i}", f"r{i}", i, status, {"x": i}, history, {"accuracy": values[-1]} if values else {}, started, ended
    )


def _summary(trials, status="running", **kw) -> SweepSummary:
    return SweepSummary("s", "cloud", "ws", status, "accuracy", "maximize", trials, started=1000.0, **kw)


def test_a_trial_queued_past_the_threshold_is_flagged_and_one_just_queued_is_not():
    s = _summary([_trial(0, "queued", None, None, ())])
    assert flags(s, now=1000.0 + QUEUED_LONG_S - 1) == []
    [flag] = flags(s, now=1000.0 + QUEUED_LONG_S + 1)
    assert flag.kind == "queued_long" and flag.trials == ["s_0"]


def test_a_failure_rate_below_the_threshold_is_not_flagged():
    trials = [_trial(i, "completed", 0.0, 10.0) for i in range(4)] + [_trial(4, "failed", 0, 1.0, ())]
    assert "failure_rate" not in {f.kind for f in flags(_summary(trials), now=20.0)}  # 1 of 5: 20 % < 25 %


def test_a_straggler_needs_a_median_of_ended_trials_and_to_outrun_it():
    ended = [_trial(i, "completed", 0.0, 10.0) for i in range(2)]
    running = _trial(2, "running", 0.0, None)
    assert not [f for f in flags(_summary([*ended, running]), now=29.0) if f.kind == "straggler"]  # under 3 x 10 s
    assert [f.trials for f in flags(_summary([*ended, running]), now=31.0) if f.kind == "straggler"] == [["s_2"]]
    assert not [f for f in flags(_summary([ended[0], running]), now=100.0) if f.kind == "straggler"]  # one ended


def test_status_json_body_holds_progress_and_flags(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "synth", [Trial({"x": 1}, [0.1]), Trial({"x": 2}, [0.2], status="failed", exit_code=1)])
    body = status_dict(LocalSweeps(uri).status("synth"))
    assert body["progress"]["done"] == 2 and body["progress"]["planned"] == 2
    assert {f["kind"] for f in body["flags"]} == {"failure_rate", "state_disagrees"}
