"""What a local sweep produced: one ``TrialResult`` per trial and the ``SweepResult`` around them.

Statuses use Azure ML's words (running, completed, failed, canceled); in the MLflow store they are the statuses Azure's
MLflow integration shows (RUNNING, FINISHED, FAILED, KILLED). ``SweepResult.to_dict()`` is the stable ``--json`` form.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..spec.objective import sort_key

MLFLOW_STATUS = {"running": "RUNNING", "completed": "FINISHED", "failed": "FAILED", "canceled": "KILLED"}
INTERRUPTED = "interrupted"  # a sweep stopped by Ctrl-C, and the cancel reason of its trials: re-run on --resume


@dataclass
class TrialResult:
    index: int
    name: str
    run_id: str
    params: dict[str, Any]
    status: str = "running"  # running | completed | failed | canceled
    history: list[float] = field(default_factory=list)  # primary-metric values in logged order
    best: float | None = None  # best-ever finite primary value (Azure's rule); None if none (submit.spec.objective)
    exit_code: int | None = None
    cancel_reason: str | None = None
    judged: float | None = None  # canceled by the policy: the number it weighed (the reason's), not its latest value
    log_tail: str = ""
    note: str | None = None  # e.g. the primary metric was never logged, did you mean ...
    log_file: str | None = None
    duration: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "run_id": self.run_id,
            "status": self.status,
            "params": self.params,
            "best": self.best,
            "values_logged": len(self.history),
            "exit_code": self.exit_code,
            "cancel_reason": self.cancel_reason,
            "note": self.note,
            "log_tail": self.log_tail if self.status == "failed" else None,
            "log_file": self.log_file,
            "duration_s": None if self.duration is None else round(self.duration, 3),
        }


# the summary's line for a sweep whose trials run with the emulator's own interpreter (`--isolated` replaces it)
NOT_EMULATED = (
    "environment not emulated: trials run with this Python interpreter and its packages "
    "(--isolated runs them in a virtual environment built from the spec's environment)"
)


@dataclass
class SweepResult:
    name: str
    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    goal: str
    primary_metric: str
    concurrency: int
    work_dir: str
    status: str = "running"  # running | completed | failed | canceled | interrupted
    message: str = ""
    cap_note: str | None = None
    warnings: list[str] = field(default_factory=list)
    trials: list[TrialResult] = field(default_factory=list)
    best_trial: TrialResult | None = None
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    resumed: bool = False
    tracking_server: str | None = None  # the MLflow server trials logged to (server.py); None: the store directly
    ui_command: str = ""  # what opens the MLflow UI on this store (bare `mlflow ui` for this folder's default store)
    client: Any = field(default=None, repr=False)  # the MLflow client it wrote with: the monitor reads back on it
    stopped_by: int | None = None  # an interrupted sweep: the signal that stopped it (2 SIGINT, 15 SIGTERM)

    def count(self, status: str) -> int:
        return sum(t.status == status for t in self.trials)

    def leaderboard(self, top: int | None = None) -> list[TrialResult]:
        """Trials with the primary metric, best first (Azure's rule: each trial's best-ever value)."""
        ranked = [t for t in self.trials if t.best is not None]
        # among equal values the best trial (the first to reach it) leads, so rank 1 is the run the parent names
        ranked.sort(key=lambda t: (sort_key(t.best, self.goal), t is not self.best_trial, t.index))
        return ranked[:top] if top else ranked

    def to_dict(self) -> dict[str, Any]:
        best = self.best_trial
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "tracking_uri": self.tracking_uri,
            "tracking_server": self.tracking_server,
            "experiment_id": self.experiment_id,
            "parent_run_id": self.parent_run_id,
            "objective": {"goal": self.goal, "primary_metric": self.primary_metric},
            "concurrency": self.concurrency,
            "counts": {s: self.count(s) for s in ("completed", "failed", "canceled", "running")},
            "best": None
            if best is None
            else {"trial": best.name, "run_id": best.run_id, "value": best.best, "params": best.params},
            "trials": [t.to_dict() for t in sorted(self.trials, key=lambda t: t.index)],
            "warnings": self.warnings,
            "elapsed_s": round(self.elapsed, 3),
            "ui_command": self.ui_command,
            "work_dir": self.work_dir,
        }
