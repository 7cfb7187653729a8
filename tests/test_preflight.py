"""The preflight runs trial 0 of the sweep for real and says what would go wrong: the metric's name, its values, and
whether the policy could ever act. Each verdict and each exit code is asserted.

The scripts are tests/scripts/logs_acc.py (logs `acc` where the spec says `accuracy`) and logging_styles.py
(`--style every`, `end`, `nan`). The CLI runs make their own throw-away store; the library runs get a copy of a
migrated empty store (``workdir``), which is the same store at no migration cost.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from emulator_helpers import spec_from, sqlite_uri, write_spec
from submit.cli import app
from submit.emulator.preflight_run import STOPPED, Observed
from submit.errors import InputError
from submit.preflight.trial import judge, preflight, split_values

pytestmark = pytest.mark.slow  # each test runs a preflight trial and most a sweep after it

runner = CliRunner()
BANDIT_1 = "{type: bandit, slack_factor: 0.1, evaluation_interval: 1}"


def spec_text(command: str, policy: str | None = None) -> str:
    text = f"""\
    type: sweep
    trial:
      code: src
      command: {command}
      environment: azureml:AzureML-sklearn-1.0@latest
    sampling_algorithm: {{type: random, seed: 2}}
    search_space:
      lr: {{type: uniform, min_value: 0.05, max_value: 0.5}}
    objective: {{goal: maximize, primary_metric: accuracy}}
    limits: {{max_total_trials: 8, max_concurrent_trials: 2}}
    """
    text = textwrap.dedent(text)
    return text + (f"early_termination: {policy}\n" if policy else "")


def styled(style: str, extra: str = "") -> str:
    return f"python logging_styles.py --style {style} --lr ${{{{search_space.lr}}}} {extra}".strip()


def run(tmp_path, command: str, policy: str | None = None, **kwargs):
    spec = spec_from(tmp_path, spec_text(command, policy), ("logging_styles.py", "logs_acc.py"))
    sqlite_uri(tmp_path)  # the store preflight opens in workdir, already migrated
    return preflight(spec, workdir=tmp_path, **kwargs)


def test_a_script_logging_acc_where_the_spec_says_accuracy_fails_submit_preflight_and_nothing_is_submitted(tmp_path):
    spec = write_spec(tmp_path, spec_text("python logs_acc.py --lr ${{search_space.lr}}"), ("logs_acc.py",))
    store = tmp_path / "never.db"
    args = ["submit", str(spec), "--local", "--preflight", "--tracking-uri", f"sqlite:///{store}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "the script did not log the primary metric `accuracy`; it logged `acc`, `loss` (did you mean `acc`?" in (
        result.stderr
    )
    assert "the sweep could not choose a best trial" in result.stderr
    assert "preflight found a problem: nothing submitted or run" in result.stderr
    assert not store.exists()  # the sweep itself never started


def test_a_good_script_passes_validate_preflight_with_its_rate_and_the_policy_first_evaluation(tmp_path):
    policy = "{type: bandit, slack_factor: 0.1, evaluation_interval: 2, delay_evaluation: 3}"
    spec = write_spec(tmp_path, spec_text(styled("every"), policy), ("logging_styles.py",))
    result = runner.invoke(app, ["validate", str(spec), "--preflight", "--json"])
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.stdout)
    report = summary["preflight"]
    assert summary["objective"] == "maximize accuracy"  # the validation summary, with the preflight added
    assert report["ok"] and report["outcome"] == "completed" and report["problems"] == report["warnings"] == []
    assert report["metrics_logged"] == ["accuracy", "train_loss"]
    metric = report["primary_metric"]
    assert metric["values"] == metric["finite_values"] == 6 and metric["steps"] == [0, 5]
    assert 0 < metric["seconds_per_value"] < 5
    # due at n % 2 == 0 and n >= 3: the first evaluation is the 4th value, seen in the run, before its last (6th)
    assert report["policy"]["first_evaluation"] == 4 and report["policy"]["acts"] is True
    assert report["policy"]["estimated"] is False
    assert f"--lr {report['params']['lr']}" in report["command"]
    assert "preflight: running trial 0" in result.stderr and "ok: the sweep can choose a best trial" in result.stderr


def test_a_script_logging_only_at_the_end_under_bandit_interval_1_passes_with_a_warning_that_the_policy_never_acts(
    tmp_path,
):
    report = run(tmp_path, styled("end"), BANDIT_1)
    assert report.ok and report.observed.values and len(report.observed.values) == 1
    assert report.outlook.first_evaluation == 1 and report.outlook.acts is False
    [warning] = report.warnings
    assert warning.startswith("bandit (slack_factor 0.1, evaluation_interval 1, delay_evaluation 0) never acts ")
    assert "before the trial's last value" in warning and "log the metric as training goes" in warning


def test_a_script_logging_nan_fails_the_preflight(tmp_path):
    report = run(tmp_path, styled("nan"), BANDIT_1)
    assert not report.ok and report.finite == 0 and len(report.observed.values) == 6
    [problem] = report.problems
    assert problem.startswith("none of the 6 values of `accuracy` is a finite number (NaN or infinite)")
    assert report.to_dict()["primary_metric"]["finite_values"] == 0


def test_set_search_space_fixes_a_value_for_the_preflight_trial_only(tmp_path):
    values, rest = split_values(["search_space.lr=0.3", "limits.max_total_trials=2", "search_space.lr.max_value=1"])
    assert values == {"lr": 0.3} and rest == ["limits.max_total_trials=2", "search_space.lr.max_value=1"]
    report = run(tmp_path, styled("every", "--values 2 --seconds 0"), params=values)
    assert report.params == {"lr": 0.3} and "--lr 0.3 " in report.command + " "
    with pytest.raises(
        InputError, match=r"--set search_space.lrr: the spec has no parameter `lrr`; did you mean `lr`\?"
    ):
        run(tmp_path, styled("every"), params={"lrr": 0.3})
    with pytest.raises(InputError, match=r"the spec has no parameter `depth`; its parameters: lr$"):
        run(tmp_path, styled("every"), params={"depth": 3})


def test_a_trial_still_running_at_the_bound_is_stopped_and_reported_so(tmp_path):
    report = run(tmp_path, styled("every", "--values 2000 --seconds 0.05"), BANDIT_1, seconds=3)
    # stopped, not waited for: the script alone runs 100 s; 60 is a ceiling far below that, not a speed claim
    assert report.observed.outcome == STOPPED and report.observed.elapsed < 60
    assert any("was still running after 3 s and was stopped" in n for n in report.notes)


SPEC = spec_text("python t.py", "{type: median_stopping, evaluation_interval: 1, delay_evaluation: 10}")


@pytest.mark.parametrize(
    ("observed", "problem", "warning"),
    [
        # stopped before any value: inconclusive, unless a close name shows it is misnamed
        (Observed(STOPPED, 60.0), None, "it may log it later"),
        (Observed(STOPPED, 60.0, metrics=("val_accuracy",)), "did you mean `val_accuracy`?", None),
        (
            Observed("failed", 1.0, exit_code=3, metrics=("accuracy",), values=(0.5,), stamps=(0.5,)),
            "exit code 3",
            None,
        ),
        # three values, then it ended: the first evaluation (value 10) is never reached
        (
            Observed("completed", 4.0, metrics=("accuracy",), values=(0.1, 0.2, 0.3), stamps=(1, 2, 3), end=4),
            None,
            "never acts: the script logged 3 values and ended",
        ),
        # stopped at the bound with 2 values a second apart: value 10 estimated 8 s after the last one
        (
            Observed(STOPPED, 60.0, metrics=("accuracy",), values=(0.1, float("inf")), stamps=(1.0, 2.0)),
            None,
            "about 10.0 s into the trial",
        ),
    ],
)
def test_the_verdicts_on_what_a_trial_did(tmp_path, observed, problem, warning):
    from submit import parse_spec

    (tmp_path / "src").mkdir()
    report = judge(parse_spec(SPEC, path=tmp_path / "s.yaml"), {"lr": 0.1}, "python t.py", 60.0, observed)
    assert report.ok is (problem is None)
    if problem:
        assert any(problem in p for p in report.problems), report.problems
    if warning:
        assert any(warning in w for w in report.warnings), report.warnings
