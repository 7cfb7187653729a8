"""Early termination end to end: boosting sweeps that log every round, one per policy, on real trial processes.

What each test re-derives from the store alone, never from the scheduler's memory:
- a trial the policy canceled is KILLED, stopped before its last round, and tagged `sweep.cancel_reason`; the policy
  run again on the store's histories, cut to the trials it was judged among (`sweep.cancel_pool`) at the interval
  the reason names, gives the very same reason;
- the best trial is the best-ever primary value over all trials, canceled ones included (Azure's rule), and it is the
  parent's `best_child_run_id`;
- the summary counts the canceled trials and reports the trial-seconds run, avoided and run after cancel, the same
  numbers `sweep status` reads back.
Bandit runs the real src/train/train_xgb.py; median stopping and truncation run tests/scripts/boosting_curve.py,
which logs a boosting-like loss curve the same way at a fraction of the start-up cost.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import submit
from emulator_helpers import copy_scripts, sqlite_uri, stored_sweep
from submit import cli, load_spec
from submit.emulator import run_local
from submit.emulator.policies import interval_of, make_policy
from submit.monitor import LocalSweeps

pytestmark = pytest.mark.slow  # real sweeps long enough for a policy to act: about a minute each on a loaded machine

TRAIN = Path(__file__).parents[1] / "src" / "train"
ROUNDS = 30


def curve_spec(folder: Path, policy: str, *, goal: str, metric: str, flag: str = "") -> Path:
    """Six trials on a grid, two at a time: fast-learning trials, and slow ones the policies should drop."""
    copy_scripts(folder / "src", ("boosting_curve.py",))
    spec = folder / "spec.yaml"
    spec.write_text(f"""\
type: sweep
trial:
  code: src
  command: >-
    python boosting_curve.py --rate ${{{{search_space.rate}}}} --floor ${{{{search_space.floor}}}}
    --rounds {ROUNDS} --seconds 0.03 {flag}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
sampling_algorithm: grid
search_space:
  rate: {{type: choice, values: [0.3, 0.01, 0.1]}}
  floor: {{type: choice, values: [0.2, 0.3]}}
objective: {{goal: {goal}, primary_metric: {metric}}}
early_termination: {policy}
limits: {{max_total_trials: 6, max_concurrent_trials: 2}}
""")
    return spec


def check_against_the_store(uri: str, sweep: str, spec_path: Path, rounds: int) -> dict[str, list[float]]:
    """The assertions every policy shares (module docstring); returns the stored histories by trial name."""
    spec = load_spec(spec_path)
    policy, goal, metric = make_policy(spec.policy), spec.objective.goal, spec.objective.primary_metric
    stored = stored_sweep(uri, sweep)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    histories = {
        name: [
            m.value
            for m in sorted(client.get_metric_history(run.info.run_id, metric), key=lambda m: (m.timestamp, m.step))
        ]
        for name, run in stored.children.items()
    }
    killed = {name: run for name, run in stored.children.items() if run.info.status == "KILLED"}
    assert killed, f"the policy canceled no trial: {stored.statuses()}"
    assert any(len(histories[name]) < rounds for name in killed), "no trial was canceled before its last round"
    for name, run in stored.children.items():
        if name not in killed:
            assert run.info.status == "FINISHED" and len(histories[name]) == rounds, name
    for name, run in killed.items():
        reason = run.data.tags["sweep.cancel_reason"]
        assert reason.startswith(f"{policy.name.replace('_', ' ')}: "), reason
        n = int(re.search(r" at interval (\d+)", reason).group(1))
        assert policy.due(n) and n <= len(histories[name])
        pool = run.data.tags["sweep.cancel_pool"].split(",")
        assert name in pool and all(len(histories[t]) >= n for t in pool)
        decided = policy.evaluate(name, n, {t: histories[t][:n] for t in pool}, goal)
        assert decided is not None and decided.reason == reason
    pick = max if goal == "maximize" else min
    best_value = pick(pick(h) for h in histories.values() if h)
    best = [name for name, h in histories.items() if h and pick(h) == best_value]
    assert stored.parent.data.tags["best_child_run_id"] in {stored.children[n].info.run_id for n in best}
    assert math.isclose(stored.parent.data.metrics["best_child_by_primary_metric"], best_value)
    return histories


def test_bandit_on_the_real_xgboost_script_cancels_slow_learners_while_they_train(tmp_path):
    from sklearn.datasets import make_classification

    # 20000 x 40: about 30 ms a boosting round on one thread, so a trial trains for a few polls of the store
    X, y = make_classification(20000, 40, n_informative=12, flip_y=0.05, random_state=0)
    data = tmp_path / "data.csv"
    header = ",".join([f"x{i}" for i in range(X.shape[1])] + ["y"])
    lines = [header] + [",".join(f"{v:.4f}" for v in row) + f",{label}" for row, label in zip(X, y, strict=False)]
    data.write_text("\n".join(lines) + "\n")
    rounds = 60
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"""\
type: sweep
trial:
  code: {TRAIN}
  command: >-
    python train_xgb.py --data ${{{{inputs.data}}}} --target y --n-estimators {rounds}
    --learning-rate ${{{{search_space.learning_rate}}}} --max-depth ${{{{search_space.max_depth}}}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
inputs:
  data: {{type: uri_file, path: {data}}}
sampling_algorithm: grid
search_space:
  learning_rate: {{type: choice, values: [0.3, 0.01, 0.02]}}
  max_depth: {{type: choice, values: [4, 6]}}
objective: {{goal: minimize, primary_metric: val_log_loss}}
early_termination: {{type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 5}}
limits: {{max_total_trials: 6, max_concurrent_trials: 2}}
""")
    uri = sqlite_uri(tmp_path)
    result = submit.run_local(load_spec(spec), tracking_uri=uri, name="xgb")  # the sweep as `status` reads it
    histories = check_against_the_store(uri, "xgb", spec, rounds)
    # learning rate 0.3 reaches a lower loss than 0.01 or 0.02 in 60 rounds: a policy keeping the wrong trial fails here
    assert result.best.params["learning_rate"] == 0.3
    assert result.count("canceled") == sum(t.status == "canceled" for t in result.trials) >= 1
    assert result.savings.canceled == result.count("canceled") and result.savings.avoided_seconds > 0
    # what `sweep status` reads back from the store, number for number
    assert result.savings.to_dict() == LocalSweeps(uri).status("xgb").savings.to_dict()
    assert len(histories) == 6


def test_median_stopping_judges_each_trial_once_at_each_of_its_due_intervals(tmp_path):
    spec = curve_spec(
        tmp_path,
        "{type: median_stopping, evaluation_interval: 2, delay_evaluation: 4}",
        goal="maximize",
        metric="val_accuracy",
        flag="--accuracy",
    )
    judged: list[tuple[str, int]] = []
    policy = make_policy(load_spec(spec).policy)
    evaluate = policy.evaluate

    def record(trial, n, histories, goal):
        judged.append((trial, n))
        return evaluate(trial, n, histories, goal)

    policy.evaluate = record  # the spec's own policy, injected, recording each judgement
    uri = sqlite_uri(tmp_path)
    result = run_local(load_spec(spec), tracking_uri=uri, name="median", policy=policy)
    histories = check_against_the_store(uri, "median", spec, ROUNDS)

    for trial in result.trials:
        mine = [n for t, n in judged if t == trial.name]
        assert mine == sorted(set(mine)), f"{trial.name} judged twice at an interval: {mine}"
        # every due interval up to the last one judged, none skipped: 4, 6, 8, ... (2 is before the delay)
        assert mine == list(range(4, (mine[-1] if mine else 0) + 1, 2)), mine
        assert not mine or mine[-1] <= len(histories[trial.name])
        if trial.status == "canceled":
            assert mine and f"at interval {mine[-1]}" in trial.cancel_reason  # nothing judged after the cancel


def test_truncation_selection_through_the_cli_counts_canceled_trials_and_reports_compute_saved(tmp_path):
    spec = curve_spec(
        tmp_path,
        "{type: truncation_selection, truncation_percentage: 50, evaluation_interval: 1, delay_evaluation: 3}",
        goal="minimize",
        metric="val_log_loss",
    )
    uri = sqlite_uri(tmp_path)
    res = CliRunner().invoke(
        cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "trunc", "--json"]
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    histories = check_against_the_store(uri, "trunc", spec, ROUNDS)
    summary = json.loads(res.stdout)
    killed = [t for t in summary["trials"] if t["status"] == "canceled"]
    assert summary["counts"]["canceled"] == len(killed) >= 1
    assert all(t["cancel_reason"].startswith("truncation selection: ") for t in killed)
    compute = summary["compute"]
    assert compute["canceled_by_policy"] == len(killed) and compute["expected_intervals"] == ROUNDS
    assert compute["avoided_seconds_estimate"] > 0
    assert f"{len(killed)} canceled" in res.stderr  # the summary line, on stderr with --json
    assert re.search(
        rf"compute: [\d.]+ trial-seconds run; truncation_selection canceled {len(killed)} trial\(s\)\n"
        r"  avoided \(estimate\): [\d.]+ trial-seconds, \d+% of the sweep without the policy\n"
        r"  run after cancel \(measured\): [\d.]+ trial-seconds past the values canceled at\n",
        res.stderr,
    )
    for t in killed:  # the live log names each cancel, the value judged (truncation: the n-th) and the reason
        judged = histories[t["name"]][interval_of(t["cancel_reason"]) - 1]
        assert f"canceled {t['name']} val_log_loss={judged:.6g} ({t['cancel_reason']})" in res.stderr
