"""`sweep plan`: every trial a sweep will run, before it runs; and the preflight that `validate` and `submit` share."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from . import shapes
from .common import err, load_specs, out, reported
from .render_plan import render_plan, render_preflight

_SPEC = typer.Argument(..., help="The sweep spec YAML file.", show_default=False)
_SET = typer.Option([], "--set", help="Override a key: --set limits.max_total_trials=4")
_INPUT = typer.Option([], "--input", help="NAME=PATH stands in for a remote input in the commands shown.")
_LOCK = typer.Option(
    None, "--lock", help="Write the trials to FILE (YAML; JSON if it ends in .json) for `submit --local --lock FILE`."
)
_JSON = typer.Option(False, "--json", help="Print the plan as JSON on stdout.")

PREFLIGHT_HELP = (
    "Run trial 0 locally first, in a throw-away store, and check that it logs the primary metric (exact name, finite "
    "values) often enough for the policy; --set search_space.NAME=VALUE fixes a value for that trial only."
)
PREFLIGHT_SECONDS_HELP = "How long the preflight trial may run before it is stopped."


def plan(
    spec: Path = _SPEC,
    set_: list[str] = _SET,
    input_: list[str] = _INPUT,
    step: str | None = typer.Option(None, "--step", help="A pipeline: the sweep step to plan (if it has several)."),
    lock: Path | None = _LOCK,
    json_: bool = _JSON,
) -> None:
    """Every trial a grid, random or Sobol sweep runs locally, in order, with its command (Bayesian: its start).
    A pipeline: the trials of its sweep step."""
    from ..emulator.plan import plan as make_plan
    from ..emulator.plan_lock import write_lock
    from ..errors import OptionError

    with reported():
        [loaded] = load_specs([spec], set_, pipelines=True)
        if getattr(loaded, "steps", None) is not None:  # a pipeline: its sweep step's sweep
            from ..pipeline.sweep_step import planned_sweep_of

            if lock is not None:
                raise OptionError("--lock is for a sweep spec; a pipeline runs here without it (drop --lock)")
            loaded, lockable = planned_sweep_of(loaded, step), False
        elif step is not None:
            raise OptionError(f"--step names a sweep step of a pipeline; {spec} is a sweep spec (drop --step)")
        else:
            lockable = True
        planned = make_plan(loaded, inputs=input_, lockable=lockable)
        written = str(write_lock(planned, lock)) if lock is not None else None
    if json_:
        out.print(json.dumps(shapes.plan(planned, written), indent=2), markup=False, highlight=False)
        return
    render_plan(planned, out, written)


def preflight_all(specs, *, values: dict, seconds: float, inputs: list[str], show: Console) -> list:
    """Run the preflight of each spec in turn, showing each report as it comes; returns the reports."""
    from ..preflight.trial import preflight

    reports = []
    for spec in specs:
        show.print(f"preflight: running trial 0 of {spec.path or '<spec>'} for at most {seconds:g} s ...", markup=False)
        report = preflight(spec, seconds=seconds, params=values, inputs=inputs)
        render_preflight(report, show)
        reports.append(report)
    return reports


__all__ = ["PREFLIGHT_HELP", "PREFLIGHT_SECONDS_HELP", "err", "plan", "preflight_all"]
