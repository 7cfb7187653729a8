"""A pipeline job file -> the validated model: read with a line map, apply ``--set``, check every part, or raise one
``SpecError`` with every problem of the pipeline and of its component files, each at its own file:line.

>>> pipeline = parse_pipeline('''
... type: pipeline
... jobs:
...   hello:
...     type: command
...     command: echo ${{inputs.who}}
...     environment: azureml:env:1
...     inputs: {who: world}
... ''')
>>> pipeline.order, pipeline.steps["hello"].inputs["who"].value
(('hello',), 'world')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Problem, SpecError
from ..spec.load import line_map, parse_spec, read_spec_text, read_yaml, resolved
from ..spec.names import job_name_problem
from ..spec.overrides import apply_overrides
from ..spec.validate import Checker
from ..spec.validate.checker import kind_of
from ..spec.validate.job_rules import TOP_STRINGS, strings_of
from ..spec.validate.space_rules import KEY_NAME
from ..spec.validate.sweep import JOB_KEYS
from ..spec.validate.trial_rules import inputs_of, outputs_of
from .bindings import check_binding
from .declared import Binding, Pipeline, PipelineSettings, Step
from .graph import cycles, dependency_order
from .steps import step_of

TOP_KEYS = (*JOB_KEYS, "settings", "inputs", "outputs", "jobs", "compute", "identity")
SETTINGS = {
    "default_compute": str,
    "default_datastore": str,
    "continue_on_step_failure": bool,
    "force_rerun": bool,
}


def is_pipeline(data: Any) -> bool:
    """Whether loaded YAML is a pipeline job (``type: pipeline``, as Azure reads it: any case)."""
    return isinstance(data, dict) and isinstance(data.get("type"), str) and data["type"].lower() == "pipeline"


def load_job_file(path: str | Path, overrides: list[str] | tuple[str, ...] = ()):
    """A sweep spec (``SweepSpec``) or a pipeline job (``Pipeline``), as the file's ``type:`` says."""
    path = Path(path)
    text = read_spec_text(path, "a sweep or pipeline job YAML file")
    node, data = read_yaml(text, str(path))
    parse = parse_pipeline if is_pipeline(data) else parse_spec
    return parse(text, source=str(path), path=resolved(path), overrides=overrides)


def load_pipeline(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Pipeline:
    """Load and validate a pipeline job file; raises ``SpecError`` listing every problem found."""
    path = Path(path)
    text = read_spec_text(path, "a pipeline job YAML file")
    return parse_pipeline(text, source=str(path), path=resolved(path), overrides=overrides)


def parse_pipeline(text: str, *, source: str = "<pipeline>", path: Path | None = None, overrides=()) -> Pipeline:
    """Validate a pipeline job given as text; ``path`` is where its relative paths (component files) start."""
    node, data = read_yaml(text, source)
    if not isinstance(data, dict):
        raise SpecError(
            [Problem(source, "", f"expected a pipeline job (type: pipeline, jobs: ...), found {kind_of(data)}")]
        )
    overridden = apply_overrides(data, overrides)
    check = Checker(source, line_map(node) if node is not None else {}, overridden)
    checkers = [check]
    pipeline = _pipeline(data, check, path, checkers)
    problems = [p for c in checkers for p in c.problems]
    if problems or pipeline is None:
        raise SpecError(problems)
    return pipeline


def _pipeline(data: dict, check: Checker, path: Path | None, checkers: list[Checker]) -> Pipeline | None:
    base_dir = path.parent if path else Path.cwd()
    check.known_keys(data, (), TOP_KEYS)
    if data.get("type") != "pipeline":
        # load_job takes only the lower-case word ("Unsupported job type: Pipeline")
        check.error(("type",), f"expected `pipeline`, found {data.get('type')!r}", "type: pipeline")
    for key in TOP_STRINGS:
        if data.get(key) is not None and not isinstance(data[key], str):
            check.error((key,), f"expected a string, found {kind_of(data[key])}")
    if isinstance(data.get("name"), str) and job_name_problem(data["name"]):
        check.error(("name",), job_name_problem(data["name"]), "name: my-pipeline-1")
    settings = check.fields(data.get("settings") or {}, ("settings",), SETTINGS, "pipeline settings")
    tags = strings_of(data.get("tags"), ("tags",), check, "tag names to values")
    strings_of(data.get("properties"), ("properties",), check, "property names to values")
    inputs = inputs_of(data.get("inputs"), check, base_dir)
    outputs = outputs_of(data.get("outputs"), check)
    steps = _steps(data.get("jobs"), check, base_dir, checkers)
    if steps is None or inputs is None or outputs is None or settings is None:
        return None
    _bindings(steps, inputs, outputs, check)
    for cycle in cycles(steps):
        check.error(
            ("jobs", cycle[0]),
            "a dependency cycle: " + " -> ".join([*cycle, cycle[0]]) + " (each takes an output of the next)",
            "a step can only take outputs of steps that do not need its own",
        )
    if any(c.problems for c in checkers):
        return None
    return Pipeline(
        path=path,
        data=data,
        steps=steps,
        order=dependency_order(steps),
        settings=PipelineSettings(
            **{k: v.removeprefix("azureml:") if k == "default_compute" else v for k, v in settings.items()}
        ),
        inputs=inputs,
        outputs=outputs,
        tags=tags or {},
        warnings=[w for c in checkers for w in c.warnings],
        azure_problems=tuple(p for c in checkers for p in c.azure_only),
        **{k: data.get(k) for k in ("name", "display_name", "experiment_name", "description")},
    )


def _steps(jobs: Any, check: Checker, base_dir: Path, checkers: list[Checker]) -> dict[str, Step] | None:
    if jobs is None:
        check.error(("jobs",), "missing required key", "jobs: {train: {type: command, component: ./train.yml}}")
        return None
    if not check.mapping(jobs, ("jobs",), "step names to steps"):
        return None
    if not jobs:
        check.error(("jobs",), "is empty; a pipeline needs at least one step")
        return None
    steps, cache = {}, {}
    for name, value in jobs.items():
        if not KEY_NAME.match(str(name)):
            check.error(("jobs", name), "step names use letters, digits and underscores, and do not start with a digit")
            continue
        step = step_of(str(name), value, check.at(("jobs", name)), base_dir, checkers, cache)
        if step is not None:
            steps[str(name)] = step
    return steps if len(steps) == len(jobs) else None


def _bindings(steps: dict[str, Step], inputs: dict, outputs: dict, check: Checker) -> None:
    """Every binding names a pipeline input or output, or a step and one of its outputs."""
    step_outputs = {
        name: None if step.component.registered else {**step.component.outputs, **step.outputs}
        for name, step in steps.items()
    }
    for name, step in steps.items():
        for kind, values in (("inputs", step.inputs), ("outputs", step.outputs)):
            for key, value in values.items():
                if not isinstance(value, Binding):
                    continue
                path = ("jobs", name, kind, key)
                if value.kind == "jobs" and value.step == name:
                    check.error(
                        path, f"`{value.text}`: a step cannot take its own output", "bind the output of an earlier step"
                    )
                    continue
                check_binding(
                    value, path, check, inputs=inputs, outputs=outputs, steps=steps, step_outputs=step_outputs
                )
