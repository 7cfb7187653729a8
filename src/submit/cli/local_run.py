"""`sweep submit --local` for people: the live progress while each sweep runs, the leaderboard when it ends.

With ``--json`` the progress goes to stderr and stdout carries one JSON object per sweep (``shapes.sweep_result``).
"""

from __future__ import annotations

import json

from rich.console import Console

from ..errors import OptionError
from . import codes, shapes
from .progress import Progress
from .render import render_sweep_result

INTERRUPTED = "interrupted"  # SweepResult.status of a sweep stopped by Ctrl-C


def run_here(
    specs,
    *,
    inputs=(),
    max_concurrent=None,
    tracking_uri=None,
    name=None,
    resume=None,
    keep_work=False,
    as_json=False,
    out: Console,
    err: Console,
) -> int:
    """Run each spec under the emulator in turn and show it; returns the exit code (the worst sweep's)."""
    from .. import run_local  # lazy: MLflow is imported only when a sweep runs
    from ..emulator import LocalOptions

    if (name or resume) and len(specs) > 1:
        raise OptionError("--name and --resume name one sweep: give a single spec with them")
    show = err if as_json else out
    code = codes.SUCCESS
    for spec in specs:
        progress = Progress(show)
        try:
            options = LocalOptions(
                inputs=inputs,
                max_concurrent=max_concurrent,
                tracking_uri=tracking_uri,
                name=name,
                resume=resume,
                on_event=progress.event,
                keep_work=keep_work,
            )
            result = run_local(spec, options)
        except KeyboardInterrupt:  # Ctrl-C while the store opened, before the sweep's own handler took over
            err.print("interrupted before the sweep started; no trial ran", markup=False, highlight=False)
            return codes.INTERRUPTED
        finally:
            progress.stop()
        render_sweep_result(result, show, err)
        if result.status == INTERRUPTED:
            err.print(_resume_hint(spec, result), markup=False, highlight=False)
        if as_json:
            out.print(json.dumps(shapes.sweep_result(result), default=str), markup=False, highlight=False)
        code = max(code, codes.for_sweep(result.status))
        if result.status == INTERRUPTED:
            break
    return code


def _resume_hint(spec, result) -> str:
    path = f" {spec.path}" if spec.path else ""
    store = "" if result.ui_command == "mlflow ui" else f" --tracking-uri {result.tracking_uri}"
    return f"resume with: sweep submit{path} --local{store} --resume {result.name}"
