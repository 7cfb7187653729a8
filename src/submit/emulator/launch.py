"""Launching a trial and settling it after its process exits.

A launch asks the sampler for the trial's parameters, creates its child run, copies the code into the trial's own
folder, substitutes the command and starts the process; a thread waits on the process and reports its exit. Settling
sets the trial's final status, which is ours (docs/semantics.md "Final status"): from the cancel or the exit code, whatever
the script's own MLflow said at exit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..spec.model import SweepSpec
from ..spec.names import closest_name
from . import processes
from .live import MLFLOW_STATUS, LiveSweep, LiveTrial
from .samplers import Observation, Sampler
from .snapshot import snapshot
from .tags import TAG_CANCEL, TAG_CANCEL_POOL, TAG_EXIT, TAG_NOTE, TAG_SUPERSEDED
from .tracking import Store, sqlite_path
from .trial import LOG_NAME, TrialProcess, render_command, trial_env
from .workarea import WorkArea


@dataclass
class Running:
    """A trial whose process has started and not yet been settled."""

    trial: LiveTrial
    proc: TrialProcess
    folder: Path | None = None
    artifacts: dict[str, Path] = field(default_factory=dict)  # artifact path -> the folder logged there at the end


class Launcher:
    def __init__(
        self,
        spec: SweepSpec,
        store: Store,
        sampler: Sampler,
        area: WorkArea,
        *,
        input_values: Mapping[str, Any],
        threads: int,
        grace: float,
        clock: Callable[[], float],
        on_exit: Callable[[TrialProcess], None],
        extra_env: Mapping[str, str] | None = None,
        trial_uri: Callable[[], str] | None = None,
        keep_work: bool = False,
    ):
        self.spec, self.store, self.sampler, self.area = spec, store, sampler, area
        self.input_values, self.threads, self.grace, self.clock = input_values, threads, grace, clock
        self.on_exit, self.extra_env, self.keep_work = on_exit, dict(extra_env or {}), keep_work
        self.trial_uri = trial_uri or (lambda: store.uri)  # the sweep's tracking server while it serves, or the store
        self.watchdog: processes.Watchdog | None = None  # set by the scheduler while the sweep runs
        self.metric = spec.objective.primary_metric

    def launch(self, result: LiveSweep, index: int, superseded: str | None) -> Running | None:
        """Start trial ``index`` (re-running the run ``superseded``, if given); None when the sampler is exhausted."""
        params = self.sampler.suggest(index, self._observations(result) if self.sampler.uses_observations else ())
        if params is None:
            return None
        name = f"{result.name}_{index}"
        run_id = self.store.start_trial(result.experiment_id, result.parent_run_id, result.name, index, params)
        if superseded:
            self.store.set_tag(superseded, TAG_SUPERSEDED, run_id)
        try:
            return self._start(result, index, name, run_id, params)
        except BaseException:
            # its run exists: it must not stay RUNNING for a trial that never started (a code folder that cannot
            # be copied, a process that cannot be started); the error goes on to end the sweep
            self.store.end_trial(run_id, MLFLOW_STATUS["failed"], {TAG_NOTE: "the trial could not start"}, None)
            raise

    def _start(self, result: LiveSweep, index: int, name: str, run_id: str, params: dict[str, Any]) -> Running:
        """The trial's folder, code copy and process, for its run ``run_id`` just created."""
        folder = self.area.trial_folder(name, run_id)
        code = snapshot(self.spec.trial.code, folder / "code", store_db=sqlite_path(self.store.uri))
        artifacts = self._output_folders(folder, code)
        outputs = {name[len("named-outputs/") :]: str(p) for name, p in artifacts.items() if name != "outputs"}
        tracking_uri = self.trial_uri()
        env = trial_env(
            params=params,
            inputs=self.input_values,
            outputs=outputs,
            spec_env=self.spec.trial.environment_variables,
            tracking_uri=tracking_uri,
            experiment_id=result.experiment_id,
            run_id=run_id,
            threads=self.threads,
            extra=self.extra_env,
        )
        if tracking_uri != self.store.uri:
            # the sweep's own server: MLflow's "View run at http://127.0.0.1:PORT" lines would name a server that is
            # gone once the sweep ends (a MLFLOW_* setting of the user's, passed on, still decides)
            env.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
        values = {"search_space": params, "inputs": self.input_values, "outputs": outputs}
        log_file = folder / "user_logs" / LOG_NAME
        command = render_command(self.spec.trial.command, values)
        proc = TrialProcess(command, cwd=code, env=env, log_file=log_file, grace=self.grace, clock=self.clock)
        trial = LiveTrial(index=index, name=name, run_id=run_id, params=params, log_file=str(log_file))
        proc.start()
        if self.watchdog is not None:
            self.watchdog.watch(proc.proc.pid)
        processes.record(folder, proc.proc.pid, run_id)
        threading.Thread(target=self._watch, args=(proc,), daemon=True).start()
        return Running(trial, proc, folder, artifacts)

    def _output_folders(self, folder: Path, code: Path) -> dict[str, Path]:
        """The trial's output folders, made, by the artifact path each is logged under when the trial ends.

        Azure gives every trial a ./outputs folder whose files become the run's artifacts (``outputs/...``); a
        declared output is a folder of its own, kept as ``named-outputs/<name>/``, where `az ml job download` puts
        a job's named outputs.
        """
        folders = {"outputs": self.area.inside(code / "outputs")}
        folders.update(
            {f"named-outputs/{out}": self.area.inside(folder / "outputs" / out) for out in self.spec.outputs}
        )
        for path in folders.values():
            path.mkdir(parents=True, exist_ok=True)
        return folders

    def _observations(self, result: LiveSweep) -> list[Observation]:
        # Bayesian proposals need every trial's latest value and status: rebuilt here, once per proposal
        return [Observation(dict(t.params), t.best, t.status) for t in sorted(result.trials, key=lambda t: t.index)]

    def _watch(self, proc: TrialProcess) -> None:
        proc.proc.wait()
        self.on_exit(proc)

    def settle(self, running: Running, policy_pool: Sequence[str] | None) -> None:
        """Set the trial's final status from its cancel or exit code and end its child run; ``policy_pool`` names the
        trials the policy judged it among, when the policy canceled it (so the decision can be re-derived)."""
        trial, proc = running.trial, running.proc
        proc.kill_group()
        if self.watchdog is not None:
            self.watchdog.release(proc.proc.pid)
        if running.folder is not None:
            processes.forget(running.folder)
        tags = {}
        if proc.cancel_reason:
            trial.status, trial.cancel_reason = "canceled", proc.cancel_reason
            tags[TAG_CANCEL] = proc.cancel_reason
            if policy_pool is not None:
                tags[TAG_CANCEL_POOL] = ",".join(policy_pool)[:8000]
        elif proc.returncode == 0:
            trial.status = "completed"
        else:
            trial.status, trial.exit_code = "failed", proc.returncode
            trial.log_tail = proc.log_tail()
            tags[TAG_EXIT] = str(proc.returncode)
        if trial.status == "completed" and not trial.history:
            trial.note = self._no_metric_note(trial)
            tags[TAG_NOTE] = trial.note
        logged = self.store.end_trial(trial.run_id, MLFLOW_STATUS[trial.status], tags, proc.log_file, running.artifacts)
        if logged and not self.keep_work and running.folder is not None:
            # the log and ./outputs are the run's artifacts now; the snapshot was only the trial's working copy
            self.area.clear_trial(running.folder, proc.log_file)
            trial.log_file = logged

    def _no_metric_note(self, trial: LiveTrial) -> str:
        names = self.store.metric_names(trial.run_id)
        note = f"finished without logging the primary metric `{self.metric}`"
        if not names:
            return note + "; it logged no metrics (Azure's policies and best-trial choice ignore it)"
        note += "; it logged: " + ", ".join(names)
        close = closest_name(self.metric, names)
        return note + (f" (did you mean '{close}'?)" if close else "")
