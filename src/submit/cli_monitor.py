"""`sweep list | status | watch | cancel | best | report`: thin commands over ``submit.monitor`` and the report.

Each parses its options, asks the library, and renders the data with rich; ``--json`` prints the library's
``to_dict()`` instead. Exit codes: 0 ok, 1 the sweep failed, 2 bad input, 3 Azure refused or unreachable,
130 interrupted. (Moves to ``cli/monitor.py`` with issue 10's CLI package.)
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from .errors import UserError

OK, FAILED, BAD_INPUT, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130
# watch's exit code by the sweep's final state: as `submit --local` ends (a timeout's cancel is a normal end)
FINAL = {"completed": OK, "canceled": OK, "failed": FAILED, "interrupted": INTERRUPTED}

TRACKING = typer.Option(None, "--tracking-uri", help="Local store (default: ./mlflow.db, as for submit --local).")
SUBSCRIPTION = typer.Option(None, "--subscription", envvar="AZURE_SUBSCRIPTION_ID", help="Azure subscription id.")
GROUP = typer.Option(None, "--resource-group", "-g", envvar="AZURE_RESOURCE_GROUP", help="Resource group.")
WORKSPACE = typer.Option(None, "--workspace", "-w", envvar="AZUREML_WORKSPACE_NAME", help="Azure ML workspace.")
LOCAL = typer.Option(False, "--local", help="Look only in the local store.")
CLOUD = typer.Option(False, "--cloud", help="Look only in the Azure ML workspace.")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")


class Context:
    """What every command needs: where to look, and the consoles (tests pass their own)."""

    def __init__(self, out: Console, err: Console, credential=None, **client_kwargs):
        self.out, self.err = out, err
        self.credential, self.client_kwargs = credential, client_kwargs

    def places(self, tracking_uri, subscription, resource_group, workspace, local, cloud):
        from .monitor.cloud import CloudSweeps
        from .monitor.find import Places

        if local and cloud:
            raise _input("--local and --cloud exclude each other: give one, or neither to look in both")

        def connect() -> CloudSweeps:
            from .azure import find_workspace, make_client

            target = find_workspace(subscription, resource_group, workspace)
            return CloudSweeps(make_client(target, self.credential, **self.client_kwargs))

        return Places(tracking_uri, connect, "local" if local else "cloud" if cloud else "auto")

    def json(self, data) -> None:
        self.out.print(json.dumps(data, indent=2, default=str), markup=False, highlight=False, soft_wrap=True)


def _input(message: str) -> UserError:
    from .monitor.model import MonitorInputError

    return MonitorInputError(message)


def register(app: typer.Typer, make_context) -> None:
    """Add the monitoring commands to ``app``; ``make_context()`` gives the consoles and any injected client."""

    def run(fn):
        try:
            return fn()
        except UserError as e:
            ctx = make_context()
            ctx.err.print(str(e), markup=False, highlight=False)
            raise typer.Exit(e.exit_code) from None

    @app.command("list")
    def list_(
        limit: int = typer.Option(50, "--limit", min=1, help="At most this many sweeps from each place."),
        tracking_uri: str | None = TRACKING,
        subscription: str | None = SUBSCRIPTION,
        resource_group: str | None = GROUP,
        workspace: str | None = WORKSPACE,
        local: bool = LOCAL,
        cloud: bool = CLOUD,
        json_: bool = JSON,
    ) -> None:
        """Recent sweeps, local and cloud: status, trials done/total, best value, started, duration."""
        from .monitor.find import every_place

        def go():
            ctx = make_context()
            places = ctx.places(tracking_uri, subscription, resource_group, workspace, local, cloud)
            rows = [row for place in every_place(places) for row in place.list(limit)]
            if json_:
                ctx.json({"sweeps": [r.to_dict() for r in rows], "skipped": places.skipped})
            else:
                from .cli_render import listing_table

                ctx.out.print(listing_table(rows))
                for note in places.skipped:
                    ctx.err.print(f"note: {note}", markup=False, highlight=False)

        run(go)

    @app.command()
    def status(
        sweep_id: str = typer.Argument(..., metavar="ID", help="Local sweep name or Azure job name."),
        tracking_uri: str | None = TRACKING,
        subscription: str | None = SUBSCRIPTION,
        resource_group: str | None = GROUP,
        workspace: str | None = WORKSPACE,
        local: bool = LOCAL,
        cloud: bool = CLOUD,
        histories: bool = typer.Option(False, "--histories", help="--json: every trial's metric history."),
        json_: bool = JSON,
    ) -> None:
        """A sweep's state, trials by status, the best trial, what the policy canceled and why, compute used/saved."""
        from .monitor.find import locate

        def go():
            ctx = make_context()
            source = locate(sweep_id, ctx.places(tracking_uri, subscription, resource_group, workspace, local, cloud))
            summary = source.status(sweep_id)
            if json_:
                ctx.json(summary.to_dict(histories=histories))
            else:
                from .cli_render import render_status

                render_status(summary, ctx.out)

        run(go)

    @app.command()
    def watch(
        sweep_id: str = typer.Argument(..., metavar="ID", help="Local sweep name or Azure job name."),
        interval: float = typer.Option(2.0, "--interval", min=0.1, help="Seconds between looks."),
        timeout: float | None = typer.Option(None, "--timeout", min=0.1, help="Stop watching after this long."),
        tracking_uri: str | None = TRACKING,
        subscription: str | None = SUBSCRIPTION,
        resource_group: str | None = GROUP,
        workspace: str | None = WORKSPACE,
        local: bool = LOCAL,
        cloud: bool = CLOUD,
        json_: bool = JSON,
    ) -> None:
        """Follow a sweep until it ends (new trials, cancels, best so far), then the leaderboard; exit by its state."""
        from .monitor.find import locate
        from .monitor.follow import follow

        def go():
            ctx = make_context()
            source = locate(sweep_id, ctx.places(tracking_uri, subscription, resource_group, workspace, local, cloud))
            final = None
            try:
                for event in follow(source, sweep_id, interval=interval, timeout=timeout):
                    if event.kind == "end":
                        final = event.summary
                    elif json_:
                        ctx.out.print(json.dumps(event.to_dict(), default=str), markup=False, highlight=False)
                    else:
                        from .cli_render import event_line

                        ctx.out.print(event_line(event), markup=False, highlight=False)
            except KeyboardInterrupt:
                raise typer.Exit(INTERRUPTED) from None
            if final is None:
                ctx.err.print(f"stopped watching after {timeout} s; sweep {sweep_id} is still running", markup=False)
                raise typer.Exit(FAILED)
            if json_:
                ctx.out.print(json.dumps({"event": "end", **final.to_dict()}, default=str), markup=False)
            else:
                from .cli_render import render_status

                render_status(final, ctx.out)
            raise typer.Exit(FINAL.get(final.status, FAILED))

        run(go)

    @app.command()
    def cancel(
        sweep_id: str = typer.Argument(..., metavar="ID", help="Local sweep name or Azure job name."),
        wait: bool = typer.Option(False, "--wait", help="Cloud: wait until Azure has canceled it."),
        tracking_uri: str | None = TRACKING,
        subscription: str | None = SUBSCRIPTION,
        resource_group: str | None = GROUP,
        workspace: str | None = WORKSPACE,
        local: bool = LOCAL,
        cloud: bool = CLOUD,
        json_: bool = JSON,
    ) -> None:
        """Cancel a running sweep; a local one stops as Ctrl-C stops it, and `submit --local --resume` continues it."""
        from .monitor.find import locate

        def go():
            ctx = make_context()
            source = locate(sweep_id, ctx.places(tracking_uri, subscription, resource_group, workspace, local, cloud))
            summary = source.request_cancel(sweep_id, **({"wait": wait} if source.where == "cloud" else {}))
            if json_:
                ctx.json({"canceling": sweep_id, "where": summary.where, "status": summary.status})
            elif summary.where == "local":
                ctx.out.print(
                    f"cancel requested for {sweep_id}: the running sweep stops its trials at its next poll; "
                    f"resume it later with `sweep submit SPEC --local --resume {sweep_id}`",
                    markup=False,
                    highlight=False,
                )
            else:
                ctx.out.print(f"cancel sent for {sweep_id}: Azure reports {summary.status}", markup=False)

        run(go)

    @app.command()
    def best(
        sweep_id: str = typer.Argument(..., metavar="ID", help="Local sweep name or Azure job name."),
        download: Path | None = typer.Option(
            None, "--download", help="Copy the best trial's artifacts and outputs here."
        ),
        register_as: str | None = typer.Option(None, "--register", help="Register the best trial's model as NAME."),
        tracking_uri: str | None = TRACKING,
        subscription: str | None = SUBSCRIPTION,
        resource_group: str | None = GROUP,
        workspace: str | None = WORKSPACE,
        local: bool = LOCAL,
        cloud: bool = CLOUD,
        json_: bool = JSON,
    ) -> None:
        """The best trial: its id, parameters and metrics; --download its files, --register its model."""
        from .monitor.find import locate
        from .monitor.model import require_best

        def go():
            ctx = make_context()
            source = locate(sweep_id, ctx.places(tracking_uri, subscription, resource_group, workspace, local, cloud))
            summary = source.status(sweep_id)
            top = require_best(summary)
            data = {"sweep": summary.name, "where": summary.where, "trial": top.to_dict(), "value": top.best}
            if (download or register_as) and source.where == "cloud":
                raise _input(
                    f"--download/--register of a cloud sweep are not built yet; `az ml job download --name {top.name} "
                    f"--all` downloads the best trial"
                )
            if download:
                from .monitor.best import download_best

                data["downloaded"] = download_best(source, summary, top, download).to_dict()
            if register_as:
                from .monitor.best import register_best

                data["registered"] = register_best(source, summary, top, register_as).to_dict()
            if json_:
                ctx.json(data)
            else:
                from .cli_render import render_best

                render_best(summary, top, data, ctx.out)

        run(go)

    @app.command()
    def report(
        sweep_ids: list[str] = typer.Argument(..., metavar="ID...", help="One or more sweeps; several are compared."),
        output: Path = typer.Option(Path("report.html"), "-o", "--output", help="The HTML file to write."),
        tracking_uri: str | None = TRACKING,
        subscription: str | None = SUBSCRIPTION,
        resource_group: str | None = GROUP,
        workspace: str | None = WORKSPACE,
        local: bool = LOCAL,
        cloud: bool = CLOUD,
        json_: bool = JSON,
    ) -> None:
        """One self-contained HTML report (opens offline): leaderboard, parallel coordinates, curves, importance."""
        from .monitor.find import locate
        from .monitor.model import require_trials
        from .report_html import check_report_path, write_report

        def go():
            ctx = make_context()
            check_report_path(output)  # before any sweep is read
            places = ctx.places(tracking_uri, subscription, resource_group, workspace, local, cloud)
            summaries = [require_trials(locate(i, places).status(i)) for i in sweep_ids]
            written = write_report(summaries, output)
            if json_:
                ctx.json(written.to_dict())
            else:
                ctx.out.print(
                    f"wrote {written.path} ({written.bytes / 1e6:.1f} MB, {', '.join(written.sweeps)}); "
                    "it opens offline in any browser",
                    markup=False,
                    highlight=False,
                )

        run(go)
