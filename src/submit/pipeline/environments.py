"""The environment check of `sweep validate` for a pipeline: each step's component (its code's imports against what
its environment declares), by the standalone sweep's check (``submit.envcheck``), located in the file the
environment is written in: the component file's ``environment``, or the pipeline's ``jobs.<step>...``.
"""

from __future__ import annotations

from pathlib import Path

from ..envcheck import EnvReport, check_environment
from ..spec.load import line_map, read_yaml
from ..spec.validate import Checker
from .declared import Pipeline, Step


def check_environments(pipeline: Pipeline, *, versions_said: set | None = None) -> EnvReport:
    """One report for the pipeline: every checked component's problems and warnings, its notes named by step.

    A component two steps use is checked once; a registered component is not (its environment is the workspace's).
    A version mismatch of one environment file is warned about once (``versions_said``, as ``check_environment``).
    """
    report = EnvReport(label=f"{len(pipeline.steps)} steps")
    seen: set[str] = set()
    said = versions_said if versions_said is not None else set()
    for name in pipeline.order:
        step = pipeline.steps[name]
        component = step.component
        if component.trial is None or (component.source != "inline" and component.source in seen):
            continue
        seen.add(component.source)
        found = check_environment(component, _located(pipeline, step), versions_said=said)
        report.problems += found.problems
        report.warnings += found.warnings
        report.notes += [f"jobs.{name}: {note}" for note in found.notes]
        report.imports += found.imports
    return report


def _located(pipeline: Pipeline, step: Step) -> Checker:
    """A checker that puts the sweep's ``trial.environment`` where this component writes its environment."""
    component = step.component
    if component.source == "inline":
        source, at = pipeline.path, ("jobs", step.name, "trial") if step.type == "sweep" else ("jobs", step.name)
    else:
        source, at = Path(component.source), ()
    lines = {}
    if source is not None:
        node, _ = read_yaml(source.read_text(encoding="utf-8"), str(source))  # read and checked by the loader
        lines = line_map(node) if node is not None else {}
    return Checker(str(source or "<pipeline>"), lines, set()).at(at, strip=("trial",))
