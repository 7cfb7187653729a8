"""The scheduler's live state of a sweep while it runs: one ``LiveTrial`` per trial and the ``LiveSweep`` around them.

It drives the live progress (``on_event``) and the policy. It is not the sweep's model: once the sweep ends, the
monitor reads it back from the store (``monitor.fresh``), as every command reads a sweep (``monitor.SweepSummary``).
Statuses use Azure ML's words (running, completed, failed, canceled); in the MLflow store they are the statuses Azure's
MLflow integration shows (RUNNING, FINISHED, FAILED, KILLED).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

MLFLOW_STATUS = {"running": "RUNNING", "completed": "FINISHED", "failed": "FAILED", "canceled": "KILLED"}
INTERRUPTED = "interrupted"  # a sweep stopped by Ctrl-C, and the cancel reason of its trials: re-run on --resume


@dataclass
class LiveTrial:
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
    # start to exit as this process timed it (the preflight's bound); a sweep's trial-seconds are the store's run
    # times, read back by the monitor (TrialRecord.duration), so every command shows one figure
    duration: float | None = None


# the summary's line for a sweep whose trials run with the emulator's own interpreter (`--isolated` replaces it)
NOT_EMULATED = (
    "environment not emulated: trials run with this Python interpreter and its packages "
    "(--isolated runs them in a virtual environment built from the spec's environment)"
)


@dataclass
class LiveSweep:
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
    trials: list[LiveTrial] = field(default_factory=list)
    best_trial: LiveTrial | None = None
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    resumed: bool = False
    tracking_server: str | None = None  # the MLflow server trials logged to (server.py); None: the store directly
    client: Any = field(default=None, repr=False)  # the MLflow client it wrote with: the monitor reads back on it
    stopped_by: int | None = None  # an interrupted sweep: the signal that stopped it (2 SIGINT, 15 SIGTERM)

    def count(self, status: str) -> int:
        return sum(t.status == status for t in self.trials)
