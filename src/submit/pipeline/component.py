"""A step's command component, read and checked: a file (``./train.yml``, problems at its own lines), inline in the
pipeline, or registered in the workspace (``azureml:name:version``, ``azureml:name@latest``: nothing to read offline).

The component's command, code and environment are checked by the sweep's own trial rules (``spec.validate``), its
``${{inputs.x}}`` and ``${{outputs.y}}`` by the sweep's reference rules.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..spec.grammar import parse_command
from ..spec.load import did_you_mean_file, line_map, read_spec_text, read_yaml
from ..spec.names import did_you_mean
from ..spec.validate import Checker
from ..spec.validate.checker import kind_of
from ..spec.validate.trial_rules import DATA_INPUT_TYPES, TRIAL_KEYS, reference_rules, trial_of
from .declared import Component, ComponentInput

COMPONENT_KEYS = (
    "$schema",
    "type",
    "name",
    "version",
    "display_name",
    "description",
    "tags",
    "properties",
    "is_deterministic",
    "inputs",
    "outputs",
    "additional_includes",
    *TRIAL_KEYS,
)
LITERAL_TYPES = ("string", "number", "integer", "boolean")
INPUT_TYPES = LITERAL_TYPES + DATA_INPUT_TYPES
INPUT_KEYS = ("type", "default", "optional", "description", "min", "max", "enum")
OUTPUT_KEYS = ("type", "description", "mode", "path", "is_control")
# `azureml:name:version` or `azureml:name@label` (the label `latest`)
REGISTERED = re.compile(r"^azureml:[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]+|@[A-Za-z0-9_.-]+)$")


def component_of(value: Any, path: tuple, check: Checker, base_dir: Path, checkers: list[Checker]) -> Component | None:
    """The component a step names at ``path`` (its ``component:`` or ``trial:``); a file's problems are reported in a
    checker of its own, appended to ``checkers``."""
    if isinstance(value, dict):
        return read_component(value, check.at(path), base_dir, source="inline")
    if not isinstance(value, str) or not value.strip():
        check.error(
            path,
            f"expected a component file, `azureml:<name>:<version>` or an inline component, found {kind_of(value)}",
        )
        return None
    if value.startswith("azureml:"):
        if not REGISTERED.match(value):
            check.error(
                path,
                f"`{value}` is not a registered component reference",
                "azureml:<name>:<version> or azureml:<name>@latest",
            )
            return None
        return Component(source=value, registered=value)
    file = Path(value) if Path(value).is_absolute() else base_dir / value
    if not file.is_file():
        check.error(path, f"no such component file: {file}", did_you_mean_file(file))
        return None
    try:
        node, data = read_yaml(read_spec_text(file, "a component YAML file"), str(file))
    except SpecError as e:  # unreadable, too large, not YAML: the pipeline's other problems still collected
        check.problems.extend(e.problems)
        return None
    own = Checker(str(file), line_map(node) if node is not None else {}, set())
    checkers.append(own)
    if not isinstance(data, dict):
        own.error((), f"expected a command component (type: command, command, environment, ...), found {kind_of(data)}")
        return None
    return read_component(data, own, file.parent, source=str(file))


def read_component(data: dict, check: Checker, base_dir: Path, source: str) -> Component | None:
    """A command component (file or inline) as its model, every problem recorded in ``check`` at the component's
    own key paths."""
    check.known_keys(data, (), COMPONENT_KEYS)
    kind = data.get("type", "command")
    if kind != "command":
        check.error(("type",), f"expected `command`, found `{kind}`: a step runs a command component", "type: command")
        return None
    inputs = _inputs(data.get("inputs"), check)
    outputs = _outputs(data.get("outputs"), check)
    if not check.required(data, (), ("command", "environment")):
        return None
    trial = trial_of({k: data[k] for k in TRIAL_KEYS if k in data}, check.at((), strip=("trial",)), base_dir)
    if trial is None:
        return None
    command = parse_command(trial.command)
    for ref in command.references:
        if ref.kind == "search_space":
            check.error(
                ("command",),
                f"`{ref.text}`: a component's command takes `${{{{inputs.{ref.name}}}}}`; a sweep step's "
                "search-space values reach it as inputs of the same name",
                f"write ${{{{inputs.{ref.name}}}}} and declare `{ref.name}` under inputs:",
            )
    reference_rules(command, None, inputs, outputs, check, path=("command",))
    return Component(source=source, inputs=inputs or {}, outputs=outputs or {}, trial=trial, base_dir=base_dir)


def _inputs(value: Any, check: Checker) -> dict[str, ComponentInput] | None:
    if value is None:
        return {}
    if not check.mapping(value, ("inputs",), "input names to their type"):
        return None
    found = {}
    for name, spec in value.items():
        path = ("inputs", name)
        if not isinstance(spec, dict):
            check.error(path, f"expected a mapping such as `{{type: number, default: 0.1}}`, found {kind_of(spec)}")
            continue
        check.known_keys(spec, path, INPUT_KEYS)
        kind = spec.get("type")
        if kind not in INPUT_TYPES:
            message = "missing required key" if kind is None else f"unknown input type {kind!r}"
            check.error(
                path + ("type",), message, did_you_mean(str(kind), INPUT_TYPES) or "one of: " + ", ".join(INPUT_TYPES)
            )
            continue
        default = spec.get("default")
        if default is not None and not fits(kind, default):
            check.error(
                path + ("default",),
                f"expected {_A.get(kind, 'a path')} for an input of type `{kind}`, found {kind_of(default)} {default!r}",
            )
        found[str(name)] = ComponentInput(str(name), kind, default, bool(spec.get("optional", False)))
    return found


def _outputs(value: Any, check: Checker) -> dict[str, str] | None:
    if value is None:
        return {}
    if not check.mapping(value, ("outputs",), "output names to their type"):
        return None
    found = {}
    for name, spec in value.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            check.error(("outputs", name), f"expected a mapping such as `{{type: uri_folder}}`, found {kind_of(spec)}")
            continue
        check.known_keys(spec, ("outputs", name), OUTPUT_KEYS)
        kind = spec.get("type", "uri_folder")
        if kind not in DATA_INPUT_TYPES + LITERAL_TYPES:
            check.error(
                ("outputs", name, "type"),
                f"unknown output type {kind!r}",
                did_you_mean(str(kind), DATA_INPUT_TYPES) or "one of: " + ", ".join(DATA_INPUT_TYPES),
            )
        found[str(name)] = str(kind)
    return found


_A = {"string": "a string", "number": "a number", "integer": "an integer", "boolean": "a boolean"}


def fits(kind: str, value: Any) -> bool:
    """Whether a literal value is one an input of type ``kind`` takes, as the SDK's schema reads it (YAML's ``1e-3``
    is a string to PyYAML and a number to Azure ML; ``"3"`` is an integer)."""
    if kind not in LITERAL_TYPES:
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool) or str(value).lower() in ("true", "false")
    if isinstance(value, bool):
        return kind == "string"
    if kind == "integer":
        return isinstance(value, int) or (
            isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()) is not None
        )
    if kind == "number":
        try:
            float(value)
        except (TypeError, ValueError):
            return False
        return True
    return isinstance(value, (str, int, float))
