"""What people read from `sweep plan` and from a preflight (`sweep validate --preflight`, `sweep submit --preflight`)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from .tables import param_values


def render_preflight(report, out: Console) -> None:
    """One preflight: what trial 0 ran with and logged, the policy's outlook, then the verdict lines."""
    d = report.to_dict()
    m = d["primary_metric"]
    ran = {"completed": "exited 0", "failed": f"failed (exit code {d['exit_code']})", "stopped": "was stopped"}
    out.print(
        f"[bold]preflight[/] {escape(d['spec'] or '<spec>')}: trial 0 ({escape(param_values(d['params']))}) ran "
        f"{d['elapsed_s']:.1f} s and {ran[d['outcome']]}"
    )
    rows = [("command", d["command"]), ("logged", ", ".join(d["metrics_logged"]) or "no metric")]
    if m["logged"]:
        finite = "all finite" if m["finite_values"] == m["values"] else f"{m['finite_values']} finite"
        seen = f"{m['values']} value{'s' if m['values'] != 1 else ''}, {finite}, steps {m['steps'][0]}..{m['steps'][1]}"
        seen += f", the first {m['first_value_s']:.1f} s into the trial"
        if m["seconds_per_value"] is not None:
            seen += f", then one every {m['seconds_per_value']:.2g} s"
        rows.append((m["name"], seen))
    else:
        rows.append((m["name"], "not logged" + (f" (closest: {m['closest']})" if m["closest"] else "")))
    if d["policy"] and d["policy"]["message"] not in d["warnings"]:  # a warning says it once, below
        rows.append(("policy", d["policy"]["message"]))
    width = max(len(name) for name, _ in rows)
    for name, text in rows:
        out.print(f"  {name:<{width}}  {escape(text)}")
    if d["outcome"] == "failed" and d["log_tail"]:
        out.print("  log ends with:\n    " + escape(d["log_tail"]).replace("\n", "\n    "))
    for note in d["notes"]:
        out.print(f"  [dim]note[/] {escape(note)}")
    for warning in d["warnings"]:
        out.print(f"  [yellow]warning[/] {escape(warning)}")
    for problem in d["problems"]:
        out.print(f"  [red]problem[/] {escape(problem)}")
    if report.ok:
        out.print(f"  [green]ok[/]: the sweep can choose a best trial by `{escape(m['name'])}` ({m['goal']})")


def render_plan(plan, out: Console, lock: str | None = None) -> None:
    """Every planned trial: its index and values, then its command on the next line."""
    exact = "every run draws these" if plan.exact else "one draw (see the note)"
    planned = len(plan.trials)
    count = f"{planned} trials" if planned == plan.total else f"{planned} of {plan.total} trials"
    out.print(
        f"[bold]plan[/] {escape(plan.spec or '<spec>')}: {count}, {plan.sampler}; {exact}; spec hash {plan.spec_hash[:19]}"
    )
    width = len(str(max((t.index for t in plan.trials), default=0)))
    for trial in plan.trials:
        out.print(f"  #{trial.index:<{width}}  {escape(param_values(trial.params))}")
        out.print(f"   {'':<{width}}  {escape(trial.command)}", soft_wrap=True)
    for note in plan.notes:
        out.print(f"[yellow]note[/] {escape(note)}")
    out.print("[dim]values are the local emulator's: Azure's own random generator is not public[/]")
    if lock:
        spec = plan.spec or "SPEC"
        out.print(
            f"lock written to {escape(lock)}: `sweep submit {escape(spec)} --local --lock {escape(lock)}` runs them"
        )
