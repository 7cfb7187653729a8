"""`sweep refine` on ties: every trial tied at the best value is the best, a tie is never cut by order, nothing is
fixed at one tied trial's value when they differ, and a sweep most of whose trials share the best value gets advice
instead of a narrower space. Hand-made trials (the rules), and one synthetic store through the CLI (the advice)."""

from __future__ import annotations

import json

import yaml
from mlflow.tracking import MlflowClient

from emulator_helpers import sqlite_uri, write_spec
from monitor_helpers import Trial, synth_sweep
from submit import load_spec
from submit.emulator import tags as t
from submit.emulator.resume import open_sweep
from submit.emulator.tracking import Store
from submit.followup.narrow import Pool, narrow
from submit.followup.refine import narrow_space
from submit.monitor import MetricPoint, SweepSummary, TrialRecord
from submit.spec.space import Choice, SearchSpace, Uniform
from test_refine import SPEC, _parent, _with_spec, sweep

SPACE = SearchSpace(
    {"x": Uniform(0.0, 1.0), "kernel": Choice(["linear", "rbf", "poly", "sigmoid"]), "seed": Choice([1, 2, 3])}
)


def summary(trials: list[tuple[float, float, str, int]], goal: str = "maximize") -> SweepSummary:
    """Trial i: (value, x, kernel, seed), logged at second 10 + i (a lower index reached its value first)."""
    records = [
        TrialRecord(
            f"s_{i}", f"r{i}", i, "completed", {"x": x, "kernel": k, "seed": seed}, [MetricPoint(0, v, 10.0 + i)]
        )
        for i, (v, x, k, seed) in enumerate(trials)
    ]
    return SweepSummary("s", "local", "sqlite:///x", "completed", "accuracy", goal, records)


def test_every_trial_tied_at_the_best_value_counts_and_keeps_its_choice():
    # 12 trials, the top quarter is 3; but 4 tie at 0.9, and the 4th of them (by the order they reached it) took poly
    trials = [(0.9, 0.30, "linear", 1), (0.9, 0.35, "rbf", 1), (0.9, 0.32, "linear", 2), (0.9, 0.31, "poly", 3)]
    trials += [(0.5 - 0.01 * i, 0.9, "sigmoid", 1 + i % 3) for i in range(8)]
    n = narrow_space(SPACE, [summary(trials)])
    assert n.top == 4 and [t.name for t in n.tied] == ["s_0", "s_1", "s_2", "s_3"] and n.advice is None
    kernel = next(c for c in n.changes if c.name == "kernel")
    assert kernel.new.values == ["linear", "rbf", "poly"]  # poly, used by a tied-best trial, is not dropped


def test_a_tie_at_the_last_place_counted_is_counted_whole():
    # the top quarter of 12 is 3: the best, then 0.8 four times; all four 0.8 count, so `rbf` stays
    trials = [(0.95, 0.3, "linear", 1)] + [(0.8, 0.3 + 0.01 * i, k, 1) for i, k in enumerate(["linear"] * 3 + ["rbf"])]
    trials += [(0.4, 0.9, "sigmoid", 2) for _ in range(7)]
    n = narrow_space(SPACE, [summary(trials)])
    assert n.top == 5 and len(n.tied) == 1
    assert next(c for c in n.changes if c.name == "kernel").new.values == ["linear", "rbf"]


def test_a_negligible_parameter_is_not_fixed_at_one_tied_trials_value_when_they_differ():
    pool = Pool(
        best_values={"seed": [1, 2, 1], "x": [0.3, 0.31, 0.29]},
        tied_params=[{"seed": 1, "x": 0.3}, {"seed": 2, "x": 0.31}],
        importance={"x": 0.6, "seed": 0.001},
    )
    changes = {c.name: c for c in narrow(SearchSpace({"x": Uniform(0.0, 1.0), "seed": Choice([1, 2, 3])}), pool)}
    assert changes["seed"].kind == "choices" and changes["seed"].new.values == [1, 2]  # both tied-best seeds kept
    assert "fixed" not in changes["seed"].reason


def test_a_negligible_parameter_every_tied_trial_agrees_on_is_fixed_and_said_so():
    pool = Pool(
        best_values={"seed": [2, 2, 1], "x": [0.3, 0.31, 0.29]},
        tied_params=[{"seed": 2, "x": 0.3}, {"seed": 2, "x": 0.31}],
        importance={"x": 0.6, "seed": 0.001},
    )
    changes = {c.name: c for c in narrow(SearchSpace({"x": Uniform(0.0, 1.0), "seed": Choice([1, 2, 3])}), pool)}
    assert changes["seed"].kind == "fixed" and changes["seed"].new.values == [2]
    assert "fixed at the value all 2 tied best trials took 2" in changes["seed"].reason


def test_pressing_looks_at_every_tied_best_trial():
    # the first tied-best trial is mid-range; another, tied with it, sits at max_value: the bound is pressed
    pool = Pool(best_values={"x": [0.5, 0.99, 0.6]}, tied_params=[{"x": 0.5}, {"x": 0.99}])
    (change,) = narrow(SearchSpace({"x": Uniform(0.0, 1.0)}), pool)
    assert change.kind == "widened" and change.new.max_value > 1.0
    assert "the 2 tied best 0.5..0.99" in change.reason


def test_most_trials_sharing_the_best_value_get_advice_and_no_narrower_space():
    trials = [(1.0, 0.1 * i, "linear", 1) for i in range(7)] + [(0.8, 0.5, "rbf", 2) for _ in range(3)]
    n = narrow_space(SPACE, [summary(trials)])
    assert n.changes == [] and n.space is SPACE
    assert n.advice.startswith("7 of 10 finished trials share the best accuracy 1, so the sweep cannot tell")
    assert "the task is too easy for this search, or the metric is saturated" in n.advice


def test_refine_prints_the_advice_and_writes_nothing(tmp_path):
    uri = sqlite_uri(tmp_path)
    trials = [Trial({"x": 0.1 * i, "y": 0.1, "k": "b", "noise": "red"}, [1.0]) for i in range(6)]
    trials += [Trial({"x": 0.5, "y": 0.2, "k": "a", "noise": "blue"}, [0.7]) for _ in range(2)]
    synth_sweep(uri, "easy", trials, experiment="refine-test")
    write_spec(tmp_path, SPEC, ("refine_target.py",))
    _with_spec(uri, "easy", SPEC, str(tmp_path / "spec.yaml"))
    out = tmp_path / "next.yaml"
    run = sweep("refine", "easy", "--tracking-uri", uri, "-o", str(out))
    assert run.exit_code == 0, run.output
    assert run.stderr.startswith("advice: 6 of 8 finished trials share the best accuracy 1"), run.stderr
    assert "no refined spec is written" in run.stderr and not out.exists() and run.stdout == ""
    run = sweep("refine", "easy", "--tracking-uri", uri, "--json")
    data = json.loads(run.stdout)
    assert data["advice"].startswith("6 of 8") and data["spec"] is None and data["tied_best"] == 6


def test_refine_says_the_best_value_is_shared_and_keeps_every_tied_trials_choice(tmp_path):
    uri = sqlite_uri(tmp_path)
    # 13 trials: the best quarter is 4, but 5 tie at 0.9, and the 5th of them (by the time it got there) took k = b
    ks = ["a", "a", "a", "a", "b"]
    trials = [Trial({"x": 0.3 + 0.01 * i, "y": 0.2, "k": k, "noise": "red"}, [0.9]) for i, k in enumerate(ks)]
    trials += [Trial({"x": 0.8, "y": 0.1 * (i + 1), "k": "c", "noise": "blue"}, [0.5 - 0.01 * i]) for i in range(8)]
    synth_sweep(uri, "ties", trials, experiment="refine-test", concurrency=1)
    write_spec(tmp_path, SPEC, ("refine_target.py",))
    _with_spec(uri, "ties", SPEC, str(tmp_path / "spec.yaml"))
    out = tmp_path / "next.yaml"
    run = sweep("refine", "ties", "--tracking-uri", uri, "-o", str(out))
    assert run.exit_code == 0, run.output
    assert "from the best 5 of 13 finished trials" in run.stderr
    assert "(best accuracy 0.9, shared by 5 trials, ties_0 first)" in run.stderr
    assert yaml.safe_load(out.read_text())["search_space"]["k"] == {"type": "choice", "values": ["a", "b"]}


def test_a_sweep_started_with_set_is_refined_for_the_objective_it_ran(tmp_path):
    # the spec says maximize accuracy; the sweep ran `--set objective.primary_metric=loss --set objective.goal=minimize`
    uri = sqlite_uri(tmp_path)
    trials = [Trial({"x": 0.1 * i, "y": 0.1, "k": "abc"[i % 3], "noise": "red"}, [abs(i - 3) / 10]) for i in range(10)]
    synth_sweep(uri, "lossy", trials, metric="loss", goal="minimize", experiment="refine-test")
    write_spec(tmp_path, SPEC, ("refine_target.py",))
    _with_spec(uri, "lossy", SPEC, str(tmp_path / "spec.yaml"))
    given = ["objective.primary_metric=loss", "objective.goal=minimize"]
    client = MlflowClient(tracking_uri=uri)
    client.set_tag(_parent(client, "lossy").info.run_id, t.TAG_OVERRIDES, json.dumps(given))

    out = tmp_path / "next.yaml"
    run = sweep("refine", "lossy", "--tracking-uri", uri, "-o", str(out))

    assert run.exit_code == 0, run.output
    text = out.read_text()
    assert yaml.safe_load(text)["objective"] == {"goal": "minimize", "primary_metric": "loss"}
    assert "# refine: --set objective.primary_metric=loss when the sweep was started" in text
    assert "(best loss 0, trial lossy_3)" in run.stderr  # the trial nearest x = 0.3, by the metric it ran


def test_the_emulator_records_the_set_a_sweep_was_started_with(tmp_path):
    path = write_spec(tmp_path, SPEC, ("refine_target.py",))
    store = Store(sqlite_uri(tmp_path))

    open_sweep(store, load_spec(path, ["objective.goal=minimize"]), "started", resume=False)
    open_sweep(store, load_spec(path), "plain", resume=False)

    client = MlflowClient(tracking_uri=store.uri)
    assert json.loads(_parent(client, "started").data.tags[t.TAG_OVERRIDES]) == ["objective.goal=minimize"]
    assert t.TAG_OVERRIDES not in _parent(client, "plain").data.tags
