"""Generate src/submit/envcheck/curated.json: each Azure ML curated environment's Python version and packages, read
from a snapshot of the public azureml-assets repository (MIT licence).

    git clone https://github.com/Azure/azureml-assets /tmp/azureml-assets
    python scripts/curated_envs.py /tmp/azureml-assets > src/submit/envcheck/curated.json

Works on a clone or a bare mirror (it reads with ``git show``, at HEAD or ``--commit``). Per asset
(``assets/**/environments/<asset>/``): the Python version from ``spec.yaml``'s ``Python`` tag, else the conda file's or
the Dockerfile's ``python=``; the packages from ``context/conda_dependencies.yaml``, ``context/requirements.txt`` and
the Dockerfile's ``pip install``/``conda create`` lines (the Dockerfile is what is built: sklearn-1.5's pins more than
its YAML). Templated pins (``{{latest-pypi-version}}``, filled in at release) are kept as names without a version.

Retired environments (``retired``): each asset whose ``spec.yaml`` the history up to that commit deleted and that is
not there now, read as it was just before its deletion, with the deleting commit, its date and its subject. Azure
keeps serving a retired environment's last version for a while, without updates, so a spec naming one is warned,
not refused. The old layout (``training/general/src/environments/``, before ``assets/``) counts too.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from submit.envcheck.reqs import (  # noqa: E402
    NOT_PYTHON,
    TOOLS,
    conda_requirement,
    dockerfile_installs,
    pip_requirement,
    python_version,
)

ASSET = re.compile(r"^assets/(?:.+/)?environments/([^/]+)/spec\.yaml$")
# any environment's spec.yaml in the repository's history, the old layouts included
ANY_ASSET = re.compile(r"^(?:.+/)?environments/([^/]+)/spec\.yaml$")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def show(repo: Path, commit: str, path: str) -> str | None:
    try:
        return git(repo, "show", f"{commit}:{path}")
    except subprocess.CalledProcessError:
        return None


def asset(repo: Path, commit: str, folder: str) -> dict:
    packages: dict[str, str] = {}
    not_python: set[str] = set()
    python = None

    def add(parsed: tuple[str, str] | None) -> None:
        if parsed is None or not parsed[0]:
            return
        name, spec = parsed
        if name in NOT_PYTHON:
            not_python.add(name)
        elif name not in TOOLS:
            packages[name] = packages.get(name) or spec  # the first pin found wins: the Dockerfile is read first

    spec_yaml = yaml.safe_load(show(repo, commit, f"{folder}/spec.yaml") or "{}") or {}
    tag = (spec_yaml.get("tags") or {}).get("Python")
    docker = dockerfile_installs(show(repo, commit, f"{folder}/context/Dockerfile") or "")
    for requirement, _ in docker.pip:
        add(pip_requirement(requirement))
    for requirement, _ in docker.conda:
        add(conda_requirement(requirement))
    files = {name for name, _ in docker.requirement_files} | {"requirements.txt"}
    for name in sorted(files):
        for line in (show(repo, commit, f"{folder}/context/{name}") or "").splitlines():
            add(pip_requirement(line))
    conda = yaml.safe_load(show(repo, commit, f"{folder}/context/conda_dependencies.yaml") or "{}") or {}
    for dep in conda.get("dependencies") or []:
        if isinstance(dep, dict):
            for line in dep.get("pip") or []:
                add(pip_requirement(str(line)))
        else:
            parsed = conda_requirement(str(dep))
            if parsed and parsed[0] == "python":
                python = python or python_version(parsed[1])
            add(parsed)
    return {
        "python": str(tag) if tag else python or docker.python,
        # a conda env of its own hides the base image's packages; pip on the image's Python sees them
        "isolated": docker.isolated or bool(conda),
        "packages": dict(sorted(packages.items())),
        "not_python": sorted(not_python),
        "path": folder,
    }


def retired(repo: Path, commit: str, current: dict) -> dict:
    """The environments deleted before ``commit`` and absent at it, each as it was before its last deletion."""
    log = git(repo, "log", "--diff-filter=D", "--name-only", "--format=@@ %H %cs %s", commit, "--", "*spec.yaml")
    found: dict[str, dict] = {}
    deleted_by = None
    for line in log.splitlines():
        if line.startswith("@@ "):
            sha, date, subject = line[3:].split(" ", 2)
            deleted_by = {"commit": sha, "date": date, "subject": subject}
            continue
        match = ANY_ASSET.match(line.strip())
        if not match or deleted_by is None:
            continue
        folder = line.strip().rsplit("/", 1)[0]
        name = _asset_name(repo, f"{deleted_by['commit']}^", folder) or match.group(1).removeprefix("AzureML-")
        if name in current or name in found:  # the log runs newest first: the last deletion is kept
            continue
        found[name] = {**asset(repo, f"{deleted_by['commit']}^", folder), "retired": deleted_by}
    return dict(sorted(found.items()))


def _asset_name(repo: Path, commit: str, folder: str) -> str | None:
    """The asset's name as Azure knows it (``asset.yaml``'s, else ``spec.yaml``'s unless templated), without the
    ``AzureML-`` prefix of the old layout."""
    for file in ("asset.yaml", "spec.yaml"):
        name = (yaml.safe_load(show(repo, commit, f"{folder}/{file}") or "{}") or {}).get("name")
        if isinstance(name, str) and "{" not in name:
            return name[len("AzureML-") :] if name.lower().startswith("azureml-") else name
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="a clone or mirror of github.com/Azure/azureml-assets")
    parser.add_argument("--commit", default="HEAD")
    args = parser.parse_args()
    commit = git(args.repo, "rev-parse", args.commit).strip()
    date = git(args.repo, "show", "-s", "--format=%cs", commit).strip()
    environments = {}
    for path in sorted(git(args.repo, "ls-tree", "-r", "--name-only", commit, "assets").splitlines()):
        match = ASSET.match(path)
        if match:
            environments[match.group(1)] = asset(args.repo, commit, path.rsplit("/", 1)[0])
    data = {
        "source": "https://github.com/Azure/azureml-assets",
        "commit": commit,
        "commit_date": date,
        "licence": "MIT (azureml-assets LICENSE.txt, Copyright (c) Microsoft Corporation)",
        "generated_by": "scripts/curated_envs.py",
        "note": "workspace name AzureML-<asset>; registry azureml://registries/azureml/environments/<asset>",
        "environments": environments,
        "retired": retired(args.repo, commit, environments),
    }
    json.dump(data, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
