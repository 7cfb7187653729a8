"""A sweep run here, returned as the one model: the emulator runs it, the monitor reads it back.

``run_local(spec)`` hands the spec to the emulator (``emulator.run_local``, whose live state drives the progress
while trials run), then reads the sweep from the store with the reader `sweep status` uses (``LocalSweeps``), on
the MLflow client the emulator already opened. So `submit --local` and `status`, `report`, `export` and `whatif`
show one sweep: the same trial-seconds (each trial's run start to end in the store), the same best trial, the same
leaderboard. What only a fresh run knows (why it ended, its warnings, the cap on concurrency, its wall time, the
log tails of failed trials) rides along as ``SweepSummary.run``. ``run_pipeline_local`` does the same for each sweep
step of a pipeline run here.
"""

from __future__ import annotations

from .local import LocalSweeps
from .record import RunRecord, SweepSummary


def run_local(spec, options=None, **kwargs) -> SweepSummary:
    """Run ``spec`` under the emulator (arguments as ``submit.emulator.run_local``) and return it as ``status``
    reads it, with its ``RunRecord``."""
    from ..emulator import run_local as emulate

    live = emulate(spec, options, **kwargs)
    return read_back(live)


def read_back(live) -> SweepSummary:
    """The sweep the emulator's live state names, read from its store, with the facts of the run attached."""
    summary = LocalSweeps(live.tracking_uri, client=live.client).status(live.name)
    summary.run = run_record(live)
    return summary


def run_record(live) -> RunRecord:
    """What only the run that just ended knows of its sweep (the emulator's live state as it ended)."""
    return RunRecord(
        message=live.message,
        tracking_uri=live.tracking_uri,
        experiment_id=live.experiment_id,
        parent_run_id=live.parent_run_id,
        concurrency=live.concurrency,
        cap_note=live.cap_note,
        warnings=list(live.warnings),
        elapsed=live.elapsed,
        work_dir=live.work_dir,
        tracking_server=live.tracking_server,
        resumed=live.resumed,
        stopped_by=live.stopped_by,
        log_tails={t.name: t.log_tail for t in live.trials if t.status == "failed" and t.log_tail},
    )


def run_pipeline_local(pipeline, options=None, **kwargs):
    """Run a pipeline here (arguments as ``pipeline.run_pipeline_local``) and return its ``PipelineRun`` with each
    step's time and each sweep step's ``sweep`` as ``sweep status PIPELINE`` reads them (a step that completed in an
    earlier run, ``--resume``, included)."""
    from ..pipeline.runner import run_pipeline_local as run_steps

    run = run_steps(pipeline, options, **kwargs)
    # the pipeline read once, as `sweep status PIPELINE` reads it: each step's time (its run's start to end in the
    # store) and each sweep step's sweep, the fresh ones with what only this run knows
    stored = LocalSweeps(run.tracking_uri).pipeline(run.name).steps
    for step in run.steps.values():
        record = stored.get(step.name)
        if record is None:
            continue
        if record.sweep is not None:
            if step.sweep is not None:
                record.sweep.run = run_record(step.sweep)
            step.sweep = record.sweep
        if not step.earlier and record.duration is not None:
            step.duration = record.duration
    return run
