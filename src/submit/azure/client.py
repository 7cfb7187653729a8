"""Azure ML as a library: find the workspace, connect, submit a spec, wait for the sweep. Returns data, prints nothing.

``connect`` builds an ``MLClient`` whose credential and HTTP transport can be injected, so tests drive the real
client against a recorded REST conversation. Every Azure failure becomes a one-line ``AzureError`` (``azure_error``);
the CLI decides what to print and which exit code it means.

    client = connect(find_workspace())
    job = submit(load_spec("spec.yaml"), client)          # SubmittedJob(name, studio_url, status, spec)
    final = wait_for(client, job.name, on_log=print)       # "Completed", "Failed", "Canceled"
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from ..errors import AzureError, AzureUnreachable, NoWorkspace, UserError
from ..spec.model import SweepSpec
from .job import to_azure_job

ENV_SUBSCRIPTION = "AZURE_SUBSCRIPTION_ID"
ENV_RESOURCE_GROUP = "AZURE_RESOURCE_GROUP"
ENV_WORKSPACE = "AZUREML_WORKSPACE_NAME"


@dataclass
class Workspace:
    subscription: str
    resource_group: str
    name: str
    source: str  # where it came from, for messages: "options", "options and environment", "config.json"


@dataclass(frozen=True)
class SubmittedJob:
    """A sweep job Azure ML accepted: its name, where to watch it in the studio, its status when created."""

    spec: str  # the spec's path, or "<spec>"
    name: str
    studio_url: str | None
    status: str


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

    if not _config_file_exists(Path(start or ".")):  # said here without importing azure-ai-ml (3-4 s)
        raise NoWorkspace(_no_config_message(given, start))
    from azure.ai.ml import MLClient
    from azure.ai.ml.exceptions import ValidationException

    try:
        # from_config only reads the file; the credential is not used until a request is made
        found = MLClient.from_config(credential=_NoCredential(), path=start, show_progress=False)
    except ValidationException as e:
        if "could not find" not in e.message:  # found, but without subscription_id, resource_group, workspace_name
            raise AzureError(" ".join(e.message.split())) from e
        raise NoWorkspace(_no_config_message(given, start)) from e
    except ValueError as e:  # json.JSONDecodeError: a config.json that is not JSON
        raise AzureError(
            f"the workspace config.json found from {Path(start or '.').resolve()} upwards is not JSON: {e}"
        ) from e
    return Workspace(
        subscription=given["subscription"] or found.subscription_id,
        resource_group=given["resource_group"] or found.resource_group_name,
        name=given["name"] or found.workspace_name,
        source="config.json",
    )


def _no_config_message(given: dict, start) -> str:
    flags = (("--subscription", "subscription"), ("--resource-group", "resource_group"), ("--workspace", "name"))
    missing = [opt for opt, key in flags if not given[key]]
    return (
        f"{_NO_WORKSPACE} (missing: {', '.join(missing)}; no config.json from {Path(start or '.').resolve()} upwards)"
    )


def _config_file_exists(start: Path, levels: int = 20) -> bool:
    """Whether ``MLClient.from_config`` would find a file from ``start``: the file itself, or config.json or
    project.json in ``.azureml/``, ``aml_config/`` or the folder, from ``start`` up to ``levels`` folders above
    (the SDK's own search, ``traverse_up_path_and_find_file``)."""
    if start.is_file():
        return True
    folder = Path(os.path.realpath(start))
    for _ in range(levels + 1):
        for sub in (".azureml", "aml_config", ""):
            if any((folder / sub / name).is_file() for name in ("config.json", "project.json")):
                return True
        if folder.parent == folder:
            return False
        folder = folder.parent
    return False


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
        raise AzureError(
            f"Azure ML workspace {target.name!r} not found in resource group {target.resource_group!r} of "
            f"subscription {target.subscription} (from {target.source}): check --workspace, --resource-group and "
            f"--subscription, or that your account can see it ({_service_message(e)})"
        ) from e


def connect(target: Workspace | None = None, credential=None, **client_kwargs):
    """A checked ``MLClient`` for ``target`` (default: ``find_workspace()``); raises ``AzureError`` if it cannot be."""
    target = target or find_workspace()
    try:
        ml_client = make_client(target, credential, **client_kwargs)
        check_workspace(ml_client, target)
    except UserError:
        raise
    except Exception as e:  # the SDK wraps azure-core errors in its own; every one becomes a line
        raise azure_error(e) from e
    return ml_client


def refuse_local_compute(specs: Iterable[SweepSpec]) -> None:
    """Raise, naming every spec that Azure would refuse but a local run accepts, before anything is sent.

    Which specs those are is decided where the spec is validated (``SweepSpec.azure_problems``, today
    ``compute: local``: the SDK cannot submit a sweep to local compute); here they are named by their file.
    """
    lines = [f"{_where(s)}: {p.path}: {p.message}" for s in specs for p in s.azure_problems]
    if lines:
        raise UserError("\n".join(lines))


def submit_job(ml_client, spec: SweepSpec):
    """Submit one spec as a sweep job; returns the created SDK ``SweepJob``. ``submit`` is the checked form."""
    return ml_client.jobs.create_or_update(to_azure_job(spec))


def submit(spec: SweepSpec, ml_client) -> SubmittedJob:
    """Submit one spec through a client from ``connect``; raises ``AzureError`` with the spec's path if refused."""
    refuse_local_compute([spec])
    return created(ml_client, lambda: to_azure_job(spec), spec)


def created(ml_client, build: Callable[[], object], spec) -> SubmittedJob:
    """``jobs.create_or_update`` of the job ``build()`` makes (a sweep, or a pipeline: ``submit.pipeline``), with
    ``spec``'s file named in the one-line ``AzureError`` any SDK failure becomes, building the job included."""
    try:
        job = ml_client.jobs.create_or_update(build())
    except Exception as e:  # every SDK failure becomes one line
        raise azure_error(e, spec=spec) from e
    return SubmittedJob(spec=_where(spec), name=job.name, studio_url=job.studio_url, status=_status(job.status))


def _status(status) -> str:
    return str(getattr(status, "value", status))


class _Lines:
    """A text stream that hands each complete line to a callback (the SDK writes the sweep's log to stdout)."""

    def __init__(self, on_line: Callable[[str], object] | None):
        self.on_line, self.buffer = on_line, ""

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            if self.on_line is not None:
                self.on_line(line)
        return len(text)

    def flush(self) -> None:
        if self.buffer and self.on_line is not None:
            self.on_line(self.buffer)
        self.buffer = ""


TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding")  # Azure ML's final job statuses
STATUS_POLL_S = 10.0  # how often the status is read once the log stream broke (the SDK's stream polls every 2-10 s)


def wait_for(
    ml_client,
    name: str,
    on_log: Callable[[str], object] | None = None,
    on_notice: Callable[[str], object] | None = None,
    sleep: Callable[[float], object] | None = None,
) -> str:
    """Follow the sweep's log until it ends (``jobs.stream``); returns its final status (``Completed``, ...).

    Each line of the log goes to ``on_log`` as it arrives (without its newline); without one it is dropped. A failed
    or canceled sweep ends the stream with an exception, and its status says which. A stream that breaks while the
    sweep still runs (a dropped connection, a log the service cannot serve) is said once to ``on_notice`` and the
    job's status is read every ``STATUS_POLL_S`` seconds instead until it is final: as unbounded as the stream
    itself, which the sweep's own ``limits.timeout`` ends on Azure's side.
    """
    lines = _Lines(on_log)
    try:
        with redirect_stdout(lines):  # type: ignore[type-var]
            ml_client.jobs.stream(name)
        failure = None
    except Exception as e:
        failure = e
    finally:
        lines.flush()
    status = _job_status(ml_client, name)
    if failure is not None and status == "Completed":
        raise azure_error(failure) from failure
    if failure is None or status in TERMINAL:
        return status
    if on_notice is not None:
        reason = " ".join(str(failure).split())[:200] or type(failure).__name__
        on_notice(
            f"the log stream of {name} broke ({reason}); it is {status}: reading its status every "
            f"{STATUS_POLL_S:g} s until it ends"
        )
    wait = sleep or time.sleep
    while status not in TERMINAL:
        wait(STATUS_POLL_S)
        status = _job_status(ml_client, name)
    return status


def _job_status(ml_client, name: str) -> str:
    try:
        return _status(ml_client.jobs.get(name).status)
    except Exception as e:
        raise azure_error(e) from e


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


def azure_error(exc: BaseException, *, spec: SweepSpec | None = None) -> AzureError:
    """One line a user can act on, for any failure of the Azure path."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    what = f"{_where(spec)}: " if spec is not None else ""
    root = _root_azure_error(exc)
    if isinstance(root, ClientAuthenticationError) and getattr(root, "status_code", None) is None:
        first = str(root).strip().splitlines()[0] if str(root).strip() else type(root).__name__
        return AzureUnreachable(
            "no Azure credentials: sign in with `az login` (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
            f"AZURE_CLIENT_SECRET for a service principal), then submit again ({first})"
        )
    if isinstance(root, ClientAuthenticationError):
        return AzureError(
            f"{what}Azure refused the credentials ({_service_message(root)}): sign in again with `az login`"
        )
    if isinstance(root, ServiceRequestError):
        return AzureUnreachable(
            f"{what}cannot reach Azure ({' '.join(str(root).split())[:200]}): check the network connection or proxy"
        )
    if isinstance(root, HttpResponseError):
        status = f"{root.status_code} " if root.status_code else ""
        return AzureError(f"{what}Azure ML refused the job ({status}{_service_message(root)})")
    return AzureError(f"{what}submission failed: {' '.join(str(exc).split())}")
