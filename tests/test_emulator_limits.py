"""Limits and failures as Azure ML applies them: timeouts, concurrency, failed trials, the first-batch rule, no metric."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from emulator_helpers import shell_spec, spec_from, sqlite_uri, stored_sweep, write_spec
from submit import cli
from submit.emulator import LocalOptions, run_local


def test_a_trial_past_trial_timeout_is_killed_and_the_sweep_goes_on(tmp_path):
    spec = spec_from(
        tmp_path,
        shell_spec(
            "sleep ${{search_space.s}}",
            sampling="grid",
            space="s: {type: choice, values: [600, 0]}",
            limits="{max_total_trials: 2, max_concurrent_trials: 1, trial_timeout: 1}",
        ),
    )
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="tt")

    slow, quick = sorted(result.trials, key=lambda t: t.index)
    assert slow.status == "canceled" and "trial_timeout" in slow.cancel_reason
    assert slow.duration < 300  # terminated, not waited for: a ceiling far below the sleep, not a speed claim
    assert quick.status == "completed"
    assert result.status == "completed"
    stored = stored_sweep(sqlite_uri(tmp_path), "tt")
    assert stored.statuses() == {"tt_0": "KILLED", "tt_1": "FINISHED"}
    assert "trial_timeout" in stored.children["tt_0"].data.tags["sweep.cancel_reason"]


def test_the_sweep_timeout_cancels_running_trials_and_starts_no_more(tmp_path):
    spec = spec_from(
        tmp_path,
        shell_spec(
            "sleep 600 ${{search_space.s}}",
            space="s: {type: choice, values: [1, 2]}",
            limits="{max_total_trials: 6, max_concurrent_trials: 2, timeout: 1}",
        ),
    )
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="to")

    assert result.status == "canceled" and "timeout" in result.message
    assert result.elapsed < 300  # the trials' 600 s were not waited out: a ceiling, not a speed claim
    stored = stored_sweep(sqlite_uri(tmp_path), "to")
    assert stored.statuses() == {"to_0": "KILLED", "to_1": "KILLED"}
    assert stored.parent.info.status == "KILLED"


def test_the_sweep_timeout_is_read_on_the_injected_clock(tmp_path):
    spec = spec_from(
        tmp_path,
        shell_spec(
            "sleep 60 ${{search_space.s}}",
            space="s: {type: choice, values: [1]}",
            limits="{max_total_trials: 1, timeout: 3600}",
        ),
    )
    now = [1000.0]

    def an_hour_passes(kind, result):
        if kind == "trial_started":
            now[0] += 3600

    options = LocalOptions(tracking_uri=sqlite_uri(tmp_path), name="clock", on_event=an_hour_passes)
    result = run_local(spec, options, clock=lambda: now[0])

    # the trial started at 1000 on that clock and the hour had passed by the next look: canceled at once
    assert result.status == "canceled" and "timeout of 3600 s" in result.message
    (trial,) = result.trials
    assert trial.status == "canceled" and trial.duration == 3600.0  # measured on that clock too
    assert stored_sweep(sqlite_uri(tmp_path), "clock").statuses() == {"clock_0": "KILLED"}


def test_a_failed_trial_is_failed_with_its_log_tail_and_the_sweep_goes_on(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec(
            "echo loading /nowhere/train.csv; if [ ${{search_space.x}} = 1 ]; then echo 'FileNotFoundError: /nowhere/train.csv' >&2; exit 1; fi",
            sampling="grid",
            space="x: {type: choice, values: [0, 1, 2]}",
            limits="{max_total_trials: 3, max_concurrent_trials: 1}",
        ),
    )
    uri = sqlite_uri(tmp_path)
    res = CliRunner().invoke(cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "f", "--json"])
    summary = json.loads(res.stdout)

    assert res.exit_code == 0 and summary["status"] == "completed"
    trials = {t["name"]: t for t in summary["trials"]}
    assert [trials[n]["status"] for n in ("f_0", "f_1", "f_2")] == ["completed", "failed", "completed"]
    assert trials["f_1"]["exit_code"] == 1
    assert summary["log_tails"]["f_1"].splitlines() == [
        "loading /nowhere/train.csv",
        "FileNotFoundError: /nowhere/train.csv",
    ]
    assert "FileNotFoundError: /nowhere/train.csv" in res.stderr  # the people's output shows it too
    stored = stored_sweep(uri, "f")
    assert stored.statuses() == {"f_0": "FINISHED", "f_1": "FAILED", "f_2": "FINISHED"}
    assert stored.children["f_1"].data.tags["sweep.exit_code"] == "1"


def test_when_every_trial_of_the_first_batch_fails_the_sweep_fails_as_azure_says(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec(
            "echo 'ModuleNotFoundError: No module named lightgbm' >&2; exit 3 ${{search_space.s}}",
            space="s: {type: choice, values: [1, 2]}",
            limits="{max_total_trials: 6, max_concurrent_trials: 2}",
        ),
    )
    uri = sqlite_uri(tmp_path)
    res = CliRunner().invoke(cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "fb"])

    assert res.exit_code == 1
    assert "initial child jobs have failed due to user error" in res.stderr
    assert "ModuleNotFoundError: No module named lightgbm" in res.stderr
    stored = stored_sweep(uri, "fb")
    assert stored.statuses() == {"fb_0": "FAILED", "fb_1": "FAILED"}  # no trial after the first batch
    assert stored.parent.info.status == "FAILED"


@pytest.mark.slow
def test_a_first_batch_that_logged_values_and_failed_names_no_best_trial(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec(
            "python exit1.py ${{search_space.s}}",
            sampling="grid",
            space="s: {type: choice, values: [1, 2]}",
            limits="{max_total_trials: 4, max_concurrent_trials: 2}",
        ),
        scripts=("exit1.py",),
    )
    uri = sqlite_uri(tmp_path)
    res = CliRunner().invoke(cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "nb"])

    assert res.exit_code == 1 and "initial child jobs have failed" in res.stderr
    assert (
        "best trial" not in res.stdout and "best trials by" not in res.stdout
    )  # each logged accuracy 0.1, then failed
    stored = stored_sweep(uri, "nb")
    assert stored.statuses() == {"nb_0": "FAILED", "nb_1": "FAILED"}
    assert all(r.data.metrics["accuracy"] == 0.1 for r in stored.runs)  # the values are kept; no trial is "best"
    assert "best_child_run_id" not in stored.parent.data.tags
    # status and list read the same sweep: no best trial either, the values still on the board's trials
    status = CliRunner().invoke(cli.app, ["status", "nb", "--tracking-uri", uri, "--local", "--json"])
    assert json.loads(status.stdout)["best"] is None
    assert [t["best"] for t in json.loads(status.stdout)["trials"]] == [0.1, 0.1]
    listed = CliRunner().invoke(cli.app, ["list", "--tracking-uri", uri, "--local", "--json"])
    assert [(row["name"], row["best"]) for row in json.loads(listed.stdout)["sweeps"]] == [("nb", None)]


def test_a_sweep_stopped_by_its_timeout_exits_1_as_a_canceled_azure_sweep_does_under_wait(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec(
            "sleep 60 ${{search_space.s}}",
            space="s: {type: choice, values: [1]}",
            limits="{max_total_trials: 2, max_concurrent_trials: 1, timeout: 1}",
        ),
    )
    uri = sqlite_uri(tmp_path)
    res = CliRunner().invoke(cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "tx"])

    assert res.exit_code == 1
    assert "canceled sweep tx" in res.stdout and "the sweep reached its timeout of 1 s" in res.stdout
    assert stored_sweep(uri, "tx").parent.info.status == "KILLED"


def test_one_success_in_the_first_batch_keeps_the_sweep_going(tmp_path):
    spec = spec_from(
        tmp_path,
        shell_spec(
            "exit ${{search_space.code}}",
            sampling="grid",
            space="code: {type: choice, values: [1, 0, 2, 3]}",  # exit codes: one success, three failures
            limits="{max_total_trials: 4, max_concurrent_trials: 2}",
        ),
    )
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="ok")

    assert result.status == "completed"
    assert [t.status for t in sorted(result.trials, key=lambda t: t.index)] == [
        "failed",
        "completed",
        "failed",
        "failed",
    ]


@pytest.mark.slow
def test_a_metric_logged_under_another_name_gets_a_did_you_mean(tmp_path):
    spec = write_spec(
        tmp_path,
        """\
        type: sweep
        trial:
          code: src
          command: python logs_acc.py ${{search_space.s}}
          environment: azureml:AzureML-sklearn-1.0@latest
        search_space:
          s: {type: choice, values: [1]}
        sampling_algorithm: random
        objective: {goal: maximize, primary_metric: accuracy}
        limits: {max_total_trials: 1}
        """,
        scripts=("logs_acc.py",),
    )
    res = CliRunner().invoke(
        cli.app, ["submit", str(spec), "--local", "--tracking-uri", sqlite_uri(tmp_path), "--name", "m"]
    )

    assert res.exit_code == 0
    note = "m_0: finished without logging the primary metric `accuracy`; it logged: acc, loss (did you mean 'acc'?)"
    assert note in res.stderr
    assert "no trial logged the primary metric `accuracy`" in res.stdout


def test_never_more_than_max_concurrent_trials_run_at_once(tmp_path):
    spec = spec_from(
        tmp_path,
        shell_spec(
            "sleep 0.5 ${{search_space.s}}",
            space="s: {type: choice, values: [1, 2]}",
            limits="{max_total_trials: 5, max_concurrent_trials: 4}",
        ),
    )
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="c", max_concurrent=2)

    assert result.concurrency == 2 and "capped to 2 (--max-concurrent)" in result.cap_note
    runs = stored_sweep(sqlite_uri(tmp_path), "c").children.values()
    assert len(runs) == 5
    # a run's span in the store contains its process's: start at create_run, end after the process exited
    events = sorted([(r.info.start_time, 1) for r in runs] + [(r.info.end_time, -1) for r in runs])
    running, most = 0, 0
    for _, step in events:  # at equal times an end sorts first: the scheduler ends a run before starting the next
        running += step
        most = max(most, running)
    assert most == 2
