"""The one leaderboard of a sweep (``SweepSummary.leaderboard``) and its one terminal board, from hand-made trials."""

from __future__ import annotations

import re

from rich.console import Console

from submit.cli.monitor_render import leaderboard
from submit.cli.tables import fitted_table
from submit.monitor import MetricPoint, SweepSummary, TrialRecord


def sweep(goal: str, values: list[float | None], best_index: int, params=None) -> SweepSummary:
    """Trial i logged values[i] (if any) at second 10 + i: a lower index reached its value first."""
    trials = [
        TrialRecord(
            name=f"s_{i}",
            run_id=f"r{i}",
            index=i,
            status="completed",
            params=dict(params or {}),
            history=[] if v is None else [MetricPoint(0, v, 10.0 + i)],
        )
        for i, v in enumerate(values)
    ]
    return SweepSummary("s", "local", "sqlite:///x", "completed", "acc", goal, trials, best_run_id=f"r{best_index}")


def test_rank_one_is_the_trial_the_sweep_names_best_even_on_a_tie():
    # s_0 reached 0.98 first, but the sweep named s_1 (its best_child_run_id): the parent's word leads a tie
    summary = sweep("maximize", [0.98, 0.98, 0.97, None], best_index=1)
    assert [t.name for t in summary.leaderboard()] == ["s_1", "s_0", "s_2"]  # s_3 never logged the metric
    assert summary.best.name == "s_1" and summary.ranked == 3


def test_a_tie_the_sweep_did_not_name_goes_to_the_first_to_reach_the_value():
    summary = sweep("maximize", [0.5, 0.98, 0.98], best_index=0)
    assert [t.name for t in summary.leaderboard()] == ["s_1", "s_2", "s_0"]


def test_minimize_ranks_the_lowest_first_and_nan_never():
    summary = sweep("minimize", [0.3, 0.1, float("nan"), 0.2], best_index=1)
    assert [t.name for t in summary.leaderboard(top=2)] == ["s_1", "s_3"]
    assert [t.name for t in summary.leaderboard()] == ["s_1", "s_3", "s_0"]


def test_a_failed_sweep_names_no_best_trial_but_keeps_its_values():
    summary = sweep("maximize", [0.1, 0.1], best_index=0)
    summary.status, summary.best_run_id = "failed", None
    assert summary.best is None and [t.name for t in summary.leaderboard()] == ["s_0", "s_1"]


def test_a_board_cut_at_ten_says_how_many_trials_have_a_value_and_where_they_all_are():
    summary = sweep("maximize", [i / 100 for i in range(24)] + [None], best_index=23)
    console = Console(width=80, record=True)
    console.print(leaderboard(summary, width=80))
    text = console.export_text()
    ranks = re.findall(r"^│\s*(\d+)\s*│\s*(\d+)\s*│", text, re.M)
    assert [int(i) for _, i in ranks] == list(range(23, 13, -1))  # the top ten, best first
    assert "10 of 24 trials with a value; `sweep export s` lists all" in text
    console = Console(width=80, record=True)
    console.print(leaderboard(summary, top=30, width=80))
    assert " of 24 trials" not in console.export_text()  # the whole board: nothing to say


def test_a_leaderboard_of_six_parameters_keeps_its_naming_columns_whole_at_80_columns():
    params = {
        "learning_rate": 0.0123456,
        "max_depth": 6,
        "n_estimators": 300,
        "subsample": 0.812345,
        "colsample_bytree": 0.7,
        "min_child_weight": 3,
    }
    summary = sweep("maximize", [0.9, 0.8, 0.7], best_index=0, params=params)
    summary.primary_metric = "validation_accuracy"
    for t in summary.trials:
        t.params["max_depth"] = t.index + 10
    console = Console(width=80, record=True)
    console.print(leaderboard(summary, width=80))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    for header in ["validation_accuracy", *params]:  # every header whole, none cut to "subs…"
        assert header in text
    assert "…" not in text
    assert text.index("learning_rate") < text.index("max_depth") < text.index("min_child_weight")  # spec order
    rows = [line.split("│")[1:3] for line in lines if line.startswith("│")]
    # two tables (the parameters that did not fit wrap below), each row named by its rank and trial index
    assert [(r.strip(), i.strip()) for r, i in rows] == [("1", "0"), ("2", "1"), ("3", "2")] * 2


def test_a_listing_whose_naming_columns_fill_80_columns_wraps_its_first_optional_column_below():
    # the quickstart's sweep name (38 characters) with status, trials, best and flags: 78 columns before `where`
    name = "quickstart_logreg_breast_cancer_5d3055"
    fixed = [("name", [name], "left"), ("status", ["completed"], "left"), ("trials", ["6/6"], "left")]
    fixed += [("best", ["0.991228"], "right"), ("!", ["·"], "left")]
    optional = [("where", ["local"], "left"), ("started", ["2026-12-06 11:24"], "left")]
    console = Console(width=80, record=True)
    console.print(fitted_table("sweeps", fixed, optional, 80, key=1))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    headers = [[h.strip() for h in line.strip("┃").split("┃")] for line in lines if line.startswith("┃")]
    assert headers == [["name", "status", "trials", "best", "!"], ["name", "where", "started"]]
