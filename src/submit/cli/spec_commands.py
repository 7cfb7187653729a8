"""`sweep validate`: load and check the specs (the library's ``load_spec``), then say what each sweep will do."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .common import err, load_specs, out, reported

_SPECS = typer.Argument(..., help="Sweep spec YAML files.", show_default=False)
_SET = typer.Option([], "--set", help="Override a key: --set limits.max_total_trials=4")
_JSON = typer.Option(False, "--json", help="Print the summaries as JSON on stdout (warnings included).")


def validate(specs: list[Path] = _SPECS, set_: list[str] = _SET, json_: bool = _JSON) -> None:
    """Check specs offline against every rule Azure ML enforces, and print what each sweep will do."""
    from ..validate import check_azure  # lazy, as every import a command alone needs: `sweep --help` stays light
    from . import shapes
    from .render import render_validation

    with reported():
        loaded = load_specs(specs, set_)
        for spec in loaded:
            check_azure(spec)  # validate checks the spec Azure receives, which refuses what only a local run takes
    if json_:
        out.print(json.dumps([shapes.validation_summary(s) for s in loaded], indent=2), markup=False)
        return
    for spec in loaded:
        render_validation(spec, out, err)
