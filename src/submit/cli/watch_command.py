"""`sweep watch ID [--until done|best-improves|N-trials] [--notify URL]`: follow a sweep, with its progress.

Prints each trial that starts or ends, each new best, and a progress line (done of planned, running, time, the
estimate) whenever the counts change. It stops when the sweep ends or the `--until` condition is met; `--notify`
then POSTs the `sweep status --json` body once (a failed POST is one line on stderr). The exit code follows the
sweep's state: by its final state once it ended, 0 while it still runs (the awaited moment came), 1 on --timeout.
"""

from __future__ import annotations

import json

import typer

from . import codes
from .common import err, out, reported
from .monitor import ID, JSON, with_places


@with_places
def watch(
    sweep_id: str = ID,
    interval: float = typer.Option(2.0, "--interval", min=0.1, help="Seconds between looks."),
    timeout: float | None = typer.Option(None, "--timeout", min=0.1, help="Stop watching after this long."),
    until: str = typer.Option(
        "done", "--until", help="Stop when: done (the sweep ends), best-improves, or N-trials (N trials ended)."
    ),
    notify: str | None = typer.Option(
        None, "--notify", metavar="URL", help="POST the `status --json` body here once, when watching stops."
    ),
    where=None,  # the place options, added by with_places
    json_: bool = JSON,
) -> None:
    """Follow a sweep until it ends (new trials, cancels, best so far, progress), then the board; exit by its state.
    A pipeline's ID (or PIPELINE/STEP) follows its sweep step once that step started."""
    from ..monitor.find import locate_sweep
    from ..monitor.follow import follow
    from ..monitor.progress import progress_of
    from ..monitor.until import Until, notify_url
    from .monitor_health import watch_progress
    from .monitor_render import event_line

    with reported():
        condition = Until.parse(until)
        if notify is not None:
            notify_url(notify)
        source, sweep_id = locate_sweep(sweep_id, where)  # a pipeline's ID: its sweep step's sweep
        final, last = None, None
        for event in follow(source, sweep_id, interval=interval, timeout=timeout, until=condition):
            if event.kind in ("end", "until"):
                final = event
            elif event.kind == "look":
                progress = progress_of(event.summary)
                key = (progress.done, progress.running, progress.queued)
                if key != last:
                    last = key
                    if json_:
                        _line({"event": "progress", "sweep": sweep_id, **progress.to_dict()})
                    else:
                        out.print(watch_progress(progress), markup=False, highlight=False)
            elif json_:
                _line(event.to_dict())
            else:
                out.print(event_line(event), markup=False, highlight=False)
    if final is None:
        err.print(f"stopped watching after {timeout} s; sweep {sweep_id} is still running", markup=False)
        raise typer.Exit(codes.FAILED)
    _finish(final, condition, notify, json_)


def _finish(final, condition, notify: str | None, json_: bool) -> None:
    """The last word: the sweep's status (and the board), the one notice, and the exit code by the sweep's state."""
    from ..monitor.health import status_dict
    from ..monitor.until import notify as post
    from .monitor_render import render_status

    summary = final.summary
    body = status_dict(summary)
    if json_:
        _line({"event": final.kind, **body})
    else:
        if final.kind == "until":
            out.print(f"{condition.describe()}: stopped watching; the sweep is {summary.status}", markup=False)
        render_status(summary, out)
    if notify:
        failure = post(notify, body)
        if failure:
            err.print(f"notify failed: {failure}", markup=False, highlight=False)
        elif not json_:
            out.print(f"notified {notify}", markup=False, highlight=False)
    if final.kind == "until":
        raise typer.Exit(codes.SUCCESS)
    raise typer.Exit(codes.for_sweep(summary.status) if summary.where == "local" else _cloud_code(summary.status))


def _line(data: dict) -> None:
    out.print(json.dumps(data, default=str), markup=False, highlight=False, soft_wrap=True)


def _cloud_code(status: str) -> int:
    # the summary keeps Azure's status lower-cased; codes decides on Azure's own word
    return codes.for_cloud_sweep(status.capitalize())
