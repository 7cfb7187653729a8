"""Pipeline jobs in `sweep validate` and `sweep submit`: what validate prints for a pipeline (its steps in dependency
order, each sweep step as a sweep is shown), the --json shapes, the --dry-run YAML and the cloud submission.

The commands dispatch on the file's ``type:`` (``common.load_specs(..., pipelines=True)``); here are only the parts
that differ from a sweep's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from ..pipeline.declared import Pipeline, Step
from .common import show_warnings


def is_pipeline(job: Any) -> bool:
    return isinstance(job, Pipeline)


def pipeline_summary(pipeline: Pipeline) -> dict[str, Any]:
    """The facts `sweep validate` prints for a pipeline, as data (its --json form)."""
    return {
        "pipeline": str(pipeline.path) if pipeline.path else None,
        "order": list(pipeline.order),
        "default_compute": pipeline.settings.default_compute,
        "steps": {name: _step(pipeline.steps[name], pipeline.base_dir) for name in pipeline.order},
        "warnings": list(pipeline.warnings),
    }


def _step(step: Step, base: Path) -> dict[str, Any]:
    source = Path(step.component.source)
    found: dict[str, Any] = {
        "type": step.type,
        # a component file as the pipeline names it (beside it, or under its folder), else as it is
        "component": str(source.relative_to(base)) if source.is_relative_to(base) else step.component.source,
        "after": list(step.depends_on),
    }
    if step.sweep is not None:
        sweep = step.sweep
        found.update(
            sampler=sweep.sampling.label,
            parameters={name: dist.describe() for name, dist in sweep.search_space.items()},
            objective=f"{sweep.objective.goal} {sweep.objective.primary_metric}",
            policy=sweep.policy.describe() if sweep.policy else None,
            limits=sweep.limits.settings(),
        )
    return found


def render_pipeline_validation(pipeline: Pipeline, out: Console, err: Console) -> None:
    s = pipeline_summary(pipeline)
    out.print(
        f"[bold green]ok[/] {s['pipeline']} (pipeline, {len(s['steps'])} step{'s' if len(s['steps']) != 1 else ''})",
        highlight=False,
    )
    table = Table(show_header=False, box=None, padding=(0, 2))
    for name, step in s["steps"].items():
        after = f" after {', '.join(step['after'])}" if step["after"] else ""
        table.add_row(name, f"{step['type']}{after}: {step['component']}")
        if step["type"] == "sweep":
            table.add_row("  sampler", step["sampler"])
            for parameter, described in step["parameters"].items():
                table.add_row(f"    {parameter}", described)
            table.add_row("  objective", step["objective"])
            table.add_row("  policy", step["policy"] or "none (every trial runs to completion)")
            table.add_row("  limits", ", ".join(f"{k} {v}" for k, v in step["limits"].items()))
    out.print(table)
    show_warnings([pipeline], err)


def pipeline_dry_run(pipeline: Pipeline) -> dict[str, Any]:
    """The job ``--dry-run --json`` prints for a pipeline: its file, its name (None: Azure ML picks one), the job."""
    from ..pipeline.build import pipeline_yaml

    return {
        "spec": str(pipeline.path) if pipeline.path else "<pipeline>",
        "name": pipeline.name,
        "job": yaml.safe_load(pipeline_yaml(pipeline)),
    }


def job_yaml_of(job) -> str:
    """The YAML ``--dry-run`` prints for a sweep spec or a pipeline."""
    if is_pipeline(job):
        from ..pipeline.build import pipeline_yaml

        return pipeline_yaml(job)
    from ..azure.job import job_yaml

    return job_yaml(job)


def submit_one(job, ml_client):
    """Submit a sweep spec or a pipeline through the same client; returns the ``SubmittedJob``."""
    if is_pipeline(job):
        from ..pipeline.submit import submit_pipeline

        return submit_pipeline(job, ml_client)
    from ..azure import client as cloud

    return cloud.submit(job, ml_client)
