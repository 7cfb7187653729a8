"""A pipeline's steps read and checked: a command step (a component file, a registered component, or inline), a
sweep step (its trial a command component, its search settings checked by every rule of a standalone sweep), and
what joins a step to its component: each input and output it sets, swept or left without a value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..spec.grammar import parse_command
from ..spec.model import Input, Output
from ..spec.names import did_you_mean
from ..spec.space import Choice, SearchSpace
from ..spec.validate import Checker
from ..spec.validate.space_rules import limits_of, objective_of, policy_of, sampling_of, search_space_of
from ..spec.validate.sweep import TOP_KEYS as SWEEP_TOP_KEYS
from ..spec.validate.sweep import search_rules
from ..spec.validate.trial_rules import TRIAL_KEYS, inputs_of, outputs_of, reference_rules, trial_of
from .bindings import binding_of, is_expression
from .component import LITERAL_TYPES, component_of, fits
from .declared import Binding, Component, ComponentInput, Step, SweepSettings
from .traps import sweep_step_traps

COMMAND_KEYS = (
    "type",
    "name",
    "display_name",
    "description",
    "tags",
    "properties",
    "experiment_name",
    "compute",
    "inputs",
    "outputs",
    "identity",
    "component",
    "limits",
    "services",
    *TRIAL_KEYS,
)
# a sweep step takes a sweep job's keys, but for the schema (the pipeline's) and services (a command's)
SWEEP_KEYS = tuple(k for k in SWEEP_TOP_KEYS if k not in ("$schema", "services"))
STEP_TYPES = ("command", "sweep")
# the distributions that sample values no integer input takes
_CONTINUOUS = ("uniform", "loguniform", "normal", "lognormal")


def step_of(name: str, value: Any, check: Checker, base_dir: Path, checkers: list, cache: dict) -> Step | None:
    """One step of ``jobs:``, ``check`` located at ``jobs.<name>``; None after recording what is wrong."""
    if not check.mapping(value, (), "step settings (type, component or trial, inputs, outputs)"):
        return None
    kind = value.get("type")
    if kind not in STEP_TYPES:
        message = (
            "missing required key" if kind is None else f"a `{kind}` step; sweep takes `command` and `sweep` steps"
        )
        check.error(("type",), message, did_you_mean(str(kind), STEP_TYPES) or "type: command, or type: sweep")
        return None
    check.known_keys(value, (), COMMAND_KEYS if kind == "command" else SWEEP_KEYS, f" for a `{kind}` step")
    inputs = _step_inputs(value.get("inputs"), check, base_dir)
    outputs = _step_outputs(value.get("outputs"), check)
    if kind == "command":
        component = _command_component(value, inputs, outputs, check, base_dir, checkers, cache)
        sweep = None
    else:
        component = None
        if value.get("trial") is None:
            check.error(("trial",), "missing required key", "trial: ./train.yml (a command component file)")
        else:
            component = _cached(value["trial"], ("trial",), check, base_dir, checkers, cache)
        sweep = _sweep_settings(name, value, check)
    if component is None or inputs is None or outputs is None or (kind == "sweep" and sweep is None):
        return None
    step = Step(name, kind, component, inputs, outputs, sweep, value.get("compute"))
    _against_component(step, value, check)
    return step


def _cached(value: Any, path: tuple, check: Checker, base_dir: Path, checkers: list, cache: dict) -> Component | None:
    # a component file two steps use is read, and its problems reported, once
    key = str((base_dir / value).resolve()) if isinstance(value, str) and not value.startswith("azureml:") else None
    if key is not None and key in cache:
        return cache[key]
    component = component_of(value, path, check, base_dir, checkers)
    if key is not None:
        cache[key] = component
    return component


def _command_component(value, inputs, outputs, check, base_dir, checkers, cache) -> Component | None:
    if value.get("component") is not None:
        for key in ("command", "environment", "code"):
            if key in value:
                check.error((key,), "a step with `component:` takes its command, code and environment from it")
        return _cached(value["component"], ("component",), check, base_dir, checkers, cache)
    # inline: the step is its own component, its inputs and outputs those it sets
    if not check.required(value, (), ("command", "environment")):
        return None
    trial = trial_of({k: value[k] for k in TRIAL_KEYS if k in value}, check.at((), strip=("trial",)), base_dir)
    if trial is None:
        return None
    declared = {n: ComponentInput(n, "string") for n in inputs or {}}
    reference_rules(parse_command(trial.command), None, declared, outputs or {}, check, path=("command",))
    outputs = {n: "uri_folder" for n in outputs or {}}
    return Component(source="inline", inputs=declared, outputs=outputs, trial=trial, base_dir=base_dir)


def _sweep_settings(name: str, value: dict, check: Checker) -> SweepSettings | None:
    # a standalone sweep's rules, each problem reported at jobs.<step>.<key>
    for key in ("search_space", "objective", "limits"):
        if value.get(key) is None:
            check.error((key,), "missing required key")
    space_data = value.get("search_space")
    bound = sweep_step_traps(name, value, check)
    if isinstance(space_data, dict) and bound:
        space_data = {k: v for k, v in space_data.items() if k not in bound} or None  # reported once, as the trap
    settings = dict(
        search_space=search_space_of(space_data, check),
        sampling=sampling_of(value.get("sampling_algorithm"), check),
        objective=objective_of(value.get("objective"), check),
        limits=limits_of(value.get("limits"), check),
        policy=policy_of(value.get("early_termination"), check),
    )
    search_rules(settings["search_space"], settings["sampling"], settings["policy"], settings["limits"], check)
    if any(settings[k] is None for k in ("search_space", "sampling", "objective", "limits")) or bound:
        return None
    return SweepSettings(**settings)


def _step_inputs(value: Any, check: Checker, base_dir: Path) -> dict[str, Input | Binding] | None:
    if value is None:
        return {}
    if not check.mapping(value, ("inputs",), "input names to values or bindings"):
        return None
    bound, plain = _split(value, "inputs", check)
    given = inputs_of(plain, check, base_dir)
    return None if given is None else _in_file_order(value, bound, given)


def _step_outputs(value: Any, check: Checker) -> dict[str, Output | Binding] | None:
    if value is None:
        return {}
    if not check.mapping(value, ("outputs",), "output names to settings or bindings"):
        return None
    bound, plain = _split(value, "outputs", check)
    for name, binding in bound.items():
        if binding.kind != "outputs":
            check.error(
                ("outputs", name),
                f"`{binding.text}`: a step's output binds to a pipeline output",
                "write ${{parent.outputs.<name>}}",
            )
    for name, v in list(plain.items()):
        if isinstance(v, str):
            check.error(
                ("outputs", name),
                f"expected a mapping such as `{{type: uri_folder}}` or ${{{{parent.outputs.<name>}}}}, found {v!r}",
            )
            del plain[name]
    given = outputs_of(plain, check)
    return None if given is None else _in_file_order(value, bound, given)


def _split(value: dict, kind: str, check: Checker) -> tuple[dict[str, Binding], dict]:
    """A step's ``inputs`` or ``outputs``: the bindings (a value, or a data setting's ``path``), and the rest as a
    sweep's inputs or outputs are written (an expression of no known form is reported and dropped)."""
    bound, plain = {}, {}
    for name, v in value.items():
        target = v.get("path") if isinstance(v, dict) else v
        binding = binding_of(target, (kind, name, "path") if isinstance(v, dict) else (kind, name), check)
        if binding is not None:
            bound[str(name)] = binding
        elif not is_expression(target):
            plain[name] = v
    return bound, plain


def _in_file_order(value: dict, bound: dict, given: dict) -> dict:
    return {str(n): bound.get(str(n)) or given[str(n)] for n in value if str(n) in bound or str(n) in given}


def _against_component(step: Step, value: dict, check: Checker) -> None:
    """The step's inputs, outputs and search space name the component's; every input it needs gets a value."""
    component = step.component
    if component.registered is not None or component.source == "inline" and step.type == "command":
        return  # a registered component's inputs are the workspace's; an inline step declares its own
    what = f"the component {Path(component.source).name}" if component.source != "inline" else "the inline component"
    for kind, given, declared in (
        ("inputs", step.inputs, component.inputs),
        ("outputs", step.outputs, component.outputs),
    ):
        for name in given:
            if name not in declared:
                check.error(
                    (kind, name),
                    f"not an {kind[:-1]} of {what}",
                    did_you_mean(name, declared)
                    or (f"its {kind}: " + ", ".join(declared) if declared else f"it has no {kind}"),
                )
    for name, given in step.inputs.items():
        declared = component.inputs.get(name)
        if isinstance(given, Input) and given.type == "literal" and declared is not None:
            if declared.type in LITERAL_TYPES and not fits(declared.type, given.value):
                check.error(
                    ("inputs", name),
                    f"`{name}` is an input of type `{declared.type}` in {what}; {given.value!r} is not one",
                    f"a value of type {declared.type}",
                )
    space = step.sweep.search_space if step.sweep else SearchSpace({})
    if step.sweep is not None:
        _swept_inputs(space, component, what, check)
    missing = [i for n, i in component.inputs.items() if i.needs_value and n not in step.inputs and n not in space]
    for needed in missing:
        where = ("inputs",) if "inputs" in value else ()
        check.error(
            where,
            f"`{needed.name}` ({needed.type}) of {what} gets no value: it has no default and the step neither "
            f"{'sets nor sweeps' if step.type == 'sweep' else 'sets'} it",
            f"inputs: {{{needed.name}: ${{{{parent.inputs.{needed.name}}}}}}}, or a value",
        )
    for name in space:
        if name in step.inputs:
            check.error(("inputs", name), f"`{name}` is both set here and swept in search_space; give it one way")


def _swept_inputs(space: SearchSpace, component: Component, what: str, check: Checker) -> None:
    """Each search-space key is an input of the trial component, of a type its distribution's values fit."""
    for name, dist in space.items():
        path = ("search_space", name)
        declared = component.inputs.get(name)
        if declared is None:
            check.error(
                path,
                f"not an input of {what}: a sweep step's search-space keys are its trial's inputs of the same name",
                did_you_mean(name, component.inputs) or "its inputs: " + ", ".join(component.inputs),
            )
            continue
        clash = _clash(declared, dist)
        if clash:
            check.error(path + ("type",), clash[0], clash[1])
        elif component.trial is not None and ("inputs", name) not in component.trial.references:
            # a standalone sweep's "not used in trial.command", for the component the values reach as inputs
            check.warn(
                path, f"{what}'s command never uses `${{{{inputs.{name}}}}}`: the swept value reaches no argument"
            )


def _clash(declared: ComponentInput, dist) -> tuple[str, str] | None:
    kind = declared.type
    head = f"`{declared.name}` is an input of type `{kind}` in the trial"
    if kind not in LITERAL_TYPES:
        return f"{head}: data is not swept", "sweep a literal input (number, integer, string, boolean)"
    if isinstance(dist, Choice):
        bad = [v for v in dist.values if not isinstance(v, dict) and not fits(kind, v)]
        if kind == "integer":
            bad = [v for v in dist.values if not isinstance(v, int) or isinstance(v, bool)]
        if bad:
            return (
                f"{head}; choice value {bad[0]!r} is not one",
                f"values of type {kind}, or make the input `type: {_wider(bad[0])}`",
            )
        return None
    if kind == "boolean":
        return f"{head}; `{dist.type}` samples numbers", "type: choice, values: [true, false]"
    if kind == "integer" and dist.type in _CONTINUOUS:
        return (
            f"{head}; `{dist.type}` samples non-integer values",
            "use `randint`, `quniform` with q: 1, or `choice` of integers; or make the input `type: number`",
        )
    return None


def _wider(value: Any) -> str:
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else "string"
