"""`sweep validate` through the real Typer app: what a person sees, and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from submit.cli import app
from test_spec import BASE

runner = CliRunner()


def spec_file(tmp_path: Path, text: str = BASE, name: str = "spec.yaml") -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    path = tmp_path / name
    path.write_text(text)
    return path


def test_validate_prints_what_the_sweep_will_do(tmp_path):
    path = spec_file(tmp_path, BASE.replace("max_total_trials: 4", "max_total_trials: 4\n  timeout: 20"))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"ok {path}" in out
    assert "random" in out and "uniform(0.01, 0.9)" in out and "choice(3, 5, 7)" in out
    assert "maximize accuracy" in out and "none (every trial runs to completion)" in out
    assert "limits.timeout: 20 s: Azure raises timeouts under 60 s to 60 s" in result.stderr


def test_validate_shows_grid_size_against_max_total_trials(tmp_path):
    text = (
        BASE.replace("sampling_algorithm: random", "sampling_algorithm: grid")
        .replace("{type: uniform, min_value: 0.01, max_value: 0.9}", "{type: choice, values: [0.1, 0.2]}")
        .replace("max_total_trials: 4", "max_total_trials: 10")
    )
    result = runner.invoke(app, ["validate", str(spec_file(tmp_path, text))])
    assert result.exit_code == 0, result.output
    assert "6 (grid of 6, max_total_trials 10)" in result.stdout


def test_validate_reports_every_bad_spec_and_exits_2(tmp_path):
    good = spec_file(tmp_path, BASE, "good.yaml")
    bad = spec_file(tmp_path, BASE.replace("goal: maximize", "goal: maximise"), "bad.yaml")
    worse = spec_file(tmp_path, "- not a spec\n", "worse.yaml")
    result = runner.invoke(app, ["validate", str(good), str(bad), str(worse)])
    assert result.exit_code == 2
    assert f"{bad}:11: objective.goal: expected `minimize` or `maximize`, found 'maximise'" in result.stderr
    assert "did you mean `maximize`?" in result.stderr
    assert f"{worse}:1: expected a mapping" in result.stderr
    assert "Traceback" not in result.output


def test_validate_with_set_override(tmp_path):
    result = runner.invoke(app, ["validate", str(spec_file(tmp_path)), "--set", "limits.max_total_trials=0"])
    assert result.exit_code == 2
    assert "--set: limits.max_total_trials: must be from 1 to 1000" in result.stderr


def test_missing_file_exits_2_with_one_line(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.yaml'}: no such file"


def test_validate_refuses_local_compute_with_its_line(tmp_path):
    text = BASE if "compute:" in BASE else BASE + "compute: local\n"
    text = text.replace("compute: azureml:cpu-cluster", "compute: local")
    path = spec_file(tmp_path, text)
    line = text.splitlines().index("compute: local") + 1
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"{path}:{line}: compute: local: Azure ML runs no sweep on local compute")
    assert "Traceback" not in result.output


def test_a_policy_left_without_an_interval_shows_the_interval_azure_applies(tmp_path):
    path = spec_file(tmp_path, BASE + "early_termination: {type: median_stopping}\n")
    result = runner.invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    # Azure's default is 1 (the SDK's 0 is read as 1): no interval of 0 the user did not write
    assert json.loads(result.stdout)[0]["policy"] == "median_stopping(evaluation_interval=1, delay_evaluation=0)"
