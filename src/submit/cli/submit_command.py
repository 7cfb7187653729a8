"""`sweep submit`: parse the options, refuse the ones that clash, hand the specs to the local or the cloud path.

Only options the user typed can clash: ``--subscription`` and friends also read environment variables, and a
variable set in the shell says nothing about this one command.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import OptionError
from . import codes
from .common import err, load_specs, out, reported, show_warnings
from .env_check import SKIP, SKIP_HELP, check_environments
from .plan_command import PREFLIGHT_HELP, PREFLIGHT_SECONDS_HELP, preflight_all

if TYPE_CHECKING:
    from ..emulator.options import LocalOptions

_SPECS = typer.Argument(..., help="Sweep spec YAML files; each becomes one sweep job.", show_default=False)
_SET = typer.Option([], "--set", help="Override a key: --set limits.max_total_trials=4")
_DRY_RUN = typer.Option(False, "--dry-run", help="Print the exact job as YAML; contact nothing.")
_LOCAL = typer.Option(False, "--local", help="Run the sweep on this machine under the emulator.")
_WAIT = typer.Option(False, "--wait", help="Cloud: stream the sweep's log until it ends.")
_SUBSCRIPTION = typer.Option(None, "--subscription", envvar="AZURE_SUBSCRIPTION_ID", help="Azure subscription id.")
_GROUP = typer.Option(None, "--resource-group", "-g", envvar="AZURE_RESOURCE_GROUP", help="Resource group.")
_WORKSPACE = typer.Option(None, "--workspace", "-w", envvar="AZUREML_WORKSPACE_NAME", help="Azure ML workspace.")
_INPUT = typer.Option([], "--input", help="Local: NAME=PATH stands in for a remote input.")
_MAX_CONCURRENT = typer.Option(None, "--max-concurrent", min=1, help="Local: cap concurrent trials.")
_TRACKING_URI = typer.Option(
    None, "--tracking-uri", help="Local: MLflow store (default: ./mlflow.db, the store `mlflow ui` opens here)."
)
_NAME = typer.Option(None, "--name", help="Local: the sweep's name.")
_RESUME = typer.Option(None, "--resume", help="Local: continue an interrupted sweep by name.")
_ENV = typer.Option(
    [],
    "--env",
    help="Local: pass a variable to every trial, NAME (its value here) or NAME=VALUE; trials get no others but "
    "PATH, HOME, locale, temp, Python and MLFLOW_* settings.",
)
_LOCK = typer.Option(None, "--lock", help="Local: run exactly the trials of a lock file (`sweep plan --lock FILE`).")
_PREFLIGHT = typer.Option(False, "--preflight", help=PREFLIGHT_HELP + " Submits nothing if it finds a problem.")
_PREFLIGHT_SECONDS = typer.Option(60.0, "--preflight-seconds", help=PREFLIGHT_SECONDS_HELP)
_KEEP_WORK = typer.Option(
    False,
    "--keep-work",
    help="Local: keep each finished trial's code copy and log in .sweep/ (the log is an artifact).",
)
_JSON = typer.Option(False, "--json", help="Print a machine-readable summary on stdout.")
_CONTINUE = typer.Option(
    None,
    "--continue",
    metavar="ID",
    help="Submit only what sweep ID (local or cloud) did not complete: its missing grid points, or its trial "
    "budget left; tagged `continues: ID`.",
)
_SKIP_ENV = typer.Option(False, SKIP, help=SKIP_HELP)
_ISOLATED = typer.Option(
    False,
    "--isolated",
    help="Local: run the trials in a virtual environment built with uv from the spec's environment (cached).",
)
_REBUILD_ENV = typer.Option(False, "--rebuild-env", help="Local, with --isolated: rebuild the cached environment.")

# the parameters only one path takes, by name (their flags are read from the command, see typed_options)
CLOUD_ONLY = ("wait", "subscription", "resource_group", "workspace")
# `sweep submit` parameter -> the LocalOptions field it sets (local_options builds them in one place): a new local
# option is a LocalOptions field, its parameter above and its line here
LOCAL_FIELDS = {
    "input_": "inputs",
    "max_concurrent": "max_concurrent",
    "tracking_uri": "tracking_uri",
    "name": "name",
    "resume": "resume",
    "env": "env",
    "keep_work": "keep_work",
}
# LocalOptions fields no flag sets: the CLI fills in on_event (the live progress) and environment (--isolated's), the
# others keep the library's defaults
NOT_FLAGS = (
    "on_event",
    "environment",
    "poll_seconds",
    "cancel_grace",
    "tracking_server",
    "server_command",
    "parent_run",
)
# local parameters the CLI turns into something else: a sampler (--lock), the trials' environment (--isolated)
LOCAL_ONLY = (*LOCAL_FIELDS, "lock", "isolated", "rebuild_env")


def submit(
    ctx: typer.Context,
    specs: list[Path] = _SPECS,
    set_: list[str] = _SET,
    dry_run: bool = _DRY_RUN,
    local: bool = _LOCAL,
    wait: bool = _WAIT,
    subscription: str | None = _SUBSCRIPTION,
    resource_group: str | None = _GROUP,
    workspace: str | None = _WORKSPACE,
    input_: list[str] = _INPUT,
    max_concurrent: int | None = _MAX_CONCURRENT,
    tracking_uri: str | None = _TRACKING_URI,
    name: str | None = _NAME,
    resume: str | None = _RESUME,
    env: list[str] = _ENV,
    lock: Path | None = _LOCK,
    preflight: bool = _PREFLIGHT,
    preflight_seconds: float = _PREFLIGHT_SECONDS,
    keep_work: bool = _KEEP_WORK,
    json_: bool = _JSON,
    continue_: str | None = _CONTINUE,
    skip_env_check: bool = _SKIP_ENV,
    isolated: bool = _ISOLATED,
    rebuild_env: bool = _REBUILD_ENV,
) -> None:
    """Submit sweeps to Azure ML, print them (--dry-run), or run them here (--local)."""
    from ..preflight.trial import split_values

    with reported():
        clash = option_clash(typed_options(ctx))
        if clash:
            raise OptionError(clash)
        values, set_ = split_values(set_) if preflight else ({}, set_)
        # a pipeline is validated, printed, submitted to Azure and run here; the rest refuse it in one line (the sweep
        # loader's)
        loaded = load_specs(specs, set_, pipelines=not (preflight or continue_))
        check_environments(
            loaded, err, skip=skip_env_check, notes=False
        )  # before anything runs or is sent, as validate does
        show_warnings(loaded, err)  # what `sweep validate` would say, before anything runs or is sent
        if continue_:
            from .continue_command import continued
            from .monitor import places

            where = places(tracking_uri, subscription, resource_group, workspace, False, False)
            loaded = continued(loaded, continue_, where=where, out=err if json_ else out, err=err)
            if not loaded:  # nothing left: the line said so; --json gets an empty list of jobs
                if json_:
                    out.print("[]", markup=False)
                raise typer.Exit(codes.SUCCESS)
        if preflight:
            reports = preflight_all(loaded, values=values, seconds=preflight_seconds, inputs=input_, show=err)
            if not all(r.ok for r in reports):
                err.print("preflight found a problem: nothing submitted or run", markup=False, highlight=False)
                raise typer.Exit(codes.PREFLIGHT)
        if local:
            from .local_run import run_here  # lazy: `sweep --help` needs neither path

            options = local_options(ctx.params)
            code = run_here(
                loaded, options, lock=lock, isolated=isolated, rebuild_env=rebuild_env, as_json=json_, out=out, err=err
            )
        else:
            from .cloud_submit import submit_cli

            cloud_options = dict(subscription=subscription, resource_group=resource_group, workspace=workspace)
            code = submit_cli(loaded, dry_run=dry_run, wait=wait, as_json=json_, out=out, err=err, **cloud_options)
    raise typer.Exit(code)


def local_options(params: Mapping[str, Any]) -> LocalOptions:
    """The one ``LocalOptions`` of a `sweep submit --local`, from its parsed parameters (``ctx.params``);
    OptionError for an --env the shell cannot give."""
    from ..emulator.options import LocalOptions
    from .local_run import parse_env

    given = {field: params[parameter] for parameter, field in LOCAL_FIELDS.items()}
    return LocalOptions(**{**given, "env": parse_env(given["env"])})


def typed_options(ctx: typer.Context) -> dict[str, str]:
    """The parameters given on the command line (not defaults, not environment variables), each with its long flag.

    By the source's name: Typer carries its own copy of click, whose ParameterSource is not ``click.core``'s.
    """
    typed = {}
    for param in ctx.command.params:
        if getattr(ctx.get_parameter_source(param.name), "name", None) == "COMMANDLINE":
            typed[param.name] = next((o for o in param.opts if o.startswith("--")), param.name)
    return typed


def option_clash(typed: Mapping[str, str]) -> str | None:
    """One line naming the typed flags (parameter name -> flag, in the command's order) that cannot go together and
    why, or None when they can."""
    if {"dry_run", "local"} <= typed.keys():
        return "--dry-run and --local clash: --dry-run prints the Azure job, --local runs it here; give one"
    if {"name", "resume"} <= typed.keys():
        from ..emulator.workarea import NAME_RESUME_CLASH

        return NAME_RESUME_CLASH
    if {"continue_", "resume"} <= typed.keys():
        return "--continue and --resume clash: --resume finishes an interrupted local sweep in place, --continue submits a new one; give one"
    if {"continue_", "lock"} <= typed.keys():
        return "--continue and --lock clash: a lock file holds the trials of the whole spec, --continue only those left; give one"
    if "rebuild_env" in typed and "isolated" not in typed:
        return "--rebuild-env without --isolated: it rebuilds the environment --isolated runs the trials in; add --isolated"
    if "local" in typed:
        cloud = [flag for key, flag in typed.items() if key in CLOUD_ONLY]
        if cloud:
            return (
                f"{_listed([*cloud, '--local'])} clash: {_listed(cloud)} {_is(cloud)} for a sweep submitted to Azure "
                f"ML, --local runs it here; drop {_listed(cloud)}"
            )
        return None
    # the preflight trial runs here whatever the sweep does: it takes --input for a remote input
    # --tracking-uri also names the store where --continue finds a local sweep
    here = [
        flag
        for key, flag in typed.items()
        if key in LOCAL_ONLY
        and not (key == "input_" and "preflight" in typed)
        and not (key == "tracking_uri" and "continue_" in typed)
    ]
    if here:
        return f"{_listed(here)} without --local: {_listed(here)} {_is(here)} for a sweep run here; add --local, or drop {_listed(here)}"
    if {"dry_run", "wait"} <= typed.keys():
        return "--dry-run and --wait clash: --dry-run submits nothing to wait for; give one"
    return None


def _listed(flags: list[str]) -> str:
    return flags[0] if len(flags) == 1 else ", ".join(flags[:-1]) + " and " + flags[-1]


def _is(flags: list[str]) -> str:
    return "is" if len(flags) == 1 else "are"
