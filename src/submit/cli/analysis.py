"""`sweep whatif | diff`: thin commands over ``submit.monitor.whatif`` and ``submit.monitor.diff``.

Both find their sweeps as the monitor commands do (the local store first, then the workspace; ``--local``/``--cloud``
to look in one only), read them with their histories, and print the library's data as text (``analysis_render``) or,
with ``--json``, its ``to_dict()``. Exit codes come from ``codes``: bad input (an unknown ID, a setting that is not a
policy, a sweep with nothing to replay) is 2, Azure or its tracking server unreachable is 1.
"""

from __future__ import annotations

import json

import typer

from .common import out, reported
from .monitor import JSON, with_places

POLICY = typer.Option(
    None,
    "--policy",
    "-p",
    metavar="SETTING",
    help="A policy in Azure's option names, e.g. 'bandit slack_factor=0.1 evaluation_interval=1 "
    "delay_evaluation=5', 'median_stopping delay_evaluation=5', 'truncation_selection truncation_percentage=20'. "
    "Repeat for several settings.",
)


@with_places
def whatif(
    sweep_id: str = typer.Argument(..., metavar="ID", help="A recorded sweep, local or cloud."),
    policy: list[str] = POLICY,
    where=None,  # the place options, added by with_places
    json_: bool = JSON,
) -> None:
    """Replay a sweep's recorded metric histories under other early-termination settings: what each would cancel."""
    from ..monitor.find import locate
    from ..monitor.record import MonitorInputError
    from ..monitor.whatif import parse_setting, what_if
    from .analysis_render import render_whatif

    with reported():
        if not policy:
            raise MonitorInputError("give at least one setting, e.g. --policy 'bandit slack_factor=0.1'")
        settings = [parse_setting(p) for p in policy]  # before any store or workspace is read
        source = locate(sweep_id, where)
        report = what_if(source.status(sweep_id), settings)
        if json_:
            out.print(json.dumps(report.to_dict(), indent=2), markup=False, highlight=False, soft_wrap=True)
        else:
            render_whatif(report, out)


@with_places
def diff(
    a: str = typer.Argument(..., metavar="A", help="A sweep, e.g. the local try."),
    b: str = typer.Argument(..., metavar="B", help="Another sweep of the same spec, e.g. the cloud run."),
    where=None,  # the place options, added by with_places
    json_: bool = JSON,
) -> None:
    """Two sweeps side by side: statuses, best, the metric's distribution, the parameters sampled, cancels."""
    from ..monitor.diff import diff_sweeps
    from ..monitor.find import locate
    from .analysis_render import render_diff

    with reported():
        summaries = [locate(i, where).status(i) for i in (a, b)]
        result = diff_sweeps(*summaries)
        if json_:
            out.print(json.dumps(result.to_dict(), indent=2, default=str), markup=False, highlight=False)
        else:
            render_diff(result, out)


COMMANDS = {"whatif": whatif, "diff": diff}
