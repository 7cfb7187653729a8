"""What a trial's environment declares: its Python version and packages, each located where it is written.

The forms of ``trial.environment`` (docs/semantics.md, "Environment"): an inline ``image`` with a ``conda_file`` (a
file, or a mapping in the spec); a Docker ``build`` context (its Dockerfile's ``pip install`` lines and the
requirements files they name); a curated environment (``azureml:AzureML-<asset>@latest``,
``azureml://registries/azureml/environments/<asset>/...``: the table in curated.json); a registered one
(``azureml:<name>:<version>``: an environment YAML of that name and version in the repository's ``environments/``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..spec.model import InlineEnvironment, SweepSpec, is_remote
from ..spec.validate.checker import Checker
from . import curated
from .reqs import (
    NOT_PYTHON,
    TOOLS,
    conda_requirement,
    dockerfile_installs,
    pip_install_line,
    pip_requirement,
    python_version,
)

ENV_PATH = ("trial", "environment")
# a tag or a digest after the last path segment: `repo/image:1.0`, `repo/image@sha256:...` (a port is not a tag)
_TAGGED = re.compile(r"(:[^/]+|@sha256:[0-9a-f]+)$")
# the curated names of before azureml-assets (`AzureML-sklearn-1.0-ubuntu20.04-py38-cpu`): deprecated, a note, not
# checked (the retired table dates those its history held)
_LEGACY = re.compile(r"-ubuntu\d\d\.\d\d-py\d+", re.I)


@dataclass(frozen=True)
class Package:
    name: str  # PyPI name, PEP 503 normal form
    specifier: str  # PEP 440, "" when unpinned
    where: str  # file:line
    written: str  # the pin as written, for messages (`~=1.5.0`, `=1.22`)
    install: str = ""  # a pip line as written for pip (extras, marker), "" when name + specifier says it all


@dataclass
class Declared:
    label: str  # how messages name the environment: `environments/conda.yaml`, `curated AzureML-sklearn-1.5`
    strict: bool = True  # an import nothing provides is an error (an isolated conda env), else a warning
    checkable: bool = True
    python: str | None = None
    packages: dict[str, Package] = field(default_factory=dict)
    not_checkable: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    curated: str | None = None  # the azureml-assets asset, for a curated environment
    source_bytes: bytes = b""  # the dependency file(s) as written: what --isolated's cache key hashes

    def add(self, package: Package) -> None:
        self.packages.setdefault(package.name, package)


def shown(path: Path | str) -> str:
    """A path as messages show it: relative to the current folder when it is inside it."""
    path = Path(path)
    try:
        return os.path.relpath(path) if path.is_absolute() and path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def declared(spec: SweepSpec, spec_check: Checker) -> Declared:
    """What ``spec``'s environment provides; ``spec_check`` locates what is written in the spec itself."""
    env = spec.trial.environment
    if isinstance(env, InlineEnvironment):
        return _inline(env, spec_check, spec.base_dir)
    return _reference(str(env), spec_check, spec.base_dir)


def _inline(env: InlineEnvironment, check: Checker, base_dir: Path) -> Declared:
    if env.image and env.build:
        check.error(ENV_PATH, "`image` and `build` are both set; Azure builds an environment from one of them")
    if env.image and not _TAGGED.search(env.image.rsplit("/", 1)[-1]):
        check.warn(
            ENV_PATH + ("image",), f"`{env.image}` has no tag: Azure's definition analysis flags it (add :<tag>)"
        )
    if env.build is not None:
        out = _docker(env.build.path, env.build.dockerfile_path)
    elif isinstance(env.conda_file, dict):
        out = Declared(label=f"the conda_file in {check.source}")
        out.source_bytes = json.dumps(env.conda_file).encode()  # the mapping in its written order
        conda_packages(env.conda_file, check, ENV_PATH + ("conda_file",), out)
    elif isinstance(env.conda_file, str):
        out = conda_file(Path(env.conda_file))
    else:
        out = Declared(label=f"image {env.image}", checkable=False)
        out.notes.append(f"`{env.image}` without a conda_file: the image's own packages are not checkable offline")
    out.problems[:0], out.warnings[:0] = check.problems, check.warnings
    return out


def _read(path: Path) -> str:
    """A file the environment names (conda file, Dockerfile, requirements, environment YAML), bounded as a spec is:
    a FIFO or a device there would block the check; its refusal is an ``OSError`` like any file not readable."""
    from ..errors import SpecError
    from ..spec.load import read_spec_text

    try:
        return read_spec_text(path, "a text file")
    except SpecError as e:
        raise OSError(str(e)) from None


def conda_file(path: Path) -> Declared:
    from ..spec.load import line_map
    from ..spec.yaml_read import YamlRefused, parse_yaml

    out = Declared(label=shown(path))
    try:
        text = _read(path)
        out.source_bytes = text.encode()
        node, data = parse_yaml(text)
    except (OSError, UnicodeDecodeError, YamlRefused) as e:
        out.problems.append(Problem(shown(path), "", f"cannot read the conda file: {e}"))
        return out
    check = Checker(shown(path), line_map(node) if node is not None else {}, set())
    conda_packages(data, check, (), out)
    out.problems += check.problems
    out.warnings += check.warnings
    return out


def conda_packages(data: Any, check: Checker, at: tuple, out: Declared) -> None:
    """The packages of a conda environment mapping, with the definition problems Azure's analysis flags."""
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        check.error(at + ("dependencies",), "expected a conda environment with a `dependencies` list")
        return
    deps, pip_lists = data["dependencies"], []
    if not data.get("channels"):
        check.warn(at or ("dependencies",), "no `channels`: Azure's definition analysis flags it (add conda-forge)")
    pip_pin = None
    for i, dep in enumerate(deps):
        where = at + ("dependencies", i)
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            pip_lists.append((where + ("pip",), dep["pip"]))
            continue
        parsed = conda_requirement(str(dep))
        if parsed is None:
            continue
        name, spec = parsed
        if name == "python":
            out.python = python_version(spec)
        elif name == "pip":
            pip_pin = spec
            if not spec:
                check.warn(where, "`pip` is unpinned: Azure's definition analysis flags it (pin it, e.g. pip=24.2)")
        elif name in NOT_PYTHON or not name:
            out.not_checkable.append(str(dep))
        elif name not in TOOLS:
            _declare(out, check, where, name, spec, re.sub(r"^[^=<>~! ]+\s*", "", str(dep)))
    if out.python is None:
        check.warn(at + ("dependencies",), "no Python version: Azure's definition analysis flags it (add python=3.X)")
    if pip_lists and pip_pin is None:
        check.warn(at + ("dependencies",), "a `pip:` list without `pip` among the conda packages (add pip=<version>)")
    for path, lines in pip_lists:
        for j, line in enumerate(lines):
            parsed = pip_requirement(str(line))
            if parsed is not None and parsed[0] not in TOOLS:
                _declare(out, check, path + (j,), parsed[0], parsed[1], parsed[1], pip_install_line(str(line)))


def _declare(
    out: Declared, check: Checker, where: tuple, name: str, spec: str, written: str, install: str = ""
) -> None:
    if not spec:
        check.warn(where, f"`{name}` is unpinned: Azure's image cache keeps whatever version its first build got")
    out.add(Package(name, spec, check.where(where), written.strip() or spec, install))


def _docker(context: str | None, dockerfile: str | None) -> Declared:
    if context is None or is_remote(context):
        out = Declared(label=f"Docker context {context}", checkable=False)
        out.notes.append(f"Docker context `{context}` is remote: its packages are not checkable offline")
        return out
    folder = Path(context)
    path = folder / (dockerfile or "Dockerfile")
    # a Docker image keeps its base image's packages: what we cannot see may be there, so only warnings
    out = Declared(label=f"the Docker context {shown(folder)}", strict=False)
    try:
        text = _read(path)
        out.source_bytes = text.encode()
        installs = dockerfile_installs(text)
    except (OSError, UnicodeDecodeError):
        out.checkable = False
        out.notes.append(f"no Dockerfile at {shown(path)}: the environment's packages are not checkable offline")
        return out
    out.python = installs.python
    for text, line in installs.pip:
        parsed = pip_requirement(text)
        if parsed is not None and parsed[0] not in TOOLS:
            out.add(Package(parsed[0], parsed[1], f"{shown(path)}:{line}", parsed[1], pip_install_line(text)))
    for text, line in installs.conda:
        parsed = conda_requirement(text)
        if parsed is not None and parsed[0] not in TOOLS | NOT_PYTHON:
            out.add(Package(parsed[0], parsed[1], f"{shown(path)}:{line}", parsed[1]))
    for name, _ in installs.requirement_files:
        _requirements_file(folder / name, out)
    for name, _ in installs.conda_files:
        inner = conda_file(folder / name)
        out.packages.update({k: v for k, v in inner.packages.items() if k not in out.packages})
        out.python = out.python or inner.python
        out.source_bytes += b"\0" + inner.source_bytes
    if installs.image and not out.python:
        out.notes.append(f"the Python of base image `{installs.image}` is not known offline")
    return out


def _requirements_file(path: Path, out: Declared) -> None:
    try:
        text = _read(path)
        out.source_bytes += b"\0" + text.encode()
        lines = text.splitlines()
    except (OSError, UnicodeDecodeError):
        out.notes.append(f"{shown(path)} (a requirements file the Dockerfile installs) is not in the context")
        return
    for number, line in enumerate(lines, start=1):
        parsed = pip_requirement(line)
        if parsed is not None and parsed[0] not in TOOLS:
            out.add(Package(parsed[0], parsed[1], f"{shown(path)}:{number}", parsed[1], pip_install_line(line)))


def _reference(env: str, check: Checker, base_dir: Path) -> Declared:
    asset = curated.asset_name(env)
    if asset is not None:
        return _curated(env, asset, check)
    match = re.match(r"^azureml:([^:@/]+)(?::([^:@]+)|@(.+))?$", env)
    if match:
        found = _registered(base_dir, match.group(1), match.group(2), match.group(3))
        if found is not None:
            return found
    out = Declared(label=env, checkable=False)
    out.notes.append(f"`{env}`: a registered environment, not checkable offline (no YAML of it in environments/)")
    return out


def _curated(env: str, asset: str, check: Checker) -> Declared:
    table = curated.table()
    entry = table["environments"].get(asset)
    label = f"curated AzureML-{asset}"
    retired = curated.retirement(asset) if entry is None else None
    if retired is not None and _LEGACY.search(asset):
        # the names of before azureml-assets stay a note, unchecked, as they were; the note now dates the retirement
        out = Declared(label=label, checkable=False)
        out.notes.append(f"`{env}`: a curated name of the old scheme (`-ubuntu20.04-py38-cpu`); {retired}; not checked")
        return out
    if retired is not None:
        # Azure may still resolve a retired environment's last version: said, and checked against that version
        entry = table["retired"][asset]
        label = f"retired curated AzureML-{asset}"
        check.warn(
            ENV_PATH,
            f"`{env}`: retired; {retired}. Azure may still resolve its last version, which gets no more fixes; "
            "checked against that version",
        )
    if entry is None:
        out = Declared(label=label, checkable=False)
        if _LEGACY.search(asset):
            out.notes.append(f"`{env}`: a curated name of before azureml-assets, not in its table; not checked")
        else:
            hint = curated.suggest(asset)
            check.error(
                ENV_PATH,
                f"`{env}`: no curated environment `AzureML-{asset}` (azureml-assets@{table['commit'][:7]})",
                hint,
            )
        out.problems += check.problems
        return out
    out = Declared(label=label, strict=entry["isolated"], python=entry["python"], curated=asset)
    out.source_bytes = json.dumps({"asset": asset, "commit": table["commit"], **entry}).encode()
    for name, spec in entry["packages"].items():
        out.add(Package(name, spec, "", spec))  # the label names where: the curated table
    out.not_checkable += entry["not_python"]
    out.warnings += check.warnings
    return out


def _registered(base_dir: Path, name: str, version: str | None, label: str | None) -> Declared | None:
    """The environment YAML named ``name`` (at ``version``, or the highest for ``@latest``) in ``environments/``."""
    from ..spec.yaml_read import YamlRefused, parse_yaml

    folder = _environments_folder(base_dir)
    if folder is None:
        return None
    matches = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            data = parse_yaml(_read(path))[1]
        except (OSError, UnicodeDecodeError, YamlRefused):
            continue
        if (
            isinstance(data, dict)
            and data.get("name") == name
            and (version is None or str(data.get("version")) == version)
        ):
            matches.append((str(data.get("version", "")), path, data))
    if not matches:
        return None
    _, path, data = max(matches, key=lambda m: (len(m[0]), m[0]))
    if isinstance(data.get("conda_file"), str):
        out = conda_file(path.parent / data["conda_file"])
    elif isinstance(data.get("build"), dict):
        context = data["build"].get("path")
        out = _docker(str(path.parent / context) if context else None, data["build"].get("dockerfile_path"))
    else:
        return None
    out.label = f"{out.label} (environment `{name}` in {shown(path)})"
    return out


def _environments_folder(base_dir: Path) -> Path | None:
    """The nearest `environments/` folder at or above the spec's, stopping at the repository's root."""
    for folder in (base_dir, *base_dir.parents):
        if (folder / "environments").is_dir():
            return folder / "environments"
        if (folder / ".git").exists():
            return None
    return None
