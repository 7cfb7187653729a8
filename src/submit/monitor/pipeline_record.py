"""A pipeline with sweep steps read back as data: its steps, each with its state, times, inputs and outputs, and a
sweep step holding the ``SweepSummary`` the monitor reads for any sweep.

Locally the pipeline is the run tagged ``sweep.kind = pipeline`` and ``sweep.pipeline`` (``pipeline/runner.py``): its
``sweep.steps`` tag gives every step in dependency order with its state (steps that never started have no run), and
its child runs (``mlflow.parentRunId``) are the steps that started, the newest run of a step deciding; a sweep step's
run is its sweep's own run, read as ``LocalSweeps.status`` reads a sweep. The cloud reader (``cloud.py``) fills the
same model from ``jobs.list(parent_job_name=...)``. As in studio's job list, a pipeline is one job: its sweep steps
are its children, not top-level sweeps (``LocalSweeps.list`` leaves them out and lists the pipeline).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..emulator.tags import (
    TAG_CANCEL_REQUESTED,
    TAG_INPUTS,
    TAG_KIND,
    TAG_OUTPUTS,
    TAG_PARENT,
    TAG_PIPELINE,
    TAG_SPEC,
    TAG_STATE,
    TAG_STEP,
    TAG_STEPS,
    TAG_SWEEP,
)
from .record import MLFLOW_STATUSES as _MLFLOW
from .record import MonitorInputError, SweepListing, SweepSummary


@dataclass
class StepRecord:
    """One step of a pipeline: a command step, or a sweep step with its sweep."""

    name: str
    type: str  # command | sweep
    status: str  # waiting | queued | running | completed | failed | canceled | skipped | interrupted
    after: list[str] = field(default_factory=list)  # the steps whose outputs it takes
    reason: str | None = None  # why it failed, was canceled or skipped
    run_id: str | None = None  # its run (a sweep step's: its sweep's); None if it never started
    started: float | None = None  # epoch seconds
    ended: float | None = None
    inputs: dict[str, Any] = field(default_factory=dict)  # a command step's: input -> value or local path
    outputs: dict[str, str] = field(default_factory=dict)  # output -> folder or URI (a sweep step's: its best trial's)
    sweep: SweepSummary | None = None  # a sweep step's sweep, as `sweep status` reads it
    earlier: bool = False  # the terminal table's column (``cli.pipeline_local.steps_table``): a fresh run's notion

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return max(0.0, self.ended - self.started)

    def to_dict(self, histories: bool = False) -> dict[str, Any]:
        from .health import status_dict

        return {
            "type": self.type,
            "status": self.status,
            "after": self.after,
            "reason": self.reason,
            "run_id": self.run_id,
            "started": self.started,
            "ended": self.ended,
            "duration_s": None if self.duration is None else round(self.duration, 3),
            "inputs": self.inputs,
            "outputs": self.outputs,
            "sweep": None if self.sweep is None else status_dict(self.sweep, histories=histories),
        }


@dataclass
class PipelineSummary:
    """A pipeline job, local or cloud: its state and its steps in dependency order."""

    name: str
    where: str  # local | cloud
    location: str  # the store's URI, or the workspace
    status: str
    run_id: str
    experiment: str | None = None
    started: float | None = None
    ended: float | None = None
    steps: dict[str, StepRecord] = field(default_factory=dict)
    cancel_requested: str | None = None
    url: str | None = None  # studio, for a cloud pipeline
    ui_command: str | None = None  # the MLflow UI, for a local one

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return max(0.0, self.ended - self.started)

    @property
    def sweep_steps(self) -> list[StepRecord]:
        return [s for s in self.steps.values() if s.type == "sweep"]

    def sweep_step(self, step: str | None = None) -> StepRecord:
        """The sweep step ``step`` names, or the pipeline's only one; ``MonitorInputError`` saying which to name."""
        sweeps = self.sweep_steps
        names = [s.name for s in sweeps]
        if step is not None:
            if step in names:
                return self.steps[step]
            from ..spec.names import did_you_mean

            what = f"step {step!r} is a {self.steps[step].type} step" if step in self.steps else f"no step {step!r}"
            hint = did_you_mean(step, names) or f"its sweep steps: {', '.join(names) or 'none'}"
            raise MonitorInputError(f"pipeline {self.name}: {what}, not a sweep step\n  hint: {hint}")
        if len(sweeps) == 1:
            return sweeps[0]
        if not sweeps:
            raise MonitorInputError(f"pipeline {self.name} has no sweep step; its steps: {', '.join(self.steps)}")
        choices = ", ".join(f"{self.name}/{n}" for n in names)
        raise MonitorInputError(f"pipeline {self.name} has {len(sweeps)} sweep steps: name one ({choices})")

    def sweep_of(self, step: str | None = None) -> SweepSummary:
        """The sweep of a sweep step (``sweep_step``), once it started."""
        chosen = self.sweep_step(step)
        if chosen.sweep is None:
            raise MonitorInputError(
                f"step {chosen.name} of pipeline {self.name} has not started its sweep ({chosen.status})"
            )
        return chosen.sweep

    def to_dict(self, histories: bool = False) -> dict[str, Any]:
        return {
            "pipeline": self.name,
            "kind": "pipeline",
            "where": self.where,
            "location": self.location,
            "status": self.status,
            "run_id": self.run_id,
            "experiment": self.experiment,
            "started": self.started,
            "ended": self.ended,
            "duration_s": None if self.duration is None else round(self.duration, 3),
            "cancel_requested": self.cancel_requested,
            "url": self.url,
            "ui_command": self.ui_command,
            "steps": {name: s.to_dict(histories) for name, s in self.steps.items()},
        }


def split_id(job_id: str) -> tuple[str, str | None]:
    """``PIPELINE/STEP`` -> (pipeline, step); any other ID -> (ID, None). Job names hold no ``/``."""
    name, _, step = job_id.partition("/")
    return name, (step or None)


def pipeline_listing(p: PipelineSummary) -> SweepListing:
    """The pipeline's one row of `sweep list`: its state and times; trials and best from its sweep step when it has
    exactly one (with several, each is in `sweep status PIPELINE`)."""
    sweeps = [s.sweep for s in p.sweep_steps if s.sweep is not None]
    only = sweeps[0] if len(p.sweep_steps) == 1 and sweeps else None
    best = only.best if only is not None else None
    row = SweepListing(
        name=p.name,
        where=p.where,
        status=p.status,
        started=p.started,
        ended=p.ended,
        done=len(only.ended_trials) if only is not None else None,
        total=only.total_trials if only is not None else None,
        best=best.best if best is not None else None,
        primary_metric=only.primary_metric if only is not None else None,
        goal=only.goal if only is not None else None,
        experiment=p.experiment,
        kind="pipeline",
        steps={name: s.status for name, s in p.steps.items()},
    )
    if only is not None:
        from .health import flags
        from .progress import progress_of

        row.progress, row.flags = progress_of(only), flags(only)
    return row


# an Azure ML workspace ------------------------------------------------------------------------------------

# Azure's job statuses in the pipeline's words (a step that has not started is NotStarted, as studio shows it)
_AZURE = {"NotStarted": "waiting", "CancelRequested": "canceled", "Finalizing": "running", "NotResponding": "failed"}


def read_cloud_pipeline(sweeps, job, children: list, raw: list[dict], *, histories: bool = True) -> PipelineSummary:
    """A pipeline job as ``CloudSweeps`` reads it: ``job.jobs`` gives its steps in the file's order, each child job
    the step it ran by its display name ([INFER] studio names a step's child job by its node name, and RunHistory's
    ``azureml.nodeid`` is an id, not the name), a child that is a sweep read as a cloud sweep."""
    created = getattr(job.creation_context, "created_at", None) if job.creation_context else None
    summary = PipelineSummary(
        name=job.name,
        where="cloud",
        location=sweeps.describe(),
        status=_azure_status(job.status),
        run_id=job.name,
        experiment=job.experiment_name,
        started=created.timestamp() if created is not None else None,
        url=job.studio_url,
    )
    for step, node in (job.jobs or {}).items():
        kind = str(getattr(node, "type", "command"))
        summary.steps[step] = StepRecord(step, "sweep" if kind == "sweep" else kind, "waiting")
    times = {item.get("runId"): item for item in raw if isinstance(item, dict)}
    for child in children:
        if child is None:
            continue
        step = child.display_name if child.display_name in summary.steps else None
        if step is None:
            continue
        record = summary.steps[step]
        record.run_id, record.status = child.name, _azure_status(child.status)
        item = times.get(child.name, {})
        record.started, record.ended = utc_seconds(item.get("startTimeUtc")), utc_seconds(item.get("endTimeUtc"))
        if record.status == "failed":
            record.reason = run_failure(item)  # RunHistory's error.error.message, as a sweep's trials show it
        if record.type == "sweep":
            try:
                record.sweep = sweeps.status(child.name, histories=histories)
            except MonitorInputError as e:  # a child Azure lists but will not show as a sweep: said, not hidden
                record.reason = str(e).splitlines()[0]
    ends = [s.ended for s in summary.steps.values() if s.ended is not None]
    if summary.status in ("completed", "failed", "canceled") and ends:
        summary.ended = max(ends)
    return summary


def _azure_status(status) -> str:
    text = str(getattr(status, "value", status) or "unknown")
    return _AZURE.get(text, text.lower())


def utc_seconds(text: str | None) -> float | None:
    """RunHistory's UTC time (``2026-02-27T20:32:31.0996825+00:00``) as epoch seconds; None if absent or unreadable."""
    if not text:
        return None
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def run_failure(item: dict) -> str | None:
    """Why Azure says a run failed: RunHistory's ``error.error.message`` (its ``code`` when it has no message), on
    one line (a sweep's trial and a pipeline's step alike)."""
    error = item.get("error") or {}
    inner = error.get("error") if isinstance(error, dict) else None
    if not isinstance(inner, dict):
        return None
    text = " ".join(str(inner.get("message") or inner.get("code") or "").split())
    return text or None


# the local store --------------------------------------------------------------------------------------------


def local_pipeline_run(sweeps, name: str):
    """The pipeline run named ``name`` in a local store (``LocalSweeps``), or None."""
    experiments = sweeps._experiments()
    if not experiments:
        return None
    quoted = name.replace("'", "\\'")
    found = sweeps.client.search_runs(
        experiments, f"tags.`{TAG_PIPELINE}` = '{quoted}' and tags.`{TAG_KIND}` = 'pipeline'", max_results=1
    )
    return found[0] if found else None


def local_pipeline_runs(sweeps) -> list:
    """Every pipeline run of a local store, newest first."""
    experiments = sweeps._experiments()
    if not experiments:
        return []
    return sweeps._search(experiments, f"tags.`{TAG_KIND}` = 'pipeline'", order_by=["attributes.start_time DESC"])


def read_local_pipeline(sweeps, run, *, histories: bool = True) -> PipelineSummary:
    """The pipeline of ``run`` (its run in the store), each sweep step's sweep read as `sweep status` reads it."""
    tags = run.data.tags
    try:
        declared = json.loads(tags.get(TAG_STEPS, "{}"))
    except ValueError:
        declared = {}
    dead = sweeps.orphaned(run)  # its runner died: interrupted, as a sweep whose emulator died (monitor.local)
    summary = PipelineSummary(
        name=tags.get(TAG_PIPELINE, run.info.run_name),
        where="local",
        location=sweeps.uri,
        status="interrupted" if dead else tags.get(TAG_STATE) or _MLFLOW.get(run.info.status, run.info.status.lower()),
        run_id=run.info.run_id,
        experiment=run.info.experiment_id,
        started=_seconds(run.info.start_time),
        ended=_seconds(run.info.end_time),
        cancel_requested=tags.get(TAG_CANCEL_REQUESTED),
        ui_command=_ui_command(sweeps.uri),
    )
    for step, facts in declared.items():
        state = facts.get("state", "waiting")
        summary.steps[step] = StepRecord(
            name=step,
            type=facts.get("type", "command"),
            status="interrupted" if dead and state == "running" else state,
            after=list(facts.get("after") or []),
            reason=facts.get("reason"),
        )
    children = sweeps._search([run.info.experiment_id], f"tags.`{TAG_PARENT}` = '{run.info.run_id}'")
    seen: set[str] = set()
    for child in sorted(children, key=lambda r: r.info.start_time or 0, reverse=True):  # a step's newest run decides
        step = child.data.tags.get(TAG_STEP)
        if step is None or step in seen:
            continue
        seen.add(step)
        record = summary.steps.setdefault(step, StepRecord(step, "command", "running"))
        ctags = child.data.tags
        record.run_id = child.info.run_id
        record.started, record.ended = _seconds(child.info.start_time), _seconds(child.info.end_time)
        record.inputs = _json_tag(ctags, TAG_INPUTS)
        record.outputs = _json_tag(ctags, TAG_OUTPUTS)
        if ctags.get(TAG_KIND) == "parent":
            record.type = "sweep"
            record.sweep = sweeps.status(ctags.get(TAG_SWEEP, child.info.run_name), histories=histories)
    return summary


def request_local_cancel(sweeps, name: str, stamp: str) -> PipelineSummary:
    """Ask a pipeline running here to stop: the request on its run (its runner polls it between steps) and on its
    running sweep step's run (the sweep's scheduler polls that one while the step runs, not the pipeline's)."""
    run = local_pipeline_run(sweeps, name)
    if run is None:
        raise MonitorInputError(f"no pipeline named {name!r} in {sweeps.describe()}")
    state = run.data.tags.get(TAG_STATE)
    if sweeps.orphaned(run) is not None:
        raise MonitorInputError(
            f"pipeline {name} is interrupted: the runner that ran it stopped without ending it (killed?); there is "
            f"nothing to stop. Resume it with: sweep submit {run.data.tags.get(TAG_SPEC) or 'PIPELINE.yml'} --local"
            f"{'' if _ui_command(sweeps.uri) == 'mlflow ui' else ' --tracking-uri ' + sweeps.uri} --resume {name}"
        )
    if state != "running" or run.info.status != "RUNNING":
        raise MonitorInputError(
            f"pipeline {name} is not running (it is {state or run.info.status.lower()}); nothing to cancel"
        )
    sweeps.client.set_tag(run.info.run_id, TAG_CANCEL_REQUESTED, stamp)
    pipeline = read_local_pipeline(sweeps, run, histories=False)
    for step in pipeline.sweep_steps:
        if step.sweep is not None and step.sweep.status == "running":
            sweeps.client.set_tag(step.run_id, TAG_CANCEL_REQUESTED, stamp)
    return read_local_pipeline(sweeps, run, histories=False)


def _json_tag(tags: dict[str, str], key: str) -> dict[str, Any]:
    try:
        value = json.loads(tags.get(key, "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _ui_command(uri: str) -> str:
    from ..emulator.tracking import ui_command

    return ui_command(uri)


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000
