"""Every ready spec in sweep_specs/: valid for `sweep validate` and for azure-ai-ml's `load_job`, its command parses
with values drawn from its own search space, and its primary_metric is one the script logs (the script's declared
metric list, which tests/test_train_scripts.py checks against real runs)."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from submit.cli import app
from submit.spec.load import load_spec
from train_runs import TRAIN, declared_metrics

SPECS = sorted((Path(__file__).resolve().parents[1] / "sweep_specs").glob("*.yaml"))
REFERENCE = re.compile(r"\$\{\{\s*search_space\.(\w+)\s*\}\}")


def trial_arguments(spec, u: float) -> tuple[str, list[str]]:
    """The trial's script and arguments for the point at ``u`` in every dimension of the unit cube."""
    values = {name: dist.from_unit([u] * dist.n_dims(), spec.sampling.base) for name, dist in spec.search_space.items()}
    command = REFERENCE.sub(lambda m: shlex.quote(str(values[m.group(1)])), spec.trial.command)
    words = shlex.split(command)
    assert words[0] == "python" and words[1].startswith("train_"), command
    return words[1].removeprefix("train_").removesuffix(".py"), words[2:]


def test_there_is_a_quickstart_and_every_sampler_and_policy_is_shown():
    specs = [load_spec(p) for p in SPECS]
    assert "quickstart.yaml" in [p.name for p in SPECS]
    samplers = {
        (s.sampling.type, (s.sampling.rule or "random") if s.sampling.type == "random" else None) for s in specs
    }
    assert {("grid", None), ("random", "random"), ("random", "sobol"), ("bayesian", None)} <= samplers
    assert all(s.sampling.seed is not None for s in specs if s.sampling.rule == "sobol")
    policies = set()
    for s in specs:
        if s.policy is not None:
            slack = "slack_factor" if s.policy.slack_factor else "slack_amount" if s.policy.slack_amount else ""
            policies.add((s.policy.type, slack))
    assert policies == {
        ("bandit", "slack_factor"),
        ("bandit", "slack_amount"),
        ("median_stopping", ""),
        ("truncation_selection", ""),
    }


def test_quickstart_is_small_enough_to_finish_locally_in_a_minute():
    spec = load_spec(SPECS[[p.name for p in SPECS].index("quickstart.yaml")])
    assert spec.limits.max_total_trials <= 6 and spec.limits.max_concurrent_trials == 2 and spec.policy is None


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_spec_validates_without_errors_or_warnings(path):
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    # the environment check runs too (environments/conda.yaml against src/train): the project's install has the
    # versions the environment pins (tests/test_environment_pins.py), so it has nothing to say either
    assert [w for w in result.stderr.splitlines() if w.startswith("warning")] == [], result.stderr


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_spec_loads_with_azure_load_job(path):
    from azure.ai.ml import load_job
    from azure.ai.ml.sweep import SweepJob

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = load_job(path)
    assert isinstance(job, SweepJob)
    assert (path.parent / job.trial.code).resolve() == TRAIN
    assert job.trial.environment.image == "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20241202.v1"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_primary_metric_is_logged_by_the_script_for_values_across_the_space(path):
    spec = load_spec(path)
    for u in (0.01, 0.5, 0.99):
        script, args = trial_arguments(spec, u)
        assert (TRAIN / f"train_{script}.py").is_file()
        assert spec.objective.primary_metric in declared_metrics(script, *args), (path.name, args)
