"""What a local trial reads: the spec's inputs with their local stand-ins, and its code folder, checked at the door.

Everything here refuses the sweep before the store is opened or any trial starts (docs/semantics.md, "Inputs" and
"Trials: process and snapshot"): a remote input needs ``--input name=local_path``; a remote ``code:`` needs a local folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..spec.model import SweepSpec, is_remote
from ..spec.names import did_you_mean


def resolve_inputs(spec: SweepSpec, given: Mapping[str, str] | Sequence[str] | None) -> dict[str, Any]:
    """Input name -> the value a trial sees: literals as given, local paths as given, remote URIs replaced."""
    problems: list[str] = []
    overrides = parse_overrides(given, problems)
    for key in overrides:
        if key not in spec.inputs:
            hint = did_you_mean(key, spec.inputs) or (
                "inputs: " + ", ".join(spec.inputs) if spec.inputs else "the spec has no inputs"
            )
            problems.append(f"--input {key}: the spec has no input `{key}`\n  hint: {hint}")
    values: dict[str, Any] = {}
    for key, inp in spec.inputs.items():
        if key in overrides:
            path = Path(overrides[key]).expanduser()
            if inp.type != "literal" and not path.exists():
                problems.append(f"--input {key}={overrides[key]}: no such file or folder")
            values[key] = overrides[key] if inp.type == "literal" else str(path.resolve())
        elif inp.type == "literal":
            values[key] = inp.value
        elif inp.is_remote:
            problems.append(
                f"{_source(spec)}: inputs.{key}: `{inp.path}` is remote; the local emulator does not download data\n"
                f"  hint: pass a local copy: --input {key}={local_placeholder(inp.path)}"
            )
        else:
            values[key] = inp.path
    if problems:
        raise InputError("\n".join(problems))
    return values


def local_placeholder(remote: str) -> str:
    """A local path to suggest for a remote input: ``./data/<name>``, the name read from the URI.

    >>> local_placeholder("azureml:mydata:1"), local_placeholder("azureml:iris@latest")
    ('./data/mydata', './data/iris')
    >>> local_placeholder("azureml://subscriptions/s/resourcegroups/g/workspaces/w/data/iris/versions/2")
    './data/iris'
    >>> local_placeholder("wasbs://datasets@account.blob.core.windows.net/iris.csv")
    './data/iris.csv'
    """
    if "://" in remote:
        parts = [p for p in remote.split("://", 1)[1].split("/") if p][1:]  # the host or datastore dropped
        if "versions" in parts:  # .../data/<name>/versions/<n>: a data asset's long form
            parts = parts[: parts.index("versions")]
        name = parts[-1] if parts else ""
    else:  # a data asset: azureml:<name>:<version> or azureml:<name>@latest
        name = remote.split(":", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    return f"./data/{name or 'data'}"


def check_local_code(spec: SweepSpec) -> None:
    """Refuse a ``code:`` the emulator cannot copy: a remote URI or an ``azureml:`` code asset (Azure downloads it)."""
    code = spec.trial.code
    if code and (is_remote(code) or not Path(code).is_dir()):
        raise InputError(
            f"{_source(spec)}: trial.code: `{code}` is not a local folder; --local runs the code from a local folder, "
            "so give `code:` a local path (e.g. code: ./src)"
        )


def parse_overrides(given: Mapping[str, str] | Sequence[str] | None, problems: list[str]) -> dict[str, str]:
    """`--input NAME=PATH` (a list, or a mapping already) as name -> path; a malformed one added to ``problems``."""
    if isinstance(given, Mapping):
        return {str(k): str(v) for k, v in given.items()}
    overrides: dict[str, str] = {}
    for text in given or ():
        if "=" not in text or not text.split("=", 1)[0].strip():
            problems.append(f"--input {text}: expected NAME=PATH, e.g. --input iris_csv=data/iris.csv")
            continue
        key, value = text.split("=", 1)
        overrides[key.strip()] = value
    return overrides


def _source(spec: SweepSpec) -> str:
    return str(spec.path) if spec.path else "<spec>"
