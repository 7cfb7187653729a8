"""A command step run here: one process in its own work folder, by a trial's rules (``emulator.trial``,
``snapshot``, ``processes``): a fresh copy of the component's code, the command with its inputs and outputs
substituted and shell-quoted, the environment a trial gets, its own process group that never outlives the emulator.

Its run is a child of the pipeline's run; its log and its output folders become the run's artifacts when it ends
(``user_logs/std_log.txt``, ``outputs/`` for the code's ./outputs, ``named-outputs/<name>/``), and its declared
output folders stay in the work folder for the steps that read them.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..emulator import processes
from ..emulator.snapshot import snapshot
from ..emulator.tags import (
    TAG_CANCEL,
    TAG_EXIT,
    TAG_INPUTS,
    TAG_KIND,
    TAG_OUTPUTS,
    TAG_PARENT,
    TAG_PIPELINE,
    TAG_STATE,
    TAG_STEP,
)
from ..emulator.tracking import Store, sqlite_path
from ..emulator.trial import LOG_NAME, TrialProcess, render_command, trial_env
from ..emulator.workarea import WorkArea
from .declared import Step

MLFLOW_STATUS = {"completed": "FINISHED", "failed": "FAILED", "canceled": "KILLED", "interrupted": "KILLED"}


@dataclass
class StepProcess:
    """A command step's process while it runs, and how it ended."""

    step: str
    run_id: str
    proc: TrialProcess
    folder: Path
    artifacts: dict[str, Path] = field(default_factory=dict)  # artifact path -> folder logged there at the end
    outputs: dict[str, str] = field(default_factory=dict)  # declared output -> its folder
    ended_at: float | None = None  # the clock when its process exited (set by its watcher thread)


def start_command_step(
    step: Step,
    inputs: Mapping[str, Any],
    *,
    store: Store,
    area: WorkArea,
    experiment_id: str,
    pipeline_run: str,
    pipeline: str,
    env: Mapping[str, str],
    threads: int,
    grace: float,
    clock: Callable[[], float],
    watchdog: processes.Watchdog,
    on_exit: Callable[[StepProcess], None],
) -> StepProcess:
    """Start ``step`` with its resolved ``inputs``; ``on_exit`` is called from a thread once its process exits."""
    tags = {TAG_PARENT: pipeline_run, TAG_KIND: "step", TAG_PIPELINE: pipeline, TAG_STEP: step.name}
    given = {**tags, TAG_STATE: "running", TAG_INPUTS: json.dumps(dict(inputs), default=str)[:8000]}
    run_id = store.start_run(experiment_id, f"{pipeline}_{step.name}", given)
    folder = area.trial_folder(step.name, run_id)
    trial = step.component.trial
    code = snapshot(trial.code, folder / "code", store_db=sqlite_path(store.uri))
    names = dict.fromkeys([*step.component.outputs, *step.outputs])
    artifacts = {"outputs": area.inside(code / "outputs")}
    artifacts.update({f"named-outputs/{name}": area.inside(folder / "outputs" / name) for name in names})
    for path in artifacts.values():
        if path.is_dir():  # a step run again (resumed) starts with empty outputs, as on Azure
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
    outputs = {name: str(artifacts[f"named-outputs/{name}"]) for name in names}
    command = render_command(trial.command, {"inputs": dict(inputs), "outputs": outputs})
    # a command job's environment: no AZUREML_SWEEP_* (those are a sweep's), the rest as a trial's
    variables = trial_env(
        params={},
        inputs={},
        outputs={},
        spec_env=trial.environment_variables,
        tracking_uri=store.uri,
        experiment_id=experiment_id,
        run_id=run_id,
        threads=threads,
        extra=env,
    )
    log_file = folder / "user_logs" / LOG_NAME
    proc = TrialProcess(command, cwd=code, env=variables, log_file=log_file, grace=grace, clock=clock)
    running = StepProcess(step.name, run_id, proc, folder, artifacts, outputs)
    proc.start()
    watchdog.watch(proc.proc.pid)
    processes.record(folder, proc.proc.pid, run_id)

    def watch() -> None:
        proc.proc.wait()
        running.ended_at = clock()
        on_exit(running)

    threading.Thread(target=watch, daemon=True).start()
    return running


def settle_command_step(
    running: StepProcess, *, store: Store, area: WorkArea, watchdog: processes.Watchdog, keep_work: bool
) -> tuple[str, str | None]:
    """End the step's run from its exit code or its cancel; (state, reason): completed, failed (the exit code and
    its log's tail), canceled or interrupted (why)."""
    proc = running.proc
    proc.kill_group()
    watchdog.release(proc.proc.pid)
    processes.forget(running.folder)
    tags: dict[str, str] = {}
    if proc.cancel_reason:
        state = "interrupted" if proc.cancel_reason == "interrupted" else "canceled"
        reason = proc.cancel_reason
        tags[TAG_CANCEL] = reason
    elif proc.returncode == 0:
        state, reason = "completed", None
        tags[TAG_OUTPUTS] = json.dumps(running.outputs)
    else:
        state = "failed"
        tail = proc.log_tail(5)
        reason = f"exited with code {proc.returncode}" + (f"; its log ends with:\n{tail}" if tail else "")
        tags[TAG_EXIT] = str(proc.returncode)
    tags[TAG_STATE] = state
    logged = store.end_trial(running.run_id, MLFLOW_STATUS[state], tags, proc.log_file, running.artifacts)
    if logged and not keep_work:
        area.clear_trial(running.folder, proc.log_file)
    return state, reason
