"""The sweep service, locally: sample, launch, watch, cancel, record, in Azure ML's order and by its rules.

``run_local(spec)`` keeps at most max_concurrent_trials trials running, asks the sampler for trial ``i``'s
parameters, starts each trial as a child run, reads the primary metric's history from the store while trials run
(every ``POLL_SECONDS``, and at once when a trial exits), feeds it to the early-termination policy, and records every
new best on the parent run. DESIGN.md "The emulator: Azure semantics we commit to" is the contract each rule follows.
"""

from __future__ import annotations

import difflib
import json
import os
import queue
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..model import SweepSpec
from ..names import did_you_mean
from ..space import render_value
from . import policies
from .results import MLFLOW_STATUS, SweepResult, TrialResult, better
from .samplers import Observation, make_sampler
from .savings import estimate_savings, store_timestamps
from .tracking import (
    TAG_CANCEL,
    TAG_CANCEL_POOL,
    TAG_EXIT,
    TAG_GOAL,
    TAG_INDEX,
    TAG_PRIMARY,
    TAG_SPACE,
    TAG_STATE,
    TAG_SUPERSEDED,
    RunInfo,
    Store,
    store_folder,
    ui_command,
)
from .trial import TrialProcess, render_command, snapshot, trial_env

POLL_SECONDS = 0.5  # how often running trials' metric histories are read from the store
CANCEL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL of a canceled trial
INTERRUPTED = "interrupted"  # the cancel reason of trials stopped by Ctrl-C: they are re-run on --resume
FIRST_BATCH_MESSAGE = "Marking the experiment as failed because initial child jobs have failed due to user error"

Event = Callable[[str, SweepResult], None]


def run_local(
    spec: SweepSpec,
    *,
    inputs: Mapping[str, str] | Sequence[str] | None = None,
    max_concurrent: int | None = None,
    tracking_uri: str | None = None,
    name: str | None = None,
    resume: str | None = None,
    on_event: Event | None = None,
) -> SweepResult:
    """Run ``spec`` as Azure ML would, on this machine; every trial an MLflow child run of the sweep's run.

    ``inputs`` gives local stand-ins for remote inputs (``{"iris_csv": "data/iris.csv"}`` or ``["iris_csv=..."]``).
    ``resume`` names an interrupted sweep to continue. Raises ``UserError`` before any trial starts when the spec
    cannot run here (a remote input without a local stand-in, a remote code asset, ...).
    """
    return _Sweep(spec, inputs, max_concurrent, tracking_uri, name, resume, on_event).run()


def resolve_inputs(spec: SweepSpec, given: Mapping[str, str] | Sequence[str] | None) -> dict[str, Any]:
    """Input name -> the value a trial sees: literals as given, local paths as given, remote URIs replaced."""
    overrides: dict[str, str] = {}
    problems: list[str] = []
    items = given.items() if isinstance(given, Mapping) else [_split_input(s, problems) for s in (given or ())]
    for item in items:
        if item is not None:
            overrides[str(item[0])] = str(item[1])
    source = str(spec.path) if spec.path else "<spec>"
    for key in overrides:
        if key not in spec.inputs:
            hint = did_you_mean(key, spec.inputs) or (
                "inputs: " + ", ".join(spec.inputs) if spec.inputs else "the spec has no inputs"
            )
            problems.append(f"--input {key}: the spec has no input `{key}`\n  hint: {hint}")
    values: dict[str, Any] = {}
    for key, inp in spec.inputs.items():
        if key in overrides:
            path = Path(overrides[key]).expanduser()
            if inp.type != "literal" and not path.exists():
                problems.append(f"--input {key}={overrides[key]}: no such file or folder")
            values[key] = overrides[key] if inp.type == "literal" else str(path.resolve())
        elif inp.type == "literal":
            values[key] = inp.value
        elif inp.is_remote:
            problems.append(
                f"{source}: inputs.{key}: `{inp.path}` is remote; the local emulator does not download data\n"
                f"  hint: pass a local copy: --input {key}=path/to/{Path(inp.path.rstrip('/')).name or 'data'}"
            )
        else:
            values[key] = inp.path
    if problems:
        raise UserError("\n".join(problems))
    return values


def _split_input(text: str, problems: list[str]) -> tuple[str, str] | None:
    if "=" not in text or not text.split("=", 1)[0].strip():
        problems.append(f"--input {text}: expected NAME=PATH, e.g. --input iris_csv=data/iris.csv")
        return None
    key, value = text.split("=", 1)
    return key.strip(), value


def _parse_param(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return text


class _Sweep:
    def __init__(self, spec, inputs, max_concurrent, tracking_uri, name, resume, on_event):
        self.spec = spec
        self.goal = spec.objective.goal
        self.metric = spec.objective.primary_metric
        self.on_event = on_event or (lambda kind, result: None)
        self.warnings: list[str] = []
        # everything that can refuse the sweep does so before the store is touched or any trial starts
        self.input_values = resolve_inputs(spec, inputs)
        if spec.trial.code and spec.trial.code.startswith(("azureml:", "http://", "https://")):
            raise UserError(
                f"{spec.path}: trial.code: `{spec.trial.code}` is a remote asset; the local emulator needs a local folder"
            )
        self.sampler = make_sampler(spec)
        self.policy = policies.make_policy(
            spec.policy
        )  # looked up at call time: tests wrap it to record each judgement
        self.total = spec.trial_count()
        self.concurrency, cap_note = _concurrency(spec, max_concurrent)
        self.threads = max(1, (os.cpu_count() or 1) // self.concurrency)
        self.warnings.append("environment not emulated: trials run with this Python interpreter and its packages")
        self.store = Store(tracking_uri)
        self.requested_name, self.resume = name, resume
        self.cap_note = cap_note
        self.interrupts = 0
        self.exits: queue.Queue = queue.Queue()
        self.running: dict[str, tuple[TrialResult, TrialProcess]] = {}
        self.checked: dict[str, int] = {}  # trial name -> last interval the policy has seen
        self.policy_cancels: dict[str, list[str]] = {}  # trial canceled by the policy -> the trials it was judged among
        self.best_updates = 0
        self._best_value: float | None = None
        self.superseded: dict[int, str] = {}  # index of a trial to re-run -> its interrupted run

    # setup ---------------------------------------------------------------------------------------------

    def _open(self) -> SweepResult:
        spec = self.spec
        space_tag = json.dumps(spec.search_space.to_yaml(), sort_keys=True, default=str)[:5000]
        if self.resume:
            found = self.store.find_sweep(self.resume)
            if found is None:
                raise UserError(f"--resume {self.resume}: no sweep of that name in {self.store.uri}")
            experiment_id, parent = found
            state = parent.tags.get(TAG_STATE)
            if state not in (INTERRUPTED, "running"):
                raise UserError(
                    f"--resume {self.resume}: the sweep already ended ({state}); there is nothing to resume"
                )
            if parent.tags.get(TAG_SPACE) not in (None, space_tag):
                raise UserError(
                    f"--resume {self.resume}: the spec's search space differs from the one the sweep started with; resume it with the same spec"
                )
            self.store.reopen_sweep(parent.run_id)
            name, parent_id = self.resume, parent.run_id
        else:
            experiment_id = self.store.experiment_id(spec.experiment_name or Path.cwd().name or "Default")
            name = self.requested_name or spec.name or _generated_name(spec)
            if self.store.find_sweep(name) is not None:
                raise UserError(
                    f"a sweep named `{name}` already exists in {self.store.uri}\n  hint: --resume {name} continues it; --name gives a new sweep another name"
                )
            tags = {
                TAG_PRIMARY: self.metric,
                TAG_GOAL: self.goal,
                TAG_SPACE: space_tag,
                "sweep.sampling": spec.sampling.label,
            }
            if spec.path:
                tags["sweep.spec"] = str(spec.path)
            if spec.display_name:
                tags["mlflow.note.content"] = spec.description or spec.display_name
            parent_id = self.store.start_sweep(experiment_id, name, tags)
        work = store_folder(self.store.uri) / ".sweep" / name
        result = SweepResult(
            name=name,
            tracking_uri=self.store.uri,
            experiment_id=experiment_id,
            parent_run_id=parent_id,
            goal=self.goal,
            primary_metric=self.metric,
            concurrency=self.concurrency,
            work_dir=str(work),
            cap_note=self.cap_note,
            warnings=list(self.warnings),
            resumed=bool(self.resume),
            ui_command=ui_command(self.store.uri),
        )
        return result

    def _load_previous(self, result: SweepResult) -> list[int]:
        """Trials of a resumed sweep: ended ones count as they are; those that never finished are re-run."""
        rerun: list[int] = []
        for info in self.store.trials_of(result.experiment_id, result.parent_run_id):
            if TAG_SUPERSEDED in info.tags or TAG_INDEX not in info.tags:
                continue
            index = int(info.tags[TAG_INDEX])
            trial = TrialResult(
                index=index,
                name=info.name,
                run_id=info.run_id,
                params={k: _parse_param(v) for k, v in info.params.items()},
            )
            trial.history = self.store.history(info.run_id, self.metric)
            trial.best = _best(trial.history, self.goal)
            status = _status_of(info)
            if status is None:  # interrupted, or left RUNNING by a scheduler that died
                if info.status == "RUNNING":
                    self.store.end_trial(info.run_id, "KILLED", {TAG_CANCEL: INTERRUPTED}, None)
                rerun.append(index)
                trial.status = "canceled"
                trial.cancel_reason = INTERRUPTED
                self.superseded[index] = info.run_id
                continue
            trial.status = status
            trial.cancel_reason = info.tags.get(TAG_CANCEL)
            trial.exit_code = int(info.tags[TAG_EXIT]) if info.tags.get(TAG_EXIT, "").lstrip("-").isdigit() else None
            result.trials.append(trial)
            self.checked[trial.name] = len(trial.history)
        for trial in result.trials:
            self._consider_best(result, trial, record=False)
        return sorted(set(rerun))

    # the loop ------------------------------------------------------------------------------------------

    def run(self) -> SweepResult:
        result = self._open()
        rerun = self._load_previous(result) if self.resume else []
        started_indices = {t.index for t in result.trials} | set(rerun)
        next_index = max(started_indices, default=-1) + 1
        first_batch = set(range(min(self.concurrency, self.total)))
        self.on_event("start", result)
        previous = self._install_sigint()
        stopping: str | None = None  # why no more trials start: None while the sweep goes on
        deadline = time.monotonic() + self.spec.limits.timeout if self.spec.limits.timeout else None
        next_poll = time.monotonic() + POLL_SECONDS
        try:
            while True:
                now = time.monotonic()
                if self.interrupts and stopping != INTERRUPTED:
                    stopping = INTERRUPTED
                    self._cancel_all(INTERRUPTED)
                if deadline is not None and now >= deadline and stopping is None:
                    stopping = "timeout"
                    self._cancel_all(f"sweep timeout ({self.spec.limits.timeout} s)")
                while stopping is None and len(self.running) < self.concurrency:
                    if rerun:
                        index = rerun.pop(0)
                    elif next_index < self.total:
                        index, next_index = next_index, next_index + 1
                    else:
                        break
                    if not self._launch(result, index):
                        next_index = self.total  # the sampler is exhausted (a grid smaller than the limit)
                        break
                if not self.running:
                    break
                self._wait(min(next_poll, deadline or next_poll))
                now = time.monotonic()
                for _, proc in list(self.running.values()):
                    if self.spec.limits.trial_timeout and now - proc.started >= self.spec.limits.trial_timeout:
                        proc.cancel(f"trial_timeout ({self.spec.limits.trial_timeout} s)")
                    proc.escalate(now)
                if now >= next_poll:
                    self._poll(result)
                    next_poll = time.monotonic() + POLL_SECONDS
                for trial, proc in list(self.running.values()):
                    if proc.returncode is not None:
                        self._finish(result, trial, proc)
                        if stopping is None and self._first_batch_failed(result, first_batch):
                            stopping = "failed"
                            self._cancel_all("the sweep failed: initial child jobs failed")
            result.status, result.message = self._outcome(result, stopping)
        except BaseException:
            self._cancel_all("the emulator stopped on an error")
            for trial, proc in list(self.running.values()):
                proc.kill_now()
                proc.proc.wait()
                self._finish(result, trial, proc)
            result.status, result.message = "failed", "the emulator stopped on an error"
            self.store.end_sweep(result.parent_run_id, "failed", "FAILED")
            raise
        finally:
            self._restore_sigint(previous)
        result.elapsed = time.monotonic() - result.started
        result.savings = estimate_savings(
            result.trials,
            self.policy_cancels,
            store_timestamps(self.store, self.metric),
            self.policy.name if self.policy else None,
        )
        final = {"completed": "FINISHED", "failed": "FAILED", "canceled": "KILLED", INTERRUPTED: "KILLED"}
        self.store.end_sweep(result.parent_run_id, result.status, final[result.status])
        self.on_event("end", result)
        return result

    def _outcome(self, result: SweepResult, stopping: str | None) -> tuple[str, str]:
        if stopping == INTERRUPTED:
            return INTERRUPTED, f"interrupted: resume with --resume {result.name}"
        if stopping == "failed":
            first = min((t for t in result.trials if t.status == "failed"), key=lambda t: t.index)
            return (
                "failed",
                f"UserError: {FIRST_BATCH_MESSAGE}.\n{first.name} exited with code {first.exit_code}; its log ends with:\n{first.log_tail}",
            )
        if stopping == "timeout":
            # Azure: "Once this limit is reached the system cancels the sweep job, including all its trials"
            return (
                "canceled",
                f"the sweep reached its timeout of {self.spec.limits.timeout} s; running trials were canceled",
            )
        if result.best_trial is None and result.trials:
            return "completed", f"no trial logged the primary metric `{self.metric}`, so there is no best trial"
        return "completed", ""

    def _wait(self, until: float) -> None:
        """Sleep until ``until``, waking at once when a trial's process exits."""
        timeout = max(0.0, until - time.monotonic())
        if any(p.cancel_reason for _, p in self.running.values()):
            timeout = min(timeout, 0.1)  # a canceled trial may need its SIGKILL on time
        try:
            self.exits.get(timeout=timeout)
            while True:
                self.exits.get_nowait()
        except queue.Empty:
            pass

    # trials --------------------------------------------------------------------------------------------

    def _observations(self, result: SweepResult) -> list[Observation]:
        return [Observation(dict(t.params), t.best, t.status) for t in sorted(result.trials, key=lambda t: t.index)]

    def _launch(self, result: SweepResult, index: int) -> bool:
        previous = self.superseded.pop(index, None)
        params = self.sampler.suggest(index, self._observations(result))
        if params is None:
            return False
        name = f"{result.name}_{index}"
        run_id = self.store.start_trial(
            result.experiment_id,
            result.parent_run_id,
            result.name,
            index,
            {k: render_value(v) for k, v in params.items()},
        )
        if previous:
            self.store.set_tag(previous, TAG_SUPERSEDED, run_id)
        folder = Path(result.work_dir) / name
        code = snapshot(self.spec.trial.code, folder / "code")
        outputs = {}
        for out in self.spec.outputs:
            outputs[out] = str(folder / "outputs" / out)
            Path(outputs[out]).mkdir(parents=True, exist_ok=True)
        values = {"search_space": params, "inputs": self.input_values, "outputs": outputs}
        env = trial_env(
            params=params,
            inputs=self.input_values,
            outputs=outputs,
            spec_env=self.spec.trial.environment_variables,
            tracking_uri=self.store.uri,
            experiment_id=result.experiment_id,
            run_id=run_id,
            threads=self.threads,
        )
        log_file = folder / "user_logs" / "std_log.txt"
        proc = TrialProcess(
            render_command(self.spec.trial.command, values), cwd=code, env=env, log_file=log_file, grace=CANCEL_GRACE
        )
        trial = TrialResult(index=index, name=name, run_id=run_id, params=params, log_file=str(log_file))
        proc.start()
        threading.Thread(target=self._watch, args=(proc,), daemon=True).start()
        self.running[name] = (trial, proc)
        self.checked[name] = 0
        result.trials.append(trial)
        self.on_event("trial_started", result)
        return True

    def _watch(self, proc: TrialProcess) -> None:
        proc.proc.wait()
        self.exits.put(proc)

    def _poll(self, result: SweepResult) -> None:
        for trial, proc in list(self.running.values()):
            history = self.store.history(trial.run_id, self.metric)
            if len(history) == len(trial.history):
                continue
            trial.history = history
            self._consider_best(result, trial)
            self._apply_policy(result, trial, proc)
        self.on_event("progress", result)

    def _apply_policy(self, result: SweepResult, trial: TrialResult, proc: TrialProcess) -> None:
        if self.policy is None or proc.cancel_reason:
            return
        histories = {t.name: t.history for t in result.trials}
        for n in range(self.checked.get(trial.name, 0) + 1, len(trial.history) + 1):
            self.checked[trial.name] = n
            if not self.policy.due(n):
                continue
            # judged at its n-th value: the trial's own later values are not yet known to the service
            cancellation = self.policy.evaluate(trial.name, n, {**histories, trial.name: trial.history[:n]}, self.goal)
            if cancellation is not None:
                proc.cancel(cancellation.reason)
                if proc.cancel_reason == cancellation.reason:  # not if the process had exited meanwhile
                    self.policy_cancels[trial.name] = [t for t, h in histories.items() if len(h) >= n]
                self.on_event("trial_canceling", result)
                return

    def _finish(self, result: SweepResult, trial: TrialResult, proc: TrialProcess) -> None:
        del self.running[trial.name]
        code = proc.returncode
        trial.duration = time.monotonic() - proc.started
        trial.history = self.store.history(trial.run_id, self.metric)
        self._consider_best(result, trial)
        tags = {}
        if proc.cancel_reason:
            # DESIGN "final status": ours, from the cancel or the exit code, whatever the script's MLflow said at exit
            trial.status, trial.cancel_reason = "canceled", proc.cancel_reason
            tags[TAG_CANCEL] = proc.cancel_reason
            if trial.name in self.policy_cancels:  # the trials it was judged among: the decision can be re-derived
                tags[TAG_CANCEL_POOL] = ",".join(self.policy_cancels[trial.name])[:8000]
        elif code == 0:
            trial.status = "completed"
        else:
            trial.status, trial.exit_code = "failed", code
            trial.log_tail = proc.log_tail()
            tags[TAG_EXIT] = str(code)
        if trial.status == "completed" and not trial.history:
            trial.note = self._no_metric_note(trial)
            tags["sweep.note"] = trial.note
        self.store.end_trial(trial.run_id, MLFLOW_STATUS[trial.status], tags, proc.log_file)
        self.on_event("trial_ended", result)

    def _no_metric_note(self, trial: TrialResult) -> str:
        names = self.store.metric_names(trial.run_id)
        note = f"finished without logging the primary metric `{self.metric}`"
        if not names:
            return note + "; it logged no metrics (Azure's policies and best-trial choice ignore it)"
        note += "; it logged: " + ", ".join(names)
        close = (
            difflib.get_close_matches(self.metric, names, n=1, cutoff=0.5)
            or [n for n in names if n.lower() in self.metric.lower() or self.metric.lower() in n.lower()][:1]
        )
        return note + (f" (did you mean '{close[0]}'?)" if close else "")

    def _consider_best(self, result: SweepResult, trial: TrialResult, record: bool = True) -> None:
        """Azure's best trial: the best-ever value of each trial, canceled trials included; ties keep the first."""
        trial.best = _best(trial.history, self.goal)
        if trial.best is None:
            return
        if self._best_value is not None and not better(trial.best, self._best_value, self.goal):
            return
        self._best_value = trial.best
        result.best_trial = trial
        if record:  # the parent's tag and metric follow every new best, as the service appends to its table
            self.best_updates += 1
            self.store.set_best(result.parent_run_id, trial.run_id, trial.best, self.best_updates)
            self.on_event("best", result)

    def _first_batch_failed(self, result: SweepResult, first_batch: set[int]) -> bool:
        """Azure fails the sweep when every trial of its first batch failed (a user error, most likely)."""
        ended = {t.index: t.status for t in result.trials if t.index in first_batch and t.status != "running"}
        return bool(first_batch) and len(ended) == len(first_batch) and all(s == "failed" for s in ended.values())

    def _cancel_all(self, reason: str) -> None:
        for _, proc in self.running.values():
            proc.cancel(reason)

    # Ctrl-C --------------------------------------------------------------------------------------------

    def _install_sigint(self):
        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum, frame):
            self.interrupts += 1
            if self.interrupts > 1:  # a second Ctrl-C: no more grace
                for _, proc in list(self.running.values()):
                    proc.kill_now()
            self.exits.put(None)

        return signal.signal(signal.SIGINT, handler)

    def _restore_sigint(self, previous) -> None:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _concurrency(spec: SweepSpec, max_concurrent: int | None) -> tuple[int, str | None]:
    wanted = min(spec.limits.concurrency, spec.trial_count())
    cores = os.cpu_count() or 1
    local = max_concurrent if max_concurrent else cores
    if wanted <= local:
        return wanted, None
    why = "--max-concurrent" if max_concurrent else f"this machine's {cores} cores; --max-concurrent N to change"
    return local, f"max_concurrent_trials {spec.limits.concurrency} capped to {local} ({why})"


def _best(history: Sequence[float], goal: str) -> float | None:
    values = [v for v in history if v == v]  # NaN never wins
    if not values:
        return None
    return max(values) if goal == "maximize" else min(values)


def _status_of(info: RunInfo) -> str | None:
    if info.status == "RUNNING" or info.tags.get(TAG_CANCEL) == INTERRUPTED:
        return None
    return {"FINISHED": "completed", "FAILED": "failed", "KILLED": "canceled"}.get(info.status, "failed")


def _generated_name(spec: SweepSpec) -> str:
    stem = spec.display_name or (spec.path.stem if spec.path else "sweep")
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_")[:40] or "sweep"
    return f"{stem}_{uuid.uuid4().hex[:6]}"
