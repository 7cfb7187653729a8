"""Rich rendering of the monitor's data for `sweep list | status | watch | best`."""

from __future__ import annotations

import re
import time

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..monitor.health import MARKS, flags
from ..monitor.progress import progress_of
from ..monitor.record import SweepListing, SweepSummary, TrialRecord
from .monitor_health import marks, render_flags, render_progress
from .tables import fitted_table, param_values

COLOUR = {"completed": "green", "failed": "red", "canceled": "yellow", "interrupted": "yellow", "running": "cyan"}


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _when(epoch: float | None) -> str:
    return "—" if epoch is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def listing_table(rows: list[SweepListing], width: int = 80) -> Group:
    """One row a sweep; at 80 columns the name, status, trials, best and flags stay whole and the rest wraps below."""

    def trials(r: SweepListing) -> str:
        done = "—" if r.done is None else str(r.done)
        total = r.progress.planned if r.progress is not None and r.progress.planned else r.total
        running = f" +{r.progress.running}" if r.progress is not None and r.progress.running else ""
        return done + (f"/{total}" if total else "") + running

    fixed = [
        # a pipeline is one row, as in studio's job list; its sweep steps are in `sweep status PIPELINE`
        ("name", [r.name + (" (pipeline)" if r.kind == "pipeline" else "") for r in rows], "left"),
        ("status", [f"[{COLOUR.get(r.status, 'white')}]{r.status}[/]" for r in rows], "left"),
        ("trials", [trials(r) for r in rows], "left"),
        ("best", [_fmt(r.best) for r in rows], "right"),
        ("!", [marks(r.flags) for r in rows], "left"),  # the health flags, one letter each
    ]
    optional = [
        ("where", [r.where for r in rows], "left"),
        ("started", [_when(r.started) for r in rows], "left"),
        ("duration", [_duration(r.duration) for r in rows], "left"),
    ]
    caption = None
    if any(r.flags for r in rows):
        seen = dict.fromkeys(f.kind for r in rows for f in r.flags)
        caption = "trials: done/planned +running; !: " + ", ".join(f"{MARKS[k]} {k}" for k in seen)
    return fitted_table("sweeps", fixed, optional, width, key=1, caption=caption)


def render_status(s: SweepSummary, out: Console) -> None:
    colour = COLOUR.get(s.status, "white")
    counts = ", ".join(f"{n} {status}" for status, n in s.counts.items() if n) or "no trials yet"
    total = f" of max_total_trials {s.total_trials}" if s.total_trials else ""
    out.print(f"[bold {colour}]{s.status}[/] sweep [bold]{s.name}[/] ({s.where}): {counts}{total}", highlight=False)
    out.print(f"objective: {s.goal} {s.primary_metric}; policy: {s.policy or 'none'}", markup=False, highlight=False)
    render_progress(progress_of(s), out)
    if s.capped:  # the emulator's note: "max_concurrent_trials 4 capped to 2 (this machine's 2 cores; ...)"
        out.print(f"concurrency: {s.concurrency_note}", markup=False, highlight=False)
    if s.cancel_requested:
        out.print(f"cancel requested at {s.cancel_requested}", markup=False, highlight=False)
    best = s.best
    if best is not None:
        out.print(best_line(s, best), markup=False, highlight=False)
    elif s.leaderboard():
        out.print("best trial: none (the sweep failed; a failed sweep names no best trial)", markup=False)
    elif s.trials:
        out.print(f"best trial: none yet (no trial logged a usable {s.primary_metric})", markup=False)
    if best is not None:
        out.print(leaderboard(s, width=out.width))
    stopped = [t for t in s.by_index() if t.status == "canceled" and t.cancel_reason]
    for t in stopped:
        out.print(f"canceled {t.name}: {t.cancel_reason}", markup=False, highlight=False)
    for t in (t for t in s.by_index() if t.status == "failed"):
        out.print(f"failed {t.name}: {failure(t)}; log: {t.log or '—'}", markup=False, highlight=False)
    for t in (t for t in s.by_index() if t.note):
        out.print(f"note {t.name}: {t.note}", markup=False, highlight=False)
    if s.savings is not None:
        out.print(s.savings.describe(), markup=False, highlight=False)
    for w in s.warnings:
        out.print(f"warning: {w}", markup=False, highlight=False)
    render_flags(flags(s), out)
    if s.url:
        out.print(f"studio: {s.url}", markup=False, highlight=False)
    elif s.ui_command:
        out.print(f"open the MLflow UI: {s.ui_command}", markup=False, highlight=False)


def leaderboard(s: SweepSummary, top: int = 10, width: int = 80) -> Group:
    """The best trials, best first, by index (the title names their runs); parameters that do not fit wrap below.

    The one board of the terminal: `submit --local` ends with it and `status` shows it. A board cut at ``top`` says
    how many trials the full one holds, and where they all are.
    """
    rows = s.leaderboard(top)
    fixed = [
        ("#", [str(rank) for rank in range(1, len(rows) + 1)], "right"),
        ("trial", [str(t.index) if t.index is not None else t.name for t in rows], "right"),
        (s.primary_metric, [_fmt(t.best) for t in rows], "right"),
        ("status", [t.status for t in rows], "left"),
    ]
    optional = [(n, [_fmt(t.params.get(n)) for t in rows], "left") for n in s.parameter_names]
    title = f"best trials by {s.primary_metric} ({s.goal}); trial i is run {s.name}_i"
    board = fitted_table(title, fixed, optional, width)
    if len(rows) == s.ranked:
        return board
    # a line of its own under the board: a caption would wrap to the width of a narrow table
    note = Text(f"{len(rows)} of {s.ranked} trials with a value; `sweep export {s.name}` lists all", style="dim")
    return Group(board, note)


def failure(t: TrialRecord, width: int = 120) -> str:
    """Why a trial failed in a few words: the service's message where it gave one (Azure's ``Error Code: C ...
    Error Message: M`` as ``C: M``), cut at ``width`` (``--json`` has it whole); else the exit code."""
    if not t.error:
        return f"exit code {_fmt(t.exit_code)}"
    parts = re.search(r"Error Code: (\S+).*?Error Message: (.*)", t.error)
    text = f"{parts.group(1)}: {parts.group(2)}" if parts else t.error
    return text if len(text) <= width else text[: width - 1] + "…"


def best_line(s: SweepSummary, t: TrialRecord) -> str:
    """The best trial in one line: its name, status, value and parameters (in the spec's order)."""
    return f"best trial: {t.name} ({t.status}) {s.primary_metric} = {_fmt(t.best)}  [{param_values(s.params_of(t))}]"


def event_line(event) -> str:
    t = event.trial
    if event.kind == "started":
        return f"started {t.name} {param_values(t.params)}"
    if event.kind == "best":
        return f"best so far: {t.name} {event.summary.primary_metric} = {_fmt(t.best)}"
    why = f" ({t.cancel_reason})" if t.cancel_reason else f" ({failure(t)})" if t.exit_code or t.error else ""
    metric, j = event.summary.primary_metric, getattr(event, "judged", None)
    if j is not None:  # the policy's number, where it judged: not whatever the trial logged before it stopped
        value = f" {metric}={_fmt(j.value)} at step {j.point.step}"
    else:
        value = "" if t.final is None else f" {metric}={_fmt(t.final)}"
    return f"{t.status} {t.name}{value}{why}"


def render_best(s: SweepSummary, t: TrialRecord, data: dict, out: Console) -> None:
    out.print(f"best trial of {s.name}: {t.name}  run id: {t.run_id}", markup=False, highlight=False)
    if s.status != "completed":  # a sweep still running, or one that stopped early: not its last word
        out.print(f"the sweep is {s.status}: this is its best so far", markup=False, highlight=False)
    out.print(f"{s.primary_metric} = {_fmt(t.best)} ({s.goal}; status {t.status})", markup=False, highlight=False)
    table = Table(show_header=False, box=None, padding=(0, 2))
    for k, v in s.params_of(t).items():
        table.add_row(k, _fmt(v))
    out.print(table)
    others = {k: v for k, v in t.metrics.items() if k != s.primary_metric}
    if others:
        out.print("metrics: " + ", ".join(f"{k}={_fmt(v)}" for k, v in sorted(others.items())), markup=False)
    if "downloaded" in data:
        d = data["downloaded"]
        out.print(f"downloaded {len(d['files'])} file(s) to {d['folder']}", markup=False, highlight=False)
    if "registered" in data:
        r = data["registered"]
        out.print(f"registered model {r['name']} version {r['version']} from {r['source']}", markup=False)


def render_pipeline_status(p, out: Console) -> None:
    """A pipeline (``monitor.pipeline_record.PipelineSummary``): its state, its steps in a table, then each sweep step as
    `sweep status` shows a sweep."""
    from .pipeline_local import steps_table

    colour = COLOUR.get(p.status, "white")
    took = f" in {_duration(p.duration)}" if p.duration is not None else ""
    out.print(
        f"[bold {colour}]{p.status}[/] pipeline [bold]{p.name}[/] ({p.where}): {len(p.steps)} steps{took}",
        highlight=False,
    )
    if p.cancel_requested:
        out.print(f"cancel requested at {p.cancel_requested}", markup=False, highlight=False)
    out.print(steps_table(p))
    for step in p.steps.values():
        for name, folder in step.outputs.items():
            out.print(f"{step.name}.outputs.{name}: {folder}", markup=False, highlight=False)
    for step in p.sweep_steps:
        if step.sweep is None:
            continue
        out.print()
        out.print(f"step {step.name} (sweep {step.sweep.name}):", markup=False, highlight=False)
        render_status(step.sweep, out)
    if p.url:
        out.print(f"studio: {p.url}", markup=False, highlight=False)
