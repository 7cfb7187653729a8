"""A pipeline run on this machine: its steps in dependency order, a command step as one process
(``command_step``), a sweep step under the emulator with every rule of a standalone sweep (``sweep_step``,
``emulator.run_local``), the sweep step's outputs those of its best trial.

The store holds Azure's run hierarchy: the pipeline's run (``sweep.kind = pipeline``), a child run per step that
started (``mlflow.parentRunId``), and a sweep step's trials as children of that step's run, which is the sweep's own
run (so `sweep status <pipeline>_<step>` reads it as any sweep). Where Azure is silent (docs/semantics.md, "Sweep
steps in a pipeline"), ours: command steps with no dependency between them run at once, up to the cores (or
``max_concurrent``); a sweep step starts when no other step runs, and no step starts while it runs, so its trials
have the cores as a standalone sweep's have. A step that fails (or is canceled) fails the pipeline: its dependants
are skipped, each named with the step it needed; unless ``settings.continue_on_step_failure``, running steps are
canceled and no other step starts. Ctrl-C or SIGTERM stops it resumable: ``--resume NAME`` runs again only the steps
that did not end, and continues an interrupted sweep step as a sweep's ``--resume`` does.
"""

from __future__ import annotations

import json
import os
import queue
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..emulator import run_local
from ..emulator.flocks import SweepLock
from ..emulator.options import LocalOptions, with_options
from ..emulator.processes import Watchdog, on_signals, stop_leftovers
from ..emulator.server import TrackingServer, serving
from ..emulator.tags import (
    BEST_RUN_TAG,
    TAG_KIND,
    TAG_OUTPUTS,
    TAG_PIPELINE,
    TAG_SPEC,
    TAG_STATE,
    TAG_STEP,
    TAG_STEPS,
)
from ..emulator.tracking import RunInfo, Store, check_writable_store, resolve_uri, store_folder, ui_command
from ..emulator.workarea import WorkArea, sweep_name
from ..errors import InputError, UserError
from ..spec.names import job_name_problem
from .command_step import StepProcess, settle_command_step, start_command_step
from .declared import Binding, Pipeline, Step
from .local_inputs import stand_ins
from .sweep_step import sweep_spec_of

INTERRUPTED = "interrupted"
TAG_MAX = 8000  # MLflow's MAX_TAG_VAL_LENGTH
FAILED = ("failed", "canceled")
# a step's sweep, as the emulator says it ended -> the step's state
SWEEP_STATES = {"completed": "completed", "failed": "failed", "canceled": "canceled", INTERRUPTED: INTERRUPTED}


@dataclass
class StepRun:
    """One step of a pipeline run here: its state and, once it completed, its output folders."""

    name: str
    type: str  # command | sweep
    after: list[str]  # the steps whose outputs it takes
    status: str = "waiting"  # waiting | running | completed | failed | canceled | skipped | interrupted
    reason: str | None = None  # why it failed, was canceled or skipped
    duration: float | None = None  # seconds, start to end (None: not run by this run)
    run_id: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)  # output name -> local folder (a sweep's: its best trial's)
    # a sweep step: the emulator's live state of its sweep as it ended (``emulator.run_local``); ``submit.run_pipeline_local``
    # (``monitor.fresh``) gives the sweep as `sweep status` reads it instead, a step that ended earlier's too
    sweep: Any = None
    sweep_name: str | None = None  # a sweep step: its sweep's name, `<pipeline>_<step>`
    earlier: bool = False  # it ended in an earlier run of the pipeline (--resume) and was not run again

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "status": self.status,
            "after": self.after,
            "reason": self.reason,
            "duration_s": None if self.duration is None else round(self.duration, 3),
            "run_id": self.run_id,
            "outputs": self.outputs,
            "earlier_run": self.earlier,
            "sweep": self.sweep_name,
        }


@dataclass
class PipelineRun:
    """A pipeline run here, as it ended (or so far, in an ``on_step`` event)."""

    name: str
    tracking_uri: str
    experiment_id: str = ""
    run_id: str = ""
    work_dir: str = ""
    status: str = "running"  # running | completed | failed | interrupted
    message: str = ""
    steps: dict[str, StepRun] = field(default_factory=dict)  # in dependency order
    outputs: dict[str, str] = field(default_factory=dict)  # pipeline output -> the local folder bound to it
    elapsed: float = 0.0
    resumed: bool = False
    stopped_by: int | None = None  # interrupted: the signal (2 SIGINT, 15 SIGTERM)
    ui_command: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.name,
            "status": self.status,
            "message": self.message,
            "tracking_uri": self.tracking_uri,
            "experiment_id": self.experiment_id,
            "run_id": self.run_id,
            "steps": {name: step.to_dict() for name, step in self.steps.items()},
            "outputs": self.outputs,
            "elapsed_s": round(self.elapsed, 3),
            "resumed": self.resumed,
            "work_dir": self.work_dir,
            "ui_command": self.ui_command,
        }


StepEvent = Callable[[str, PipelineRun, StepRun | None], None]


def run_pipeline_local(
    pipeline: Pipeline,
    options: LocalOptions | None = None,
    *,
    on_step: StepEvent | None = None,
    clock: Callable[[], float] = time.monotonic,
    **given: Any,
) -> PipelineRun:
    """Run ``pipeline`` here; options as ``emulator.run_local`` takes them (``inputs``: stand-ins for remote inputs,
    ``NAME`` or ``STEP.NAME``; ``name``/``resume``: the pipeline's; ``max_concurrent``: steps at once, and a sweep
    step's trials at once; ``on_event``: each sweep step's progress). ``on_step(kind, run, step)`` is called with
    "start", "step_started", "step_ended", "step_skipped" and "end". Raises ``UserError`` before the store is touched
    when the pipeline cannot run here (a remote input without a stand-in, a registered component, a bad name)."""
    options = with_options(options, **given)
    name = sweep_name(pipeline, name=options.name, resume=options.resume)
    for step in pipeline.sweep_steps():
        problem = job_name_problem(f"{name}_{step.name}")
        if problem:
            raise InputError(f"the sweep of step {step.name}: {problem}; give the pipeline a shorter --name")
    found = stand_ins(pipeline, options.inputs)
    uri = resolve_uri(options.tracking_uri)
    area = WorkArea(store_folder(uri), name)
    exists = check_writable_store(uri)
    if options.resume is not None and not exists:  # refused before a store is created
        raise UserError(f"--resume {name}: no pipeline of that name in {uri}: there is no store there yet")
    # one tracking server for every sweep step, started as a sweep starts its own (emulator.run_local)
    wanted = pipeline.sweep_steps()
    with serving(uri, options, exists=exists, log_folder=area.folder) if wanted else nullcontext() as server:
        store = Store(uri, exists=exists)
        with SweepLock(area.folder, name):
            if server is not None:
                server.release()  # the store exists now
            return _Runner(pipeline, options, name, store, area, found, on_step, clock, server).run()


class _Runner:
    def __init__(self, pipeline, options, name, store, area, found, on_step, clock, server):
        self.pipeline, self.options, self.store, self.area, self.found = pipeline, options, store, area, found
        self.server: TrackingServer | None = server  # the sweep steps' (run_pipeline_local)
        self.emit: StepEvent = on_step or (lambda kind, run, step: None)
        self.clock = clock
        self.slots = options.max_concurrent or os.cpu_count() or 1
        self.threads = max(1, (os.cpu_count() or 1) // self.slots)
        self.exits: queue.Queue = queue.Queue()
        self.running: dict[str, StepProcess] = {}
        self.started_at: dict[str, float] = {}
        self.stopping: str | None = None  # None while steps may start; "failed" or INTERRUPTED
        self.interrupts = 0
        self.canceled_by_request = False
        self.watchdog: Watchdog | None = None
        self.result = PipelineRun(name=name, tracking_uri=store.uri, work_dir=str(area.folder))
        self.result.ui_command = ui_command(store.uri)
        for step_name in pipeline.order:
            step = pipeline.steps[step_name]
            self.result.steps[step_name] = StepRun(step_name, step.type, list(step.depends_on))
            if step.type == "sweep":
                self.result.steps[step_name].sweep_name = f"{name}_{step_name}"

    # the run ----------------------------------------------------------------------------------------------

    def run(self) -> PipelineRun:
        stop_leftovers(self.area.folder)  # a dead emulator's command steps, before their folders are touched
        started = self.clock()
        self._open()
        self.emit("start", self.result, None)
        with on_signals(self._interrupt), Watchdog() as watchdog:
            self.watchdog = watchdog
            try:
                self._loop()
            except BaseException:
                self._abort()
                raise
        self.result.elapsed = self.clock() - started
        self._finish()
        self.emit("end", self.result, None)
        return self.result

    def _loop(self) -> None:
        while True:
            if self.stopping is None and self.store.cancel_requested(self.result.experiment_id, self.result.run_id):
                self.canceled_by_request = True  # a request on the pipeline's run (`sweep cancel`): as Ctrl-C
                self.interrupts += 1
            if self.interrupts and self.stopping != INTERRUPTED:
                self._stop(INTERRUPTED, INTERRUPTED)
            for running in list(self.running.values()):
                running.proc.escalate()
                if running.ended_at is not None:
                    self._settle(running)
            if self.stopping is None and self._start_ready():
                continue  # a sweep step ran: look again at once
            if not self.running:
                return
            canceling = any(r.proc.cancel_reason for r in self.running.values())
            try:  # woken by a step's exit or a signal; a canceled step may need its SIGKILL on time
                self.exits.get(timeout=0.1 if canceling else 1.0)
            except queue.Empty:
                pass

    def _start_ready(self) -> bool:
        """Start the steps whose inputs are ready, in order; True when a sweep step ran (it blocks until it ends)."""
        for name in self.pipeline.order:
            step_run = self.result.steps[name]
            if step_run.status != "waiting" or not all(
                self.result.steps[d].status == "completed" for d in step_run.after
            ):
                continue
            step = self.pipeline.steps[name]
            if step.type == "sweep":
                if self.running:
                    return False  # it starts once the machine is its own
                self._run_sweep(step)
                return True
            if len(self.running) >= self.slots:
                return False
            self._start_command(step)
        return False

    def _start_command(self, step: Step) -> None:
        step_run = self.result.steps[step.name]
        running = start_command_step(
            step,
            self._inputs_of(step),
            store=self.store,
            area=self.area,
            experiment_id=self.result.experiment_id,
            pipeline_run=self.result.run_id,
            pipeline=self.result.name,
            env=self.options.env or {},
            threads=self.threads,
            grace=self.options.cancel_grace,
            clock=self.clock,
            watchdog=self.watchdog,
            on_exit=self.exits.put,
        )
        self.running[step.name] = running
        self.started_at[step.name] = running.proc.started
        step_run.status, step_run.run_id = "running", running.run_id
        self._record()
        self.emit("step_started", self.result, step_run)

    def _settle(self, running: StepProcess) -> None:
        del self.running[running.step]
        step_run = self.result.steps[running.step]
        state, reason = settle_command_step(
            running, store=self.store, area=self.area, watchdog=self.watchdog, keep_work=self.options.keep_work
        )
        step_run.duration = (running.ended_at or self.clock()) - self.started_at[running.step]
        step_run.status, step_run.reason = state, reason
        if state == "completed":
            step_run.outputs = dict(running.outputs)
        self._ended(step_run)

    def _run_sweep(self, step: Step) -> None:
        step_run = self.result.steps[step.name]
        sweep = step_run.sweep_name
        spec = sweep_spec_of(self.pipeline, step, self._inputs_of(step), self._experiment())
        # interrupted in an earlier run of this pipeline (a new run refused a name taken, in _open)
        resume = self.result.resumed and self.store.find_sweep(sweep) is not None
        user_event = self.options.on_event

        def on_event(kind: str, live) -> None:
            if kind == "start":
                step_run.run_id = live.parent_run_id
                self.store.set_tag(live.parent_run_id, TAG_PIPELINE, self.result.name)
                self.store.set_tag(live.parent_run_id, TAG_STEP, step.name)
                self._record()
                self.emit("step_started", self.result, step_run)
            if user_event is not None:
                user_event(kind, live)

        step_run.status = "running"
        options = replace(
            self.options,
            name=None if resume else sweep,
            resume=sweep if resume else None,
            inputs=None,  # resolved here: the stand-ins are the pipeline's
            parent_run=self.result.run_id,
            on_event=on_event,
        )
        started = self.clock()
        live = run_local(spec, options, server=self.server)
        step_run.duration = self.clock() - started
        step_run.sweep, step_run.run_id = live, live.parent_run_id
        step_run.status = SWEEP_STATES.get(live.status, "failed")
        step_run.reason = live.message or None
        if step_run.status == "completed":
            outputs = self._best_outputs(step, live.parent_run_id)
            if outputs is None:
                step_run.status = "failed"
                step_run.reason = (
                    live.message or "no trial logged the primary metric: no best trial to take outputs from"
                )
            else:
                step_run.outputs = outputs
                self.store.set_tag(live.parent_run_id, TAG_OUTPUTS, json.dumps(outputs))
        if step_run.status == INTERRUPTED:
            self.result.stopped_by = live.stopped_by
            self.interrupts += 1
            self._stop(INTERRUPTED, INTERRUPTED)
        self._ended(step_run)

    def _best_outputs(self, step: Step, sweep_run: str) -> dict[str, str] | None:
        """The best trial's output folders (Azure: a sweep step's outputs are its best trial's), or None when the
        sweep has no best trial."""
        best = self.store.run(sweep_run).tags.get(BEST_RUN_TAG)
        if best is None:
            return None
        trial = self.store.run(best).name
        folder = WorkArea(store_folder(self.store.uri), self.result.steps[step.name].sweep_name).folder / trial
        return {name: str(folder / "outputs" / name) for name in step.component.outputs}

    def _ended(self, step_run: StepRun) -> None:
        self._record()
        self.emit("step_ended", self.result, step_run)
        if step_run.status in FAILED:
            self._failed(step_run)

    def _failed(self, failed: StepRun) -> None:
        """Skip the steps that need ``failed``'s outputs, each named; without continue_on_step_failure, stop."""
        skipped = {failed.name}
        for name in self.pipeline.order:
            needed = [d for d in self.result.steps[name].after if d in skipped]
            if needed and self.result.steps[name].status == "waiting":
                skipped.add(name)
                how = (
                    f"which {failed.status}"
                    if needed[0] == failed.name
                    else f"skipped as {failed.name} {failed.status}"
                )
                self._skip(name, f"needs {needed[0]}, {how}")
        if not self.pipeline.settings.continue_on_step_failure and self.stopping is None:
            self._stop("failed", f"the pipeline stopped: step {failed.name} {failed.status}")
            for name, step_run in self.result.steps.items():
                if step_run.status == "waiting":
                    self._skip(
                        name,
                        f"the pipeline stopped after {failed.name} {failed.status} "
                        "(settings.continue_on_step_failure is not true)",
                    )

    def _skip(self, name: str, reason: str) -> None:
        step_run = self.result.steps[name]
        if step_run.status != "waiting":
            return
        step_run.status, step_run.reason = "skipped", reason
        self._record()
        self.emit("step_skipped", self.result, step_run)

    def _stop(self, why: str, reason: str) -> None:
        self.stopping = why
        for running in self.running.values():
            running.proc.cancel(reason)

    def _interrupt(self, signum: int) -> None:
        self.result.stopped_by = self.result.stopped_by or signum
        self.interrupts += 1
        if self.interrupts > 1:  # a second Ctrl-C: no more grace
            for running in self.running.values():
                running.proc.kill_now()
        self.exits.put(None)

    def _abort(self) -> None:
        """The runner itself failed: every running step stopped and its run ended, the pipeline left resumable."""
        for running in list(self.running.values()):
            running.proc.cancel(INTERRUPTED)
            running.proc.kill_now()
            running.proc.proc.wait()
            running.ended_at = running.ended_at or self.clock()
            self._settle(running)
        for step_run in self.result.steps.values():
            if step_run.status == "running":  # a sweep step whose emulator raised: its sweep says how it ended
                step_run.status = INTERRUPTED
        self.result.status = INTERRUPTED
        self._record()
        self.store.end_sweep(self.result.run_id, INTERRUPTED, "KILLED")

    # the store --------------------------------------------------------------------------------------------

    def _experiment(self) -> str:
        return self.pipeline.experiment_name or Path.cwd().name or "Default"

    def _open(self) -> None:
        name, store = self.result.name, self.store
        tags = {TAG_KIND: "pipeline", TAG_PIPELINE: name}
        found = store.find_run(tags)
        if self.options.resume is None:
            if found is not None:
                raise UserError(
                    f"a pipeline named `{name}` already exists in {store.uri}\n"
                    f"  hint: --resume {name} continues it; --name gives a new run another name"
                )
            for step_run in self.result.steps.values():
                if step_run.sweep_name and store.find_sweep(step_run.sweep_name) is not None:
                    raise UserError(
                        f"a sweep named `{step_run.sweep_name}` (the sweep of step {step_run.name}) already exists in "
                        f"{store.uri}\n  hint: --name gives the pipeline another name"
                    )
            self.result.experiment_id = store.experiment_id(self._experiment())
            if self.pipeline.path:
                tags[TAG_SPEC] = str(self.pipeline.path)
            self.result.run_id = store.start_run(self.result.experiment_id, name, {**tags, TAG_STATE: "running"})
            self._record()
            return
        if found is None:
            raise UserError(f"--resume {name}: no pipeline of that name in {store.uri}")
        self.result.experiment_id, run = found
        state = run.tags.get(TAG_STATE)
        if state not in (INTERRUPTED, "running"):
            raise UserError(f"--resume {name}: the pipeline already ended ({state}); there is nothing to resume")
        self.result.run_id, self.result.resumed = run.run_id, True
        store.reopen_sweep(run.run_id)
        self._take_over(store.trials_of(self.result.experiment_id, run.run_id))

    def _take_over(self, children: list[RunInfo]) -> None:
        """The steps that ended in an earlier run keep their state and outputs; the others run again (a sweep step's
        sweep resumed)."""
        seen: set[str] = set()
        for info in children:  # newest first: a step's latest run decides
            name = info.tags.get(TAG_STEP)
            if name not in self.result.steps or name in seen:
                continue
            seen.add(name)
            step_run, state = self.result.steps[name], info.tags.get(TAG_STATE)
            if state in ("completed", "failed", "canceled"):
                step_run.status, step_run.run_id, step_run.earlier = state, info.run_id, True
                step_run.outputs = json.loads(info.tags.get(TAG_OUTPUTS, "{}"))
                if state == "completed" and not step_run.outputs and self.pipeline.steps[name].type == "sweep":
                    step_run.outputs = self._best_outputs(self.pipeline.steps[name], info.run_id) or {}
            elif info.status == "RUNNING" and info.tags.get(TAG_KIND) == "step":
                # a command step whose emulator died: ended here, run again
                self.store.end_trial(info.run_id, "KILLED", {TAG_STATE: INTERRUPTED}, None)
        for step_run in list(self.result.steps.values()):
            if step_run.earlier and step_run.status in FAILED:
                self._failed(step_run)

    def _record(self) -> None:
        """The steps' states on the pipeline's run, for whoever reads the store (the monitor)."""
        steps = {
            name: {"type": s.type, "state": s.status, "after": s.after, "reason": (s.reason or "")[:200] or None}
            for name, s in self.result.steps.items()
        }
        text = json.dumps(steps)
        if len(text) > TAG_MAX:  # a tag holds 8,000 characters: the states whole, the reasons dropped
            text = json.dumps({name: {**step, "reason": None} for name, step in steps.items()})
        self.store.set_tag(self.result.run_id, TAG_STEPS, text)

    def _finish(self) -> None:
        result = self.result
        states = [s.status for s in result.steps.values()]
        if self.stopping == INTERRUPTED or INTERRUPTED in states:
            result.status = INTERRUPTED
            how = "canceled by a request on its run" if self.canceled_by_request else "interrupted"
            result.message = f"{how}: resume with --resume {result.name}"
        elif any(s in (*FAILED, "skipped") for s in states):
            failed = [n for n, s in result.steps.items() if s.status in FAILED]
            skipped = [n for n, s in result.steps.items() if s.status == "skipped"]
            result.status = "failed"
            result.message = f"step {', '.join(failed)} failed" + (
                f"; skipped: {', '.join(skipped)}" if skipped else ""
            )
        else:
            result.status = "completed"
        for name, step in self.pipeline.steps.items():
            for output, bound in step.outputs.items():
                if isinstance(bound, Binding) and output in result.steps[name].outputs:
                    result.outputs[bound.name] = result.steps[name].outputs[output]
        self._record()
        final = {"completed": "FINISHED", "failed": "FAILED", INTERRUPTED: "KILLED"}[result.status]
        self.store.end_sweep(result.run_id, result.status, final)

    # inputs -----------------------------------------------------------------------------------------------

    def _inputs_of(self, step: Step) -> dict[str, Any]:
        """Each input's value here: set on the step, bound (a pipeline input, an earlier step's output folder), or
        the component's default; a remote one's stand-in. A sweep step's swept inputs come from its sampler."""
        values: dict[str, Any] = {n: i.default for n, i in step.component.inputs.items() if i.default is not None}
        for name, value in step.inputs.items():
            if isinstance(value, Binding) and value.kind == "jobs":
                values[name] = self.result.steps[value.step].outputs[value.name]
            elif isinstance(value, Binding):
                given = self.pipeline.inputs[value.name]
                values[name] = self.found.get((None, value.name)) or _value(given)
            else:
                values[name] = self.found.get((step.name, name)) or _value(value)
        for name in step.sweep.search_space if step.sweep else ():
            values.pop(name, None)
        return values


def _value(given) -> Any:
    return given.value if given.type == "literal" else given.path
