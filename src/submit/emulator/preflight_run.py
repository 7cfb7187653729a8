"""The preflight's one trial, run by the emulator itself and read back from its store (``submit.preflight.trial`` judges it).

The spec is narrowed to one trial with no policy and no sweep timeout, bounded by a trial timeout; its values come
through a ``LockSampler``, so the trial is launched exactly as trial 0 of the sweep would be.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..spec.model import SweepSpec
from .inputs import resolve_inputs
from .live import INTERRUPTED
from .options import LocalOptions
from .samplers import LockSampler
from .scheduler import run_local
from .tracking import Store

STOPPED = "stopped"  # the trial was still running when the preflight's time was up


@dataclass(frozen=True)
class Observed:
    """What the trial did, read from its child run: times in seconds from the run's start."""

    outcome: str  # completed | failed | stopped
    elapsed: float
    exit_code: int | None = None
    log_tail: str = ""
    metrics: tuple[str, ...] = ()  # every metric name the script logged
    values: tuple[float, ...] = ()  # the primary metric, in logged order
    stamps: tuple[float, ...] = ()
    steps: tuple[int, ...] = ()
    end: float | None = None


def run_one(
    spec: SweepSpec,
    params: dict[str, Any],
    bound: float,
    folder: Path,
    *,
    inputs: Mapping[str, str] | Sequence[str] | None = None,
) -> tuple[Observed, dict[str, Any]]:
    """Run trial 0 with ``params`` for at most ``bound`` seconds in a store in ``folder``: what it did, and the input
    values it was given."""
    input_values = resolve_inputs(spec, inputs)  # refused here, before any store is made, as run_local would
    limits = dataclasses.replace(
        spec.limits, max_total_trials=1, max_concurrent_trials=1, timeout=None, trial_timeout=bound
    )
    one = dataclasses.replace(spec, policy=None, limits=limits)
    uri = f"sqlite:///{(folder / 'mlflow.db').resolve()}"
    options = LocalOptions(inputs=inputs, max_concurrent=1, tracking_uri=uri, name="preflight", cancel_grace=2.0)
    result = run_local(one, options, sampler=LockSampler(spec.search_space, [(0, params)]))
    if result.status == INTERRUPTED:
        raise KeyboardInterrupt
    trial = result.trials[0]
    store = Store(uri)
    metric = spec.objective.primary_metric
    run = store.client.get_run(trial.run_id)
    start = run.info.start_time / 1000
    points = sorted(store.client.get_metric_history(trial.run_id, metric), key=lambda m: (m.timestamp, m.step))
    outcome = {"completed": "completed", "failed": "failed"}.get(trial.status, STOPPED)
    observed = Observed(
        outcome=outcome,
        elapsed=trial.duration or 0.0,
        exit_code=trial.exit_code,
        log_tail=trial.log_tail,
        metrics=tuple(sorted(run.data.metrics)),
        values=tuple(store.history(trial.run_id, metric)),  # +-inf as logged (MLflow's SQL store clips them)
        stamps=tuple(max(0.0, m.timestamp / 1000 - start) for m in points),
        steps=tuple(m.step for m in points),
        end=None if run.info.end_time is None else run.info.end_time / 1000 - start,
    )
    return observed, input_values
