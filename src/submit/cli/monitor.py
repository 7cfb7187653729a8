"""`sweep list | status | cancel | best | report`: thin commands over ``submit.monitor`` and the report.

Each parses its options, asks the library, and renders the data with rich (``monitor_render``); ``--json`` prints
the library's ``to_dict()`` instead. Exit codes come from ``codes``: an error by its kind, `watch` by the state the
sweep ended in, as `submit --local` and `submit --wait` end.
"""

from __future__ import annotations

import functools
import inspect
import json
from pathlib import Path

import typer

from ..monitor.record import MonitorInputError
from .common import err, out, reported

TRACKING = typer.Option(None, "--tracking-uri", help="Local store (default: ./mlflow.db, as for submit --local).")
SUBSCRIPTION = typer.Option(None, "--subscription", envvar="AZURE_SUBSCRIPTION_ID", help="Azure subscription id.")
GROUP = typer.Option(None, "--resource-group", "-g", envvar="AZURE_RESOURCE_GROUP", help="Resource group.")
WORKSPACE = typer.Option(None, "--workspace", "-w", envvar="AZUREML_WORKSPACE_NAME", help="Azure ML workspace.")
LOCAL = typer.Option(False, "--local", help="Look only in the local store.")
CLOUD = typer.Option(False, "--cloud", help="Look only in the Azure ML workspace.")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
ID = typer.Argument(
    ..., metavar="ID", help="A sweep's or a pipeline's name, local or an Azure ML job's; PIPELINE/STEP a sweep step."
)


def places(tracking_uri, subscription, resource_group, workspace, local, cloud, credential=None, **client_kwargs):
    """Where to look for an ID: the local store, and the workspace (connected only if the store lacks the ID)."""
    from ..monitor.cloud import CloudSweeps
    from ..monitor.find import Places

    if local and cloud:
        raise MonitorInputError("--local and --cloud exclude each other: give one, or neither to look in both")

    def connect() -> CloudSweeps:
        from ..azure.client import find_workspace, make_client

        target = find_workspace(subscription, resource_group, workspace)
        return CloudSweeps(make_client(target, credential, **client_kwargs))

    return Places(tracking_uri, connect, "local" if local else "cloud" if cloud else "auto")


# The options that say where a sweep is, declared once: every command that finds a sweep takes them (with_places)
PLACE_OPTIONS = {
    "tracking_uri": (str | None, TRACKING),
    "subscription": (str | None, SUBSCRIPTION),
    "resource_group": (str | None, GROUP),
    "workspace": (str | None, WORKSPACE),
    "local": (bool, LOCAL),
    "cloud": (bool, CLOUD),
}


def with_places(command):
    """`command` gains the place options (its --help lists them before --json) and receives their `Places` as
    `where`; a clash of --local and --cloud is one line, as every error of a command is."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "where"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
        for name, (kind, option) in PLACE_OPTIONS.items()
    ]
    at = next((i for i, p in enumerate(own) if p.name == "json_"), len(own))
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

    @functools.wraps(command)
    def located(*args, **kwargs):
        chosen = {name: kwargs.pop(name) for name in PLACE_OPTIONS}
        with reported():
            where = places(**chosen)
        return command(*args, where=where, **kwargs)

    located.__signature__ = signature.replace(parameters=own[:at] + added + own[at:])
    located.__annotations__ = {}  # the signature above carries the evaluated types; `where` is not an option
    return located


def _json(data) -> None:
    out.print(json.dumps(data, indent=2, default=str), markup=False, highlight=False, soft_wrap=True)


@with_places
def list_(
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many sweeps from each place."),
    where=None,  # the place options, added by with_places
    json_: bool = JSON,
) -> None:
    """Recent sweeps, local and cloud: status, trials done/total, best value, started, duration."""
    from ..monitor.find import every_place
    from .monitor_render import listing_table

    with reported():
        places = every_place(where)
        rows = [row for place in places for row in place.list(limit)]
        if json_:
            _json({"sweeps": [r.to_dict() for r in rows], "skipped": where.skipped})
            return
        if not rows:  # one line, not an empty table
            searched = " nor in ".join(p.describe() for p in places)
            err.print(f"no sweeps in {searched}" if searched else "no sweeps: nowhere to look", markup=False)
        else:
            out.print(listing_table(rows, width=out.width))
        if len(rows) >= limit:
            err.print(f"note: the newest {limit} sweeps of a place are shown (--limit {limit}); there may be more")
        for note in where.skipped:
            err.print(f"note: {note}", markup=False, highlight=False)


@with_places
def status(
    sweep_id: str = ID,
    where=None,  # the place options, added by with_places
    histories: bool = typer.Option(False, "--histories", help="--json: every trial's metric history."),
    json_: bool = JSON,
) -> None:
    """A sweep's state, trials by status, the best trial, what the policy canceled and why, compute used/saved."""
    from ..monitor.find import locate, pipeline_at
    from .monitor_render import render_pipeline_status, render_status

    with reported():
        source = locate(sweep_id, where)
        pipeline = pipeline_at(source, sweep_id)
        if pipeline is not None:
            if json_:
                _json(pipeline.to_dict(histories=histories))
            else:
                render_pipeline_status(pipeline, out)
            return
        summary = source.status(sweep_id)
        if json_:
            from ..monitor.health import status_dict

            _json(status_dict(summary, histories=histories))
        else:
            render_status(summary, out)


@with_places
def cancel(
    sweep_id: str = ID,
    wait: bool = typer.Option(False, "--wait", help="Cloud: wait until Azure has canceled it."),
    where=None,  # the place options, added by with_places
    json_: bool = JSON,
) -> None:
    """Cancel a running sweep or pipeline; a local one stops as Ctrl-C stops it, `submit --local --resume` continues
    it."""
    from ..monitor.find import locate, pipeline_at

    with reported():
        source = locate(sweep_id, where)
        if pipeline_at(source, sweep_id) is not None:
            pipeline = source.request_pipeline_cancel(sweep_id, **({"wait": wait} if source.where == "cloud" else {}))
            if json_:
                _json({"canceling": sweep_id, "where": pipeline.where, "status": pipeline.status})
            elif pipeline.where == "cloud":
                out.print(f"cancel sent for pipeline {sweep_id}: Azure reports {pipeline.status}", markup=False)
            else:
                out.print(
                    f"cancel requested for pipeline {sweep_id}: its running step stops at its next poll; resume it "
                    f"later with `sweep submit PIPELINE.yml --local --resume {sweep_id}`",
                    markup=False,
                    highlight=False,
                )
            return
        summary = source.request_cancel(sweep_id, **({"wait": wait} if source.where == "cloud" else {}))
        if json_:
            _json({"canceling": sweep_id, "where": summary.where, "status": summary.status})
        elif summary.where == "local":
            out.print(
                f"cancel requested for {sweep_id}: the running sweep stops its trials at its next poll; "
                f"resume it later with `sweep submit SPEC --local --resume {sweep_id}`",
                markup=False,
                highlight=False,
            )
        else:
            out.print(f"cancel sent for {sweep_id}: Azure reports {summary.status}", markup=False, highlight=False)


@with_places
def best(
    sweep_id: str = ID,
    download: Path | None = typer.Option(None, "--download", help="Copy the best trial's artifacts and outputs here."),
    register_as: str | None = typer.Option(None, "--register", help="Register the best trial's model as NAME."),
    where=None,  # the place options, added by with_places
    json_: bool = JSON,
) -> None:
    """The best trial: its id, parameters and metrics; --download its files, --register its model."""
    from ..monitor.find import locate_sweep
    from ..monitor.record import require_best
    from .monitor_render import render_best

    with reported():
        source, sweep = locate_sweep(sweep_id, where)  # a pipeline's ID: its sweep step's sweep
        summary = source.status(sweep)
        top = require_best(summary)
        data = {
            "sweep": summary.name,
            "where": summary.where,
            "status": summary.status,
            "trial": top.to_dict(),
            "value": top.best,
        }
        if download:
            from ..monitor.best import download as download_best

            data["downloaded"] = download_best(source, summary, top, download).to_dict()
        if register_as:
            from ..monitor.best import register

            data["registered"] = register(source, summary, top, register_as).to_dict()
        if json_:
            _json(data)
        else:
            render_best(summary, top, data, out)


@with_places
def report(
    sweep_ids: list[str] = typer.Argument(..., metavar="ID...", help="One or more sweeps; several are compared."),
    output: Path = typer.Option(Path("report.html"), "-o", "--output", help="The HTML file to write."),
    where=None,  # the place options, added by with_places
    json_: bool = JSON,
) -> None:
    """One self-contained HTML report (opens offline): leaderboard, parallel coordinates, curves, importance."""
    from ..monitor.find import locate, pipeline_at
    from ..monitor.record import require_trials
    from ..report.page import check_report_path, write_report

    with reported():
        check_report_path(output)  # before any sweep is read
        summaries, pipelines = [], []
        for i in sweep_ids:
            source = locate(i, where)
            pipeline = pipeline_at(source, i)
            if pipeline is None:
                summaries.append(require_trials(source.status(i)))
                continue
            pipelines.append(pipeline)  # its sweep steps drawn as sweeps, its steps in a table
            summaries += [require_trials(s.sweep) for s in pipeline.sweep_steps if s.sweep is not None]
        written = write_report(summaries, output, pipelines=pipelines)
        if json_:
            _json(written.to_dict())
        else:
            out.print(
                f"wrote {written.path} ({written.bytes / 1e6:.1f} MB, {', '.join(written.sweeps)}); "
                "it opens offline in any browser",
                markup=False,
                highlight=False,
            )


# `watch` lives in watch_command.py (--until, --notify), registered beside these in cli/__init__.py
COMMANDS = {"list": list_, "status": status, "cancel": cancel, "best": best, "report": report}
