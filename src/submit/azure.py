"""Spec -> ``command(...)(**search_space).sweep(...)``: the Azure ML sweep job, built with the SDK.

The builder follows the SDK's documented path (reference 1.7) rather than ``load_job``: the command is built with a
placeholder input per search-space key, called with the distributions, and ``.sweep()`` turns those into the search
space. ``tests/test_azure_builder.py`` checks that the REST body it produces equals ``load_job(spec)._to_rest_object()``
for every spec in sweep_specs/ and the official-format fixtures.

Submitting the job through ``MLClient`` is ``submit.cloud``'s.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .spec import REFERENCE, REMOTE_PREFIXES, SCHEMA_URL, SweepSpec, reference_of

_POLICY_KEYS = ("evaluation_interval", "delay_evaluation", "slack_factor", "slack_amount", "truncation_percentage")
_LIMIT_KEYS = ("max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout")


# ---------------------------------------------------------------------------------------------------------------
# the builder


def _strip_azureml(ref: str) -> str:
    # the YAML schema strips `azureml:` from compute, environment and asset references (not from `azureml://` URIs);
    # doing the same keeps the body identical to `az ml job create -f`, and the SDK resolves both spellings alike
    return ref[len("azureml:") :] if ref.startswith("azureml:") and not ref.startswith("azureml://") else ref


def _builder_command(command: str) -> str:
    """The trial command as the builder path needs it.

    In ``command(...)`` a search-space value is a node input, so ``${{search_space.k}}`` is written
    ``${{inputs.k}}``; ``Sweep._to_job()`` rewrites it back for every search-space key (reference 1.7). Legacy
    single-brace references become ``${{...}}``, as the YAML path does with its deprecation warning.
    """

    def rewrite(m: re.Match) -> str:
        kind, name = reference_of(m)
        if kind == "search_space":
            return f"${{{{inputs.{name}}}}}"
        return m.group(0) if m.group(1) else f"${{{{{kind}.{name}}}}}"

    return REFERENCE.sub(rewrite, command)


def _environment(spec: SweepSpec):
    env = spec.trial.environment
    if isinstance(env, str):
        return _strip_azureml(env)
    from azure.ai.ml.entities import BuildContext, Environment

    kwargs = {
        k: env[k] for k in ("name", "version", "description", "tags", "os_type", "image") if env.get(k) is not None
    }
    if env.get("conda_file") is not None:
        conda = env["conda_file"]
        # a path resolves against the spec's folder, as load_job resolves it against the YAML's folder
        kwargs["conda_file"] = str(spec.base_dir / conda) if isinstance(conda, str) else conda
    build = env.get("build")
    if isinstance(build, dict):
        path = build.get("path")
        if isinstance(path, str) and not path.startswith(REMOTE_PREFIXES):
            path = str(spec.base_dir / path)
        kwargs["build"] = BuildContext(path=path, dockerfile_path=build.get("dockerfile_path"))
    return Environment(**kwargs)


def _inputs(spec: SweepSpec) -> dict[str, Any]:
    from azure.ai.ml import Input

    raw = spec.data.get("inputs") or {}
    inputs: dict[str, Any] = {}
    for name, value in spec.inputs.items():
        if value.type == "literal":
            inputs[name] = value.value
            continue
        extra = raw.get(name) if isinstance(raw.get(name), dict) else {}
        inputs[name] = Input(
            type=value.type,
            path=_strip_azureml(value.path),
            mode=value.mode,
            description=extra.get("description"),
            datastore=extra.get("datastore"),
        )
    return inputs


def _outputs(spec: SweepSpec) -> dict[str, Any]:
    from azure.ai.ml import Output

    outputs = {}
    for name, settings in spec.outputs.items():
        kwargs = {k: v for k, v in settings.items() if v is not None}
        # YAML: an empty output is a uri_folder (reference 2.2)
        kwargs.setdefault("type", "uri_folder")
        outputs[name] = Output(**kwargs)
    return outputs


def _placeholder(dist) -> Any:
    """A literal input standing in for a search-space key until the command is called with its distribution."""
    for attr in ("min_value", "mu", "upper"):
        if hasattr(dist, attr):
            return getattr(dist, attr)
    first = dist.values[0]
    return first if isinstance(first, (int, float, str)) else "choice"


def _sampling_algorithm(spec: SweepSpec):
    from azure.ai.ml.sweep import BayesianSamplingAlgorithm, GridSamplingAlgorithm, RandomSamplingAlgorithm

    s = spec.sampling
    if s.type == "grid":
        return GridSamplingAlgorithm()
    if s.type == "bayesian":
        return BayesianSamplingAlgorithm()
    # the YAML schema reads a numeric logbase as a float (10 -> 10.0); "e" stays a string
    logbase = s.logbase if s.logbase is None or isinstance(s.logbase, str) else float(s.logbase)
    return RandomSamplingAlgorithm(rule=s.rule, seed=s.seed, logbase=logbase)


def _policy(spec: SweepSpec):
    """The policy object, with only the settings the spec gives (the SDK classes' defaults are those of load_job).

    Objects, never names: the builder's string form breaks for ``median_stopping`` and ``truncation_selection`` and
    gives an all-zero Bandit for ``bandit`` (reference 11.7).
    """
    if spec.policy is None:
        return None
    from azure.ai.ml.sweep import BanditPolicy, MedianStoppingPolicy, TruncationSelectionPolicy

    raw = spec.data.get("early_termination") or {}
    kwargs = {k: raw[k] for k in _POLICY_KEYS if raw.get(k) is not None}
    cls = {
        "bandit": BanditPolicy,
        "median_stopping": MedianStoppingPolicy,
        "truncation_selection": TruncationSelectionPolicy,
    }
    return cls[spec.policy.type](**kwargs)


def _identity(value: Any):
    if not isinstance(value, dict):
        return None
    from azure.ai.ml.entities import AmlTokenConfiguration, ManagedIdentityConfiguration, UserIdentityConfiguration

    kind = str(value.get("type", "")).lower()
    if kind == "managed":
        return ManagedIdentityConfiguration(
            **{k: value[k] for k in ("client_id", "object_id", "msi_resource_id", "principal_id") if k in value}
        )
    if kind == "user_identity":
        return UserIdentityConfiguration()
    if kind == "aml_token":
        return AmlTokenConfiguration()
    return None


def to_azure_job(spec: SweepSpec):
    """The spec as an SDK sweep node: ``command(...)(**distributions).sweep(...)``, limits and names set.

    ``ml_client.jobs.create_or_update(to_azure_job(spec))`` submits it; ``._to_job()`` gives the ``SweepJob``.
    """
    from azure.ai.ml import command

    space = spec.search_space.to_azure()
    inputs = _inputs(spec)
    inputs.update({name: _placeholder(dist) for name, dist in spec.search_space.items()})
    trial = spec.trial
    kwargs: dict[str, Any] = dict(
        command=_builder_command(trial.command),
        environment=_environment(spec),
        environment_variables=dict(trial.environment_variables),
        inputs=inputs,
        outputs=_outputs(spec),
    )
    if trial.code is not None:
        kwargs["code"] = trial.code
    if trial.resources:
        kwargs["resources"] = dict(trial.resources)
    if trial.distribution:
        kwargs["distribution"] = dict(trial.distribution)
    if spec.compute:
        kwargs["compute"] = _strip_azureml(spec.compute)

    node = command(**kwargs)(**space)
    sweep_kwargs: dict[str, Any] = dict(
        primary_metric=spec.objective.primary_metric,
        goal=spec.objective.goal,
        sampling_algorithm=_sampling_algorithm(spec),
        early_termination_policy=_policy(spec),
    )
    if spec.compute:
        sweep_kwargs["compute"] = _strip_azureml(spec.compute)
    identity = _identity(spec.data.get("identity"))
    if identity is not None:
        sweep_kwargs["identity"] = identity
    sweep = node.sweep(**sweep_kwargs)

    # only the limits the spec gives, as ints: set_limits floors 1..59 s to 60 s as load_job does, and would drop
    # anything else silently (reference 11.11); spec validation has already rejected non-integers
    raw_limits = spec.data.get("limits") or {}
    sweep.set_limits(**{k: int(raw_limits[k]) for k in _LIMIT_KEYS if raw_limits.get(k) is not None})

    # calling a command node drops experiment_name and description (reference 1.7): set them on the sweep node
    for attr in ("name", "display_name", "experiment_name", "description"):
        value = getattr(spec, attr)
        if value is not None:
            setattr(sweep, attr, value)
    if spec.tags:
        sweep.tags = dict(spec.tags)
    properties = spec.data.get("properties")
    if isinstance(properties, dict):
        sweep.properties = {str(k): str(v) for k, v in properties.items()}
    return sweep


def rest_body(job) -> dict[str, Any]:
    """The JSON body the SDK would PUT for a sweep node or job (before assets are resolved to ARM ids)."""
    if hasattr(job, "_to_job"):
        job = job._to_job()
    return job._to_rest_object().as_dict()


def job_yaml(spec: SweepSpec) -> str:
    """The exact job as sweep job YAML (what ``--dry-run`` prints); ``az ml job create -f`` accepts it."""
    job = to_azure_job(spec)._to_job()
    data = {"$schema": SCHEMA_URL, **json.loads(json.dumps(job._to_dict()))}  # OrderedDicts -> plain YAML
    for name, value in spec.inputs.items():
        # the SDK dumps a local input path as `azureml:/abs/path`, which would read back as an asset name
        if value.path is not None and not value.is_remote:
            data["inputs"][name]["path"] = value.path
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)
