"""The sweep service, locally: sample, launch, watch, cancel, record, in Azure ML's order and by its rules.

``run_local(spec)`` keeps at most max_concurrent_trials trials running, asks the sampler for trial ``i``'s
parameters, starts each trial as a child run, reads the primary metric's history from the store while trials run
(every ``poll_seconds``, and at once when a trial exits), feeds it to the early-termination policy, and records every
new best on the parent run. docs/semantics.md is the contract each rule follows.
The pieces: ``workarea`` and ``inputs`` check what the sweep is given, ``resume`` opens it in the store, ``launch``
starts and settles trials, ``judge`` applies the policy and keeps the best trial; this module is the loop.
"""

from __future__ import annotations

import json
import os
import queue
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

from ..errors import UserError
from ..spec.model import SweepSpec
from .flocks import SweepLock
from .inputs import check_local_code, resolve_inputs
from .judge import BestTrial, PolicyJudge
from .launch import Launcher, Running
from .live import INTERRUPTED, NOT_EMULATED, LiveSweep, LiveTrial
from .options import Event, LocalOptions, concurrency_of, with_options
from .policies import EarlyTerminationPolicy, make_policy
from .processes import Watchdog, on_signals, stop_leftovers
from .resume import Previous, check_resumable, load_previous, open_sweep
from .samplers import Sampler, make_sampler
from .server import TrackingServer, serving
from .tags import BEST_RUN_TAG, TAG_CONCURRENCY
from .tracking import Store, check_writable_store, resolve_uri, store_folder
from .workarea import WorkArea, sweep_name

FIRST_BATCH_MESSAGE = "Marking the experiment as failed because initial child jobs have failed due to user error"
FINAL_STATUS = {"completed": "FINISHED", "failed": "FAILED", "canceled": "KILLED", INTERRUPTED: "KILLED"}

__all__ = ["INTERRUPTED", "LocalOptions", "run_local"]


def run_local(
    spec: SweepSpec,
    options: LocalOptions | None = None,
    *,
    policy: EarlyTerminationPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sampler: Sampler | None = None,
    server: TrackingServer | None = None,
    **given: Any,
) -> LiveSweep:
    """Run ``spec`` as Azure ML would, on this machine; every trial an MLflow child run of the sweep's run.

    Settings come as ``options`` (``LocalOptions``), or as keywords named after its fields, a keyword winning over the
    same field of ``options``: ``run_local(spec, max_concurrent=2, name="mine")``; a keyword that is not a field is a
    TypeError naming them. ``policy`` replaces the spec's early-termination policy, ``sampler`` the spec's sampler
    (``LockSampler`` runs a lock file's trials) and ``clock`` the monotonic clock (seconds). ``server`` is a tracking
    server over the store that the caller started and stops (a pipeline's, for all its sweep steps); None: the sweep
    starts its own where it serves one (``server.serving``). Raises ``UserError``
    before the store or any file is touched when the sweep cannot run here (a name that is not a valid job name, a
    remote input without a local stand-in, a remote code folder), ``SweepRunning`` while another emulator runs the
    same sweep, ``StoreUnusable`` when the store cannot be opened.
    """
    options = with_options(options, **given)
    sweep = sweep_name(spec, name=options.name, resume=options.resume)
    uri = resolve_uri(options.tracking_uri)
    area = WorkArea(store_folder(uri), sweep)
    input_values = resolve_inputs(spec, options.inputs)
    check_local_code(spec)
    exists = check_writable_store(uri)  # an application's database, or a store that cannot be written: refused now
    if options.resume is not None and not exists:
        raise UserError(f"--resume {sweep}: no sweep of that name in {uri}: there is no store there yet")
    # the sweep's own server, or the caller's (started and stopped by the caller)
    served = serving(uri, options, exists=exists, log_folder=area.folder) if server is None else nullcontext(server)
    with served as server:
        if sampler is None:
            sampler = make_sampler(spec)
        if policy is None:
            policy = make_policy(spec.policy)
        store = Store(uri, exists=exists)  # first: a store that cannot be opened is refused before any folder is made
        if options.resume is not None:
            check_resumable(store, sweep)  # refused before the sweep's folder is made; again under its lock
        with SweepLock(area.folder, sweep):  # held until the sweep ends: one emulator per sweep
            if server is not None:
                server.release()  # the store exists now
            scheduler = _Scheduler(
                spec,
                options,
                sweep,
                store=store,
                area=area,
                sampler=sampler,
                input_values=input_values,
                policy=policy,
                clock=clock,
                server=server,
            )
            return scheduler.run()


class _Scheduler:
    """One sweep's loop: keeps the slots full, polls the store, reaps exited trials, stops as Azure would."""

    def __init__(
        self,
        spec: SweepSpec,
        options: LocalOptions,
        name: str,
        *,
        store: Store,
        area: WorkArea,
        sampler: Sampler,
        input_values: Mapping[str, Any],
        policy: EarlyTerminationPolicy | None,
        clock: Callable[[], float],
        server: TrackingServer | None = None,
    ):
        self.spec, self.options, self.name, self.store, self.clock = spec, options, name, store, clock
        self.server, self.server_reported = server, False
        self.metric, self.goal = spec.objective.primary_metric, spec.objective.goal
        self.emit: Event = options.on_event or (lambda kind, result: None)
        self.order = list(sampler.indices(spec.trial_count()))  # the trial indices to run, in the order to start them
        self.total = len(self.order)
        self.concurrency, self.cap_note = concurrency_of(spec.limits.concurrency, self.total, options.max_concurrent)
        self.judge = PolicyJudge(policy, self.goal)
        self.best = BestTrial(store, self.goal)
        self.exits: queue.Queue = queue.Queue()  # a trial's process exited (or Ctrl-C): wake the loop
        self.running: dict[str, Running] = {}
        self.interrupts = 0
        self.stopped_by: int | None = None  # the signal that interrupted the sweep (SIGINT, SIGTERM)
        self.stopping: str | None = None  # why no more trials start: None while the sweep goes on
        self.canceled_by_request = False  # `sweep cancel` asked (it stops the sweep as Ctrl-C does)
        self.rerun: list[int] = []  # trials of a resumed sweep to run again, before any new one
        self.superseded: dict[int, str] = {}
        self.position = 0  # in self.order: the next new trial to start
        self.area = area
        self.launcher = Launcher(
            spec,
            store,
            sampler,
            area,
            input_values=input_values,
            threads=max(1, (os.cpu_count() or 1) // self.concurrency),
            grace=options.cancel_grace,
            clock=clock,
            on_exit=self.exits.put,
            extra_env=options.env,
            trial_uri=lambda: (server.uri if server else None) or store.uri,
            keep_work=options.keep_work,
        )

    def run(self) -> LiveSweep:
        stop_leftovers(self.area.folder)  # a dead emulator's trials, before their runs or folders are touched
        result = self._open()
        self.emit("start", result)
        with on_signals(self._interrupt), Watchdog() as watchdog:
            self.launcher.watchdog = watchdog
            try:
                self._loop(result)
                result.status, result.message = self._outcome(result)
            except BaseException:
                self._abort(result)
                raise
        result.stopped_by = self.stopped_by
        if result.status == "failed" and result.best_trial is not None:
            self._no_best(result)
        result.elapsed = self.clock() - result.started
        self.store.end_sweep(result.parent_run_id, result.status, FINAL_STATUS[result.status])
        self.emit("end", result)
        return result

    def _open(self) -> LiveSweep:
        resuming = self.options.resume is not None
        experiment_id, parent_id = open_sweep(
            self.store, self.spec, self.name, resume=resuming, parent_run=self.options.parent_run
        )
        result = LiveSweep(
            name=self.name,
            tracking_uri=self.store.uri,
            experiment_id=experiment_id,
            parent_run_id=parent_id,
            goal=self.goal,
            primary_metric=self.metric,
            concurrency=self.concurrency,
            work_dir=str(self.area.folder),
            cap_note=self.cap_note,
            warnings=[] if self.options.environment else [NOT_EMULATED],
            resumed=resuming,
            started=self.clock(),
            tracking_server=self.server.uri if self.server else None,
            client=self.store.client,
        )
        # every reader of the store (status, the report's timeline) can then say how many ran at once, and why
        at_once = json.dumps({"at_once": self.concurrency, "note": self.cap_note})
        self.store.set_tag(parent_id, TAG_CONCURRENCY, at_once)
        if resuming:
            self._take_over(result, load_previous(self.store, experiment_id, parent_id, self.metric, self.goal))
        return result

    def _take_over(self, result: LiveSweep, previous: Previous) -> None:
        result.trials.extend(previous.trials)
        for trial in previous.trials:
            self.judge.start(trial)
            self.best.consider(result, trial, record=False)
        self.rerun, self.superseded = previous.rerun, previous.superseded
        started = {t.index for t in previous.trials} | set(previous.rerun)
        self.position = max((p for p, i in enumerate(self.order) if i in started), default=-1) + 1

    # the loop ------------------------------------------------------------------------------------------

    def _loop(self, result: LiveSweep) -> None:
        # the first batch's trials and how they ended, kept as they end: no rescan of every trial at each exit
        first_batch = {i: None for i in self.order[: min(self.concurrency, self.total)]}
        for trial in result.trials:
            if trial.index in first_batch and trial.status != "running":
                first_batch[trial.index] = trial.status
        timeout, trial_timeout = self.spec.limits.timeout, self.spec.limits.trial_timeout
        deadline = self.clock() + timeout if timeout else None
        poll = self.options.poll_seconds
        next_poll = self.clock() + poll
        while True:
            if self.interrupts and self.stopping != INTERRUPTED:
                self._stop(INTERRUPTED, INTERRUPTED)
            if deadline is not None and self.clock() >= deadline and self.stopping is None:
                self._stop("timeout", f"sweep timeout ({timeout} s)")
            self._check_server(result)
            self._fill(result)
            if not self.running:
                return
            self._wait(min(next_poll, deadline or next_poll))
            now = self.clock()
            for run in list(self.running.values()):
                if trial_timeout and now - run.proc.started >= trial_timeout:
                    run.proc.cancel(f"trial_timeout ({trial_timeout} s)")
                run.proc.escalate(now)
            if now >= next_poll:
                self._poll(result)
                self._check_cancel_request(result)
                next_poll = self.clock() + poll
            for run in list(self.running.values()):
                if run.proc.returncode is not None:
                    self._reap(result, run)
                    if run.trial.index in first_batch:
                        first_batch[run.trial.index] = run.trial.status
                        if self.stopping is None and _first_batch_failed(first_batch):
                            self._stop("failed", "the sweep failed: initial child jobs failed")

    def _fill(self, result: LiveSweep) -> None:
        """Start trials while a slot is free: interrupted trials of a resumed sweep first, then new ones in order."""
        while self.stopping is None and len(self.running) < self.concurrency:
            if self.rerun:
                index = self.rerun.pop(0)
            elif self.position < self.total:
                index, self.position = self.order[self.position], self.position + 1
            else:
                return
            run = self.launcher.launch(result, index, self.superseded.pop(index, None))
            if run is None:
                self.position = self.total  # the sampler is exhausted (a grid smaller than the limit)
                return
            self.judge.start(run.trial)
            self.running[run.trial.name] = run
            result.trials.append(run.trial)
            self.emit("trial_started", result)

    def _wait(self, until: float) -> None:
        """Sleep until ``until``, waking at once when a trial's process exits."""
        timeout = max(0.0, until - self.clock())
        if any(run.proc.cancel_reason for run in self.running.values()):
            timeout = min(timeout, 0.1)  # a canceled trial may need its SIGKILL on time
        try:
            self.exits.get(timeout=timeout)
            while True:
                self.exits.get_nowait()
        except queue.Empty:
            pass

    def _poll(self, result: LiveSweep) -> None:
        for run in list(self.running.values()):
            trial = run.trial
            history = self.store.history(trial.run_id, self.metric)
            if len(history) == len(trial.history):
                continue
            trial.history = history
            self._consider(result, trial)
            if self.judge.judge(result.trials, trial, run.proc) is not None:
                self.emit("trial_canceling", result)
        self.emit("progress", result)

    def _check_cancel_request(self, result: LiveSweep) -> None:
        """`sweep cancel` from another terminal: stop as Ctrl-C stops the sweep, so that --resume continues it."""
        if self.stopping is None and self.store.cancel_requested(result.experiment_id, result.parent_run_id):
            self.canceled_by_request = True
            self._stop(INTERRUPTED, INTERRUPTED)
            self.exits.put(None)

    def _reap(self, result: LiveSweep, run: Running) -> None:
        trial = run.trial
        del self.running[trial.name]
        trial.duration = self.clock() - run.proc.started
        trial.history = self.store.history(trial.run_id, self.metric)
        self._consider(result, trial)
        self.launcher.settle(run, self.judge.pools.get(trial.name))
        self.emit("trial_ended", result)

    def _consider(self, result: LiveSweep, trial: LiveTrial) -> None:
        if self.best.consider(result, trial):
            self.emit("best", result)

    def _check_server(self, result: LiveSweep) -> None:
        """Once the sweep's tracking server failed: say so, cancel the trials logging through it; later trials log to
        the store directly."""
        failure = self.server.failure if self.server else None
        if failure is None or self.server_reported:
            return
        self.server_reported = True
        result.tracking_server = None
        result.warnings.append(f"{failure}; trials log to the store directly")
        served = f"http://127.0.0.1:{self.server.port}"
        for run in self.running.values():
            if run.proc.env.get("MLFLOW_TRACKING_URI") == served:
                run.proc.cancel("the sweep's MLflow tracking server it logged to stopped")
        self.emit("warning", result)

    # stopping ------------------------------------------------------------------------------------------

    def _stop(self, why: str, reason: str) -> None:
        self.stopping = why
        for run in self.running.values():
            run.proc.cancel(reason)

    def _outcome(self, result: LiveSweep) -> tuple[str, str]:
        if self.stopping == INTERRUPTED:
            how = "canceled by `sweep cancel`" if self.canceled_by_request else "interrupted"
            return INTERRUPTED, f"{how}: resume with --resume {result.name}"
        if self.stopping == "failed":
            first = min((t for t in result.trials if t.status == "failed"), key=lambda t: t.index)
            return (
                "failed",
                f"UserError: {FIRST_BATCH_MESSAGE}.\n{first.name} exited with code {first.exit_code}; "
                f"its log ends with:\n{first.log_tail}",
            )
        if self.stopping == "timeout":
            # Azure: "Once this limit is reached the system cancels the sweep job, including all its trials"
            timeout = self.spec.limits.timeout
            return "canceled", f"the sweep reached its timeout of {timeout} s; running trials were canceled"
        if result.best_trial is None and result.trials:
            return "completed", f"no trial logged the primary metric `{self.metric}`, so there is no best trial"
        return "completed", ""

    def _abort(self, result: LiveSweep) -> None:
        """The emulator itself failed: every trial stopped and settled, the sweep ended as failed."""
        for run in list(self.running.values()):
            run.proc.cancel("the emulator stopped on an error")
        for run in list(self.running.values()):
            run.proc.kill_now()
            run.proc.proc.wait()
            self._reap(result, run)
        result.status, result.message = "failed", "the emulator stopped on an error"
        self.store.end_sweep(result.parent_run_id, "failed", "FAILED")

    def _no_best(self, result: LiveSweep) -> None:
        """A failed sweep names no best trial (ours: its values came from trials that failed, as the sweep did); the
        parent's ``best_child_run_id``, set while it ran, goes too, so the store says what the summary says."""
        result.best_trial = None
        self.store.delete_tag(result.parent_run_id, BEST_RUN_TAG)

    def _interrupt(self, signum: int) -> None:
        self.stopped_by = self.stopped_by or signum
        self.interrupts += 1
        if self.interrupts > 1:  # a second Ctrl-C: no more grace
            for run in list(self.running.values()):
                run.proc.kill_now()
        self.exits.put(None)


def _first_batch_failed(first_batch: Mapping[int, str | None]) -> bool:
    """Azure fails the sweep when every trial of its first batch failed (a user error, most likely)."""
    return bool(first_batch) and all(status == "failed" for status in first_batch.values())
