"""`sweep submit --local --isolated`: trials run in a uv virtual environment built from the spec's environment
(numpy and mlflow-skinny here: small, from the package index this machine reaches), cached and reused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from submit.cli import app

pytestmark = pytest.mark.slow  # each test builds a uv environment

# importlib, not `import`: the static check cannot see it, so only a run in the environment itself catches it
SCRIPT = """\
import importlib
import sys

import numpy

print("numpy", numpy.__version__, "from", sys.prefix)
importlib.import_module(sys.argv[1])

import mlflow  # mlflow-skinny in the environment: it logs over HTTP to the sweep's tracking server

mlflow.log_metric("acc", 0.5)
"""
CONDA = """\
channels: [conda-forge]
dependencies:
  - python={python}
  - pip=25.1
  - pip:
      - numpy>=2
      - mlflow-skinny
"""
SPEC = """\
type: sweep
trial:
  code: code
  command: python train.py ${{search_space.module}}
  environment:
    image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20241202.v1
    conda_file: conda.yaml
search_space: {module: {type: choice, values: [sklearn]}}
sampling_algorithm: grid
objective: {goal: maximize, primary_metric: acc}
limits: {max_total_trials: 1}
"""


@pytest.fixture
def sweep_dir(tmp_path, monkeypatch):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "train.py").write_text(SCRIPT)
    (tmp_path / "conda.yaml").write_text(CONDA.format(python="3.11"))
    (tmp_path / "spec.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def submit(folder: Path, *args: str):
    env = {"XDG_CACHE_HOME": str(folder / "cache")}
    # --keep-work: the tests read a trial's log in its folder, which a finished trial's would otherwise lose
    return CliRunner().invoke(app, ["submit", "spec.yaml", "--local", "--keep-work", *args], env=env)


def log_of(folder: Path, sweep: str) -> str:
    return (folder / ".sweep" / sweep / f"{sweep}_0" / "user_logs" / "std_log.txt").read_text()


def test_a_trial_importing_what_the_environment_lacks_fails_isolated_and_passes_here(sweep_dir):
    result = submit(sweep_dir, "--isolated", "--name", "iso")
    assert result.exit_code == 1, result.output
    assert "environment building from conda.yaml: Python 3.11" in result.stdout
    assert "environment built in " in result.stdout
    assert "environment not emulated" not in result.output
    log = log_of(sweep_dir, "iso")
    assert "ModuleNotFoundError: No module named 'sklearn'" in log
    assert f"from {sweep_dir / 'cache' / 'sweep' / 'envs'}" in log  # numpy came from the built environment

    result = submit(sweep_dir, "--name", "here")
    assert result.exit_code == 0, result.output
    assert "environment not emulated" in result.output and "--isolated" in result.output

    # the same environment again: reused from the cache, the lock of its first build kept
    result = submit(sweep_dir, "--isolated", "--name", "again")
    assert "environment reused " in result.stdout, result.output
    assert "building" not in result.stdout
    locks = list((sweep_dir / "cache" / "sweep" / "envs").glob("*/requirements.lock"))
    assert len(locks) == 1 and "numpy==" in locks[0].read_text()
    # --rebuild-env: built and resolved anew (the lock of the first build is dropped with it)
    result = submit(sweep_dir, "--isolated", "--rebuild-env", "--name", "rebuilt")
    assert "environment building from conda.yaml" in result.stdout, result.output
    assert "environment resolving 2 packages" in result.stdout and locks[0].exists()


def test_a_build_that_cannot_resolve_shows_the_resolvers_error_and_runs_nothing(sweep_dir):
    (sweep_dir / "conda.yaml").write_text(CONDA.format(python="3.11").replace("mlflow-skinny", "no-such-pkg-sweep==1"))
    result = submit(sweep_dir, "--isolated", "--skip-env-check", "--name", "bad")
    assert result.exit_code == 1, result.output
    assert "--isolated: uv failed resolving; nothing was run:" in result.stderr
    assert "no-such-pkg-sweep" in result.stderr and "unsatisfiable" in result.stderr
    assert not (sweep_dir / ".sweep").exists() and not (sweep_dir / "mlflow.db").exists()


def test_a_python_version_not_on_this_machine_falls_back_with_a_warning(sweep_dir):
    (sweep_dir / "conda.yaml").write_text(CONDA.format(python="3.99"))
    result = submit(sweep_dir, "--isolated", "--name", "py")
    assert "warning no Python 3.99 on this machine (the environment declares it)" in result.stderr, result.output
    assert "ModuleNotFoundError: No module named 'sklearn'" in log_of(sweep_dir, "py")


def test_rebuild_env_needs_isolated(sweep_dir):
    result = submit(sweep_dir, "--rebuild-env")
    assert result.exit_code == 2
    assert "--rebuild-env without --isolated" in result.stderr


def test_metrics_logged_in_the_environment_arrive_in_the_store(sweep_dir):
    from mlflow.tracking import MlflowClient

    (sweep_dir / "spec.yaml").write_text(SPEC.replace("values: [sklearn]", "values: [json]"))
    result = submit(sweep_dir, "--isolated", "--name", "ok")
    assert result.exit_code == 0, result.output
    log = log_of(sweep_dir, "ok")
    assert f"from {sweep_dir / 'cache' / 'sweep' / 'envs'}" in log  # it ran in the built environment
    client = MlflowClient(f"sqlite:///{sweep_dir / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    (run,) = client.search_runs(experiments, filter_string="attributes.run_name = 'ok_0'")
    assert [m.value for m in client.get_metric_history(run.info.run_id, "acc")] == [0.5]


def test_a_requirements_extras_and_marker_reach_the_resolver(sweep_dir):
    from submit.envcheck.build import build_env
    from submit.spec.load import load_spec

    # requests[socks] adds PySocks; a marker no interpreter meets leaves numpy out of the environment altogether
    conda = CONDA.format(python="3.11").replace(
        "- numpy>=2", "- requests[socks]  # the client\n      - numpy ; python_version < '3'"
    )
    (sweep_dir / "conda.yaml").write_text(conda)
    built = build_env(load_spec(sweep_dir / "spec.yaml"), cache=sweep_dir / "cache")

    lock = built.lock.read_text().lower()
    assert "pysocks==" in lock and "requests==" in lock
    assert "numpy==" not in lock


def test_a_frozen_lock_naming_what_the_index_lacks_is_retried_then_left_to_rebuild_env(sweep_dir):
    from submit.envcheck.build import build_env
    from submit.errors import EnvBuildError
    from submit.spec.load import load_spec

    (sweep_dir / "conda.yaml").write_text(
        CONDA.format(python="3.11").replace("- numpy>=2\n      - mlflow-skinny", "- six")
    )
    spec, cache = load_spec(sweep_dir / "spec.yaml"), sweep_dir / "cache"
    built = build_env(spec, cache=cache)
    # as if the version the first build froze had been yanked since: the lock names one no index has
    built.lock.write_text(re.sub(r"^six==\S+", "six==0.0.0", built.lock.read_text(), flags=re.M))
    (built.lock.parent / "ready").unlink()

    events = []
    with pytest.raises(EnvBuildError) as refused:
        build_env(spec, cache=cache, on_event=lambda stage, message: events.append((stage, message)))
    assert [message for stage, message in events if stage == "retry"] == [
        "the package index did not offer what the lock names; reading it afresh "
        "(Because there is no version of six==0.0.0 and you require six==0.0.0, we can conclude that your "
        "requirements are unsatisfiable.)"
    ]
    assert f"the lock {built.lock} is from an earlier build: --rebuild-env resolves the environment again" in str(
        refused.value
    )
    rebuilt = build_env(spec, cache=cache, rebuild=True)
    assert re.search(r"^six==1\.", rebuilt.lock.read_text(), flags=re.M) and not rebuilt.reused
