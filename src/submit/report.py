"""What people read: the validation summary, leaderboards, reports."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .spec import SweepSpec


def validation_summary(spec: SweepSpec) -> dict:
    """The facts `sweep validate` prints, as data (also its --json form)."""
    sampling = spec.sampling
    grid = spec.search_space.grid_size() if sampling.type == "grid" else None
    return {
        "spec": str(spec.path) if spec.path else None,
        "sampler": sampling.label
        + (f" (seed {sampling.seed})" if sampling.seed is not None else "")
        + (f" (logbase {sampling.logbase})" if sampling.logbase is not None else ""),
        "parameters": {name: dist.describe() for name, dist in spec.search_space.items()},
        "grid_size": grid,
        "trials": spec.trial_count(),
        "objective": f"{spec.objective.goal} {spec.objective.primary_metric}",
        "policy": spec.policy.describe() if spec.policy else None,
        "limits": {
            "max_total_trials": spec.limits.max_total_trials,
            "max_concurrent_trials": spec.limits.concurrency,
            "timeout": spec.limits.timeout,
            "trial_timeout": spec.limits.trial_timeout,
        },
        "warnings": list(spec.warnings),
    }


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
    for w in s["warnings"]:
        err.print(f"[yellow]warning[/] {w}", highlight=False)
