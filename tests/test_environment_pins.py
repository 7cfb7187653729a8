"""The ready specs' environment (environments/conda.yaml) and the project's install (pyproject.toml) pin the trial
stack alike, so a local trial runs the versions an Azure trial runs and the environment check has nothing to warn
about on the project's own install."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def conda_pins() -> dict[str, str]:
    """The conda file's pip pins: name -> the one version it pins."""
    data = yaml.safe_load((ROOT / "environments" / "conda.yaml").read_text())
    [pip] = [d["pip"] for d in data["dependencies"] if isinstance(d, dict)]
    pins = {}
    for line in pip:
        requirement = Requirement(line)
        [spec] = requirement.specifier
        assert spec.operator == "==", f"environments/conda.yaml: {line}: pin one version (Azure caches the build)"
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def project_requirements() -> dict[str, Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {canonicalize_name(r.name): r for r in map(Requirement, data["project"]["dependencies"])}


def test_pyproject_pins_each_package_the_environment_pins_to_the_same_version():
    pins, project = conda_pins(), project_requirements()

    assert sorted(set(pins) - set(project)) == []  # each one a dependency: `pip install -e .` installs it
    differ = {
        name: str(project[name].specifier)
        for name, pinned in pins.items()
        if str(project[name].specifier) != f"=={pinned}"
    }
    assert differ == {}, f"pyproject.toml pins these otherwise than environments/conda.yaml ({pins})"


def test_the_environments_python_is_one_the_project_supports():
    data = yaml.safe_load((ROOT / "environments" / "conda.yaml").read_text())
    [python] = [d.split("=", 1)[1] for d in data["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    from packaging.specifiers import SpecifierSet

    assert SpecifierSet(requires).contains(python), (python, requires)


def test_this_install_has_the_versions_the_environment_pins():
    installed = {name: version(name) for name in conda_pins()}

    assert installed == conda_pins(), "this interpreter is not the project's install: run `pip install -e .` again"
