"""The offline environment check: a trial's imports against its environment, as `sweep validate` and `sweep submit`
run it (exit 2 with file:line for what Azure would fail on, warnings for what it may), and the curated table's
generator on a real git repository."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from submit.cli import app
from submit.envcheck import check_environment
from submit.spec.load import load_spec

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20241202.v1"
CONDA = """\
channels: [conda-forge]
dependencies:
  - python=3.11
  - pip=25.1
  - pip:
      - numpy
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages show paths relative to the current folder, as a user in it sees them


def spec_in(tmp_path: Path, script: str, environment: str, command: str = "python train.py") -> Path:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "train.py").write_text(script)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"""type: sweep
trial:
  code: code
  command: {command} --x ${{{{search_space.x}}}}
  environment: {environment}
search_space: {{x: {{type: choice, values: [1, 2]}}}}
sampling_algorithm: random
objective: {{goal: maximize, primary_metric: acc}}
limits: {{max_total_trials: 2}}
"""
    )
    return spec


def inline(tmp_path: Path, conda: str = CONDA) -> str:
    (tmp_path / "conda.yaml").write_text(conda)
    return f"{{image: {IMAGE}, conda_file: conda.yaml}}"


def validate(*args: str):
    return CliRunner().invoke(app, ["validate", *map(str, args)])


def test_an_import_the_conda_file_lacks_is_refused_with_its_file_and_line(tmp_path):
    spec = spec_in(tmp_path, "import numpy\n\n\ndef main():\n    import lightgbm\n", inline(tmp_path))
    result = validate(spec)
    assert result.exit_code == 2, result.output
    assert "code/train.py:5: `import lightgbm`: no package of conda.yaml provides it" in result.stderr
    assert "hint: add `lightgbm` to conda.yaml" in result.stderr
    assert "--skip-env-check" in result.stderr
    assert "numpy" not in result.stderr.split("warning")[0]  # declared (unpinned: only a warning)
    assert validate(spec, "--skip-env-check").exit_code == 0


def test_submit_checks_before_dry_run_and_local(tmp_path):
    spec = spec_in(tmp_path, "import lightgbm\n", inline(tmp_path))
    for mode in ("--dry-run", "--local"):
        result = CliRunner().invoke(app, ["submit", str(spec), mode])
        assert result.exit_code == 2, result.output
        assert "code/train.py:1: `import lightgbm`" in result.stderr
        assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / ".sweep").exists()  # nothing ran


def test_a_guarded_import_is_a_warning(tmp_path):
    script = "try:\n    import lightgbm\nexcept ImportError:\n    lightgbm = None\n"
    result = validate(spec_in(tmp_path, script, inline(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "warning code/train.py:2: `import lightgbm`: no package of conda.yaml provides it (guarded" in result.stderr


def test_a_local_version_outside_the_pin_is_a_warning(tmp_path):
    conda = CONDA.replace("- numpy", "- pyyaml==5.1")
    result = validate(spec_in(tmp_path, "import yaml\n", inline(tmp_path, conda)))
    assert result.exit_code == 0, result.output
    assert f"code/train.py:1: pyyaml {version('pyyaml')} here, conda.yaml pins ==5.1 (conda.yaml:6)" in result.stderr


def test_azures_definition_lints(tmp_path):
    conda = "dependencies:\n  - pip\n  - pip:\n      - numpy\n"
    env = inline(tmp_path, conda).replace(IMAGE, "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04")
    result = validate(spec_in(tmp_path, "import numpy\n", env))
    assert result.exit_code == 0, result.output
    for said in (
        "has no tag",
        "conda.yaml:1: dependencies: no `channels`",
        "conda.yaml:1: dependencies: no Python version",
        "conda.yaml:2: dependencies[0]: `pip` is unpinned",
        "conda.yaml:4: dependencies[1].pip[0]: `numpy` is unpinned",
    ):
        assert said in result.stderr, said
    both = f"{{image: {IMAGE}, build: {{path: ctx}}}}"
    (tmp_path / "ctx").mkdir()
    result = validate(spec_in(tmp_path, "import numpy\n", both))
    assert result.exit_code == 2 and "`image` and `build` are both set" in result.stderr


def test_a_misspelt_curated_name_gets_a_did_you_mean(tmp_path):
    result = validate(spec_in(tmp_path, "import numpy\n", "azureml:AzureML-sklearn-1.55@latest"))
    assert result.exit_code == 2, result.output
    assert "no curated environment `AzureML-sklearn-1.55`" in result.stderr
    assert "did you mean `AzureML-sklearn-1.5`?" in result.stderr


def test_a_retired_curated_environment_is_a_warning_naming_when_and_is_checked_as_it_last_was(tmp_path):
    # the official TensorFlow sweep notebook's environment, deleted from azureml-assets in its PR #2992
    spec = spec_in(tmp_path, "import tensorflow\nimport lightgbm\n", "azureml:AzureML-tensorflow-2.12-cuda11@latest")
    result = validate(spec)
    assert result.exit_code == 2, result.output  # lightgbm: its last version did not provide it
    assert "`azureml:AzureML-tensorflow-2.12-cuda11@latest`: retired; azureml-assets deleted it on 2024-09-06" in (
        result.stderr
    )
    assert "Azure may still resolve its last version" in result.stderr
    assert "`import lightgbm`: no package of retired curated AzureML-tensorflow-2.12-cuda11 provides it" in (
        result.stderr
    )
    (tmp_path / "code" / "train.py").write_text("import tensorflow\n")
    result = validate(spec)
    assert result.exit_code == 0, result.output
    assert "retired; azureml-assets deleted it on 2024-09-06 (commit b8adff8, PR #2992)" in result.stderr


def test_train_xgb_under_the_curated_sklearn_environment_is_refused(tmp_path):
    spec = tmp_path / "xgb.yaml"
    text = (ROOT / "sweep_specs" / "xgboost_bandit_slack_factor.yaml").read_text()
    text = text.replace("code: ../src/train", f"code: {ROOT / 'src' / 'train'}")
    text = text.replace(f"    image: {IMAGE}\n    conda_file: ../environments/conda.yaml\n", "")
    spec.write_text(text.replace("  environment:\n", "  environment: azureml:AzureML-sklearn-1.5@latest\n"))
    result = validate(spec)
    assert result.exit_code == 2, result.output
    assert "train_xgb.py:40: `import xgboost`: no package of curated AzureML-sklearn-1.5 provides it" in result.stderr
    assert "curated environments with it: AzureML-lightgbm-3.3" in result.stderr
    # mlflow comes with azureml-mlflow only as mlflow-skinny; the other scripts' imports are provided
    assert "has mlflow-skinny only as a dependency of azureml-mlflow" in result.stderr
    # the same folder, another script: only what the command runs counts, so train_gb.py passes
    spec.write_text(spec.read_text().replace("python train_xgb.py", "python train_gb.py"))
    result = validate(spec)
    assert result.exit_code == 0, result.output
    assert "xgboost" not in result.stderr


def test_the_other_scripts_of_the_folder_are_not_the_trials(tmp_path):
    spec = spec_in(tmp_path, "import numpy\nimport helper\n", inline(tmp_path))
    (tmp_path / "code" / "helper.py").write_text("import scipy  # used by the trial through train.py\n")
    (tmp_path / "code" / "other.py").write_text("import lightgbm  # another script, not run by this command\n")
    (tmp_path / "code" / "typed.py").write_text("")
    report = check_environment(load_spec(spec))
    assert [p.where for p in report.problems] == ["code/helper.py:1"]
    assert "scipy" in report.problems[0].message


def test_a_docker_context_missing_import_is_a_warning_and_its_requirements_are_read(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        "FROM python:3.11-slim\nCOPY req.txt .\nRUN pip install --no-cache-dir -r req.txt\n"
    )
    (ctx / "req.txt").write_text("# pinned\npyyaml==5.1\n")
    spec = spec_in(tmp_path, "import yaml\nimport lightgbm\n", "{build: {path: ctx}}")
    result = validate(spec)
    assert result.exit_code == 0, result.output
    assert "code/train.py:2: `import lightgbm`: no package of the Docker context ctx provides it (the base image" in (
        result.stderr
    )
    assert f"pyyaml {version('pyyaml')} here, the Docker context ctx pins ==5.1 (ctx/req.txt:2)" in result.stderr


def test_a_registered_environment_is_read_from_environments_or_noted(tmp_path):
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "env.yaml").write_text(
        f"name: mine\nversion: '2'\nimage: {IMAGE}\nconda_file: c.yaml\n"
    )
    (tmp_path / "environments" / "c.yaml").write_text(CONDA.replace("- numpy", "- numpy==1.0"))
    spec = spec_in(tmp_path, "import numpy\nimport lightgbm\n", "azureml:mine:2")
    result = validate(spec)
    assert result.exit_code == 2 and "code/train.py:2: `import lightgbm`" in result.stderr, result.output
    assert "(environment `mine` in environments/env.yaml)" in result.stderr
    result = validate(spec_in(tmp_path, "import lightgbm\n", "azureml:theirs:1"))
    assert result.exit_code == 0, result.output
    assert "note `azureml:theirs:1`: a registered environment, not checkable offline" in result.stderr


def test_a_version_mismatch_is_said_once_per_environment_in_one_command(tmp_path):
    conda = CONDA.replace("- numpy", "- pyyaml==5.1")
    first = spec_in(tmp_path, "import yaml\n", inline(tmp_path, conda))
    second = tmp_path / "second.yaml"
    second.write_text(first.read_text().replace("max_total_trials: 2", "max_total_trials: 3"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "conda.yaml").write_text(conda)
    third = tmp_path / "third.yaml"
    third.write_text(first.read_text().replace("conda_file: conda.yaml", "conda_file: other/conda.yaml"))

    result = validate(first, second, third)

    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if f"pyyaml {version('pyyaml')} here" in line]
    assert [line.split(" pins ")[0].split(", ")[1] for line in said] == ["conda.yaml", "other/conda.yaml"], said


def test_every_ready_spec_passes_the_check_without_a_warning():
    for path in sorted((ROOT / "sweep_specs").glob("*.yaml")):
        report = check_environment(load_spec(path))
        assert report.problems == [] and report.imports > 0, path
        assert report.warnings == [], path  # the project's install has the versions environments/ pins


def test_the_curated_table_is_generated_from_a_git_snapshot(tmp_path):
    asset = tmp_path / "assets" / "training" / "general" / "environments" / "tiny-1.0"
    (asset / "context").mkdir(parents=True)
    (asset / "spec.yaml").write_text("name: '{{asset.name}}'\ntags:\n  Python: '3.10'\n")
    (asset / "context" / "Dockerfile").write_text(
        "FROM mcr.microsoft.com/azureml/openmpi5.0-ubuntu24.04:{{latest-image-tag}}\n"
        "RUN conda create -p $P -y python=3.10 'numpy~=1.22.0' openmpi && \\\n"
        "    conda run -p $P pip install azureml-mlflow=={{latest-pypi-version}} 'scikit-learn~=1.5.0'\n"
    )
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "snapshot"], check=True)
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "curated_envs.py"), str(tmp_path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["licence"].startswith("MIT") and len(data["commit"]) == 40
    assert data["environments"]["tiny-1.0"] == {
        "python": "3.10",
        "isolated": True,
        "packages": {"azureml-mlflow": "", "numpy": "~=1.22.0", "scikit-learn": "~=1.5.0"},
        "not_python": ["openmpi"],
        "path": "assets/training/general/environments/tiny-1.0",
    }
    shipped = json.loads((ROOT / "src" / "submit" / "envcheck" / "curated.json").read_text())
    assert shipped["commit"].startswith("4b41f8c") and "sklearn-1.5" in shipped["environments"]


def test_a_namespace_packages_part_needs_its_own_distribution(tmp_path):
    conda = CONDA.replace("- numpy", "- azureml-mlflow==1.60.0")
    script = "import azureml.mlflow\nfrom azureml.core import Run\n"
    report = check_environment(load_spec(spec_in(tmp_path, script, inline(tmp_path, conda))))
    assert [(p.where, p.message.split(":")[0]) for p in report.problems] == [
        ("code/train.py:2", "`import azureml.core`")
    ]
    assert report.problems[0].hint == "add `azureml-core` to conda.yaml"
