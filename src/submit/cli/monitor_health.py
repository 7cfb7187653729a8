"""Rendering of a sweep's progress against its budget and of its health flags (`status`, `watch`, `list`)."""

from __future__ import annotations

from rich.console import Console

from ..monitor.health import Flag
from ..monitor.progress import Progress


def _span(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def progress_line(p: Progress) -> str:
    """One line: trials done of planned, running of the concurrency limit, time used and left of the timeout."""
    planned = f" of {p.planned} ({p.planned_from})" if p.planned else ""
    parts = [f"{p.done}{planned} trials done"]
    if not p.ended:
        cap = f" of {p.max_concurrent} at a time" if p.max_concurrent else ""
        parts.append(f"{p.running} running{cap}" + (f", {p.queued} queued" if p.queued else ""))
    used = f"{_span(p.elapsed_s)} used"
    if p.timeout_s is not None:
        used += f" of timeout {_span(p.timeout_s)}" + ("" if p.ended else f", {_span(p.left_s)} left")
    parts.append(used)
    return "progress: " + "; ".join(parts)


def render_progress(p: Progress, out: Console) -> None:
    out.print(progress_line(p), markup=False, highlight=False)
    if not p.ended:
        out.print(f"estimate: {p.basis}", markup=False, highlight=False)


def render_flags(flags: list[Flag], out: Console) -> None:
    if not flags:
        out.print("health: no flags", markup=False, highlight=False)
        return
    for f in flags:
        concerns = f" [{', '.join(f.trials[:8])}{' ...' if len(f.trials) > 8 else ''}]" if f.trials else ""
        out.print(f"flag {f.kind} ({f.mark}): {f.message}{concerns}", markup=False, highlight=False)


def marks(flags: list[Flag]) -> str:
    """`sweep list`'s marker column: one letter per flag (the legend is printed under the table)."""
    return "".join(f.mark for f in flags) or "·"


def watch_progress(p: Progress) -> str:
    line = progress_line(p)
    return line if p.ended else f"{line}; {p.basis}"
