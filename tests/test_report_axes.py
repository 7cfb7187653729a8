"""The report as a reader sees it in headless chromium: a numeric choice drawn as categories, the metric's "none" tick
only when a trial has no value, a colour bar that says what colour encodes, every leaderboard row and column in view,
subplot titles clear of their panels, why fewer trials ran at once than the spec allows, and cautions on an
importance ranking of few trials.

Stores are synthesised with MlflowClient (tests/monitor_helpers.py), or are the session's real sweep, and read
through the monitor as `sweep report` reads them; tests/browser.py says what the page reports back.
"""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from browser import open_report
from emulator_helpers import sqlite_uri
from monitor_helpers import Trial, synth_sweep
from submit.cli import app
from submit.emulator import tags as t
from submit.monitor import LocalSweeps
from submit.monitor.importance import Importance, Importances, importance_cautions
from submit.monitor.record import SweepSummary, TrialRecord
from submit.report.charts import parallel_coordinates
from submit.report.page import write_report
from submit.report.timeline import concurrency_sentence, layout_timeline
from submit.spec.model import RecordedLimits

SPACE = {
    "lr": {"type": "loguniform", "min_value": -9.2, "max_value": -2.3},
    "l1_ratio": {"type": "choice", "values": [0.0, 0.5, 1.0]},
    "opt": {"type": "choice", "values": ["adam", "sgd"]},
}


def _trials(n: int, *, seed: int = 5, reason: str | None = None) -> list[Trial]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        params = {"lr": 10 ** rng.uniform(-4, -1), "l1_ratio": [0.0, 0.5, 1.0][i % 3], "opt": ["adam", "sgd"][i % 2]}
        value = 0.3 + 0.1 * (i % 3) + rng.uniform(0, 0.05)
        if reason is not None and i % 4 == 3:
            out.append(Trial(params, [value, value], "canceled", reason, True, 3))
        else:
            out.append(Trial(params, [value - 0.05, value]))
    return out


def _page(tmp_path, name: str, trials: list[Trial], **sweep) -> tuple[dict, str, SweepSummary]:
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, name, trials, metric="val_log_loss", goal="minimize", space=SPACE, **sweep)
    summary = LocalSweeps(uri).status(name)
    written = write_report([summary], tmp_path / f"{name}.html")
    page = open_report(written.path)
    assert page["errors"] == [], page["errors"]
    return page, written.path.read_text(encoding="utf-8"), summary


def _plot(page: dict, prefix: str) -> dict:
    [found] = [p for p in page["plots"] if p["id"].startswith(prefix)]
    return found


@pytest.fixture(scope="module")
def nine(tmp_path_factory):
    """One report of nine trials, every one with a value, opened once: several tests read what it drew."""
    return _page(tmp_path_factory.mktemp("nine"), "axes", _trials(9))


@pytest.mark.slow  # the page opened in headless chromium
def test_a_numeric_choice_is_one_evenly_spaced_tick_per_value_and_there_is_no_none_tick_when_all_have_values(nine):
    page, _, summary = nine
    parcoords = _plot(page, "parcoords")
    assert parcoords["labels"] == ["lr", "l1_ratio", "opt", "best val_log_loss"]
    lr, l1_ratio, opt, metric = parcoords["ticks"]
    assert l1_ratio == ["0", "0.5", "1"]  # the three declared values, not a 0..1 scale with 0.2 steps
    assert opt == ["adam", "sgd"]
    assert "none" not in metric and len(metric) == 5  # every trial has a value: no "none" tick
    assert all(e == "" for e in parcoords["extents"])  # no range labels of a continuous axis above and below
    choice = parallel_coordinates(summary).data[0].dimensions[1]
    assert list(choice.tickvals) == [0, 1, 2] and list(choice.range) == [-0.5, 2.5]  # evenly spaced, half a step spare
    # the scatter draws the same choice as three categories
    scatter = _plot(page, "scatter")
    assert [ax["type"] for ax in scatter["xaxes"].values()] == ["log", "category", "category"]
    assert scatter["xaxes"]["xaxis2"]["categories"] == ["0", "0.5", "1"]


def test_a_colour_bar_says_what_colour_encodes_and_which_end_is_better(nine):
    page = nine[0]
    [title] = _plot(page, "parcoords")["colorbars"]
    assert "best val_log_loss" in title and "minimize: lower is better" in title and "yellow is best" in title
    assert "its colour is its best val_log_loss (the colour bar on the right: yellow is best" in page["text"]


def test_subplot_titles_sit_clear_of_their_panels(nine):
    page = nine[0]
    for prefix in ("scatter", "coverage"):
        clearance = [c for c in _plot(page, prefix)["title_clearance"] if c is not None]
        assert clearance and min(clearance) >= 3, (prefix, clearance)  # a '_' descender stays above the panel


def test_the_report_of_few_trials_shows_a_caution_below_the_importance_chart(nine):
    assert "Caution: only 9 trials." in nine[0]["text"]


@pytest.mark.slow  # the page opened in headless chromium
def test_the_none_tick_and_grey_appear_only_when_a_trial_has_no_value(tmp_path):
    trials = _trials(6)
    trials.append(Trial({"lr": 0.01, "l1_ratio": 0.5, "opt": "adam"}, [], "failed", exit_code=1, seconds=1))
    page, text, _ = _page(tmp_path, "missing", trials)
    metric = _plot(page, "parcoords")["ticks"][-1]
    assert metric[0] == "none" and len(metric) == 6
    assert "1 trial(s) without a value of val_log_loss sit on the metric axis" in page["text"]
    assert "#b8b8b8" in text  # the grey of the trials without a value


@pytest.mark.slow  # the page opened in headless chromium
def test_the_leaderboard_shows_every_row_and_a_long_reason_whole(tmp_path):
    reason = (
        "bandit: 0.512 > best 0.301 * (1 + 0.1) at interval 2 (the slack factor of the policy as the spec gives it, "
        "judged against every trial that had reached interval 2 when it was evaluated)"
    )
    page, _, _ = _page(tmp_path, "board", _trials(30, reason=reason))
    [board] = page["boards"]
    assert board["rows"] == 31  # the header and all 30 trials
    assert board["hidden"] == 0  # no cell hidden by a scrolling box or cut at its own edge
    assert reason in page["text"]  # rendered, visible text (innerText), not only in the markup


@pytest.mark.slow  # the page opened in headless chromium
def test_the_timeline_says_why_fewer_trials_ran_at_once_than_the_spec_allows(tmp_path):
    uri = sqlite_uri(tmp_path)
    parent = synth_sweep(uri, "capped", [Trial({"x": i}, [0.1 * i]) for i in range(6)], concurrency=2,
                         limits={"max_total_trials": 6, "max_concurrent_trials": 4})  # fmt: skip
    note = "max_concurrent_trials 4 capped to 2 (this machine's 2 cores; --max-concurrent N to change)"
    from mlflow.tracking import MlflowClient

    MlflowClient(uri).set_tag(parent, t.TAG_CONCURRENCY, json.dumps({"at_once": 2, "note": note}))
    summary = LocalSweeps(uri).status("capped")
    assert (summary.concurrency, summary.concurrency_note) == (2, note)
    written = write_report([summary], tmp_path / "capped.html")
    page = open_report(written.path)
    assert (
        f"the emulator ran at most 2 at a time: {note}. On Azure the sweep would run up to 4 at once." in page["text"]
    )
    names = [s["name"] for s in _plot(page, "timeline")["series"]]
    assert "max_concurrent_trials 4" in names and "2 at once here (capped)" in names
    # `sweep status` says the same, in the terminal
    status = CliRunner().invoke(app, ["status", "capped", "--tracking-uri", uri], env={"COLUMNS": "80"})
    assert f"concurrency: {note}" in status.stdout, status.output


def test_a_sweep_run_here_records_how_many_trials_it_ran_at_once(failing_sweep):
    uri, result = failing_sweep
    summary = LocalSweeps(uri).status("fails")
    assert summary.concurrency == result.concurrency == 2  # max_concurrent_trials 2, within this machine's cores
    assert summary.concurrency_note == result.cap_note


def test_an_importance_of_few_trials_or_with_an_error_bar_reaching_zero_carries_a_caution():
    few = Importances("m", [Importance("C", 0.5, 0.3), Importance("l1_ratio", 0.08, 0.09)], trials_used=6)
    notes = importance_cautions(few)
    assert notes[0].startswith("Caution: only 6 trials.")
    assert notes[1] == "The error bar of l1_ratio reaches zero: these trials cannot tell whether it matters at all."
    sure = Importances("m", [Importance("C", 0.5, 0.05), Importance("l1_ratio", 0.2, 0.05)], trials_used=40)
    assert importance_cautions(sure) == []
    assert importance_cautions(Importances("m", [], 3, "too few")) == []


def _timed(n: int, at_once: int, *, concurrency: int | None, note: str | None) -> SweepSummary:
    """A finished local sweep of ``n`` 10-second trials run ``at_once`` at a time, max_concurrent_trials 4."""
    trials = [
        TrialRecord(
            f"s_{i}",
            f"r{i}",
            i,
            "completed",
            {"x": i},
            started=100.0 + 10 * (i // at_once),
            ended=110.0 + 10 * (i // at_once),
        )  # fmt: skip
        for i in range(n)
    ]
    return SweepSummary("s", "local", "sqlite:///x", "completed", "m", "maximize", trials=trials,
                        limits=RecordedLimits(max_total_trials=n, max_concurrent_trials=4),
                        concurrency=concurrency, concurrency_note=note)  # fmt: skip


def test_the_timeline_says_nothing_of_a_cap_when_the_sweep_merely_had_fewer_trials_than_the_limit():
    few = _timed(2, 2, concurrency=2, note=None)  # 2 trials, limit 4: both ran at once, nothing capped them
    assert concurrency_sentence(few, layout_timeline(few)) is None
    unrecorded = _timed(2, 2, concurrency=None, note=None)  # an older store: at most 2 ran, and only 2 existed
    assert concurrency_sentence(unrecorded, layout_timeline(unrecorded)) is None
    older = _timed(6, 2, concurrency=None, note=None)  # an older store: 6 trials, never more than 2 at once
    assert "At most 2 trial(s) ran at once, fewer than max_concurrent_trials 4" in concurrency_sentence(
        older, layout_timeline(older)
    )
