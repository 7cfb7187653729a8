"""The two figures of a policy's cancels on hand-made trials: what ran after the value judged (measured), and what a
full trial would have run after it (estimated); both counted from the interval the policy canceled at."""

import pytest
from typer.testing import CliRunner

from monitor_helpers import Trial, synth_sweep
from submit import cli
from submit.cli.monitor_render import event_line
from submit.emulator.live import LiveTrial
from submit.emulator.policies import BanditPolicy
from submit.emulator.savings import Clock, estimate_savings
from submit.monitor.follow import Event
from submit.monitor.local import savings_of
from submit.monitor.record import MetricPoint, SweepSummary, TrialRecord
from submit.monitor.whatif import what_if


def trial(name, status, n, duration):
    t = LiveTrial(index=int(name[1:]), name=name, run_id=name, params={}, status=status, history=[0.5] * n)
    t.duration = duration
    return t


def clocks_from(table):
    return lambda t: table.get(t.name, Clock([], None, None))


def test_each_figure_is_counted_from_the_value_judged_not_from_the_last_value_logged():
    trials = [
        trial("t0", "completed", 30, 12.0),
        trial("t1", "completed", 30, 14.0),
        trial("t2", "canceled", 12, 6.0),  # judged at its 10th value; two more logged while the cancel landed
        trial("t3", "canceled", 5, 3.0),  # timeout, not the policy: not counted
    ]
    table = {
        "t0": Clock([float(i) for i in range(30)], -1.0, 29.0 + 2.0),  # 2 s after its last value
        "t1": Clock([float(i) for i in range(30)], -1.0, 29.0 + 4.0),  # 4 s: median tail 3 s
        "t2": Clock([100.0 + i for i in range(12)], 99.0, 112.5),  # 10th value at 109: 3.5 s ran after it
        "t3": Clock([0.0, 0.5, 1.0, 1.5, 2.0], -1.0, 3.0),
    }
    s = estimate_savings(trials, {"t2": 10}, clocks_from(table), "bandit")
    assert s.trial_seconds == 32.0 + 34.0 + 13.5 + 4.0  # the clocks' run times, not the trials' own durations
    assert s.expected_intervals == 30 and s.canceled == 1
    assert s.after_cancel_seconds == pytest.approx(112.5 - 109.0)
    assert s.avoided_seconds == pytest.approx((30 - 10) * 1.0 + 3.0)  # from the 10th value, not the 12th
    assert s.share == pytest.approx(23 / (83.5 - 3.5 + 23))  # the 3.5 s after the cancel were part of a full run
    assert s.describe().splitlines() == [
        "compute: 83.5 trial-seconds run; bandit canceled 1 trial(s)",
        "  avoided (estimate): 23.0 trial-seconds, 22% of the sweep without the policy",
        "  run after cancel (measured): 3.5 trial-seconds past the values canceled at",
    ]
    assert s.to_dict()["avoided_seconds_estimate"] == 23.0 and s.to_dict()["after_cancel_seconds"] == 3.5


def test_a_trial_canceled_at_its_first_value_borrows_the_other_canceled_trials_rate():
    trials = [trial("t0", "completed", 8, 9.0), trial("t1", "canceled", 4, 4.0), trial("t2", "canceled", 1, 2.0)]
    table = {
        "t0": Clock([0.0] * 8, None, None),
        "t1": Clock([0.0, 2.0, 4.0, 6.0], -1.0, 7.0),
        "t2": Clock([5.0], 4.0, 6.0),  # borrows t1's 2 s per interval
    }
    s = estimate_savings(trials, {"t1": 4, "t2": 1}, clocks_from(table), "median_stopping")
    assert s.avoided_seconds == pytest.approx((8 - 4) * 2.0 + (8 - 1) * 2.0)  # t0's end unknown: no tail
    assert s.cuts["t2"].after_cancel_seconds == 1.0 and s.cuts["t1"].after_cancel_seconds == 1.0


def test_without_a_policy_only_the_trial_seconds_are_reported():
    s = estimate_savings([trial("t0", "completed", 3, 2.5)], {}, clocks_from({}), None)
    assert s.avoided_seconds == 0 and s.describe() == "compute: 2.5 trial-seconds run (no early-termination policy)"


POLICY = BanditPolicy(slack_amount=0.1, delay_evaluation=2)  # judged from each trial's 2nd value
REASON = "bandit: 0.5 < best 0.9 - 0.1 at interval 2"


def hand_made_sweep() -> SweepSummary:
    """t0 runs first to the end; t1, judged at its 2nd value (best 0.5 < 0.9 - 0.1), logs a 3rd before it stops."""

    def points(values, start):
        return [MetricPoint(i, v, start + 1 + i) for i, v in enumerate(values)]

    t0 = TrialRecord("t0", "r0", 0, "completed", {}, points([0.9, 0.9, 0.9, 0.9], 0.0), started=0.0, ended=6.0)
    t1 = TrialRecord("t1", "r1", 1, "canceled", {}, points([0.5, 0.45, 0.3], 10.0), started=10.0, ended=13.5)
    t1.cancel_reason, t1.canceled_by_policy = REASON, True
    return SweepSummary("s", "local", "mem", "completed", "accuracy", "maximize", [t0, t1], policy="bandit")


def test_status_and_the_replay_of_its_own_policy_give_the_same_two_figures():
    summary = hand_made_sweep()
    [setting] = what_if(summary, [POLICY]).settings
    assert [(c.trial, c.interval) for c in setting.cancels] == [("t1", 2)]
    status = savings_of(summary)
    # t1's 2nd value at 12 s: it ran 1.5 s after it; a full trial has 4 values at t1's 1 s each, plus t0's 2 s tail
    assert status.after_cancel_seconds == setting.savings.after_cancel_seconds == 1.5
    assert status.avoided_seconds == setting.savings.avoided_seconds == (4 - 2) * 1.0 + 2.0
    assert setting.cancels[0].after_cancel_seconds == 1.5 and setting.cancels[0].avoided_seconds == 4.0
    assert setting.to_dict()["after_cancel_seconds"] == status.to_dict()["after_cancel_seconds"]
    assert setting.to_dict()["avoided_seconds_estimate"] == status.to_dict()["avoided_seconds_estimate"]


def test_the_cancel_line_shows_the_value_the_policy_judged_where_it_judged_it():
    summary = hand_made_sweep()
    t1 = summary.trials[1]
    judged = summary.judged(t1)
    assert (judged.interval, judged.point.step, judged.value) == (2, 1, 0.5)  # bandit weighs its best up to 2
    line = event_line(Event("ended", summary, t1, judged))
    assert line.startswith("canceled t1 accuracy=0.5 at step 1 (bandit: 0.5 < best")
    assert "0.3" not in line  # its latest value, logged after the verdict


def test_watch_reads_the_judged_value_of_a_trial_the_policy_canceled(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    trials = [
        Trial({"x": 0}, [0.9, 0.9, 0.9, 0.9]),
        Trial({"x": 1}, [0.5, 0.45, 0.3], status="canceled", cancel_reason=REASON, by_policy=True),
        Trial({"x": 2}, [0.2], status="canceled", cancel_reason="sweep timeout"),  # no policy: its latest value
    ]
    synth_sweep(uri, "s", trials, policy="bandit", concurrency=1)
    run = CliRunner().invoke(cli.app, ["watch", "s", "--tracking-uri", uri, "--local"])
    lines = run.stdout.splitlines()
    assert f"canceled s_1 accuracy=0.5 at step 1 ({REASON})" in lines
    assert "canceled s_2 accuracy=0.2 (sweep timeout)" in lines
