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
from .model import Pipeline, Step


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
