"""A sweep step as the standalone sweep the emulator runs: its ``SweepSpec`` built from the step and its trial
component, so a sweep step here gets every rule a standalone sweep gets (``emulator.run_local``).

Azure's sweep component hands each trial its sampled values as the trial component's inputs of the same name; a
standalone sweep's command reads them as ``${{search_space.<key>}}``. So the component's command is the trial's with
each swept ``${{inputs.<key>}}`` read as ``${{search_space.<key>}}``; the step's other inputs (set, bound, or the
component's defaults) are the sweep's inputs, and every output of the component is an output of each trial.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..spec.grammar import parse_command
from ..spec.model import Input, Output, SweepSpec
from .declared import Pipeline, Step


def sweep_spec_of(pipeline: Pipeline, step: Step, inputs: dict[str, Any], experiment: str) -> SweepSpec:
    """The sweep ``step`` runs: ``inputs`` are its resolved input values (a literal, or a local path for data)."""
    sweep, component = step.sweep, step.component
    swept = set(sweep.search_space)
    command = parse_command(component.trial.command).rewrite(
        lambda ref: f"${{{{search_space.{ref.name}}}}}" if ref.kind == "inputs" and ref.name in swept else ref.modern
    )
    trial = replace(
        component.trial,
        command=command,
        references=tuple((r.kind, r.name) for r in parse_command(command).references),
    )
    spec_inputs = {}
    for name, value in inputs.items():
        declared = component.inputs.get(name)
        kind = declared.type if declared is not None else "literal"
        if kind in ("string", "number", "integer", "boolean") or not isinstance(value, str):
            spec_inputs[name] = Input(name, "literal", value=value)
        else:
            spec_inputs[name] = Input(name, kind, path=value)
    return SweepSpec(
        path=pipeline.path,
        data=(pipeline.data.get("jobs") or {}).get(step.name, {}),
        search_space=sweep.search_space,
        sampling=sweep.sampling,
        objective=sweep.objective,
        limits=sweep.limits,
        trial=trial,
        policy=sweep.policy,
        inputs=spec_inputs,
        outputs={name: Output(type=kind) for name, kind in component.outputs.items()},
        display_name=step.name,
        experiment_name=experiment,
    )


def planned_sweep_of(pipeline: Pipeline, step_name: str | None = None) -> SweepSpec:
    """The sweep a sweep step will run, before any step ran: what `sweep plan` lays out for a pipeline. An input
    bound to another step's output has no folder yet, so it stands as ``<step.outputs.name>`` in the commands; every
    other input has its value (set on the step, a pipeline input's, or the component's default)."""
    from ..errors import InputError
    from .declared import Binding

    sweeps = [s for s in pipeline.steps.values() if s.type == "sweep"]
    if step_name is not None:
        chosen = [s for s in sweeps if s.name == step_name]
    else:
        chosen = sweeps if len(sweeps) == 1 else []
    if not chosen:
        names = ", ".join(s.name for s in sweeps) or "none"
        what = f"no sweep step {step_name!r}" if step_name else f"{len(sweeps)} sweep steps"
        raise InputError(f"{pipeline.path}: {what}; name one with --step (its sweep steps: {names})")
    step = chosen[0]
    values: dict[str, Any] = {n: i.default for n, i in step.component.inputs.items() if i.default is not None}
    for name, value in step.inputs.items():
        if isinstance(value, Binding) and value.kind == "jobs":
            values[name] = f"<{value.step}.outputs.{value.name}>"
        elif isinstance(value, Binding):
            given = pipeline.inputs[value.name]
            values[name] = given.value if given.type == "literal" else given.path
        else:
            values[name] = value.value if value.type == "literal" else value.path
    for name in step.sweep.search_space:
        values.pop(name, None)
    return sweep_spec_of(pipeline, step, values, pipeline.experiment_name or "Default")


def preflight_sweep_of(pipeline: Pipeline) -> SweepSpec:
    """The sweep whose first trial `validate --preflight` runs for a pipeline: its only sweep step's, when that step
    takes no other step's output; otherwise one line saying what runs that trial (a local run of one trial)."""
    from ..errors import InputError
    from .declared import Binding

    spec = planned_sweep_of(pipeline)
    step = next(s for s in pipeline.steps.values() if s.type == "sweep" and s.name == spec.display_name)
    needs = sorted({v.step for v in step.inputs.values() if isinstance(v, Binding) and v.kind == "jobs"})
    if needs:
        raise InputError(
            f"{pipeline.path}: --preflight runs one trial of step {step.name}, which reads the outputs of "
            f"{', '.join(needs)}: only a run makes them\n  hint: sweep submit {pipeline.path} --local --set "
            f"jobs.{step.name}.limits.max_total_trials=1 runs {', '.join(needs)} and one trial"
        )
    return spec
