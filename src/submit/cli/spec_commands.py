"""`sweep validate`: load and check the specs (the library's ``load_spec``), then say what each sweep will do."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import OptionError
from . import codes
from .common import err, load_specs, out, reported
from .env_check import SKIP, SKIP_HELP, check_environments
from .plan_command import PREFLIGHT_HELP, PREFLIGHT_SECONDS_HELP, preflight_all

_SPECS = typer.Argument(..., help="Sweep spec YAML files.", show_default=False)
_SET = typer.Option([], "--set", help="Override a key: --set limits.max_total_trials=4")
_JSON = typer.Option(False, "--json", help="Print the summaries as JSON on stdout (warnings included).")
_PREFLIGHT = typer.Option(False, "--preflight", help=PREFLIGHT_HELP)
_PREFLIGHT_SECONDS = typer.Option(60.0, "--preflight-seconds", help=PREFLIGHT_SECONDS_HELP)
_INPUT = typer.Option([], "--input", help="With --preflight: NAME=PATH stands in for a remote input.")
_SKIP_ENV = typer.Option(False, SKIP, help=SKIP_HELP)


def validate(
    specs: list[Path] = _SPECS,
    set_: list[str] = _SET,
    json_: bool = _JSON,
    preflight: bool = _PREFLIGHT,
    preflight_seconds: float = _PREFLIGHT_SECONDS,
    input_: list[str] = _INPUT,
    skip_env_check: bool = _SKIP_ENV,
) -> None:
    """Check specs offline against every rule Azure ML enforces, and print what each sweep will do."""
    from ..preflight.trial import split_values
    from ..spec.validate.sweep import (
        check_azure,  # lazy, as every import a command alone needs: `sweep --help` stays light
    )
    from . import shapes
    from .pipeline_commands import is_pipeline, pipeline_summary, render_pipeline_validation
    from .render import render_validation

    with reported():
        if input_ and not preflight:
            raise OptionError(
                "--input without --preflight: --input stands in for a remote input of the preflight trial; add --preflight, or drop --input"
            )
        values, set_ = split_values(set_) if preflight else ({}, set_)
        loaded = load_specs(specs, set_, pipelines=True)
        for spec in loaded:
            check_azure(spec)  # validate checks the spec Azure receives, which refuses what only a local run takes
        check_environments(loaded, err, skip=skip_env_check)
        if not json_:
            for spec in loaded:
                (render_pipeline_validation if is_pipeline(spec) else render_validation)(spec, out, err)
        reports = []
        if preflight:
            from ..pipeline.sweep_step import preflight_sweep_of

            trials = [preflight_sweep_of(s) if is_pipeline(s) else s for s in loaded]  # a pipeline: its sweep step
            reports = preflight_all(
                trials, values=values, seconds=preflight_seconds, inputs=input_, show=err if json_ else out
            )
    if json_:
        summaries = [(pipeline_summary if is_pipeline(s) else shapes.validation_summary)(s) for s in loaded]
        for summary, report in zip(summaries, reports, strict=False):
            summary["preflight"] = shapes.preflight_report(report)
        out.print(json.dumps(summaries, indent=2), markup=False)
    if any(not r.ok for r in reports):
        raise typer.Exit(codes.PREFLIGHT)
