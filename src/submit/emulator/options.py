"""What ``run_local`` takes besides the spec, as one typed object, and the concurrency it leads to.

``LocalOptions`` is the one list of the options: `sweep submit --local` builds one from its flags, the library's
keyword shorthand (``run_local(spec, max_concurrent=2)``) is ``with_options``, and the scheduler reads its fields.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..spec.names import did_you_mean
from .live import LiveSweep

# called with the event's kind ("start", "trial_started", "progress", "best", "trial_canceling", "trial_ended",
# "warning" (a new line in result.warnings), "end") and the sweep's result so far
Event = Callable[[str, LiveSweep], None]


@dataclass(frozen=True)
class LocalOptions:
    """How a local sweep runs; every field has the default ``sweep submit --local`` uses."""

    inputs: Mapping[str, str] | Sequence[str] | None = None  # local stand-ins for remote inputs: {"data": "d.csv"}
    max_concurrent: int | None = None  # the local cap on concurrent trials; None: this machine's core count
    tracking_uri: str | None = None  # the MLflow store; None: the store `mlflow ui` opens in this folder
    name: str | None = None  # the new sweep's name; None: the spec's `name:`, else one made from the spec
    resume: str | None = None  # the name of an interrupted sweep to continue
    on_event: Event | None = None
    poll_seconds: float = 0.5  # how often running trials' metric histories are read from the store
    cancel_grace: float = 5.0  # seconds between SIGTERM and SIGKILL of a canceled trial
    env: Mapping[str, str] | None = None  # added to each trial's environment, on purpose (`--env NAME[=VALUE]`)
    # trials log over HTTP to an MLflow server the sweep starts over a database store (server.py); False: to the store
    tracking_server: bool = True
    # the server's command line, to which server.py appends its arguments; None: MLflow's app under uvicorn
    server_command: Sequence[str] | None = None
    keep_work: bool = False  # keep each finished trial's code snapshot and log in .sweep/ (the log is an artifact too)
    # the virtual environment the trials run in (--isolated, whose variables come in `env`); None: this interpreter,
    # which the summary's NOT_EMULATED warning says
    environment: str | None = None
    # the run the sweep's own run is a child of (``mlflow.parentRunId``): a pipeline's run, the sweep being its step;
    # None for a standalone sweep, whose run is top-level
    parent_run: str | None = None


def with_options(options: LocalOptions | None = None, /, **given: Any) -> LocalOptions:
    """``options`` (None: every default) with the fields given as keywords replaced, a keyword winning over the same
    field of ``options``; TypeError naming the options for a keyword that is not one."""
    names = [f.name for f in dataclasses.fields(LocalOptions)]
    unknown = [key for key in given if key not in names]
    if unknown:
        meant = did_you_mean(unknown[0], names)
        hint = f" ({meant})" if meant else ""
        raise TypeError(
            f"run_local() got an unexpected option {unknown[0]!r}{hint}; the options are: {', '.join(names)}"
        )
    return dataclasses.replace(options or LocalOptions(), **given)


def concurrency_of(limit: int, trials: int, max_concurrent: int | None) -> tuple[int, str | None]:
    """Trials run at once, and the note saying why it is less than the spec's ``max_concurrent_trials`` (or None)."""
    wanted = min(limit, trials)
    cores = os.cpu_count() or 1
    local = max_concurrent if max_concurrent else cores
    if wanted <= local:
        return wanted, None
    why = "--max-concurrent" if max_concurrent else f"this machine's {cores} cores; --max-concurrent N to change"
    return local, f"max_concurrent_trials {limit} capped to {local} ({why})"
