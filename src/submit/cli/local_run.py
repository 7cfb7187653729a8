"""`sweep submit --local` for people: the live progress while each sweep runs, the leaderboard when it ends.

With ``--json`` the progress goes to stderr and stdout carries one JSON object per sweep (``shapes.sweep_result``):
the sweep as ``status --json`` reads it, with the run's own keys.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from ..errors import OptionError
from . import codes, shapes
from .pipeline_commands import is_pipeline
from .pipeline_local import refuse_pipeline_options, run_pipeline_here
from .progress import LiveProgress
from .render import render_sweep_result

if TYPE_CHECKING:
    from ..emulator.options import LocalOptions

INTERRUPTED = "interrupted"  # the status of a sweep stopped by Ctrl-C


def run_here(
    specs,
    options: LocalOptions,
    *,
    lock=None,
    isolated=False,
    rebuild_env=False,
    as_json=False,
    out: Console,
    err: Console,
) -> int:
    """Run each spec under the emulator in turn and show it; returns the exit code (the worst sweep's)."""
    from ..monitor.fresh import run_local  # lazy: MLflow is imported only when a sweep runs; the one model

    # MLflow announces each step of creating a new store ("Creating initial MLflow database tables...") at INFO,
    # ahead of our first line; a store that cannot be made is still said, in one line, by the library's error
    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)
    if (options.name or options.resume) and len(specs) > 1:
        raise OptionError("--name and --resume name one sweep: give a single spec with them")
    if lock and len(specs) > 1:
        raise OptionError("--lock holds the trials of one spec: give a single spec with it")
    if any(is_pipeline(spec) for spec in specs):
        if len(specs) > 1:
            raise OptionError("a pipeline runs here on its own: give a single pipeline file with --local")
        refuse_pipeline_options(lock, isolated)
        return run_pipeline_here(specs[0], options, as_json=as_json, out=out, err=err)
    show = err if as_json else out
    code = codes.SUCCESS
    for spec in specs:
        sampler = None
        if lock:
            from ..emulator.plan_lock import read_lock

            sampler = read_lock(lock, spec).sampler(spec)
        spec_env, environment = options.env, None
        if isolated:
            built = isolated_env(spec, rebuild=rebuild_env, show=show, err=err)
            spec_env = {**built.trial_variables(), **options.env}  # the user's --env still wins
            environment = str(built.folder)
        progress = LiveProgress(show)
        try:
            these = replace(options, on_event=progress.event, env=spec_env, environment=environment)
            result = run_local(spec, these, sampler=sampler)
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
        code = max(code, codes.for_sweep(result.status, result.run.stopped_by))
        if result.status == INTERRUPTED:
            break
    return code


def isolated_env(spec, *, rebuild: bool, show: Console, err: Console):
    """The spec's environment built (or reused) with uv, its progress and duration said; EnvBuildError (exit 1)
    before any trial starts when it cannot be built."""
    from ..envcheck.build import build_env

    def event(stage: str, message: str) -> None:
        show.print(Text.assemble(("environment", "cyan"), " ", message), highlight=False)

    built = build_env(spec, rebuild=rebuild, on_event=event)
    for warning in built.warnings:
        err.print(Text.assemble(("warning", "yellow"), " ", warning), highlight=False)
    return built


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_env(given: Sequence[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``--env NAME`` (its value in ``environ``, this shell's) and ``--env NAME=VALUE``, as a mapping; OptionError
    for a name a shell could not export, one this shell does not have, or one the emulator sets for each trial."""
    from ..emulator.trial import OURS  # lazy, as run_local is: the emulator loads only when a sweep runs

    environ = os.environ if environ is None else environ
    out = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not ENV_NAME.fullmatch(name):
            raise OptionError(
                f"--env {item}: expected NAME or NAME=VALUE, NAME letters, digits and _ (not first a digit)"
            )
        if name in OURS:
            raise OptionError(f"--env {item}: {name} is set by the emulator for each trial's child run")
        if not sep:
            if name not in environ:
                raise OptionError(f"--env {name}: not set in this shell; export it, or give --env {name}=VALUE")
            value = environ[name]
        out[name] = value
    return out


def _resume_hint(spec, result) -> str:
    path = f" {spec.path}" if spec.path else ""
    store = "" if result.ui_command == "mlflow ui" else f" --tracking-uri {result.location}"
    return f"resume with: sweep submit{path} --local{store} --resume {result.name}"
