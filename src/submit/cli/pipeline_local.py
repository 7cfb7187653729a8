"""`sweep submit pipeline.yml --local` for people: a line as each step starts, ends or is skipped, a sweep step's
progress as a sweep's, and at the end the steps in a table within 80 columns and each sweep step's best trial.

With ``--json`` the progress goes to stderr and stdout carries one JSON object (``shapes.pipeline_result``, README's
"Pipelines"). Each sweep step is shown as `sweep status` reads it (``monitor.fresh``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.console import Console

from ..errors import OptionError
from . import codes, shapes
from .progress import LiveProgress
from .tables import fitted_table

if TYPE_CHECKING:
    from ..emulator.options import LocalOptions
    from ..pipeline.runner import PipelineRun, StepRun

WIDTH = 80


def run_pipeline_here(pipeline, options: LocalOptions, *, as_json: bool, out: Console, err: Console) -> int:
    """Run one pipeline here and show it; returns the exit code."""
    from ..monitor.fresh import run_pipeline_local  # each sweep step read back: the one model of a sweep
    from ..pipeline.runner import INTERRUPTED

    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)  # as a sweep's run: no migration chatter
    show = err if as_json else out
    progress = [LiveProgress(show)]

    def on_event(kind: str, live) -> None:
        progress[0].event(kind, live)

    def on_step(kind: str, run: PipelineRun, step: StepRun | None) -> None:
        if kind == "step_started" and step.type == "sweep":
            progress[0] = LiveProgress(show)
        if kind == "step_ended" and step.type == "sweep":
            progress[0].stop()
        line = step_line(kind, run, step)
        if line:
            show.print(line, markup=False, highlight=False)

    try:
        result = run_pipeline_local(pipeline, replace(options, on_event=on_event), on_step=on_step)
    except KeyboardInterrupt:
        err.print("interrupted before the pipeline started; no step ran", markup=False, highlight=False)
        return codes.INTERRUPTED
    finally:
        progress[0].stop()
    show.print(steps_table(result))
    for line in summary_lines(result):
        show.print(line, markup=False, highlight=False)
    if result.status == INTERRUPTED:
        path = f" {pipeline.path}" if pipeline.path else ""
        store = "" if result.ui_command == "mlflow ui" else f" --tracking-uri {result.tracking_uri}"
        err.print(f"resume with: sweep submit{path} --local{store} --resume {result.name}", markup=False)
    if as_json:
        out.print(json.dumps(shapes.pipeline_result(result), default=str), markup=False, highlight=False)
    return codes.for_sweep(result.status, result.stopped_by)


def refuse_pipeline_options(lock, isolated: bool) -> None:
    """The local options a pipeline does not take yet, refused in one line."""
    for given, flag in ((lock, "--lock"), (isolated, "--isolated")):
        if given:
            raise OptionError(f"{flag} is for a sweep spec; a pipeline runs here without it (drop {flag})")


def step_line(kind: str, run: PipelineRun, step: StepRun | None) -> str | None:
    """The progress line of one event of the pipeline."""
    if kind == "start":
        verb = "resuming" if run.resumed else "running"
        order = " -> ".join(run.steps)
        return f"{verb} pipeline {run.name} locally ({len(run.steps)} steps: {order}); store {run.tracking_uri}"
    if kind == "step_started":
        what = f"sweep {step.sweep_name}" if step.type == "sweep" else "command"
        return f"step {step.name} started ({what})"
    if kind == "step_ended":  # its time is in the table at the end, as the store holds it
        why = f": {step.reason}" if step.reason and step.status != "completed" else ""
        return f"step {step.name} {step.status}{why}"
    if kind == "step_skipped":
        return f"step {step.name} skipped: {step.reason}"
    return None


def steps_table(run: PipelineRun):
    """The steps as a table within 80 columns (``tables.fitted_table``), the detail cut to the room left."""
    rows = [(s.name, s.type, s.status, _time(s), _detail(s)) for s in run.steps.values()]
    fixed = [(header, [row[i] for row in rows], "left") for i, header in enumerate(("step", "type", "state", "time"))]
    # each column takes its width, two of padding and one of border, after the table's first border
    room = WIDTH - 1 - sum(max(len(h), *(len(c) for c in cells)) + 3 for h, cells, _ in fixed) - 3
    detail = ("detail", [_fit(row[4], max(room, 6)) for row in rows], "left")
    return fitted_table(f"pipeline {run.name}", fixed, [detail], WIDTH, key=1)


def summary_lines(run: PipelineRun) -> list[str]:
    """Each sweep step's best trial, the pipeline's outcome and outputs (after the table)."""
    lines = []
    for step in run.steps.values():
        best = step.sweep.best if step.sweep is not None else None
        if best is not None:
            params = ", ".join(f"{k}={v}" for k, v in best.params.items())
            lines.append(f"{step.name}: best trial {best.name}, {step.sweep.primary_metric} = {best.best:.6g}")
            lines.append(f"  {params}; run {best.run_id}")
    outcome = f"pipeline {run.name} {run.status} in {run.elapsed:.1f} s"
    lines.append(outcome + (f": {run.message}" if run.message else ""))
    for name, folder in run.outputs.items():
        lines.append(f"output {name}: {folder}")
    lines.append(f"open the runs with: {run.ui_command}")
    return lines


def _time(step: StepRun) -> str:
    if step.earlier:
        return "earlier"
    return "" if step.duration is None else f"{step.duration:.1f} s"


def _detail(step: StepRun) -> str:
    if step.status == "completed" and step.type == "sweep" and step.sweep is not None:
        trials, best = len(step.sweep.trials), step.sweep.best
        return f"{trials} trials, best {best.name}" if best is not None else f"{trials} trials"
    if step.status == "completed":
        return "ran in an earlier run (--resume)" if step.earlier else ""
    return (step.reason or "").splitlines()[0] if step.reason else ""


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
