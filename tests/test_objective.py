"""One rule for "better" and "best": NaN, +-inf and a missing value are failed values, never best, for either goal."""

from __future__ import annotations

import math

import pytest

from emulator_helpers import sqlite_uri, stored_sweep, write_spec
from submit import load_spec, run_local
from submit.spec.objective import as_loss, best_of, better, check_goal, is_failed, rank_value, sort_key, worse

INF, NAN = math.inf, math.nan


@pytest.mark.parametrize("value", [None, NAN, INF, -INF, "not a number"])
def test_missing_and_non_finite_values_are_failed(value):
    assert is_failed(value)


def test_finite_values_are_not_failed():
    assert not is_failed(0.0) and not is_failed(-3) and not is_failed(1e308)


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_best_of_skips_every_failed_value(goal):
    assert best_of([INF, 0.4, NAN, 0.6, -INF, None], goal) == (0.6 if goal == "maximize" else 0.4)
    assert best_of([INF, -INF, NAN], goal) is None
    assert best_of([], goal) is None


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
@pytest.mark.parametrize("failed", [INF, -INF, NAN, None])
def test_a_failed_value_is_never_better_and_always_worse_than_a_finite_one(goal, failed):
    assert not better(failed, 0.5, goal)
    assert better(0.5, failed, goal)
    assert worse(failed, 0.5, goal) and not worse(0.5, failed, goal)
    assert not better(failed, failed, goal) and not worse(failed, INF, goal)  # failures tie among themselves


def test_better_follows_the_goal_and_equal_is_not_better():
    assert better(0.9, 0.8, "maximize") and not better(0.8, 0.9, "maximize")
    assert better(0.1, 0.2, "minimize") and not better(0.2, 0.1, "minimize")
    assert not better(0.5, 0.5, "maximize") and not worse(0.5, 0.5, "minimize")


def test_rank_value_puts_a_failure_below_every_finite_value():
    assert rank_value(NAN, "maximize") == -INF and rank_value(INF, "maximize") == -INF
    assert rank_value(-INF, "minimize") == INF and rank_value(0.3, "minimize") == 0.3


def test_sort_key_orders_best_first_and_failures_last():
    values = [0.3, INF, 0.9, None, 0.1, NAN]
    for goal, finite in (("maximize", [0.9, 0.3, 0.1]), ("minimize", [0.1, 0.3, 0.9])):
        ordered = sorted(values, key=lambda v: sort_key(v, goal))
        assert ordered[:3] == finite and all(is_failed(v) for v in ordered[3:])


def test_as_loss_negates_when_maximizing():
    assert as_loss(0.8, "maximize") == -0.8 and as_loss(0.8, "minimize") == 0.8


def test_an_unknown_goal_is_refused():
    with pytest.raises(ValueError, match="goal must be one of"):
        check_goal("maximise")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("goal", "values", "best"),
    [("maximize", '[0.5, "inf", 0.7, "nan"]', 0.7), ("minimize", '[0.5, "-inf", 0.3]', 0.3)],
)
def test_a_trial_logging_an_infinity_is_never_the_sweeps_best_child(tmp_path, goal, values, best):
    # MLflow's SQL store keeps inf as the largest float: read back as is, it became best_child_run_id when maximizing
    spec = write_spec(
        tmp_path,
        f"""\
        type: sweep
        trial:
          code: src
          command: python echo_args.py ${{{{search_space.v}}}}
          environment: azureml:AzureML-sklearn-1.0@latest
        sampling_algorithm: grid
        search_space:
          v: {{type: choice, values: {values}}}
        objective: {{goal: {goal}, primary_metric: accuracy}}
        limits: {{max_total_trials: 4, max_concurrent_trials: 2}}
        """,
        scripts=("echo_args.py",),
    )
    uri = sqlite_uri(tmp_path)
    result = run_local(load_spec(spec), tracking_uri=uri, name="inf")

    assert result.status == "completed", result.run.message
    assert result.best.params["v"] == best and result.best.best == best
    failed = [t for t in result.trials if isinstance(t.params["v"], str)]
    assert failed and all(t.best is None for t in failed)  # logged only a failed value: no best value
    assert all(isinstance(t.params["v"], float) for t in result.leaderboard())
    stored = stored_sweep(uri, "inf")
    assert stored.parent.data.tags["best_child_run_id"] == result.best.run_id
    assert stored.parent.data.metrics["best_child_by_primary_metric"] == best
