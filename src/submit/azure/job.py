"""Spec -> ``command(...)(**search_space).sweep(...)``: the Azure ML sweep job, built with the SDK.

The builder follows the SDK's documented path (docs/semantics.md, "Azure SDK facts the submitter relies on") rather
than ``load_job``: the command is built with a placeholder input per search-space key, called with the distributions,
and ``.sweep()`` turns those into the search space. ``tests/test_azure_builder.py`` checks that the REST body it
produces equals ``load_job(spec)._to_rest_object()`` for every spec in sweep_specs/, the official-format fixtures and
the official corpus (tests/fixtures/official/azure-ai-ml, azureml-examples).

Submitting the job through ``MLClient`` is ``submit.azure.client``'s.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..spec.grammar import parse_command
from ..spec.model import SCHEMA_URL, SweepSpec

# ---------------------------------------------------------------------------------------------------------------
# the builder


def _strip_azureml(ref: str) -> str:
    # the YAML schema strips `azureml:` from compute, environment and asset references (not from `azureml://` URIs);
    # doing the same keeps the body identical to `az ml job create -f`, and the SDK resolves both spellings alike
    return ref[len("azureml:") :] if ref.startswith("azureml:") and not ref.startswith("azureml://") else ref


def _builder_command(command: str) -> str:
    """The trial command as the builder path needs it.

    In ``command(...)`` a search-space value is a node input, so ``${{search_space.k}}`` is written
    ``${{inputs.k}}``; ``Sweep._to_job()`` rewrites it back for every search-space key. Legacy
    single-brace references become ``${{...}}``, as the YAML path does with its deprecation warning.
    """
    return parse_command(command).rewrite(
        lambda ref: f"${{{{inputs.{ref.name}}}}}" if ref.kind == "search_space" else ref.modern
    )


def _environment(spec: SweepSpec):
    env = spec.trial.environment
    if isinstance(env, str):
        return _strip_azureml(env)
    from azure.ai.ml.entities import BuildContext, Environment

    given = dict(
        name=env.name,
        version=env.version,
        description=env.description,
        tags=env.tags,
        os_type=env.os_type,
        image=env.image,
        conda_file=env.conda_file,  # a path the loader resolved against the spec's folder, as load_job does
    )
    kwargs = {k: v for k, v in given.items() if v is not None}
    if env.build is not None:
        kwargs["build"] = BuildContext(path=env.build.path, dockerfile_path=env.build.dockerfile_path)
    return Environment(**kwargs)


def _inputs(spec: SweepSpec) -> dict[str, Any]:
    from azure.ai.ml import Input

    inputs: dict[str, Any] = {}
    for name, value in spec.inputs.items():
        if value.type == "literal":
            inputs[name] = value.value
            continue
        inputs[name] = Input(
            type=value.type,
            path=_strip_azureml(value.path),
            mode=value.mode,
            description=value.description,
            datastore=value.datastore,
        )
    return inputs


def _outputs(spec: SweepSpec) -> dict[str, Any]:
    from azure.ai.ml import Output

    return {name: Output(**output.settings()) for name, output in spec.outputs.items()}


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
    gives an all-zero Bandit for ``bandit`` (docs/semantics.md, "Azure SDK facts the submitter relies on").
    """
    if spec.policy is None:
        return None
    from azure.ai.ml.sweep import BanditPolicy, MedianStoppingPolicy, TruncationSelectionPolicy

    cls = {
        "bandit": BanditPolicy,
        "median_stopping": MedianStoppingPolicy,
        "truncation_selection": TruncationSelectionPolicy,
    }
    return cls[spec.policy.type](**spec.policy.settings())


def _identity(spec: SweepSpec):
    identity = spec.identity
    if identity is None:
        return None
    from azure.ai.ml.entities import AmlTokenConfiguration, ManagedIdentityConfiguration, UserIdentityConfiguration

    if identity.type in ("managed", "managed_identity"):
        # the YAML's msi_resource_id is the SDK's resource_id (RestJobManagedIdentity.resource_id)
        return ManagedIdentityConfiguration(
            client_id=identity.client_id, object_id=identity.object_id, resource_id=identity.msi_resource_id
        )
    if identity.type == "user_identity":
        return UserIdentityConfiguration()
    return AmlTokenConfiguration()


def _job_settings(sweep, spec: SweepSpec) -> None:
    """The sweep's own ``resources`` and ``queue_settings``, as SDK objects: load_job sends both, and ``.sweep()``
    takes neither (its ``queue_settings`` keyword is the command node's), so they are set on the node."""
    from azure.ai.ml.entities import JobResourceConfiguration, QueueSettings

    if spec.resources is not None and spec.resources.settings():
        # an object, not a dict: SweepJob._to_rest_object sends only a JobResourceConfiguration
        sweep.resources = JobResourceConfiguration(**spec.resources.settings())
    if spec.queue_settings is not None and spec.queue_settings.settings():
        sweep.queue_settings = QueueSettings(**spec.queue_settings.settings())


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
        kwargs["code"] = _strip_azureml(trial.code)
    if trial.resources is not None and trial.resources.settings():
        kwargs["resources"] = trial.resources.settings()
    if trial.distribution is not None:
        kwargs["distribution"] = trial.distribution.settings()
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
    identity = _identity(spec)
    if identity is not None:
        sweep_kwargs["identity"] = identity
    sweep = node.sweep(**sweep_kwargs)

    # only the limits the spec gives, as ints: set_limits floors 1..59 s to 60 s as load_job does, and would drop
    # anything else silently (docs/semantics.md, "Azure SDK facts"); validation has already rejected non-integers
    sweep.set_limits(**{k: int(v) for k, v in spec.limits.settings().items()})

    # calling a command node drops experiment_name and description: set them on the sweep node
    for attr in ("name", "display_name", "experiment_name", "description"):
        value = getattr(spec, attr)
        if value is not None:
            setattr(sweep, attr, value)
    _job_settings(sweep, spec)
    if spec.tags:
        sweep.tags = dict(spec.tags)
    if spec.properties is not None:
        sweep.properties = dict(spec.properties)
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
        # the SDK dumps every data path behind `azureml:` (`azureml:https://...`, `azureml:/abs/path`), which reads back
        # as an asset name; the path as written (a local one resolved) reads back as the same input
        if value.path is not None:
            data["inputs"][name]["path"] = value.path
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)
