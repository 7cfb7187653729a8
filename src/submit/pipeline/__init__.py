"""Pipeline jobs with sweep steps: load and validate the graph, its bindings, its components and each sweep step (by
the standalone sweep's rules); build the job Azure ML receives and submit it; run it here.

``declared`` (the pipeline as declared, in frozen dataclasses: its steps, components and bindings), ``load`` (the
file -> ``declared``, every problem located in the pipeline or its component files), ``steps`` (command and sweep steps against their
components), ``component`` (command component files, inline and registered), ``bindings`` (``${{parent...}}``),
``graph`` (dependency cycles and order), ``traps`` (what Azure does with a sweep step's settings in a pipeline),
``environments`` (each component's code against its environment, by ``submit.envcheck``), ``build`` (the job's
YAML for ``--dry-run`` and the SDK's ``PipelineJob``), ``submit`` (through ``submit.azure.client``), ``runner`` (the
pipeline run here, step by step), with ``local_inputs`` (the stand-ins for remote inputs), ``command_step`` (a command
step's process) and ``sweep_step`` (a sweep step as the sweep the emulator runs). The names below load on first use:
``sweep --help`` imports none of this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.lazy import lazy_exports

if TYPE_CHECKING:
    from .build import pipeline_job, pipeline_yaml
    from .declared import Pipeline
    from .load import is_pipeline, load_pipeline, parse_pipeline
    from .runner import PipelineRun, run_pipeline_local
    from .submit import submit_pipeline

__getattr__ = lazy_exports(
    __name__,
    {
        "Pipeline": "declared",
        "PipelineRun": "runner",
        "run_pipeline_local": "runner",
        "is_pipeline": "load",
        "load_pipeline": "load",
        "parse_pipeline": "load",
        "pipeline_job": "build",
        "pipeline_yaml": "build",
        "submit_pipeline": "submit",
    },
)

__all__ = [
    "Pipeline",
    "PipelineRun",
    "is_pipeline",
    "load_pipeline",
    "parse_pipeline",
    "pipeline_job",
    "pipeline_yaml",
    "run_pipeline_local",
    "submit_pipeline",
]
