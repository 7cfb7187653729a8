"""What people read in the terminal: the validation summary, the leaderboard, the end of a local sweep."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from ..emulator.tags import TAG_NOTE
from ..spec.model import SweepSpec
from .common import show_warnings
from .shapes import validation_summary
from .tables import fitted_table


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


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def leaderboard_table(result, top: int = 10, width: int = 80) -> Group:
    """The best trials of a local sweep, best first, with their parameters and best primary-metric value.

    A trial is shown by its index: its MLflow run is named ``<sweep>_<index>`` (the title says so), and a long sweep
    name repeated in every row would squeeze the values out of an 80-column terminal.
    """
    rows = result.leaderboard(top)
    names = list(rows[0].params) if rows else []
    title = f"best trials by {result.primary_metric} ({result.goal}); trial i is run {result.name}_i"
    fixed = [
        ("#", [str(rank) for rank in range(1, len(rows) + 1)], "right"),
        ("trial", [str(t.index) for t in rows], "right"),
        (result.primary_metric, [_fmt(t.best) for t in rows], "right"),
        ("status", [t.status for t in rows], "left"),
    ]
    return fitted_table(title, fixed, [(n, [_fmt(t.params.get(n, "")) for t in rows], "left") for n in names], width)


def render_sweep_result(result, out: Console, err: Console) -> None:
    """What `sweep submit --local` prints when the sweep ends."""
    counts = ", ".join(f"{result.count(s)} {s}" for s in ("completed", "failed", "canceled") if result.count(s))
    colour = {"completed": "green", "failed": "red", "canceled": "yellow", "interrupted": "yellow"}.get(
        result.status, "white"
    )
    out.print(
        f"[bold {colour}]{result.status}[/] sweep {result.name}: {counts or 'no trials'} in {result.elapsed:.1f} s"
    )
    noted = sorted((t for t in result.trials if t.note), key=lambda t: t.index)
    for trial in noted[:5]:
        err.print(f"[yellow]note[/] {trial.name}: {escape(trial.note)}", markup=True, highlight=False)
    if len(noted) > 5:
        err.print(f"... and {len(noted) - 5} more trials with a note ({TAG_NOTE} on their runs)")
    failed = [t for t in result.trials if t.status == "failed"]
    for trial in failed[:3]:
        err.print(f"[red]failed[/] {trial.name} (exit code {trial.exit_code}); log: {trial.log_file}")
        if trial.log_tail:
            err.print("  " + trial.log_tail.replace("\n", "\n  "), markup=False, highlight=False)
    if len(failed) > 3:
        err.print(f"... and {len(failed) - 3} more failed trials")
    if result.message:
        (err if result.status in ("failed", "interrupted") else out).print(
            result.message, markup=False, highlight=False
        )
    if result.best_trial is not None and result.leaderboard():  # a failed sweep has no best trial to name
        out.print(leaderboard_table(result, width=out.width))
        best = result.best_trial
        out.print(f"best trial: {best.name}  run id: {best.run_id}  {result.primary_metric} = {_fmt(best.best)}")
    if getattr(result, "savings", None) is not None:
        out.print(result.savings.describe(), markup=False, highlight=False)
    out.print(f"open the MLflow UI: {result.ui_command}", markup=False, highlight=False)
