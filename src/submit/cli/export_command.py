"""`sweep export ID [ID ...] --format csv|json|parquet -o FILE [--histories]`: the trials as one table.

The columns and how missing, NaN and infinite values are written are ``submit.monitor.export``'s (README, "Export").
"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import out, reported
from .monitor import JSON, with_places


@with_places
def export(
    sweep_ids: list[str] = typer.Argument(..., metavar="ID...", help="One or more sweeps, local or cloud."),
    output: Path = typer.Option(..., "-o", "--output", help="The file to write."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, json or parquet."),
    histories: bool = typer.Option(
        False,
        "--histories",
        help="Also every logged metric value with its step and time (CSV/Parquet: FILE's stem + .histories).",
    ),
    where=None,  # the place options, added by with_places
    json_: bool = JSON,
) -> None:
    """One row per trial (sweep, name, status, parameters, final and best value, duration, cancel reason)."""
    import json

    from ..monitor.export import FORMATS
    from ..monitor.export import export as write
    from ..monitor.find import locate
    from ..monitor.record import MonitorInputError

    with reported():
        if fmt not in FORMATS:
            raise MonitorInputError(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
        if not output.parent.is_dir():
            raise MonitorInputError(f"cannot write {output}: the folder {output.parent} does not exist")
        pairs = []
        for name in sweep_ids:
            source = locate(name, where)
            pairs.append((source, source.status(name)))
        written = write(pairs, output, fmt, histories=histories)
        if json_:
            out.print(json.dumps(written.to_dict()), markup=False, highlight=False, soft_wrap=True)
        else:
            rows = "" if written.history_rows is None else f" and {written.history_rows} metric values"
            out.print(
                f"wrote {written.trials} trials{rows} of {', '.join(sweep_ids)} to {', '.join(map(str, written.paths))}",
                markup=False,
                highlight=False,
            )
