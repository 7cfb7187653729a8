"""The report's timeline, ECDF and coverage of the declared space, checked in headless chromium as
tests/test_report.py checks the other charts, and their data worked by hand.

Stores are synthesised with MlflowClient (tests/monitor_helpers.py) with chosen start times and run times, and read
through the monitor as `sweep report` reads them; one real local sweep shows the spec's logbase recorded and read back,
and the cloud path reads a submitted job's search space through the real MLClient over the recording transport.
"""

from __future__ import annotations

import math
import random

import pytest
from azure.ai.ml import MLClient
from mlflow.tracking import MlflowClient

from _azure_util import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, StaticToken
from browser import open_report
from emulator_helpers import shell_spec, spec_from, sqlite_uri, write_spec
from monitor_helpers import Trial, synth_sweep
from submit.azure.client import submit_job
from submit.emulator import run_local
from submit.monitor import LocalSweeps
from submit.monitor.cloud import CloudSweeps
from submit.monitor.record import MetricPoint, SweepSummary, TrialRecord
from submit.report.coverage import coverage_of
from submit.report.page import write_report
from submit.report.timeline import layout_timeline, running_count
from submit.spec.load import load_spec

pytestmark = pytest.mark.slow  # real sweeps, each page opened in headless chromium

SPACE = {
    "lr": {"type": "loguniform", "min_value": -9.2, "max_value": -2.3},
    "opt": {"type": "choice", "values": ["adam", "sgd", "rms prop", "never"]},
    "batch": {"type": "quniform", "min_value": 16, "max_value": 64, "q": 16},
    "layers": {"type": "randint", "upper": 4},
}


def params(rng: random.Random, i: int) -> dict:
    return {
        "lr": math.exp(rng.uniform(-9.2, -2.3)),
        "opt": ["adam", "sgd", "rms prop"][i % 3],
        "batch": round(rng.uniform(16, 64) / 16) * 16,
        "layers": rng.randrange(4),
    }


def plots_of(path) -> dict:
    page = open_report(path)
    assert page["errors"] == [] and page["resources"] == []
    assert page["plots"] and all(p["drawn"] for p in page["plots"])
    return {p["id"]: p for p in page["plots"]}


def by_name(plot: dict) -> dict[str, int]:
    return {s["name"]: s["n"] for s in plot["series"]}


def test_one_trial_is_one_bar_and_every_declared_choice_a_column(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "one", [Trial({"lr": 0.01, "opt": "adam", "batch": 32, "layers": 2}, [0.5, 0.6])], space=SPACE)
    plots = plots_of(write_report([LocalSweeps(uri).status("one")], tmp_path / "one.html").path)
    timeline = plots["timeline-0"]
    assert timeline["bars"] == 1 and by_name(timeline)["completed"] == 1
    assert by_name(timeline)["trials at once"] == 2  # 1 running from the start, then 0
    coverage = plots["coverage-0"]
    axes = coverage["xaxes"]
    assert [axes[k]["type"] for k in ("xaxis", "xaxis2", "xaxis3", "xaxis4")] == ["log", "category", "linear", "linear"]
    assert axes["xaxis2"]["categories"] == ["adam", "sgd", "rms prop", "never"]  # unsampled values keep a column
    assert coverage["titles"][0] == "lr: loguniform(-9.2, -2.3) = e^-9.2..e^-2.3 = 0.000101..0.1003"
    # a band per parameter but the choice, and the q-grid 16, 32, 48, 64 of batch
    assert coverage["shapes"] == 3 + 4


def test_many_trials_one_bar_each_in_as_many_slots_as_ran_at_once(tmp_path):
    uri = sqlite_uri(tmp_path)
    rng = random.Random(4)
    trials = [Trial(params(rng, i), [rng.random()], seconds=rng.uniform(5, 50)) for i in range(300)]
    synth_sweep(uri, "many", trials, space=SPACE, concurrency=8)
    summary = LocalSweeps(uri).status("many")
    plots = plots_of(write_report([summary], tmp_path / "many.html").path)
    assert plots["timeline-0"]["bars"] == 300 and by_name(plots["timeline-0"])["completed"] == 300
    found = layout_timeline(summary)
    assert found.lanes == 8 == max(running_count(found.bars)[1])
    for lane in range(1, 9):  # no two trials of one slot overlap
        spans = sorted((b.start, b.end) for b in found.bars if b.lane == lane)
        assert all(a_end <= b_start + 1e-6 for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))
    assert [s["n"] for s in plots["coverage-0"]["series"]] == [300] * 4  # every trial in each parameter's panel


def test_failed_canceled_and_running_trials_keep_their_state_and_say_why(tmp_path):
    uri = sqlite_uri(tmp_path)
    rng = random.Random(1)
    trials = []
    for i in range(10):
        p = params(rng, i)
        if i in (2, 6):
            trials.append(Trial(p, [0.3], "canceled", f"bandit: 0.3{i} < best 0.9 / (1 + 0.1) at interval 1", True, 4))
        elif i == 4:
            trials.append(Trial(p, [], "failed", exit_code=3, seconds=0))  # ended as it started: still drawn
        elif i == 9:
            trials.append(Trial(p, [0.5], "running", seconds=20))
        else:
            trials.append(Trial(p, [0.6, 0.8], seconds=10))
    synth_sweep(uri, "mixed", trials, policy="bandit", space=SPACE, state="running", concurrency=3)
    written = write_report([LocalSweeps(uri).status("mixed")], tmp_path / "mixed.html")
    timeline = plots_of(written.path)["timeline-0"]
    assert timeline["bars"] == 10
    assert {k: v for k, v in by_name(timeline).items() if k in ("completed", "canceled", "failed", "running")} == {
        "completed": 6,
        "canceled": 2,
        "failed": 1,
        "running": 1,
    }
    assert by_name(timeline)["canceled: judged here (hover: why)"] == 2  # the policy's, at the value it judged
    assert by_name(timeline)["stopped here (hover: why)"] == 1  # the failure, at its end
    text = written.path.read_text()
    assert "bandit: 0.36 &lt; best 0.9 / (1 + 0.1) at interval 1" in text and "exit code 3" in text
    assert "max_concurrent_trials 3" in text


def test_a_sweep_with_no_trial_started_says_so_instead_of_an_empty_chart(tmp_path):
    queued = TrialRecord("q_0", "r0", 0, "queued", {"x": 1})
    summary = SweepSummary("q", "cloud", "ws", "running", "m", "maximize", [queued])
    text = write_report([summary], tmp_path / "q.html").path.read_text()
    assert "no trial has started yet (1 queued or without a start time)" in text and 'id="timeline-0"' not in text


def test_slots_and_the_running_count_worked_by_hand():
    spans = {"a": (0, 10), "b": (0, 5), "c": (5, 8), "d": (6, 12), "f": (11, None)}
    trials = [
        TrialRecord(n, n, i, "completed" if e is not None else "running", {}, started=s, ended=e)
        for i, (n, (s, e)) in enumerate(spans.items())
    ]
    trials[-1].history = [MetricPoint(0, 0.5, 14.0)]  # still running: its bar ends at its latest value
    trials.append(TrialRecord("e", "e", 5, "queued", {}))
    found = layout_timeline(SweepSummary("s", "local", "x", "running", "m", "maximize", trials))
    assert {b.trial.name: (b.lane, b.start, b.end) for b in found.bars} == {
        "a": (1, 0, 10),
        "b": (2, 0, 5),
        "c": (2, 5, 8),  # b's slot, handed on when b ended
        "d": (3, 6, 12),
        "f": (1, 11, 14),
    }
    assert [t.name for t in found.not_started] == ["e"]
    assert running_count(found.bars) == ([0, 5, 6, 8, 10, 11, 12, 14], [2, 2, 3, 2, 1, 2, 1, 0])


def test_the_ecdf_draws_one_line_per_sweep_of_its_ended_trials_final_values(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "a", [Trial({"lr": 0.01}, [v, v + 0.1]) for v in (0.2, 0.5, 0.4)], space=SPACE)
    b = [Trial({"lr": 0.02}, [0.6]), Trial({"lr": 0.03}, [], "failed", exit_code=1), Trial({"lr": 0.04}, [0.1])]
    synth_sweep(uri, "b", b, space=SPACE)
    sweeps = LocalSweeps(uri)
    plots = plots_of(write_report([sweeps.status("a"), sweeps.status("b")], tmp_path / "ab.html").path)
    assert by_name(plots["compare-ecdf"]) == {"a (3 trials)": 3, "b (2 trials)": 2}  # the failed one has no value
    assert plots["timeline-0"]["bars"] == 3 and plots["timeline-1"]["bars"] == 3  # one timeline per sweep


def summary_with(space: dict, values: list[dict], logbase: float | None = None) -> SweepSummary:
    trials = [TrialRecord(f"s_{i}", f"r{i}", i, "completed", v) for i, v in enumerate(values)]
    return SweepSummary("s", "local", "x", "completed", "m", "maximize", trials, search_space=space, logbase=logbase)


def test_coverage_reads_bounds_in_each_parameters_own_scale():
    space = {
        "lr": {"type": "loguniform", "min_value": -4, "max_value": -1},
        "wd": {"type": "loguniform", "min_value": 0.0001, "max_value": 0.1},  # values written where exponents go
        "x": {"type": "uniform", "min_value": 0, "max_value": 1},
        "d": {"type": "normal", "mu": 0.2, "sigma": 0.05},
        "k": {"type": "choice", "values": [1, 2, 3]},
        "free": None,
    }
    values = [{"lr": 10**-2, "wd": 1.05, "x": 0.5 + i / 20, "d": 0.2, "k": 1, "free": "a"} for i in range(15)]
    panels = {p.name: p for p in coverage_of(summary_with(space, values, logbase=10))}
    assert panels["lr"].scale == "log" and panels["lr"].band == pytest.approx((1e-4, 1e-1))
    assert panels["lr"].title == "lr: loguniform(-4, -1) = 10^-4..10^-1 = 0.0001..0.1" and not panels["lr"].notes
    assert panels["wd"].notes == ["wd: the bounds are exponents, so it samples 1..1.259; for 0.0001..0.1 write -4..-1"]
    assert panels["x"].band == (0, 1) and panels["x"].notes == ["x: 4 sample(s) outside the declared range"]
    assert panels["d"].band == pytest.approx((0.1, 0.3)) and panels["d"].scale == "linear"
    assert panels["k"].categories == ["1", "2", "3"] and panels["k"].notes == ["k: never sampled 2, 3"]
    assert panels["free"].kind is None and panels["free"].scale == "category" and panels["free"].categories == ["a"]
    assert coverage_of(summary_with({"q": {"type": "quniform", "min_value": 0, "max_value": 1, "q": 0.25}}, []))[
        0
    ].grid == [0, 0.25, 0.5, 0.75, 1]


def test_a_local_sweep_records_its_logbase_and_the_report_reads_it_back(tmp_path):
    spec = shell_spec(
        "true",
        space="lr: {type: loguniform, min_value: -4, max_value: -1}",
        limits="{max_total_trials: 3, max_concurrent_trials: 3}",
        sampling="{type: random, logbase: 10, seed: 7}",
    )
    uri = sqlite_uri(tmp_path)
    run_local(spec_from(tmp_path, spec), tracking_uri=uri, name="base10")
    summary = LocalSweeps(uri).status("base10")
    assert summary.logbase == 10 and summary.search_space == {
        "lr": {"type": "loguniform", "min_value": -4, "max_value": -1}
    }
    [panel] = coverage_of(summary)
    assert panel.band == pytest.approx((1e-4, 1e-1)) and not panel.notes  # every sample inside 10^-4..10^-1
    assert len(summary.trials) == 3 and all(1e-4 <= t.params["lr"] <= 1e-1 for t in summary.trials)


CLOUD_SPEC = """\
type: sweep
experiment_name: coverage-cloud
trial:
  code: src
  command: python train.py --lr ${{search_space.lr}} --opt ${{search_space.opt}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33
compute: azureml:cpu-cluster
sampling_algorithm: {type: random, logbase: 10}
search_space:
  lr: {type: loguniform, min_value: -5, max_value: -1}
  batch: {type: quniform, min_value: 16, max_value: 128, q: 16}
  drop: {type: normal, mu: 0.2, sigma: 0.05}
  layers: {type: randint, upper: 6}
  opt: {type: choice, values: [adam, sgd]}
objective: {goal: maximize, primary_metric: accuracy}
limits: {max_total_trials: 4, max_concurrent_trials: 2}
"""


def test_a_cloud_sweep_gives_the_report_its_declared_space_as_the_spec_wrote_it(rest, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('train')\n")
    ml_client = MLClient(StaticToken(), SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, transport=rest, show_progress=False)
    name = submit_job(ml_client, load_spec(write_spec(tmp_path, CLOUD_SPEC))).name
    rest.children[name] = []
    mlflow = MlflowClient(tracking_uri=sqlite_uri(tmp_path))  # an empty store: the sweep has no runs yet
    summary = CloudSweeps(ml_client, mlflow_client=mlflow).status(name)
    assert summary.logbase == 10
    assert summary.search_space == {
        "lr": {"type": "loguniform", "min_value": -5, "max_value": -1},
        "batch": {"type": "quniform", "min_value": 16, "max_value": 128, "q": 16},
        "drop": {"type": "normal", "mu": 0.2, "sigma": 0.05},
        "layers": {"type": "randint", "upper": 6},
        "opt": {"type": "choice", "values": ["adam", "sgd"]},
    }
