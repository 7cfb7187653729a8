"""The validated sweep spec as frozen dataclasses: everything past the loader reads these, never the YAML.

Names and keys are Azure ML's (CLI v2 sweep job YAML; docs/semantics.md, "What `sweep validate` checks"). Each settings class lists its keys once, as its
fields: validation allows those keys, and the Azure builder sends ``settings()``, the ones the spec gives.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from ..errors import Problem

if TYPE_CHECKING:
    from .space import SearchSpace

SCHEMA_URL = "https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json"
REMOTE_PREFIXES = ("azureml:", "http://", "https://", "wasbs://", "wasb://", "abfss://", "abfs://", "adl://")
# a workspace asset's ARM id, which load_job takes as a data path with or without `azureml:` in front
ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/", re.I)
AZURE_MAX_TRIALS = 1000  # service: "Must be between 1 and 1000"
AZURE_TIMEOUT_FLOOR = 60  # the SDK raises int timeouts of 1..60 s to 60 s

Goal = Literal["minimize", "maximize"]
SamplerType = Literal["random", "grid", "bayesian"]
SamplingRule = Literal["random", "sobol"]
PolicyType = Literal["bandit", "median_stopping", "truncation_selection"]
Status = Literal["completed", "failed", "canceled", "running"]  # a trial's state, in Azure's words
IdentityType = Literal["managed", "managed_identity", "user_identity", "aml_token"]
JobTier = Literal["spot", "basic", "standard", "premium", "null"]
Priority = Literal["low", "medium", "high"]
DistributionType = Literal["pytorch", "mpi", "tensorflow", "ray"]
ServiceType = Literal["jupyter_lab", "ssh", "tensor_board", "vs_code"]

GOALS: tuple[str, ...] = get_args(Goal)
SAMPLER_TYPES: tuple[str, ...] = get_args(SamplerType)
POLICY_TYPES: tuple[str, ...] = get_args(PolicyType)

# the settings each policy type takes besides `type` (docs/semantics.md, "Bandit" to "Truncation selection")
POLICY_SETTINGS: dict[str, tuple[str, ...]] = {
    "bandit": ("slack_factor", "slack_amount", "evaluation_interval", "delay_evaluation"),
    "median_stopping": ("evaluation_interval", "delay_evaluation"),
    "truncation_selection": ("truncation_percentage", "evaluation_interval", "delay_evaluation"),
}
# the keys each distribution type takes besides `type` (azure-ai-ml's distribution schemas)
DISTRIBUTION_SETTINGS: dict[str, tuple[str, ...]] = {
    "pytorch": ("process_count_per_instance",),
    "mpi": ("process_count_per_instance",),
    "tensorflow": ("worker_count", "parameter_server_count"),
    "ray": (
        "port",
        "address",
        "include_dashboard",
        "dashboard_port",
        "head_node_additional_args",
        "worker_node_additional_args",
    ),
}


def is_remote(path: str) -> bool:
    """A path Azure resolves (a URI, an `azureml:` asset, an ARM id), not a file or folder of this machine.

    >>> arm = "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/data/x"
    >>> is_remote("data/iris.csv"), is_remote("wasbs://c@a.blob.core.windows.net/x"), is_remote(arm)
    (False, True, True)
    """
    return path.startswith(REMOTE_PREFIXES) or bool(ARM_ID.match(path))


def keys(cls) -> tuple[str, ...]:
    """The YAML keys of a settings class: its fields."""
    return tuple(f.name for f in fields(cls))


class _Settings:
    def settings(self) -> dict[str, Any]:
        """The keys the spec gives (None means not given), in the class's order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Sampling:
    type: SamplerType = "random"
    rule: SamplingRule | None = None  # random sampling only
    seed: int | None = None
    logbase: float | str | None = None  # a positive number or "e"
    as_string: bool = False  # the spec wrote `sampling_algorithm: random`, kept for a faithful round trip
    given: bool = True

    @property
    def base(self) -> float:
        if self.logbase in (None, "e"):
            return math.e
        return float(self.logbase)

    @property
    def label(self) -> str:
        if self.type == "random" and self.rule == "sobol":
            return "sobol"
        return self.type


@dataclass(frozen=True)
class Policy:
    type: PolicyType
    evaluation_interval: int | None = None
    delay_evaluation: int | None = None
    slack_factor: float | None = None
    slack_amount: float | None = None
    truncation_percentage: int | None = None

    def settings(self) -> dict[str, Any]:
        """The settings of this policy type that the spec gives."""
        return {k: getattr(self, k) for k in POLICY_SETTINGS[self.type] if getattr(self, k) is not None}

    def describe(self) -> str:
        """The policy as it applies: a left-out (or 0) evaluation_interval is 1, Azure's YAML default and how the SDK's
        0 is read (docs/semantics.md, "Evaluation interval"); a left-out delay_evaluation is 0."""
        parts = [
            f"evaluation_interval={self.evaluation_interval or 1}",
            f"delay_evaluation={self.delay_evaluation or 0}",
        ]
        for k in ("slack_factor", "slack_amount", "truncation_percentage"):
            if getattr(self, k):
                parts.insert(0, f"{k}={getattr(self, k)}")
        return f"{self.type}(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class Objective:
    goal: Goal
    primary_metric: str


@dataclass(frozen=True)
class Limits(_Settings):
    max_total_trials: int
    max_concurrent_trials: int | None = None
    timeout: int | None = None
    trial_timeout: int | None = None

    @property
    def concurrency(self) -> int:
        # Azure: "If not specified, max_total_trials number of jobs launch in parallel"
        return self.max_concurrent_trials or self.max_total_trials

    def recorded(self) -> RecordedLimits:
        """What a sweep records of these limits: ``max_concurrent_trials`` as it runs them."""
        return replace(RecordedLimits.read(self), max_concurrent_trials=self.concurrency)


@dataclass(frozen=True)
class RecordedLimits:
    """The limits a sweep ran by, as its record holds them: the local parent's ``sweep.limits`` tag, an Azure job's
    ``limits``, the ``limits`` of `--json`; Azure's names, None where the record does not say.

    The one home of the limits' keys on the way back up: the emulator writes them, the monitor reads them here.
    """

    max_total_trials: int | None = None
    max_concurrent_trials: int | None = None
    timeout: int | None = None
    trial_timeout: int | None = None

    @classmethod
    def read(cls, source: Mapping[str, Any] | object) -> RecordedLimits:
        """From a mapping (the tag's JSON) or an object with the same attributes (``Limits``, Azure's limits)."""
        if isinstance(source, Mapping):
            return cls(**{f.name: source.get(f.name) for f in fields(cls)})
        return cls(**{f.name: getattr(source, f.name, None) for f in fields(cls)})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Input:
    name: str
    type: str  # "literal" or a data type such as uri_file
    value: Any = None  # literals
    path: str | None = None  # data inputs: as written (remote URI) or resolved absolute local path
    mode: str | None = None
    description: str | None = None
    datastore: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.path is not None and is_remote(self.path)


@dataclass(frozen=True)
class Output(_Settings):
    type: str = "uri_folder"  # YAML: an output without settings is a uri_folder (the YAML reference)
    path: str | None = None
    mode: str | None = None
    description: str | None = None
    name: str | None = None  # the asset name to register the output as
    version: str | None = None


@dataclass(frozen=True)
class DockerBuild:
    path: str | None = None  # absolute local folder, or a remote URI as written
    dockerfile_path: str | None = None


@dataclass(frozen=True)
class InlineEnvironment:
    image: str | None = None
    conda_file: str | dict | None = None  # a path resolved against the spec's folder, or an inline conda spec
    build: DockerBuild | None = None
    name: str | None = None
    version: str | None = None
    description: str | None = None
    tags: dict[str, Any] | None = None
    os_type: str | None = None
    inference_config: dict[str, Any] | None = None


@dataclass(frozen=True)
class Resources(_Settings):
    instance_count: int | None = None
    instance_type: str | None = None
    properties: dict[str, Any] | None = None
    locations: list[str] | None = None
    shm_size: str | None = None
    max_instance_count: int | None = None
    docker_args: str | list[str] | None = None


@dataclass(frozen=True)
class QueueSettings(_Settings):
    job_tier: JobTier | None = None
    priority: Priority | None = None


@dataclass(frozen=True)
class TrainingDistribution(_Settings):
    """How a trial spreads over processes and nodes (not a search-space distribution)."""

    type: DistributionType
    process_count_per_instance: int | None = None
    worker_count: int | None = None
    parameter_server_count: int | None = None
    port: int | None = None
    address: str | None = None
    include_dashboard: bool | None = None
    dashboard_port: int | None = None
    head_node_additional_args: str | None = None
    worker_node_additional_args: str | None = None


@dataclass(frozen=True)
class Identity(_Settings):
    type: IdentityType
    client_id: str | None = None
    object_id: str | None = None
    msi_resource_id: str | None = None


@dataclass(frozen=True)
class Service(_Settings):
    type: ServiceType | None = None
    nodes: str | None = None
    port: int | None = None
    properties: dict[str, Any] | None = None
    log_dir: str | None = None  # tensor_board
    ssh_public_keys: str | None = None  # ssh


@dataclass(frozen=True)
class Trial:
    command: str
    environment: str | InlineEnvironment  # `azureml:<name>:<version>` as written, or inline
    code: str | None = None  # absolute local path, or a remote reference as written
    environment_variables: dict[str, str] = field(default_factory=dict)
    resources: Resources | None = None
    distribution: TrainingDistribution | None = None
    queue_settings: QueueSettings | None = None
    references: tuple[tuple[str, str], ...] = ()  # (kind, name) of each reference in the command, in order


@dataclass(frozen=True)
class SweepSpec:
    path: Path | None
    data: dict[str, Any]  # the YAML as loaded, after --set; for showing the spec as written, read by no rule
    search_space: SearchSpace
    sampling: Sampling
    objective: Objective
    limits: Limits
    trial: Trial
    policy: Policy | None = None
    inputs: dict[str, Input] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    compute: str | None = None
    name: str | None = None
    display_name: str | None = None
    experiment_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] | None = None
    identity: Identity | None = None
    resources: Resources | None = None
    queue_settings: QueueSettings | None = None
    services: dict[str, Service] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # what Azure would refuse that a local run does not mind (compute: local); `validate.check_azure` raises them
    azure_problems: tuple[Problem, ...] = ()
    overrides: tuple[str, ...] = ()  # the `--set KEY.PATH=VALUE` given, as typed: `data` holds them applied

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def trial_count(self) -> int:
        """How many trials the sweep will run: a grid stops when it is exhausted."""
        size = self.search_space.grid_size() if self.sampling.type == "grid" else None
        return min(size, self.limits.max_total_trials) if size is not None else self.limits.max_total_trials

    def references(self, kind: str) -> list[str]:
        """The names of ``kind`` ("search_space", "inputs", "outputs") the trial command references, in order."""
        return [name for k, name in self.trial.references if k == kind]
