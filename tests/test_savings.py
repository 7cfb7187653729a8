"""The compute-saved estimate on hand-made trials: what ran is summed, what was avoided is worked out per trial."""

import pytest

from submit.emulator.results import TrialResult
from submit.emulator.savings import estimate_savings


def trial(name, status, n, duration):
    t = TrialResult(index=int(name[1:]), name=name, run_id=name, params={}, status=status, history=[0.5] * n)
    t.duration = duration
    return t


def stamps_from(table):
    return lambda t: table.get(t.name, ([], None))


def test_avoided_is_the_missing_intervals_at_the_trials_own_rate_plus_a_completed_trials_tail():
    trials = [
        trial("t0", "completed", 30, 12.0),
        trial("t1", "completed", 30, 14.0),
        trial("t2", "canceled", 10, 6.0),  # policy: values 1 s apart -> 20 missing intervals x 1 s + tail 3 s
        trial("t3", "canceled", 5, 3.0),  # timeout, not the policy: saves nothing
    ]
    table = {
        "t0": ([float(i) for i in range(30)], 29.0 + 2.0),  # 2 s after its last value
        "t1": ([float(i) for i in range(30)], 29.0 + 4.0),  # 4 s: median tail 3 s
        "t2": ([100.0 + i for i in range(10)], 110.0),
        "t3": ([0.0, 0.5, 1.0, 1.5, 2.0], 3.0),
    }
    s = estimate_savings(trials, {"t2"}, stamps_from(table), "bandit")
    assert s.trial_seconds == 35.0 and s.expected_intervals == 30 and s.canceled == 1
    assert s.avoided_seconds == pytest.approx(20 * 1.0 + 3.0)
    assert s.share == pytest.approx(23 / 58)
    assert "the policy canceled 1 trial(s), avoiding about 23.0 trial-seconds (40%" in s.describe()


def test_a_trial_canceled_at_its_first_value_borrows_the_other_canceled_trials_rate():
    trials = [trial("t0", "completed", 8, 9.0), trial("t1", "canceled", 4, 4.0), trial("t2", "canceled", 1, 2.0)]
    table = {"t0": ([0.0] * 8, None), "t1": ([0.0, 2.0, 4.0, 6.0], 7.0), "t2": ([5.0], 6.0)}  # t2 borrows 2 s
    s = estimate_savings(trials, {"t1", "t2"}, stamps_from(table), "median_stopping")
    assert s.avoided_seconds == pytest.approx((8 - 4) * 2.0 + (8 - 1) * 2.0)  # t0's end unknown: no tail


def test_without_a_policy_only_the_trial_seconds_are_reported():
    s = estimate_savings([trial("t0", "completed", 3, 2.5)], set(), stamps_from({}), None)
    assert s.avoided_seconds == 0 and s.describe() == "compute: 2.5 trial-seconds run (no early-termination policy)"
