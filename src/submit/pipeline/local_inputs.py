"""What a pipeline run here reads, checked at the door as a sweep's inputs are (``emulator.inputs``): every remote
input has a local stand-in (``--input``), every component is a local one whose code folder is here.

``--input NAME=PATH`` names a pipeline input, or a step's own input (``--input STEP.NAME=PATH``, or ``NAME`` alone
for every step input of that name): a pipeline's data is written either at the top or in the step that reads it, as
the official examples do (``jobs.sweep_step.inputs.data.path: wasbs://...``).

>>> from submit.pipeline import parse_pipeline
>>> p = parse_pipeline('''
... type: pipeline
... jobs:
...   hello:
...     type: command
...     command: cat ${{inputs.data}}
...     environment: azureml:env:1
...     inputs: {data: {type: uri_file, path: "azureml:iris:1"}}
... ''')
>>> stand_ins(p, ["data=/etc/hostname"])
{('hello', 'data'): '/etc/hostname'}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..emulator.inputs import local_placeholder, parse_overrides
from ..errors import InputError
from ..spec.model import Input, is_remote
from ..spec.names import did_you_mean
from .declared import Pipeline

Place = tuple[str | None, str]  # (None, name): a pipeline input; (step, name): a step's own input


def stand_ins(pipeline: Pipeline, given: Mapping[str, str] | Sequence[str] | None) -> dict[Place, str]:
    """Where each remote input of the pipeline is read from here; InputError naming every input without a local
    stand-in, every ``--input`` that names none, and every component that cannot run here."""
    problems: list[str] = []
    overrides = parse_overrides(given, problems)
    remote = _remote_inputs(pipeline)
    found: dict[Place, str] = {}
    for key, path in overrides.items():
        places = _places(key, pipeline)
        if not places:
            bare = dict.fromkeys([*pipeline.inputs, *(n for step in pipeline.steps.values() for n in step.inputs)])
            known = [*bare, *(f"{s}.{n}" for s, step in pipeline.steps.items() for n in step.inputs)]
            hint = did_you_mean(key, known) or (
                "inputs: " + ", ".join(known) if known else "the pipeline has no inputs"
            )
            problems.append(f"--input {key}: the pipeline has no input `{key}`\n  hint: {hint}")
            continue
        local = Path(path).expanduser()
        if not local.exists():
            problems.append(f"--input {key}={path}: no such file or folder")
            continue
        for place in places:
            found[place] = str(local.resolve())
    source = str(pipeline.path) if pipeline.path else "<pipeline>"
    for place, value in remote.items():
        if place not in found:
            at = f"inputs.{place[1]}" if place[0] is None else f"jobs.{place[0]}.inputs.{place[1]}"
            flag = place[1] if place[0] is None else f"{place[0]}.{place[1]}"
            problems.append(
                f"{source}: {at}: `{value}` is remote; the local emulator does not download data\n"
                f"  hint: pass a local copy: --input {flag}={local_placeholder(value)}"
            )
    for name in pipeline.order:
        problem = _not_runnable(pipeline, name)
        if problem:
            problems.append(problem)
    if problems:
        raise InputError("\n".join(problems))
    return found


def _remote_inputs(pipeline: Pipeline) -> dict[Place, str]:
    remote: dict[Place, str] = {(None, n): i.path for n, i in pipeline.inputs.items() if i.is_remote}
    for name, step in pipeline.steps.items():
        for key, value in step.inputs.items():
            if isinstance(value, Input) and value.is_remote:
                remote[(name, key)] = value.path
    return remote


def _places(key: str, pipeline: Pipeline) -> list[Place]:
    step, dot, name = key.partition(".")
    if dot:
        found = pipeline.steps.get(step)
        return [(step, name)] if found is not None and isinstance(found.inputs.get(name), Input) else []
    places: list[Place] = [(None, key)] if key in pipeline.inputs else []
    return places + [(s, key) for s, st in pipeline.steps.items() if isinstance(st.inputs.get(key), Input)]


def _not_runnable(pipeline: Pipeline, name: str) -> str | None:
    component = pipeline.steps[name].component
    if component.registered is not None:
        return (
            f"jobs.{name}: `{component.registered}` is a component registered in the workspace; --local runs "
            "components from local files (component: ./train.yml) or written inline"
        )
    code = component.trial.code if component.trial else None
    if code and (is_remote(code) or not Path(code).is_dir()):
        return f"jobs.{name}: code `{code}` is not a local folder; --local runs the code from a local folder"
    return None
