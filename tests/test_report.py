"""The HTML report, opened in a real headless chromium: no console error, every chart drawn, one line per trial.

Stores are synthesised with MlflowClient (tests/monitor_helpers.py) and read through the monitor, as `sweep report`
reads them; tests/browser.py says how the page is checked.
"""

from __future__ import annotations

import math
import random

import pytest

from browser import open_report
from emulator_helpers import sqlite_uri
from monitor_helpers import Trial, synth_sweep
from submit.monitor import LocalSweeps, MonitorInputError
from submit.monitor.importance import parameter_importance
from submit.monitor.record import MetricPoint, SweepSummary, TrialRecord
from submit.report.charts import _best_so_far
from submit.report.page import write_report

pytestmark = pytest.mark.slow  # a real sweep or 500 synthetic trials per test, each page opened in headless chromium

SPACE = {
    "lr": {"type": "loguniform", "min_value": -9.2, "max_value": -2.3},
    "opt": {"type": "choice", "values": ["adam", "sgd", "rms prop"]},
}


def check_page(report, trials: int) -> dict:
    page = open_report(report)
    assert page["errors"] == []
    assert page["resources"] == []  # offline: nothing fetched, not even from file://
    assert page["webgl"], "chromium offered no WebGL: the parallel coordinates cannot be drawn"
    assert page["plots"] and all(p["drawn"] for p in page["plots"])
    [parcoords] = [p for p in page["plots"] if p["type"] == "parcoords"]
    assert parcoords["lines"] == trials and set(parcoords["axes"]) == {trials} and parcoords["finite"]
    return page


def test_one_trial(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "one", [Trial({"lr": 0.01, "opt": "adam"}, [0.5, 0.6])], space=SPACE)
    written = write_report([LocalSweeps(uri).status("one")], tmp_path / "one.html")
    page = check_page(written.path, 1)
    assert "no ranking: 1 trial(s) with a value of accuracy; the ranking needs at least 5" in page["text"]


def test_failed_canceled_string_choices_and_a_metric_missing_in_some_trials(tmp_path):
    uri = sqlite_uri(tmp_path)
    rng = random.Random(3)
    trials = []
    for i in range(12):
        params = {"lr": 10 ** rng.uniform(-4, -1), "opt": ["adam", "sgd", "rms prop"][i % 3]}
        curve = [0.5 + 0.03 * s + 0.01 * (i % 4) for s in range(6)]
        if i in (2, 7):
            trials.append(
                Trial(
                    params,
                    curve[:2],
                    "canceled",
                    f"bandit: {curve[1]:.3f} < best 0.6 / (1 + 0.1) at interval 2",
                    True,
                    3,
                )
            )
        elif i == 4:
            trials.append(Trial(params, [], "failed", exit_code=1, seconds=1))  # failed before any value
        elif i == 5:
            trials.append(Trial(params, [], other={"acc": 0.7}))  # logged another name: no primary metric
        elif i == 9:
            trials.append(Trial(params, [0.55, math.nan]))
        else:
            trials.append(Trial(params, curve))
    synth_sweep(uri, "mixed", trials, policy="bandit", space=SPACE)
    summary = LocalSweeps(uri).status("mixed")
    written = write_report([summary], tmp_path / "mixed.html")
    page = check_page(written.path, 12)
    html_text = written.path.read_text()
    assert "bandit: 0.550 &lt; best 0.6 / (1 + 0.1) at interval 2" in html_text  # the reason, on hover and in the table
    assert "rms prop" in html_text and '"ticktext":["adam","rms prop","sgd"]' in html_text
    assert '"ticktext":["none",' in html_text  # the metric axis's tick for the trials without a value
    text = page["text"]
    assert "mixed_4\nfailed" in text.replace("\t", "\n") and "exit code 1" in text
    assert "bandit canceled 2 trial(s)" in text
    assert "avoided (estimate)" in text and "run after cancel (measured)" in text  # each figure on its own row
    assert "method: permutation importance" in text


def test_no_script_or_style_comes_from_the_network(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "offline", [Trial({"lr": 0.01, "opt": "adam"}, [0.5])], space=SPACE)
    text = write_report([LocalSweeps(uri).status("offline")], tmp_path / "r.html").path.read_text()
    start = text.index('<script type="text/javascript">')
    end = text.index("</script>", start)
    assert "Plotly" in text[start:end]  # plotly's own script, inlined in the head
    page = text[:start] + text[end:]  # plotly's code mentions its CDN in strings; the page around it must not
    assert "<script src" not in page and "<link" not in page and "http" not in page.split("<body>")[0]


def test_a_trial_that_logged_one_value_is_a_dot_on_the_curves_chart(tmp_path):
    from submit.report.charts import curves

    uri = sqlite_uri(tmp_path)
    trials = [Trial({"lr": 0.01, "opt": "adam"}, [0.5]), Trial({"lr": 0.02, "opt": "sgd"}, [0.4, 0.6])]
    synth_sweep(uri, "once", trials, space=SPACE)
    (trace,) = [t for t in curves(LocalSweeps(uri).status("once")).data if t.name == "completed"]
    # one point is a line plotly draws as nothing: the single value gets a marker, the two-step trial stays a line
    points = [(y, size) for y, size in zip(trace.y, trace.marker.size, strict=True) if y is not None]
    assert sorted(points) == [(0.4, 0), (0.5, 6), (0.6, 0)]


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    uri = sqlite_uri(folder)
    rng = random.Random(5)
    trials = [
        Trial({"lr": 10 ** rng.uniform(-4, -1), "opt": rng.choice(["adam", "sgd", "rms prop"])}, [rng.random()])
        for _ in range(500)
    ]
    synth_sweep(uri, "big", trials, space=SPACE, concurrency=8)
    return uri


def test_500_trials(big_store, tmp_path):
    written = write_report([LocalSweeps(big_store).status("big")], tmp_path / "big.html")
    check_page(written.path, 500)


def test_two_sweeps_are_compared_on_one_chart_by_trial_and_by_trial_seconds(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "a", [Trial({"lr": 0.01, "opt": "adam"}, [v]) for v in (0.2, 0.5, 0.4)], space=SPACE)
    synth_sweep(uri, "b", [Trial({"lr": 0.02, "opt": "sgd"}, [v], seconds=3) for v in (0.6, 0.1)], space=SPACE)
    sweeps = LocalSweeps(uri)
    written = write_report([sweeps.status("a"), sweeps.status("b")], tmp_path / "ab.html")
    page = open_report(written.path)
    assert page["errors"] == []
    plots = {p["id"]: p for p in page["plots"]}
    assert plots["compare-trials"]["traces"] == plots["compare-seconds"]["traces"] == 2
    assert {plots["parcoords-0"]["lines"], plots["parcoords-1"]["lines"]} == {3, 2}


def summary_of(values_and_seconds, goal="maximize") -> SweepSummary:
    trials, clock = [], 0.0
    for i, (value, seconds) in enumerate(values_and_seconds):
        history = [] if value is None else [MetricPoint(0, value, clock + seconds)]
        trials.append(TrialRecord(f"s_{i}", f"r{i}", i, "completed", {}, history, started=clock, ended=clock + seconds))
        clock += seconds
    return SweepSummary("s", "local", "x", "completed", "m", goal, trials)


def test_best_so_far_by_trial_and_by_trial_seconds_worked_by_hand():
    s = summary_of([(None, 5), (0.3, 2), (0.2, 1), (0.7, 4)])
    assert _best_so_far(s, "trial") == ([2, 3, 4], [0.3, 0.3, 0.7])  # nothing to draw before a value exists
    assert _best_so_far(s, "seconds") == ([7.0, 8.0, 12.0], [0.3, 0.3, 0.7])
    assert _best_so_far(summary_of([(0.3, 1), (0.2, 1)], "minimize"), "trial") == ([1, 2], [0.3, 0.2])


def test_importance_ranks_the_parameter_the_metric_depends_on_first():
    rng = random.Random(0)
    trials = []
    for i in range(40):
        x, z, c = rng.uniform(0, 1), rng.uniform(0, 1), rng.choice(["a", "b"])
        trials.append(
            TrialRecord(
                f"t_{i}", f"r{i}", i, "completed", {"x": x, "z": z, "c": c}, [MetricPoint(0, 3 * x + (c == "b"), 0)]
            )
        )
    found = parameter_importance(SweepSummary("s", "local", "x", "completed", "m", "maximize", trials))
    assert [i.parameter for i in found.ranked][:2] == ["x", "c"] and found.ranked[-1].parameter == "z"
    assert found.ranked[-1].importance < 0.05 < found.ranked[1].importance and found.trials_used == 40


def test_a_report_path_in_a_missing_folder_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(
        MonitorInputError, match=f"-o {tmp_path}/nope/r.html: the folder {tmp_path}/nope does not exist"
    ):
        write_report([summary_of([(0.1, 1)])], tmp_path / "nope" / "r.html")
    with pytest.raises(MonitorInputError, match="is a folder; give a file name"):
        write_report([summary_of([(0.1, 1)])], tmp_path)


def test_a_canceled_trial_is_marked_at_the_value_judged_and_again_where_it_stopped(tmp_path):
    from submit.report.charts import curves
    from submit.report.timeline import layout_timeline, timeline_chart

    uri = sqlite_uri(tmp_path)
    reason = "bandit: 0.52 < best 0.9 / (1 + 0.1) at interval 2"
    trials = [
        Trial({"lr": 0.01, "opt": "adam"}, [0.8, 0.9, 0.9, 0.9], seconds=5),
        # judged at its 2nd value (step 1), it logged four more while the cancel landed: it stopped at step 5
        Trial({"lr": 0.02, "opt": "sgd"}, [0.5, 0.52, 0.53, 0.55, 0.56, 0.57], "canceled", reason, True, 7),
        Trial({"lr": 0.03, "opt": "sgd"}, [0.4, 0.41], "failed", exit_code=1, seconds=3),
    ]
    synth_sweep(uri, "cut", trials, policy="bandit", space=SPACE, concurrency=1)
    summary = LocalSweeps(uri).status("cut")
    marks = {t.name: t for t in curves(summary).data if t.mode == "markers"}
    judged, stopped, other = marks["canceled: judged here"], marks["canceled: stopped here"], marks["stopped here"]
    assert (list(judged.x), list(judged.y)) == ([1], [0.52])
    assert (list(stopped.x), list(stopped.y)) == ([5], [0.57])
    assert (list(other.x), list(other.y)) == ([1], [0.41])  # a failure was judged by no one: marked where it ended
    found = layout_timeline(summary)
    bar = next(b for b in found.bars if b.trial.name == "cut_1")
    second = summary.trials[1].history[1].timestamp - found.origin  # when it logged the value judged
    lanes = {t.name: t for t in timeline_chart(summary, found).data if t.name and "here" in t.name}
    assert list(lanes["canceled: judged here (hover: why)"].x) == [pytest.approx(second)]
    assert second < bar.end - 2  # the x sits well inside the bar, which runs on to where the trial stopped
    assert list(lanes["stopped here (hover: why)"].x) == [pytest.approx(found.bars[-1].end)]
