"""The compute-saved estimate on hand-made trials: what ran is summed, what was avoided is worked out per trial."""

import pytest

from submit.emulator.results import TrialResult
from submit.emulator.savings import estimate_savings


def trial(name, status, n, duration):
    t = TrialResult(index=int(name[1:]), name=name, run_id=name, params={}, status=status, history=[0.5] * n)
    t.duration = duration
    return t


def test_avoided_is_the_missing_intervals_at_the_canceled_trials_own_rate():
    trials = [
        trial("t0", "completed", 30, 12.0),
        trial("t1", "completed", 30, 14.0),
        trial("t2", "canceled", 10, 6.0),  # policy: values 1 s apart -> 20 missing intervals x 1 s = 20 s
        trial("t3", "canceled", 5, 3.0),  # timeout, not the policy: saves nothing
    ]
    stamps = {"t2": [100.0 + i for i in range(10)], "t3": [0.0, 0.5, 1.0, 1.5, 2.0]}
    s = estimate_savings(trials, {"t2"}, lambda t: stamps.get(t.name, []), "bandit")
    assert s.trial_seconds == 35.0 and s.expected_intervals == 30 and s.canceled == 1
    assert s.avoided_seconds == pytest.approx(20.0)
    assert s.share == pytest.approx(20 / 55)
    assert "the policy canceled 1 trial(s), avoiding about 20.0 trial-seconds (36%" in s.describe()


def test_a_trial_canceled_at_its_first_value_borrows_the_other_canceled_trials_rate():
    trials = [trial("t0", "completed", 8, 9.0), trial("t1", "canceled", 4, 4.0), trial("t2", "canceled", 1, 2.0)]
    stamps = {"t1": [0.0, 2.0, 4.0, 6.0], "t2": [5.0]}  # t1: 2 s per interval; t2 has one value, borrows 2 s
    s = estimate_savings(trials, {"t1", "t2"}, lambda t: stamps.get(t.name, []), "median_stopping")
    assert s.avoided_seconds == pytest.approx((8 - 4) * 2.0 + (8 - 1) * 2.0)


def test_without_a_policy_only_the_trial_seconds_are_reported():
    s = estimate_savings([trial("t0", "completed", 3, 2.5)], set(), lambda t: [], None)
    assert s.avoided_seconds == 0 and s.describe() == "compute: 2.5 trial-seconds run (no early-termination policy)"
