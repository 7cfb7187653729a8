"""`sweep refine ID [ID ...]`: the next, narrower sweep's spec, from the finished one(s) (``submit.followup.refine``).

With ``-o FILE`` the spec is written there and the changes are listed on stderr; without it the spec goes to stdout;
``--dry-run`` prints the unified diff against the original spec instead, and writes nothing. When most trials tie at
the best value the advice is printed instead, and nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .common import err, out, reported
from .monitor import with_places


@with_places
def refine(
    sweep_ids: list[str] = typer.Argument(
        ..., metavar="ID...", help="One or more finished sweeps; several are pooled."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the new spec here (default: stdout)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the diff against the original spec; write nothing."),
    budget: int | None = typer.Option(
        None, "--budget", min=1, max=1000, help="limits.max_total_trials of the new sweep."
    ),
    top: float = typer.Option(0.25, "--top", help="The fraction of finished trials that count as best (at least 3)."),
    keep: list[str] = typer.Option([], "--keep", help="Leave this parameter's range as it was (repeatable)."),
    sampling: str | None = typer.Option(
        None, "--sampling", help="random, sobol, grid or bayesian (default: see docs)."
    ),
    where=None,  # the place options, added by with_places
    json_: bool = typer.Option(False, "--json", help="Print the changes and the new spec as JSON on stdout."),
) -> None:
    """Write the next sweep's spec: ranges narrowed to where the best trials were, each change explained."""
    from ..followup.original import cloud_original, local_original
    from ..followup.refine import RefineOptions
    from ..followup.refine import refine as build
    from ..monitor.find import locate_sweep
    from ..report.page import check_report_path

    with reported():
        if output is not None and not dry_run:
            check_report_path(output)
        summaries, originals = [], []
        for sweep_id in dict.fromkeys(sweep_ids):
            source, sweep = locate_sweep(sweep_id, where)  # a pipeline's ID: its sweep step's sweep
            summaries.append(source.status(sweep))
            originals.append((local_original if source.where == "local" else cloud_original)(source, sweep))
        options = RefineOptions(top=top, budget=budget, keep=tuple(keep), sampling=sampling, output=output)
        result = build(summaries, originals, options)
        _refuse_overwrite(output, originals, dry_run)
        for warning in result.warnings:
            err.print(f"warning: {warning}", markup=False, highlight=False)
        if result.advice and not json_:
            err.print(f"advice: {result.advice}", markup=False, highlight=False)
            return
        if json_:
            out.print(
                json.dumps(result.to_dict(), indent=2, default=str), markup=False, highlight=False, soft_wrap=True
            )
        elif dry_run:
            out.print(result.diff(str(output or "refined.yaml")), markup=False, highlight=False, end="")
        elif output is None:
            out.print(result.text, markup=False, highlight=False, end="")
        if output is not None and not dry_run and not result.advice:
            output.write_text(result.text, encoding="utf-8")
        if not json_ and (output is not None or dry_run):
            _summary(result, output, dry_run)


def _refuse_overwrite(output: Path | None, originals, dry_run: bool) -> None:
    from ..monitor.record import MonitorInputError

    if output is None or dry_run:
        return
    for o in originals:
        if o.path is not None and o.path.resolve() == output.resolve():
            raise MonitorInputError(f"-o {output}: that is the spec the sweep ran; write the refined one elsewhere")


def _summary(result, output: Path | None, dry_run: bool) -> None:
    best = result.best
    head = f"{'would write' if dry_run else 'wrote'} {output or 'the refined spec'}" if output or not dry_run else ""
    lines = [
        (head + ": " if head else "")
        + f"{len(result.changes)} change(s) from the best {result.top} of {result.finished} finished trials of "
        + f"{', '.join(result.sweeps)} (best {result.primary_metric} {best.best:.4g}, "
        + (f"trial {best.name})" if result.tied == 1 else f"shared by {result.tied} trials, {best.name} first)")
    ]
    lines += [f"  {c.key}: {c.reason}" for c in result.changes]
    for line in lines:
        err.print(line, markup=False, highlight=False)
