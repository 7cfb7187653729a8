"""The monitor on local sweeps: real sweeps run by the emulator, read back through MlflowClient and checked against
what the store holds; synthetic stores (tests/monitor_helpers.py) where a real sweep is not the point."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest
from mlflow.tracking import MlflowClient

from emulator_helpers import shell_spec, spec_from, sqlite_uri, stored_sweep
from monitor_helpers import Trial, synth_sweep
from submit.emulator import run_local
from submit.errors import InputError
from submit.monitor import (
    TAG_CANCEL_REQUESTED,
    LocalSweeps,
    MonitorInputError,
    cancel_requested,
    require_best,
)

BANDIT = """\
type: sweep
trial:
  code: src
  command: python curve.py ${{search_space.level}} 0.6
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: grid
search_space:
  level: {type: choice, values: [0.9, 0.5, 0.4]}
objective: {goal: maximize, primary_metric: accuracy}
early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 0}
limits: {max_total_trials: 3, max_concurrent_trials: 1}
"""  # one at a time: 0.9 has ended when 0.5 and 0.4 log their first values, so the policy's verdict is certain


def test_status_of_a_sweep_with_failed_trials_is_what_the_store_holds(failing_sweep):
    uri, result = failing_sweep
    summary = LocalSweeps(uri).status("fails")
    stored = stored_sweep(uri, "fails")
    mlflow_words = {"FINISHED": "completed", "FAILED": "failed", "KILLED": "canceled"}

    assert summary.status == "completed" and summary.where == "local" and summary.location == uri
    assert {t.name: t.status for t in summary.trials} == {n: mlflow_words[s] for n, s in stored.statuses().items()}
    assert summary.counts == {"queued": 0, "running": 0, "completed": 2, "failed": 2, "canceled": 0}
    failed = [t for t in summary.trials if t.status == "failed"]
    assert {t.params["k"] for t in failed} == {"c"} and {t.exit_code for t in failed} == {1}
    # the best is the parent's best_child_run_id, with the parameters the sampler gave it
    assert summary.best.run_id == stored.parent.data.tags["best_child_run_id"]
    assert summary.best.params == {"x": 0.3, "k": "b"} and summary.best.best == pytest.approx(1.0)
    client = MlflowClient(tracking_uri=uri)
    for trial in summary.trials:
        logged = client.get_metric_history(trial.run_id, "accuracy")
        assert [p.value for p in trial.history] == [m.value for m in logged]
        assert trial.duration is not None and trial.duration > 0
    assert summary.savings.policy is None and summary.savings.trial_seconds == pytest.approx(
        sum(t.duration for t in summary.trials)
    )
    assert summary.ui_command == f"mlflow ui --backend-store-uri {uri}"


def test_json_shape_is_stable_and_names_every_trial(failing_sweep):
    uri, _ = failing_sweep
    data = json.loads(json.dumps(LocalSweeps(uri).status("fails").to_dict(histories=True)))
    assert data["best"]["params"] == {"x": 0.3, "k": "b"}
    assert [t["name"] for t in data["trials"]] == [f"fails_{i}" for i in range(4)]
    assert all(len(t["history"]) == t["values_logged"] == 1 for t in data["trials"])
    assert data["compute"]["trial_seconds"] > 0 and data["compute"]["policy"] is None


def test_list_shows_the_sweep_with_its_counts_and_best(failing_sweep):
    uri, result = failing_sweep
    [row] = [r for r in LocalSweeps(uri).list() if r.name == "fails"]
    assert (row.name, row.status, row.done, row.total) == ("fails", "completed", 4, 4)  # total: the parent's limits
    assert row.best == pytest.approx(result.best_trial.best) and row.duration > 0


@pytest.mark.slow
def test_a_policy_cancel_is_read_back_with_its_reason_and_the_compute_it_saved(tmp_path):
    uri = sqlite_uri(tmp_path)
    spec = spec_from(tmp_path, BANDIT, ("curve.py",))
    result = run_local(spec, tracking_uri=uri, name="bandit")
    summary = LocalSweeps(uri).status("bandit")
    canceled = {t.name: t for t in summary.trials if t.status == "canceled"}
    assert set(canceled) == {t.name for t in result.trials if t.status == "canceled"} == {"bandit_1", "bandit_2"}
    for trial in canceled.values():
        assert trial.canceled_by_policy and trial.cancel_reason.startswith("bandit: ")
        assert len(trial.history) < 8  # stopped before its last value
    assert summary.policy == "bandit"  # the scheduler tags its policy on the parent
    assert summary.savings.canceled == 2 and summary.savings.avoided_seconds > 0
    assert summary.best.params == {"level": 0.9}


def test_what_the_emulator_tags_on_its_runs_the_monitor_reads_back(tmp_path):
    uri = sqlite_uri(tmp_path)
    body = shell_spec(
        "echo ${{search_space.s}}",
        space="s: {type: choice, values: [1]}",
        limits="{max_total_trials: 1, trial_timeout: 300}",
    )
    spec = spec_from(tmp_path, body)
    result = run_local(spec, tracking_uri=uri, name="quiet", tracking_server=False)

    summary = LocalSweeps(uri).status("quiet")
    [trial] = summary.trials
    assert trial.note == result.trials[0].note and "it logged no metrics" in trial.note  # the trial's sweep.note
    assert summary.sampling == "random" and summary.limits == spec.limits.recorded()  # the parent's tags
    assert summary.to_dict()["limits"] == {
        "max_total_trials": 1,
        "max_concurrent_trials": 1,  # as run: the spec left it to max_total_trials
        "timeout": None,
        "trial_timeout": 300,
    }


def test_a_sweep_without_recorded_limits_says_none_of_them(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "partial", [Trial({"x": 0}, [0.5])], limits={"max_total_trials": 6})
    summary = LocalSweeps(uri).status("partial")
    assert (summary.total_trials, summary.limits.max_concurrent_trials, summary.limits.timeout) == (6, None, None)


def test_the_policy_of_a_sweep_that_did_not_tag_it_is_read_from_its_cancel_reasons(tmp_path):
    uri = sqlite_uri(tmp_path)
    reason = "median stopping: 0.2 < median 0.5 of the running averages of 2 trials at interval 1"
    synth_sweep(uri, "old", [Trial({"x": 0}, [0.5]), Trial({"x": 1}, [0.2], "canceled", reason, True)])
    summary = LocalSweeps(uri).status("old")
    assert summary.policy == "median_stopping" and summary.savings.canceled == 1


def test_nan_and_infinity_are_never_best(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(
        uri,
        "nan",
        [
            Trial({"x": 1}, [math.nan]),
            Trial({"x": 2}, [0.4, -math.inf]),
            Trial({"x": 3}, [0.3, 0.5]),
        ],
        goal="minimize",
    )
    summary = LocalSweeps(uri).status("nan")
    assert [t.params["x"] for t in summary.leaderboard()] == [3, 2]  # the NaN-only trial is not ranked
    assert summary.best.params == {"x": 3} and summary.best.best == 0.3
    assert json.loads(json.dumps(summary.to_dict(histories=True)))["trials"][0]["history"][0]["value"] == "NaN"


def test_every_page_of_trials_is_read(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "paged", [Trial({"x": i}, [i / 10]) for i in range(7)])
    summary = LocalSweeps(uri, page=3).status("paged")
    assert sorted(t.index for t in summary.trials) == list(range(7))


def test_a_trial_re_run_on_resume_counts_once(tmp_path):
    uri = sqlite_uri(tmp_path)
    parent = synth_sweep(uri, "resumed", [Trial({"x": 0}, [0.1]), Trial({"x": 1}, [0.2])])
    client = MlflowClient(tracking_uri=uri)
    [old] = [r for r in stored_sweep(uri, "resumed").runs if r.info.run_name == "resumed_1"]
    rerun = client.create_run(
        old.info.experiment_id,
        run_name="resumed_1",
        tags={"mlflow.parentRunId": parent, "sweep.name": "resumed", "sweep.kind": "trial", "sweep.trial_index": "1"},
    )
    client.set_tag(old.info.run_id, "sweep.superseded_by", rerun.info.run_id)
    client.log_metric(rerun.info.run_id, "accuracy", 0.7)
    client.set_terminated(rerun.info.run_id, "FINISHED")
    summary = LocalSweeps(uri).status("resumed")
    assert sorted(t.name for t in summary.trials) == ["resumed_0", "resumed_1"]
    assert summary.best.run_id == rerun.info.run_id and summary.best.best == 0.7


def test_cancel_request_is_a_tag_the_running_sweep_can_poll(tmp_path):
    uri = sqlite_uri(tmp_path)
    parent = synth_sweep(uri, "live", [Trial({"x": 0}, [0.1], status="running")], state="running")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_run(parent).info.experiment_id
    assert cancel_requested(client, experiment, parent) is None
    summary = LocalSweeps(uri).request_cancel("live", now=lambda: 0.0)
    assert cancel_requested(client, experiment, parent) == "1970-01-01T00:00:00Z" == summary.cancel_requested
    assert client.get_run(parent).data.tags[TAG_CANCEL_REQUESTED] == "1970-01-01T00:00:00Z"


def test_cancel_of_a_sweep_that_ended_is_refused(failing_sweep):
    uri, _ = failing_sweep
    with pytest.raises(MonitorInputError, match="sweep fails is not running \\(it is completed\\); nothing to cancel"):
        LocalSweeps(uri).request_cancel("fails")


# bad input -------------------------------------------------------------------------------------------------


def test_an_unknown_id_names_the_store_searched_and_the_closest_sweep(failing_sweep):
    uri, _ = failing_sweep
    with pytest.raises(MonitorInputError) as e:
        LocalSweeps(uri).status("fail")
    assert str(e.value) == f"no sweep named 'fail' in the local store {uri}\n  hint: did you mean `fails`?"
    assert isinstance(e.value, InputError)  # bad input: exit code 2


def test_a_missing_store_is_not_created(tmp_path):
    with pytest.raises(MonitorInputError, match="is not an MLflow tracking store \\(no such file: .*nothing.db\\)"):
        LocalSweeps(f"sqlite:///{tmp_path}/nothing.db")
    assert not (tmp_path / "nothing.db").exists()


def test_a_sqlite_file_of_another_program_is_refused_untouched(tmp_path):
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(MonitorInputError, match="a SQLite database without MLflow's tables"):
        LocalSweeps(f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_a_text_file_is_not_a_store(tmp_path):
    (tmp_path / "notes.db").write_text("hello")
    with pytest.raises(MonitorInputError, match="not a SQLite database"):
        LocalSweeps(f"sqlite:///{tmp_path}/notes.db")


def test_a_folder_without_experiments_is_not_a_file_store(tmp_path):
    with pytest.raises(MonitorInputError, match="a folder without MLflow experiments"):
        LocalSweeps(str(tmp_path))


def test_best_of_an_empty_sweep_and_of_one_with_no_finished_trial(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "empty", [], state="running")
    synth_sweep(uri, "young", [Trial({"x": 0}, [], status="running")], state="running")
    sweeps = LocalSweeps(uri)
    with pytest.raises(MonitorInputError, match=f"sweep empty has no trials yet \\(it is running; local: {uri}\\)"):
        require_best(sweeps.status("empty"))
    with pytest.raises(MonitorInputError, match="no trial of sweep young has finished yet \\(1 running or queued\\)"):
        require_best(sweeps.status("young"))


def test_best_when_no_trial_logged_the_primary_metric_says_what_they_logged(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "acc", [Trial({"x": 0}, [], other={"acc": 0.9})], metric="accuracy")
    with pytest.raises(MonitorInputError, match="they logged: acc \\(did you mean `acc`\\?\\)"):
        require_best(LocalSweeps(uri).status("acc"))
