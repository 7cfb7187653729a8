"""What people read in the terminal: the validation summary and the end of a local sweep (its board is monitor_render's)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..emulator.tags import TAG_NOTE
from ..spec.model import SweepSpec
from .common import show_warnings
from .shapes import validation_summary


def render_validation(spec: SweepSpec, out: Console, err: Console) -> None:
    s = validation_summary(spec)
    out.print(f"[bold green]ok[/] {s['spec']}")
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_row("sampler", s["sampler"])
    for name, described in s["parameters"].items():
        table.add_row(f"  {name}", described)
    if s["grid_size"] is not None:
        table.add_row(
            "trials",
            f"{s['trials']} (grid of {s['grid_size']}, max_total_trials {s['limits']['max_total_trials']})",
        )
    else:
        table.add_row("trials", str(s["trials"]))
    table.add_row("objective", s["objective"])
    table.add_row("policy", s["policy"] or "none (every trial runs to completion)")
    lim = s["limits"]
    table.add_row(
        "limits",
        f"{lim['max_concurrent_trials']} concurrent"
        + (f", timeout {lim['timeout']} s" if lim["timeout"] else "")
        + (f", trial_timeout {lim['trial_timeout']} s" if lim["trial_timeout"] else ""),
    )
    out.print(table)
    show_warnings([spec], err)


def render_sweep_result(s, out: Console, err: Console) -> None:
    """What `sweep submit --local` prints when the sweep ends: the sweep as `status` reads it (``SweepSummary``, its
    board from the same renderer), with what only this run knows (``s.run``: message, wall time, log tails)."""
    from .monitor_render import COLOUR, best_line, leaderboard  # lazy: `sweep validate` needs no monitor

    run = s.run
    counts = ", ".join(f"{s.count(k)} {k}" for k in ("completed", "failed", "canceled") if s.count(k))
    colour = COLOUR.get(s.status, "white")
    out.print(f"[bold {colour}]{s.status}[/] sweep {s.name}: {counts or 'no trials'} in {run.elapsed:.1f} s")
    noted = [t for t in s.by_index() if t.note]
    for trial in noted[:5]:
        err.print(f"[yellow]note[/] {trial.name}: {escape(trial.note)}", markup=True, highlight=False)
    if len(noted) > 5:
        err.print(f"... and {len(noted) - 5} more trials with a note ({TAG_NOTE} on their runs)")
    failed = [t for t in s.by_index() if t.status == "failed"]
    for trial in failed[:3]:
        err.print(f"[red]failed[/] {trial.name} (exit code {trial.exit_code}); log: {trial.log}")
        tail = run.log_tails.get(trial.name)
        if tail:
            err.print("  " + tail.replace("\n", "\n  "), markup=False, highlight=False)
    if len(failed) > 3:
        err.print(f"... and {len(failed) - 3} more failed trials")
    if run.message:
        (err if s.status in ("failed", "interrupted") else out).print(run.message, markup=False, highlight=False)
    best = s.best
    if best is not None:  # a failed sweep names no best trial
        out.print(leaderboard(s, width=out.width))
        out.print(best_line(s, best), markup=False, highlight=False)
        out.print(f"  run id: {best.run_id}", markup=False, highlight=False)
    if s.savings is not None:
        out.print(s.savings.describe(), markup=False, highlight=False)
    out.print(f"open the MLflow UI: {s.ui_command}", markup=False, highlight=False)
