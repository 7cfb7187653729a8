"""The job's Azure settings checked: compute, identity, resources, queue settings, distribution, services, properties.

Shapes are those of the CLI v2 sweep job schema (azure-ai-ml's ``SweepJobSchema`` and the schemas it nests:
``JobResourceConfigurationSchema``, ``QueueSettingsSchema``, the distribution, identity and job-service schemas), so a
spec ``az ml job create`` would refuse is refused here, offline, with its line.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from ..model import (
    DISTRIBUTION_SETTINGS,
    DistributionType,
    Identity,
    IdentityType,
    JobTier,
    Priority,
    QueueSettings,
    Resources,
    Service,
    ServiceType,
    TrainingDistribution,
)
from ..names import did_you_mean, job_name_problem
from .checker import STRINGS, Checker, SnakeCased, azure_reading, kind_of

SHAPES: dict[str, dict[str, Any]] = {
    "resources": {
        "instance_count": int,
        "instance_type": str,
        "properties": dict,
        "locations": STRINGS,
        "shm_size": str,
        "max_instance_count": int,
        "docker_args": (str, list),
    },
    "queue_settings": {"job_tier": get_args(JobTier), "priority": get_args(Priority)},
    "distribution": {
        "type": get_args(DistributionType),
        "process_count_per_instance": int,
        "worker_count": int,
        "parameter_server_count": int,
        "port": int,
        "address": str,
        "include_dashboard": bool,
        "dashboard_port": int,
        "head_node_additional_args": str,
        "worker_node_additional_args": str,
    },
}
_MODELS = {"resources": Resources, "queue_settings": QueueSettings, "distribution": TrainingDistribution}
# the identity's type is read through camel_to_snake: `AMLToken`, `UserIdentity`, `ManagedIdentity` (identity.py)
IDENTITY_SHAPES = {
    "type": SnakeCased(get_args(IdentityType)),
    "client_id": str,
    "object_id": str,
    "msi_resource_id": str,
}
SERVICE_SHAPES = {
    "type": get_args(ServiceType),
    "nodes": str,
    "port": int,
    "properties": dict,
    "log_dir": str,
    "ssh_public_keys": str,
}
SHM_SIZE = re.compile(r"^[1-9][0-9]*[bkmg]$")
TOP_STRINGS = ("name", "display_name", "experiment_name", "description", "compute")


def settings_of(kind: str, value: Any, path: tuple, check: Checker):
    """``resources``, ``queue_settings`` or ``distribution`` (of the sweep or its trial) as its model object."""
    if value is None:
        return None
    shapes = SHAPES[kind]
    if kind == "distribution":
        if not check.mapping(value, path, "distribution settings") or not check.required(value, path, ("type",)):
            return None
        dist_type = check.word(value["type"], path + ("type",), get_args(DistributionType), "distribution type")
        if dist_type is None:
            return None
        shapes = {k: shapes[k] for k in ("type",) + DISTRIBUTION_SETTINGS[dist_type]}
    before = len(check.problems)
    good = check.fields(value, path, shapes, kind.replace("_", " "))
    if good is None:
        return None
    if kind == "resources":
        _resource_rules(good, path, check)
    return _MODELS[kind](**good) if len(check.problems) == before else None


def _resource_rules(good: dict, path: tuple, check: Checker) -> None:
    for key in ("instance_count", "max_instance_count"):
        if key in good and good[key] < 1:
            check.error(path + (key,), f"must be >= 1, found {good[key]}")
    shm = good.get("shm_size")
    if shm is not None and not SHM_SIZE.match(shm):
        check.error(
            path + ("shm_size",),
            f"expected <number><unit> with unit b, k, m or g, found {shm!r}",
            "shm_size: 2g",
        )


def identity_of(value: Any, check: Checker) -> Identity | None:
    path = ("identity",)
    if value is None:
        return None
    if not check.mapping(value, path, "identity settings") or not check.required(value, path, ("type",)):
        return None
    kind = check.word(value["type"], path + ("type",), IDENTITY_SHAPES["type"], "identity type")
    if kind is None:
        return None
    # only a managed identity names which one; user_identity and aml_token take nothing more
    shapes = IDENTITY_SHAPES if kind in ("managed", "managed_identity") else {"type": IDENTITY_SHAPES["type"]}
    before = len(check.problems)
    good = check.fields(value, path, shapes, "identity settings")
    if good is None or len(check.problems) != before:
        return None
    return Identity(**good)


def services_of(value: Any, check: Checker) -> dict[str, Service] | None:
    path = ("services",)
    if value is None:
        return {}
    if not check.mapping(value, path, "service names to settings"):
        return None
    services = {}
    for name, settings in value.items():
        before = len(check.problems)
        settings = _known_service_type(settings, path + (name, "type"), check)
        good = check.fields(settings, path + (name,), SERVICE_SHAPES, "service settings")
        if good is not None and len(check.problems) == before:
            services[str(name)] = Service(**good)
    return services


def _known_service_type(settings: Any, path: tuple, check: Checker) -> Any:
    """A service's settings without a ``type`` string that names no service azure-ai-ml knows, after a warning.

    Its schema takes any string there (the union of ``JobServiceSchema.type`` ends in a plain string) and sends such
    a service without a type, so a misspelt type is no refusal: it is said, with what it likely meant.
    """
    if not isinstance(settings, dict) or not isinstance(settings.get("type"), str):
        return settings
    if azure_reading(settings["type"], SERVICE_SHAPES["type"]) is not None:
        return settings
    meant = did_you_mean(settings["type"], SERVICE_SHAPES["type"]) or "one of: " + ", ".join(SERVICE_SHAPES["type"])
    check.warn(path, f"{settings['type']!r} names no service type; the SDK sends the service without one ({meant})")
    return {k: v for k, v in settings.items() if k != "type"}


def strings_of(value: Any, path: tuple, check: Checker, what: str) -> dict[str, str] | None:
    """``tags`` or ``properties``: a mapping of names to strings (the schema's ``Dict(Str, Str)``)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        check.error(path, f"expected a mapping of {what}, found {kind_of(value)}")
        return None
    return {str(k): str(v) for k, v in value.items()}


def top_strings(data: dict, check: Checker) -> None:
    """The job's names are strings; ``name`` follows Azure's job-name rule; ``compute: local`` is not for Azure."""
    for key in TOP_STRINGS:
        if data.get(key) is not None and not isinstance(data[key], str):
            check.error((key,), f"expected a string, found {kind_of(data[key])}")
    name = data.get("name")
    if isinstance(name, str) and job_name_problem(name):
        check.error(("name",), job_name_problem(name), "name: my-sweep-1")
    compute = data.get("compute")
    if isinstance(compute, str) and compute.removeprefix("azureml:") == "local":
        # `local` is a command job's compute; the sweep service runs trials on a cluster only
        check.azure_error(
            ("compute",),
            "local: Azure ML runs no sweep on local compute; run it here with `sweep submit --local`, or name a cluster",
            "compute: azureml:cpu-cluster",
        )
