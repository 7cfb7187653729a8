"""The leaderboard of a local sweep, from hand-made trial results."""

from __future__ import annotations

from submit.emulator.results import SweepResult, TrialResult


def sweep(goal: str, bests: list[float | None], best_index: int) -> SweepResult:
    result = SweepResult(
        name="s",
        tracking_uri="sqlite:///x",
        experiment_id="1",
        parent_run_id="p",
        goal=goal,
        primary_metric="acc",
        concurrency=2,
        work_dir=".",
    )
    result.trials = [
        TrialResult(index=i, name=f"s_{i}", run_id=f"r{i}", params={}, best=b) for i, b in enumerate(bests)
    ]
    result.best_trial = result.trials[best_index]
    return result


def test_rank_one_is_the_trial_the_parent_names_best_even_on_a_tie():
    # s_1 reached 0.98 first (it is the parent's best_child_run_id); s_0 reached it later
    result = sweep("maximize", [0.98, 0.98, 0.97, None], best_index=1)
    assert [t.name for t in result.leaderboard()] == ["s_1", "s_0", "s_2"]  # s_3 never logged the metric


def test_minimize_ranks_the_lowest_first():
    result = sweep("minimize", [0.3, 0.1, 0.2], best_index=1)
    assert [t.name for t in result.leaderboard(top=2)] == ["s_1", "s_2"]


def test_a_leaderboard_of_six_parameters_keeps_its_naming_columns_whole_at_80_columns():
    from rich.console import Console

    from submit.cli.render import leaderboard_table

    params = {
        "learning_rate": 0.0123456,
        "max_depth": 6,
        "n_estimators": 300,
        "subsample": 0.812345,
        "colsample_bytree": 0.7,
        "min_child_weight": 3,
    }
    result = sweep("maximize", [0.9, 0.8, 0.7], best_index=0)
    result.primary_metric = "validation_accuracy"
    for t in result.trials:
        t.params = dict(params, max_depth=t.index + 10)
    console = Console(width=80, record=True)
    console.print(leaderboard_table(result, width=80))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    for header in ["validation_accuracy", *params]:  # every header whole, none cut to "subs…"
        assert header in text
    assert "…" not in text
    rows = [line.split("│")[1:3] for line in lines if line.startswith("│")]
    # two tables (the parameters that did not fit wrap below), each row named by its rank and trial index
    assert [(r.strip(), i.strip()) for r, i in rows] == [("1", "0"), ("2", "1"), ("3", "2")] * 2
