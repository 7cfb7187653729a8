"""Data bindings between a pipeline's parts: ``${{parent.inputs.x}}``, ``${{parent.outputs.x}}`` and
``${{parent.jobs.<step>.outputs.<name>}}``, read once here and checked against what the pipeline declares.

>>> read_binding("${{parent.jobs.train.outputs.model}}")
Binding(kind='jobs', name='model', step='train')
>>> read_binding(" ${{ parent.inputs.lr }} "), read_binding("0.1")
(Binding(kind='inputs', name='lr', step=None), None)
"""

from __future__ import annotations

import re
from typing import Any

from ..spec.names import did_you_mean
from ..spec.validate import Checker
from .declared import Binding

EXPRESSION = re.compile(r"^\s*\$\{\{\s*(.*?)\s*\}\}\s*$")
EXPECTED = "${{parent.inputs.<name>}}, ${{parent.outputs.<name>}} or ${{parent.jobs.<step>.outputs.<name>}}"


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and EXPRESSION.match(value) is not None


def read_binding(value: Any) -> Binding | None:
    """The binding a value is, or None when it is a plain value (or an expression of another form)."""
    if not isinstance(value, str):
        return None
    m = EXPRESSION.match(value)
    if m is None:
        return None
    parts = m.group(1).split(".")
    if len(parts) == 3 and parts[0] == "parent" and parts[1] in ("inputs", "outputs"):
        return Binding(parts[1], parts[2])  # type: ignore[arg-type]
    if len(parts) == 5 and parts[:2] == ["parent", "jobs"] and parts[3] == "outputs":
        return Binding("jobs", parts[4], parts[2])
    return None


def binding_of(value: Any, path: tuple, check: Checker) -> Binding | None:
    """The binding ``value`` is; an expression of no known form is reported (and None returned)."""
    binding = read_binding(value)
    if binding is None and is_expression(value):
        check.error(path, f"`{value.strip()}` is not a binding Azure ML resolves here", f"write {EXPECTED}")
    return binding


def check_binding(
    binding: Binding,
    path: tuple,
    check: Checker,
    *,
    inputs: dict,
    outputs: dict,
    steps: dict,
    step_outputs: dict[str, dict | None],
) -> None:
    """The binding names something that exists: a pipeline input or output, a step, that step's output.

    ``step_outputs`` maps a step to the names of its outputs, or None when they are unknown offline (a registered
    component's)."""
    if binding.kind in ("inputs", "outputs"):
        declared = inputs if binding.kind == "inputs" else outputs
        if binding.name not in declared:
            what = "input" if binding.kind == "inputs" else "output"
            check.error(
                path,
                f"`{binding.text}` names no pipeline {what}",
                did_you_mean(binding.name, declared)
                or (f"pipeline {what}s: {', '.join(declared)}" if declared else f"declare it under `{binding.kind}:`"),
            )
        return
    if binding.step not in steps:
        check.error(
            path,
            f"`{binding.text}` names no step",
            did_you_mean(binding.step, steps) or "steps: " + ", ".join(steps),
        )
        return
    names = step_outputs.get(binding.step)
    if names is not None and binding.name not in names:
        check.error(
            path,
            f"`{binding.text}`: step `{binding.step}` has no output `{binding.name}`",
            did_you_mean(binding.name, names) or ("its outputs: " + ", ".join(names) if names else "it has no outputs"),
        )
