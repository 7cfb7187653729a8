"""Spec -> ``command(...)(**search_space).sweep(...)``; submit through ``MLClient``.

The builder follows the SDK's documented path (reference 1.7) rather than ``load_job``: the command is built with a
placeholder input per search-space key, called with the distributions, and ``.sweep()`` turns those into the search
space. ``tests/test_azure_builder.py`` checks that the REST body it produces equals ``load_job(spec)._to_rest_object()``
for every spec in sweep_specs/ and the official-format fixtures.

Submission (``submit_job``) takes an ``MLClient`` built by ``make_client``, whose credential and HTTP transport can be
injected, so tests drive the real client against a recorded REST conversation. Every Azure failure becomes a
one-line ``UserError`` (``azure_error``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .command import parse_command
from .errors import UserError
from .model import SCHEMA_URL, SweepSpec

ENV_SUBSCRIPTION = "AZURE_SUBSCRIPTION_ID"
ENV_RESOURCE_GROUP = "AZURE_RESOURCE_GROUP"
ENV_WORKSPACE = "AZUREML_WORKSPACE_NAME"


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
    gives an all-zero Bandit for ``bandit`` (reference 11.7).
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
    # anything else silently (reference 11.11); spec validation has already rejected non-integers
    sweep.set_limits(**{k: int(v) for k, v in spec.limits.settings().items()})

    # calling a command node drops experiment_name and description (reference 1.7): set them on the sweep node
    for attr in ("name", "display_name", "experiment_name", "description"):
        value = getattr(spec, attr)
        if value is not None:
            setattr(sweep, attr, value)
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
        # the SDK dumps a local input path as `azureml:/abs/path`, which would read back as an asset name
        if value.path is not None and not value.is_remote:
            data["inputs"][name]["path"] = value.path
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)


# ---------------------------------------------------------------------------------------------------------------
# submission


@dataclass
class Workspace:
    subscription: str
    resource_group: str
    name: str
    source: str  # where it came from, for messages: "options", "options and environment", "config.json"


_NO_WORKSPACE = (
    "no Azure ML workspace given: pass --subscription, --resource-group and --workspace, or set "
    f"{ENV_SUBSCRIPTION}, {ENV_RESOURCE_GROUP} and {ENV_WORKSPACE}, or put the workspace's config.json (studio: "
    "workspace menu > Download config file) in this folder, a parent folder, or a .azureml/ folder in one of them"
)


def find_workspace(
    subscription: str | None = None,
    resource_group: str | None = None,
    workspace: str | None = None,
    *,
    start: str | Path | None = None,
) -> Workspace:
    """The workspace to submit to: options first, then environment variables, then config.json.

    The options arrive already merged with the environment (the CLI's Typer options read the variables), so here
    the variables only fill what the caller left out. A config.json is found as ``MLClient.from_config`` finds it
    (``.azureml/``, ``aml_config/`` or the folder itself, from ``start`` upwards) and only fills what is still
    missing, so ``--workspace other`` with a config.json submits to ``other`` in the config's resource group.
    """
    given = {
        "subscription": subscription or os.environ.get(ENV_SUBSCRIPTION),
        "resource_group": resource_group or os.environ.get(ENV_RESOURCE_GROUP),
        "name": workspace or os.environ.get(ENV_WORKSPACE),
    }
    if all(given.values()):
        source = "options" if subscription and resource_group and workspace else "options and environment"
        return Workspace(source=source, **given)  # type: ignore[arg-type]

    from azure.ai.ml import MLClient
    from azure.ai.ml.exceptions import ValidationException

    try:
        # from_config only reads the file; the credential is not used until a request is made
        found = MLClient.from_config(credential=_NoCredential(), path=start, show_progress=False)
    except ValidationException as e:
        if "could not find" not in e.message:  # found, but without subscription_id, resource_group, workspace_name
            raise UserError(" ".join(e.message.split())) from e
        missing = [
            opt
            for opt, key in (
                ("--subscription", "subscription"),
                ("--resource-group", "resource_group"),
                ("--workspace", "name"),
            )
            if not given[key]
        ]
        raise UserError(
            f"{_NO_WORKSPACE} (missing: {', '.join(missing)}; no config.json from {Path(start or '.').resolve()} upwards)"
        ) from e
    except ValueError as e:  # json.JSONDecodeError: a config.json that is not JSON
        raise UserError(
            f"the workspace config.json found from {Path(start or '.').resolve()} upwards is not JSON: {e}"
        ) from e
    return Workspace(
        subscription=given["subscription"] or found.subscription_id,
        resource_group=given["resource_group"] or found.resource_group_name,
        name=given["name"] or found.workspace_name,
        source="config.json",
    )


class _NoCredential:
    """For reading config.json through ``MLClient.from_config``, which needs a credential but sends nothing."""

    def get_token(self, *scopes, **kwargs):
        raise RuntimeError("find_workspace makes no request")


def make_client(target: Workspace, credential=None, **client_kwargs):
    """An ``MLClient`` for the workspace; ``credential`` defaults to ``DefaultAzureCredential``.

    ``client_kwargs`` reach the client's azure-core pipelines (``transport=``, ``retry_total=``), which is how the
    tests put a recorded REST API under the real client.
    """
    from azure.ai.ml import MLClient

    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    client_kwargs.setdefault("show_progress", False)
    return MLClient(credential, target.subscription, target.resource_group, target.name, **client_kwargs)


def check_workspace(ml_client, target: Workspace) -> None:
    """GET the workspace once before anything is uploaded: a wrong name fails here, with a clear message."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        ml_client.workspaces.get(target.name)
    except ResourceNotFoundError as e:
        raise UserError(
            f"Azure ML workspace {target.name!r} not found in resource group {target.resource_group!r} of "
            f"subscription {target.subscription} (from {target.source}): check --workspace, --resource-group and "
            f"--subscription, or that your account can see it ({_service_message(e)})"
        ) from e


def submit_job(ml_client, spec: SweepSpec):
    """Submit one spec as a sweep job; returns the created ``SweepJob`` (its ``name``, ``studio_url``)."""
    return ml_client.jobs.create_or_update(to_azure_job(spec))


def _status(status) -> str:
    return str(getattr(status, "value", status))


def wait_for(ml_client, name: str, log=None) -> str:
    """Stream the sweep's log until it ends (``jobs.stream``); returns its final status (``Completed``, ...).

    The SDK writes the log to stdout; ``log`` sends it elsewhere (stderr under ``--json``, whose stdout is data).
    """
    try:
        with redirect_stdout(log or sys.stdout):
            ml_client.jobs.stream(name)
        failure = None
    except Exception as e:  # a failed or canceled sweep ends the stream with an exception: its status says which
        failure = e
    try:
        status = _status(ml_client.jobs.get(name).status)
    except Exception as e:
        raise azure_error(e) from e
    if failure is not None and status == "Completed":
        raise azure_error(failure) from failure
    return status


def _service_message(exc) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    message = " ".join(str(message).split())  # one line: the service's messages carry newlines
    return f"{code}: {message}" if code and code not in message else message


def _where(spec: SweepSpec) -> str:
    return str(spec.path) if spec.path else "<spec>"


def _root_azure_error(exc: BaseException) -> BaseException:
    """The azure-core error under the SDK's wrappers (it re-raises some as MlException, the original as cause)."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    chain = [exc]
    while len(chain) < 20 and (chain[-1].__cause__ or chain[-1].__context__) is not None:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)
    wanted = (ClientAuthenticationError, ServiceRequestError, HttpResponseError)
    return next((e for e in chain if isinstance(e, wanted)), exc)


def azure_error(exc: BaseException, *, spec: SweepSpec | None = None) -> UserError:
    """One line a user can act on, for any failure of the Azure path."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    what = f"{_where(spec)}: " if spec is not None else ""
    root = _root_azure_error(exc)
    if isinstance(root, ClientAuthenticationError) and getattr(root, "status_code", None) is None:
        first = str(root).strip().splitlines()[0] if str(root).strip() else type(root).__name__
        return UserError(
            "no Azure credentials: sign in with `az login` (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
            f"AZURE_CLIENT_SECRET for a service principal), then submit again ({first})"
        )
    if isinstance(root, ClientAuthenticationError):
        return UserError(
            f"{what}Azure refused the credentials ({_service_message(root)}): sign in again with `az login`"
        )
    if isinstance(root, ServiceRequestError):
        return UserError(
            f"{what}cannot reach Azure ({' '.join(str(root).split())[:200]}): check the network connection or proxy"
        )
    if isinstance(root, HttpResponseError):
        status = f"{root.status_code} " if root.status_code else ""
        return UserError(f"{what}Azure ML refused the job ({status}{_service_message(root)})")
    return UserError(f"{what}submission failed: {' '.join(str(exc).split())}")


def submit_cli(
    specs,
    *,
    dry_run: bool,
    wait: bool,
    subscription,
    resource_group,
    workspace,
    as_json: bool,
    out,
    err,
    credential=None,
    **client_kwargs,
) -> int:
    """``sweep submit`` for the cloud: one sweep job per spec; returns the exit code.

    ``--dry-run`` prints each job as YAML (``---`` between them) and contacts nothing. Otherwise the workspace is
    found (``find_workspace``), checked, and every spec submitted in turn; each job's name and studio URL are printed
    as soon as it exists, so a failure of a later spec loses nothing. ``credential`` and ``client_kwargs`` are for
    callers that bring their own (tests inject a transport).
    """
    if dry_run:
        if as_json:
            jobs = [{"spec": _where(s), "name": s.name, "job": yaml.safe_load(job_yaml(s))} for s in specs]
            out.print(json.dumps(jobs, indent=2), markup=False)
        else:
            out.print("---\n".join(job_yaml(s) for s in specs), markup=False, end="")
        return 0

    with _quiet_azure_logs():
        return _submit_all(
            specs,
            wait=wait,
            subscription=subscription,
            resource_group=resource_group,
            workspace=workspace,
            as_json=as_json,
            out=out,
            err=err,
            credential=credential,
            **client_kwargs,
        )


@contextmanager
def _quiet_azure_logs():
    """The SDK logs each failure itself, in many lines (azure-identity lists every credential it tried, telemetry
    logs the failed activity); Python's last-resort handler would print them all. The one line we print says it."""
    logger = logging.getLogger("azure")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _submit_all(
    specs, *, wait, subscription, resource_group, workspace, as_json, out, err, credential, **client_kwargs
) -> int:
    submitted: list[dict[str, Any]] = []
    local = [s for s in specs if s.compute is not None and _strip_azureml(s.compute) == "local"]
    if local:
        # the SDK cannot submit a sweep to local compute (AttributeError inside create_or_update, reference 11.6)
        err.print(
            "\n".join(
                f"{_where(s)}: compute: local: Azure ML runs no sweep on local compute; run it here with `sweep submit --local`, or name a cluster"
                for s in local
            ),
            markup=False,
        )
        return 2
    try:
        target = find_workspace(subscription, resource_group, workspace)
        ml_client = make_client(target, credential, **client_kwargs)
        check_workspace(ml_client, target)
    except UserError as e:
        err.print(str(e), markup=False)
        return e.exit_code
    except Exception as e:  # the SDK wraps azure-core errors in its own; every one becomes a line
        err.print(str(azure_error(e)), markup=False)
        return 1

    code = 0
    for spec in specs:
        try:
            job = submit_job(ml_client, spec)
        except Exception as e:  # every SDK failure becomes one line; the next spec is still submitted
            err.print(str(azure_error(e, spec=spec)), markup=False)
            code = 1
            continue
        entry = {"spec": _where(spec), "name": job.name, "studio_url": job.studio_url, "status": _status(job.status)}
        submitted.append(entry)
        if not as_json:
            out.print(f"{_where(spec)}: submitted {job.name}\n  {job.studio_url}", markup=False)
        if wait:
            try:
                entry["status"] = wait_for(ml_client, job.name, log=sys.stderr if as_json else None)
            except UserError as e:
                err.print(f"{_where(spec)}: {e}", markup=False)
                code = 1
                continue
            if entry["status"] != "Completed":
                code = 1
            if not as_json:
                out.print(f"{job.name}: {entry['status']}", markup=False)
    if as_json:
        out.print(json.dumps(submitted, indent=2), markup=False)
    return code
