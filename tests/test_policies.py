"""Azure's early-termination rules on hand-made histories; every expected cancellation is worked out in a comment.

Values are chosen exact in binary (0.25, 0.375, ...) wherever a test hinges on a tie, so `equal is not worse` is
tested on true equality, not on float rounding.
"""

import math

import pytest

from submit.emulator.policies import (
    BanditPolicy,
    Cancellation,
    MedianStoppingPolicy,
    TruncationSelectionPolicy,
    interval_of,
    make_policy,
)
from submit.spec.load import parse_spec

nan, inf = math.nan, math.inf


# --- interval: when a trial is judged ---------------------------------------------------------------------------


def test_evaluation_interval_2_judges_every_other_value_once_the_delay_is_reached():
    policy = MedianStoppingPolicy(evaluation_interval=2, delay_evaluation=5)
    assert [n for n in range(1, 13) if policy.due(n)] == [6, 8, 10, 12]  # 2 and 4 are before the delay


def test_delay_on_a_multiple_of_the_interval_is_itself_judged():
    policy = MedianStoppingPolicy(evaluation_interval=2, delay_evaluation=4)
    assert [n for n in range(1, 9) if policy.due(n)] == [4, 6, 8]


def test_evaluation_interval_0_the_sdk_default_judges_every_value():
    assert [n for n in range(1, 5) if BanditPolicy(slack_amount=0.1).due(n)] == [1, 2, 3, 4]


def test_trial_far_behind_at_an_interval_not_due_is_left_running_until_the_next_due_one():
    policy = BanditPolicy(slack_amount=0.25, evaluation_interval=2, delay_evaluation=4)
    leader = [0.5, 0.75, 0.75, 0.75, 0.75]
    # t1 at 0.25 is far below 0.75 - 0.25 = 0.5 from its first value, but is judged only at 4 (2 is before the delay)
    for n in (1, 2, 3):
        assert policy.trials_to_cancel({"t0": leader, "t1": [0.25] * n}, "maximize") == set()
    assert policy.trials_to_cancel({"t0": leader, "t1": [0.25] * 4}, "maximize") == {"t1"}
    assert policy.trials_to_cancel({"t0": leader, "t1": [0.25] * 5}, "maximize") == set()  # 5 is odd


# --- bandit -----------------------------------------------------------------------------------------------------


def test_bandit_cancels_trial_below_slack_factor():
    histories = {"t0": [0.80], "t1": [0.65], "t2": [0.67]}  # maximize; best at interval 1 is 0.80
    policy = BanditPolicy(slack_factor=0.2, evaluation_interval=1)
    assert policy.trials_to_cancel(histories, goal="maximize") == {"t1"}  # 0.65 < 0.80 / 1.2 = 0.667 < 0.67


def test_bandit_judges_the_trials_best_so_far_against_each_trials_best_up_to_the_same_interval():
    # t1 at interval 2: Y = its best so far 0.8 (not its last value 0.7). best = t0's best up to ITS interval 2 = 0.9
    # (its later 0.99 does not count). Bar 0.9 / 1.2 = 0.75: 0.8 stays. Reading either rule otherwise cancels t1:
    # last value 0.7 < 0.75, or bar 0.99 / 1.2 = 0.825 > 0.8.
    histories = {"t0": [0.5, 0.9, 0.99], "t1": [0.8, 0.7]}
    policy = BanditPolicy(slack_factor=0.2)
    assert policy.evaluate("t1", 2, histories, "maximize") is None
    # one value later t1 still has best 0.8 but t0's 0.99 now counts: 0.8 < 0.825
    assert policy.evaluate("t1", 3, {**histories, "t1": [0.8, 0.7, 0.6]}, "maximize") is not None


def test_bandit_slack_factor_boundary_is_not_worse_maximize():
    histories = {"t0": [0.75], "t1": [0.5], "t2": [0.49]}
    policy = BanditPolicy(slack_factor=0.5)
    assert policy.trials_to_cancel(histories, "maximize") == {"t2"}  # bar 0.75 / 1.5 = 0.5: t1 equals it, stays


def test_bandit_slack_factor_minimize_mirrors_with_multiplication():
    histories = {"t0": [0.5], "t1": [0.75], "t2": [0.8]}  # losses; best 0.5
    policy = BanditPolicy(slack_factor=0.5)
    assert policy.trials_to_cancel(histories, "minimize") == {"t2"}  # bar 0.5 * 1.5 = 0.75: t1 equals it, stays


def test_bandit_slack_amount_maximize():
    histories = {"t0": [0.75], "t1": [0.5], "t2": [0.49]}
    policy = BanditPolicy(slack_amount=0.25)
    assert policy.trials_to_cancel(histories, "maximize") == {"t2"}  # bar 0.75 - 0.25 = 0.5


def test_bandit_slack_amount_minimize():
    histories = {"t0": [0.25], "t1": [0.5], "t2": [0.51]}
    policy = BanditPolicy(slack_amount=0.25)
    assert policy.trials_to_cancel(histories, "minimize") == {"t2"}  # bar 0.25 + 0.25 = 0.5


def test_bandit_slack_factor_with_a_negative_best_keeps_the_best_trial_maximize():
    # log-likelihoods; Azure's best / 1.1 = -0.909 would cancel the best trial itself (-1.0 < -0.909).
    # We trail the best by |best| * sf / (1 + sf) = 0.0909: bar -1.0909.
    histories = {"t0": [-1.0], "t1": [-1.05], "t2": [-1.2]}
    policy = BanditPolicy(slack_factor=0.1)
    assert policy.trials_to_cancel(histories, "maximize") == {"t2"}
    assert policy.evaluate("t2", 1, histories, "maximize").reason == (
        "bandit: -1.2 < best -1 - |-1| * 0.1 / (1 + 0.1) = -1.09091 at interval 1"
    )


def test_bandit_slack_factor_with_a_negative_best_keeps_the_best_trial_minimize():
    # Azure's best * 1.1 = -2.2 would cancel every trial, the best included; we use best + |best| * sf = -1.8
    histories = {"t0": [-2.0], "t1": [-1.9], "t2": [-1.7]}
    policy = BanditPolicy(slack_factor=0.1)
    assert policy.trials_to_cancel(histories, "minimize") == {"t2"}


def test_bandit_reason_names_the_numbers_that_decided_it():
    histories = {"t0": [0.90, 0.93], "t1": [0.70, 0.71]}
    cancel = BanditPolicy(slack_factor=0.1).evaluate("t1", 2, histories, "maximize")
    assert cancel == Cancellation("t1", 2, "bandit: 0.71 < best 0.93 / (1 + 0.1) at interval 2")
    cancel = BanditPolicy(slack_amount=0.125).evaluate("t1", 1, {"t0": [0.25], "t1": [0.5]}, "minimize")
    assert cancel.reason == "bandit: 0.5 > best 0.25 + 0.125 at interval 1"


def test_the_reason_names_the_value_judged_and_its_interval_not_the_latest_value():
    # t1 is judged at interval 2 while its history already holds a 3rd value, as when the cancel is still landing
    histories = {"t0": [0.90, 0.93, 0.94], "t1": [0.72, 0.70, 0.60]}
    cancel = BanditPolicy(slack_factor=0.1, delay_evaluation=2).evaluate("t1", 2, histories, "maximize")
    assert cancel.reason == "bandit: 0.72 < best 0.93 / (1 + 0.1) at interval 2"  # its best up to 2, not 0.70
    assert BanditPolicy.judged_value(histories["t1"], interval_of(cancel.reason), "maximize") == 0.72
    assert MedianStoppingPolicy.judged_value(histories["t1"], 2, "maximize") == 0.72
    assert TruncationSelectionPolicy.judged_value(histories["t1"], 2, "maximize") == 0.70  # ranked by the value at 2
    assert interval_of("sweep timeout") is None


def test_bandit_needs_exactly_one_slack():
    with pytest.raises(ValueError):
        BanditPolicy(slack_factor=0.1, slack_amount=0.1)
    with pytest.raises(ValueError):
        BanditPolicy()


# --- median stopping --------------------------------------------------------------------------------------------


def test_median_stopping_counts_finished_trials_maximize():
    # at interval 3: running averages t0 (finished) 0.75, t1 0.625, t2 0.4375 -> median 0.625
    histories = {"t0": [0.5, 0.75, 1.0, 1.0], "t1": [0.625] * 3, "t2": [0.25, 0.5, 0.5625]}
    policy = MedianStoppingPolicy()
    # t2: best 0.5625 < 0.625; t1: best 0.625 equals the median, stays
    assert policy.trials_to_cancel(histories, "maximize", running=["t1", "t2"]) == {"t2"}
    # without the finished t0 the median is (0.625 + 0.4375) / 2 = 0.53125 and t2 (0.5625) stays
    del histories["t0"]
    assert policy.trials_to_cancel(histories, "maximize") == set()


def test_median_stopping_minimize_mirrors():
    # losses at interval 3: running averages t0 0.25, t1 0.375, t2 0.5625 -> median 0.375
    histories = {"t0": [0.5, 0.25, 0.0, 0.0], "t1": [0.375] * 3, "t2": [0.75, 0.5, 0.4375]}
    # t2: best 0.4375 > 0.375; t1: best 0.375 equals the median, stays
    assert MedianStoppingPolicy().trials_to_cancel(histories, "minimize", running=["t1", "t2"]) == {"t2"}


def test_median_stopping_includes_the_candidate_in_the_median():
    # interval 2: averages t0 0.75, t1 0.45 -> median 0.6; t1's best 0.7 stays (against t0 alone, 0.7 < 0.75)
    histories = {"t0": [0.75, 0.75], "t1": [0.2, 0.7]}
    assert MedianStoppingPolicy().evaluate("t1", 2, histories, "maximize") is None


def test_median_stopping_uses_only_values_1_to_n_of_longer_trials():
    # t2 at interval 2: averages of values 1..2: t0 0.25, t1 0.5, t2 0.3125 -> median 0.3125; t2's best 0.375 stays.
    # Had t0's later values counted (mean 0.625), the median would be 0.5 and t2 canceled.
    histories = {"t0": [0.25, 0.25, 1.0, 1.0], "t1": [0.5, 0.5, 0.5], "t2": [0.25, 0.375]}
    assert MedianStoppingPolicy().evaluate("t2", 2, histories, "maximize") is None


def test_median_stopping_reason():
    histories = {"t0": [0.75], "t1": [0.5], "t2": [0.25]}  # median of 0.75, 0.5, 0.25 is 0.5; 0.25 < 0.5
    assert MedianStoppingPolicy().evaluate("t2", 1, histories, "maximize").reason == (
        "median stopping: 0.25 < median 0.5 of the running averages of 3 trials at interval 1"
    )


# --- truncation selection ---------------------------------------------------------------------------------------


def five_trials_at_interval_2():
    return {
        "t0": [0.5, 0.9, 0.1, 0.1],  # finished; its value at 2 is 0.9, its later 0.1 does not count at interval 2
        "t1": [0.5, 0.8],
        "t2": [0.5, 0.7],
        "t3": [0.5, 0.6],
        "t4": [0.95, 0.5],  # worst by its value at 2, although its best (0.95) is the highest
    }


def test_truncation_20_percent_of_5_trials_cancels_the_worst_one():
    policy = TruncationSelectionPolicy(truncation_percentage=20)
    # pool of 5 (t0 finished included): k = floor(5 * 20 / 100) = 1; worst at interval 2 is t4 (0.5)
    assert policy.trials_to_cancel(five_trials_at_interval_2(), "maximize", running=["t1", "t2", "t3", "t4"]) == {"t4"}


def test_truncation_20_percent_of_4_trials_cancels_none():
    histories = five_trials_at_interval_2()
    del histories["t0"]  # k = floor(4 * 20 / 100) = 0
    assert TruncationSelectionPolicy(truncation_percentage=20).trials_to_cancel(histories, "maximize") == set()


def test_truncation_minimize_cancels_the_highest_losses():
    histories = {"t0": [0.1], "t1": [0.2], "t2": [0.3], "t3": [0.4]}
    # k = floor(4 * 50 / 100) = 2: the two highest losses
    assert TruncationSelectionPolicy(truncation_percentage=50).trials_to_cancel(histories, "minimize") == {"t2", "t3"}


def test_truncation_ties_at_the_cutoff_share_one_fate():
    # k = floor(5 * 20 / 100) = 1 but t3 and t4 tie for worst: neither is among the 1 worst under every order
    histories = {"t0": [0.9], "t1": [0.8], "t2": [0.7], "t3": [0.6], "t4": [0.6]}
    assert TruncationSelectionPolicy(truncation_percentage=20).trials_to_cancel(histories, "maximize") == set()
    # k = 2: both fit
    assert TruncationSelectionPolicy(truncation_percentage=40).trials_to_cancel(histories, "maximize") == {"t3", "t4"}
    # k = 2 with t4 alone at the bottom and t2, t3 tied above it: t4 goes, the tie stays (2 better, 3 needed)
    histories = {"t0": [0.9], "t1": [0.8], "t2": [0.6], "t3": [0.6], "t4": [0.5]}
    assert TruncationSelectionPolicy(truncation_percentage=40).trials_to_cancel(histories, "maximize") == {"t4"}


def test_truncation_reason():
    cancel = TruncationSelectionPolicy(truncation_percentage=20).evaluate(
        "t4", 2, five_trials_at_interval_2(), "maximize"
    )
    assert cancel.reason == "truncation selection: 0.5 is among the 1 worst of 5 trials (20%) at interval 2, 4 better"


# --- every policy -----------------------------------------------------------------------------------------------

ALL_POLICIES = [
    BanditPolicy(slack_factor=0.01),
    BanditPolicy(slack_amount=0.01),
    MedianStoppingPolicy(),
    TruncationSelectionPolicy(truncation_percentage=99),
]


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=repr)
@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_a_trial_alone_at_its_interval_is_never_canceled(policy, goal):
    # t0 is the only trial with 3 values, and the worst at every interval others have reached
    worst = 0.0 if goal == "maximize" else 1.0
    histories = {"t0": [worst] * 3, "t1": [0.5, 0.5], "t2": [0.5, 0.5]}
    assert policy.evaluate("t0", 3, histories, goal) is None
    assert policy.evaluate("t0", 2, histories, goal) is not None  # at interval 2 it has company, and loses


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=repr)
@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_a_nan_trial_is_judged_worst_and_cancels_no_one(policy, goal):
    # t1 and t2 are equal: alone together nobody is canceled; t0's NaN, +inf and -inf must not change that
    for failure in (nan, inf, -inf):
        histories = {"t0": [failure], "t1": [0.5], "t2": [0.5]}
        assert policy.trials_to_cancel(histories, goal) == {"t0"}


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=repr)
def test_trials_with_only_nan_cancel_no_one(policy):
    assert policy.trials_to_cancel({"t0": [nan], "t1": [nan]}, "maximize") == set()


def test_nan_among_finite_values_is_skipped_in_the_best_and_the_running_average():
    # t1: best 0.75 (not NaN), running average of its finite values 0.75; t0 the same, so nothing is worse
    histories = {"t0": [0.75, 0.75], "t1": [0.75, nan]}
    assert BanditPolicy(slack_amount=0.01).trials_to_cancel(histories, "maximize") == set()
    assert MedianStoppingPolicy().trials_to_cancel(histories, "maximize") == set()
    # truncation ranks by the value AT the interval: t1's NaN at 2 is the worst of 2 at 50 % (k = 1)
    assert TruncationSelectionPolicy(truncation_percentage=50).trials_to_cancel(histories, "maximize") == {"t1"}


def test_a_nan_trial_is_left_out_of_the_median_and_canceled_against_any_finite_trial():
    # interval 2: t0 has no running average; the median is over t1 0.5, t2 0.75, t3 0.1875 -> 0.5: t3's best 0.375 is
    # below it, and t0 (no finite value) is below everything. Without t0 the same happens to t3.
    histories = {"t0": [nan, nan], "t1": [0.5, 0.5], "t2": [0.75, 0.75], "t3": [0.0, 0.375]}
    assert MedianStoppingPolicy().trials_to_cancel(histories, "maximize") == {"t0", "t3"}
    del histories["t0"]
    assert MedianStoppingPolicy().trials_to_cancel(histories, "maximize") == {"t3"}
    # two trials: the median is t1's 0.5 alone, and the failure goes
    assert MedianStoppingPolicy().trials_to_cancel({"t0": [nan], "t1": [0.5]}, "minimize") == {"t0"}


def test_a_nan_trial_takes_a_truncation_slot_instead_of_a_finite_trial():
    # without t5, k = floor(5 * 20 / 100) = 1 cancels t4 (0.5); with it, k = floor(6 * 20 / 100) = 1 still, and the
    # NaN trial, below every finite value, is the one: t4 has 4 trials better, 5 would be needed
    histories = {"t0": [0.9], "t1": [0.8], "t2": [0.7], "t3": [0.6], "t4": [0.5], "t5": [nan]}
    assert TruncationSelectionPolicy(truncation_percentage=20).trials_to_cancel(histories, "maximize") == {"t5"}


def test_a_trial_cannot_be_judged_at_an_interval_it_has_not_reached():
    with pytest.raises(ValueError):
        MedianStoppingPolicy().evaluate("t0", 3, {"t0": [0.5, 0.5]}, "maximize")


def test_goal_must_be_azures_word():
    with pytest.raises(ValueError):
        MedianStoppingPolicy().evaluate("t0", 1, {"t0": [0.5]}, "max")


# --- from the spec ----------------------------------------------------------------------------------------------

SPEC = """
type: sweep
trial:
  command: python train.py --lr ${{{{search_space.lr}}}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
search_space:
  lr: {{type: uniform, min_value: 0.01, max_value: 0.1}}
sampling_algorithm: random
objective: {{goal: maximize, primary_metric: auc}}
early_termination: {policy}
limits: {{max_total_trials: 4}}
"""


@pytest.mark.parametrize(
    "policy, expected",
    [
        (
            "{type: bandit, evaluation_interval: 2, delay_evaluation: 4, slack_factor: 0.1, slack_amount: 0}",
            BanditPolicy(slack_factor=0.1, evaluation_interval=2, delay_evaluation=4),
        ),
        ("{type: bandit, slack_amount: 0.05}", BanditPolicy(slack_amount=0.05)),
        (
            "{type: median_stopping, evaluation_interval: 1, delay_evaluation: 5}",
            MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=5),
        ),
        (
            "{type: truncation_selection, truncation_percentage: 20, delay_evaluation: 5}",
            TruncationSelectionPolicy(truncation_percentage=20, delay_evaluation=5),
        ),
    ],
)
def test_make_policy_builds_the_policy_of_a_validated_spec(policy, expected):
    made = make_policy(parse_spec(SPEC.format(policy=policy)).policy)
    assert type(made) is type(expected) and vars(made) == vars(expected)


def test_make_policy_without_a_policy_is_none():
    assert make_policy(parse_spec(SPEC.format(policy="null")).policy) is None


@pytest.mark.parametrize(
    "policy",
    [
        BanditPolicy(slack_amount=0.125, evaluation_interval=2, delay_evaluation=3),
        MedianStoppingPolicy(evaluation_interval=2, delay_evaluation=3),
        TruncationSelectionPolicy(truncation_percentage=50, evaluation_interval=2, delay_evaluation=3),
    ],
    ids=repr,
)
def test_every_policy_judges_a_doomed_trial_only_at_even_intervals_from_the_delay(policy):
    # t1 is the worst of three at every interval (bandit: 0.25 < 0.75 - 0.125; median 0.5 of 0.75, 0.5, 0.25;
    # truncation: k = floor(3 * 50 / 100) = 1, the worst), yet it is judged only at 4 and 6: 2 is before the delay 3
    for goal, (good, mid, bad) in (("maximize", (0.75, 0.5, 0.25)), ("minimize", (0.25, 0.5, 0.75))):
        canceled_at = [
            n
            for n in range(1, 7)
            if policy.trials_to_cancel({"t0": [good] * 6, "t2": [mid] * 6, "t1": [bad] * n}, goal, running=["t1"])
        ]
        assert canceled_at == [4, 6], goal


def test_a_trial_canceled_before_a_resume_keeps_the_value_it_was_judged_at():
    from submit.emulator.judge import PolicyJudge
    from submit.emulator.live import LiveTrial

    judge = PolicyJudge(BanditPolicy(slack_factor=0.1), "maximize")
    reason = "bandit: 0.6 < best 0.93 / (1 + 0.1) at interval 2"
    t = LiveTrial(0, "t", "r", {}, status="canceled", history=[0.5, 0.6, 0.9], cancel_reason=reason)
    judge.start(t)  # as a resumed sweep reads it back from the store
    assert judge.cut == {"t": 2} and t.judged == 0.6  # not 0.9, logged while the cancel landed
