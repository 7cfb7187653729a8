"""A validated pipeline job as frozen dataclasses: its settings, inputs, outputs and steps, each step's component and
bindings. Everything past the loader (the builder, the submitter, later the local run) reads these, never the YAML.

Names and keys are Azure ML's (CLI v2 pipeline job YAML, ``pipelineJob.schema.json``; command component YAML,
``commandComponent.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import Problem
from ..spec.model import Input, Limits, Objective, Output, Policy, Sampling, Trial
from ..spec.space import SearchSpace

SCHEMA_URL = "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json"
StepType = Literal["command", "sweep"]


@dataclass(frozen=True)
class Binding:
    """``${{parent.inputs.x}}`` (kind ``inputs``), ``${{parent.outputs.x}}`` (``outputs``) or
    ``${{parent.jobs.<step>.outputs.<name>}}`` (``jobs``, with ``step``): a value that comes from elsewhere."""

    kind: Literal["inputs", "outputs", "jobs"]
    name: str
    step: str | None = None

    @property
    def text(self) -> str:
        where = f"jobs.{self.step}.outputs" if self.kind == "jobs" else self.kind
        return f"${{{{parent.{where}.{self.name}}}}}"


@dataclass(frozen=True)
class ComponentInput:
    name: str
    type: str  # string, number, integer, boolean, or a data type (uri_folder, mlflow_model, ...)
    default: Any = None
    optional: bool = False

    @property
    def needs_value(self) -> bool:
        return self.default is None and not self.optional


@dataclass(frozen=True)
class Component:
    """A command component: a file (``component: ./train.yml``), inline, or registered (``azureml:name:version``,
    whose inputs and outputs are only known to the workspace: ``registered`` holds the reference)."""

    source: str  # the file's path, "inline", or the `azureml:` reference
    inputs: dict[str, ComponentInput] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # name -> type
    trial: Trial | None = None  # command, environment, code (None when registered)
    registered: str | None = None
    base_dir: Path | None = None  # where its relative paths start: the component file's folder, or the pipeline's


@dataclass(frozen=True)
class SweepSettings:
    """What makes a step a sweep: a standalone sweep's search settings, checked by the same rules."""

    search_space: SearchSpace
    sampling: Sampling
    objective: Objective
    limits: Limits
    policy: Policy | None = None


@dataclass(frozen=True)
class Step:
    name: str
    type: StepType
    component: Component
    inputs: dict[str, Input | Binding] = field(default_factory=dict)
    outputs: dict[str, Output | Binding] = field(default_factory=dict)
    sweep: SweepSettings | None = None
    compute: str | None = None

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The steps whose outputs this one takes, in the order its inputs name them."""
        found = [b.step for b in self.inputs.values() if isinstance(b, Binding) and b.kind == "jobs"]
        return tuple(dict.fromkeys(s for s in found if s is not None))


@dataclass(frozen=True)
class PipelineSettings:
    default_compute: str | None = None
    default_datastore: str | None = None
    continue_on_step_failure: bool | None = None
    force_rerun: bool | None = None


@dataclass(frozen=True)
class Pipeline:
    path: Path | None
    data: dict[str, Any]  # the YAML as loaded, after --set; what the builder sends
    steps: dict[str, Step]
    order: tuple[str, ...]  # the steps in dependency order (a step after every step it takes outputs from)
    settings: PipelineSettings = field(default_factory=PipelineSettings)
    inputs: dict[str, Input] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    name: str | None = None
    display_name: str | None = None
    experiment_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    azure_problems: tuple[Problem, ...] = ()

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def sweep_steps(self) -> list[Step]:
        return [self.steps[name] for name in self.order if self.steps[name].type == "sweep"]
