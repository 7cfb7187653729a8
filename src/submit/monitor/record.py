"""A sweep read back as data, the same for a local emulated sweep and an Azure ML one.

``SweepSummary`` holds the sweep (where it lives, its state, objective, budget) and one ``TrialRecord`` per trial
(parameters, status, the primary metric's history with steps and timestamps, cancel reason, times). The monitor's
readers (``local``, ``cloud``) fill them; the CLI and the HTML report only read them. ``to_dict()`` is the
stable ``--json`` shape: every key is always present, a value that is unknown is ``null``.

Statuses use Azure ML's words: queued, running, completed, failed, canceled (MLflow's RUNNING, FINISHED, FAILED,
KILLED; Azure's NotStarted/Queued/Preparing/Starting count as queued, Canceled/CancelRequested as canceled).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..spec.model import RecordedLimits
from ..spec.objective import best_of, is_failed, sort_key

STATUSES = ("queued", "running", "completed", "failed", "canceled")
# MLflow's run statuses in those words: a local trial's, and a pipeline step's run's
MLFLOW_STATUSES = {
    "RUNNING": "running",
    "SCHEDULED": "queued",
    "FINISHED": "completed",
    "FAILED": "failed",
    "KILLED": "canceled",
}


def usable(value: float | None) -> bool:
    """A value that can be best (``objective``: NaN, +-inf and a missing value never are)."""
    return not is_failed(value)


class MonitorInputError(InputError):
    """An ID, store, sweep or path the monitor cannot use: the user's input to fix (bad input)."""


@dataclass(frozen=True)
class MetricPoint:
    step: int
    value: float
    timestamp: float  # epoch seconds, when it was logged


@dataclass(frozen=True)
class Judged:
    """Where the policy canceled a trial: its n-th value of the primary metric, the one it judged."""

    interval: int
    point: MetricPoint  # that value: its MLflow step and when it was logged
    value: float | None  # the number the policy weighed there (its ``judged_value``): the reason's


def judged_at(history: Sequence[MetricPoint], interval: int | None, policy: str | None, goal: str) -> Judged | None:
    """The value a policy judged at ``interval``: a whole history is in logged order, as the policy counts values,
    so its n-th point is the one the reason's "at interval n" names."""
    from ..emulator.policies import POLICIES

    if interval is None or not 1 <= interval <= len(history):
        return None
    rule = POLICIES.get(policy or "")
    values = [p.value for p in history]
    value = rule.judged_value(values, interval, goal) if rule else values[interval - 1]
    return Judged(interval, history[interval - 1], value)


@dataclass
class TrialRecord:
    name: str  # `<sweep>_<i>`: the MLflow run name locally, the child job's name in Azure
    run_id: str
    index: int | None
    status: str  # one of STATUSES
    params: dict[str, Any]
    history: list[MetricPoint] = field(default_factory=list)  # the primary metric, in logged order
    metrics: dict[str, float] = field(default_factory=dict)  # every metric's latest value
    started: float | None = None  # epoch seconds
    ended: float | None = None
    cancel_reason: str | None = None
    canceled_by_policy: bool = False
    exit_code: int | None = None
    error: str | None = None  # why it failed, as the service recorded it (Azure: the child's error.error.message)
    note: str | None = None
    log: str | None = None  # where its std_log.txt is (a local path, or the run's artifact path)

    @property
    def best(self) -> float | None:
        """Azure's best-trial rule: the best value the trial ever logged (canceled trials included)."""
        return self._best

    def __post_init__(self) -> None:
        self._best: float | None = None
        self._goal = "maximize"

    def judge(self, goal: str) -> None:
        self._goal = goal
        self._best = best_of((p.value for p in self.history), goal)

    @property
    def final(self) -> float | None:
        return self.history[-1].value if self.history else None

    @property
    def duration(self) -> float | None:
        """Its trial-seconds: from its run's start to its end as the store (or Azure) recorded them, so every command
        and the report sum the same figure; None while it runs."""
        if self.started is None or self.ended is None:
            return None
        return max(0.0, self.ended - self.started)

    @property
    def canceled_at(self) -> int | None:
        """The interval the policy canceled it at, as its reason names it; None if no policy canceled it or its
        reason names none (Azure records no reason)."""
        from ..emulator.policies import interval_of

        return interval_of(self.cancel_reason) if self.canceled_by_policy else None

    @property
    def values(self) -> list[float]:
        return [p.value for p in self.history]

    def to_dict(self, histories: bool = False) -> dict[str, Any]:
        out = {
            "index": self.index,
            "name": self.name,
            "run_id": self.run_id,
            "status": self.status,
            "params": self.params,
            "best": _json_number(self.best),
            "final": _json_number(self.final),
            "values_logged": len(self.history),
            "metrics": {k: _json_number(v) for k, v in self.metrics.items()},
            "started": self.started,
            "ended": self.ended,
            "duration_s": None if self.duration is None else round(self.duration, 3),
            "cancel_reason": self.cancel_reason,
            "canceled_by_policy": self.canceled_by_policy,
            "exit_code": self.exit_code,
            "error": self.error,
            "note": self.note,
            "log": self.log,
        }
        if histories:
            out["history"] = [
                {"step": p.step, "value": _json_number(p.value), "timestamp": p.timestamp} for p in self.history
            ]
        return out


@dataclass(frozen=True)
class RunRecord:
    """What only a sweep that just ran here knows, beside what the store says of it (``monitor.fresh``)."""

    message: str  # why it ended as it did ("" for a plain completion)
    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    concurrency: int  # trials run at once
    cap_note: str | None  # why fewer than the spec's max_concurrent_trials ran at once
    warnings: list[str]  # the run's own: the environment not emulated, a tracking server that failed
    elapsed: float  # the sweep's wall time, seconds
    work_dir: str
    tracking_server: str | None  # the MLflow server trials logged to; None: the store directly
    resumed: bool
    stopped_by: int | None  # an interrupted sweep: the signal that stopped it (2 SIGINT, 15 SIGTERM)
    log_tails: dict[str, str] = field(default_factory=dict)  # a failed trial's name -> the end of its log

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "tracking_uri": self.tracking_uri,
            "tracking_server": self.tracking_server,
            "experiment_id": self.experiment_id,
            "parent_run_id": self.parent_run_id,
            "concurrency": self.concurrency,
            "cap_note": self.cap_note,
            "run_warnings": self.warnings,
            "elapsed_s": round(self.elapsed, 3),
            "work_dir": self.work_dir,
            "resumed": self.resumed,
            "stopped_by": self.stopped_by,
            "log_tails": self.log_tails,
        }


@dataclass
class SweepSummary:
    name: str
    where: str  # "local" | "cloud"
    location: str  # the tracking URI of a local store, or "workspace <name> (resource group <rg>)"
    status: str  # running | completed | failed | canceled | interrupted (local) / Azure's status, lower-cased
    primary_metric: str
    goal: str  # maximize | minimize
    trials: list[TrialRecord] = field(default_factory=list)
    run_id: str = ""  # the parent run (local) or the sweep job's name (cloud)
    experiment: str | None = None
    started: float | None = None
    ended: float | None = None
    sampling: str | None = None
    policy: str | None = None  # the early-termination policy's name, None without one
    policy_settings: dict[str, Any] = field(default_factory=dict)  # evaluation_interval, delay_evaluation, ...
    sampling_settings: dict[str, Any] = field(default_factory=dict)  # rule, seed, logbase where Azure echoes them
    limits: RecordedLimits = field(default_factory=RecordedLimits)
    search_space: dict[str, Any] | None = None  # the declared space, as the spec's YAML gives it
    logbase: float | None = None  # the sampling's logbase when the spec sets one; None: e, Azure's default
    best_run_id: str | None = None  # what the sweep itself names best (best_child_run_id)
    url: str | None = None  # the studio URL (cloud)
    ui_command: str | None = None  # the command that opens `mlflow ui` on the store (local)
    cancel_requested: str | None = None  # when `sweep cancel` asked a running local sweep to stop
    savings: Any = None  # savings.Savings: trial-seconds run; the policy cancels run after cancel and avoided
    unparsed_children: list[str] = field(default_factory=list)  # children the service listed but the SDK could not read
    warnings: list[str] = field(default_factory=list)
    system_tags: dict[str, str] = field(
        default_factory=dict
    )  # cloud: the parent's `_aml_system_*` tags, as Azure set them
    cut_short: list[str] = field(default_factory=list)  # listings that stopped before their end: which, and why
    histories_read: bool = True  # False: each trial's history holds its latest value only (list, watch)
    run: RunRecord | None = None  # a sweep that just ran here (`submit --local`, ``submit.run_local``); else None
    # local: the trials the emulator ran at once, and why fewer than max_concurrent_trials (sweep.concurrency); None
    # where the store does not say (a cloud sweep, a sweep run before the tag was written)
    concurrency: int | None = None
    concurrency_note: str | None = None

    def __post_init__(self) -> None:
        for t in self.trials:
            t.judge(self.goal)

    @property
    def concurrency_cap(self) -> int | None:
        """The spec's ``max_concurrent_trials``, when it sets one."""
        cap = self.limits.max_concurrent_trials
        return cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else None

    @property
    def capped(self) -> bool:
        """The emulator ran fewer trials at once than the spec's limit for a reason it recorded (the cores,
        --max-concurrent); not when the sweep merely had fewer trials than the limit."""
        cap, at_once = self.concurrency_cap, self.concurrency
        return bool(cap and at_once is not None and at_once < cap and self.concurrency_note)

    def add(self, trial: TrialRecord) -> None:
        trial.judge(self.goal)
        self.trials.append(trial)

    def count(self, status: str) -> int:
        return sum(t.status == status for t in self.trials)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in STATUSES}

    @property
    def ended_trials(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.status in ("completed", "failed", "canceled")]

    @property
    def names_best(self) -> bool:
        """False for a failed sweep that names no best trial (the emulator's rule: the values of a sweep whose first
        batch failed came from failed trials, so it removes its ``best_child_run_id``)."""
        return not (self.status == "failed" and not self.best_run_id)

    @property
    def best(self) -> TrialRecord | None:
        """The leaderboard's first trial; None without one, or when the sweep names none (``names_best``)."""
        if not self.names_best:
            return None
        ranked = self.leaderboard(1)
        return ranked[0] if ranked else None

    def leaderboard(self, top: int | None = None) -> list[TrialRecord]:
        """The trials with a usable value, best first (``ranked_trials``); ``top`` cuts it (``ranked`` counts all)."""
        ranked = ranked_trials(self.trials, self.goal, {self.best_run_id})
        return ranked[:top] if top else ranked

    def judged(self, trial: TrialRecord) -> Judged | None:
        """Where the policy canceled ``trial``; None where the record cannot say (its history was not read)."""
        return judged_at(trial.history, trial.canceled_at, self.policy, self.goal) if self.histories_read else None

    @property
    def ranked(self) -> int:
        """How many trials the full leaderboard holds (those with a usable value)."""
        return sum(usable(t.best) for t in self.trials)

    @property
    def trial_seconds(self) -> float:
        """The compute the sweep used (``trial_seconds``)."""
        return trial_seconds(self.trials)

    def by_index(self) -> list[TrialRecord]:
        return sorted(self.trials, key=lambda t: (t.index is None, t.index or 0, t.name))

    @property
    def total_trials(self) -> int | None:
        return self.limits.max_total_trials

    @property
    def parameter_names(self) -> list[str]:
        """The parameters in the spec's order: the order of a trial's values (the sweep keeps them so, locally and in
        Azure), then any key of the declared space no trial has (the stored space is sorted, so it comes last)."""
        names: dict[str, None] = {}
        for t in self.by_index():
            names.update(dict.fromkeys(t.params))
        names.update(dict.fromkeys(self.search_space or {}))
        return list(names)

    def params_of(self, trial: TrialRecord) -> dict[str, Any]:
        """A trial's parameters in ``parameter_names`` order."""
        return {n: trial.params[n] for n in self.parameter_names if n in trial.params}

    def to_dict(self, histories: bool = False) -> dict[str, Any]:
        """The ``status --json`` shape; a sweep that just ran adds its ``RunRecord`` keys."""
        best = self.best
        out = {
            "name": self.name,
            "where": self.where,
            "location": self.location,
            "status": self.status,
            "objective": {"goal": self.goal, "primary_metric": self.primary_metric},
            "run_id": self.run_id,
            "experiment": self.experiment,
            "started": self.started,
            "ended": self.ended,
            "sampling": self.sampling,
            "policy": self.policy,
            "policy_settings": self.policy_settings,
            "sampling_settings": self.sampling_settings,
            "limits": self.limits.to_dict(),
            "counts": self.counts,
            "best": None
            if best is None
            else {"trial": best.name, "run_id": best.run_id, "value": _json_number(best.best), "params": best.params},
            "trials": [t.to_dict(histories) for t in self.by_index()],
            "compute": self.savings.to_dict() if self.savings is not None else None,
            "url": self.url,
            "ui_command": self.ui_command,
            "cancel_requested": self.cancel_requested,
            "unparsed_children": self.unparsed_children,
            "cut_short": self.cut_short,
            "warnings": self.warnings,
        }
        if self.run is not None:
            out.update(self.run.to_dict())
        return out


@dataclass
class SweepListing:
    """One row of `sweep list`: enough to pick a sweep, without reading every trial's history."""

    name: str
    where: str
    status: str
    started: float | None
    ended: float | None
    done: int | None  # None where counting would read every trial (a cloud listing)
    total: int | None
    best: float | None
    primary_metric: str | None
    goal: str | None
    experiment: str | None
    progress: Any = None  # monitor.progress.Progress, where the trials were read
    flags: list = field(default_factory=list)  # monitor.health.Flag, from each trial's latest value
    kind: str = "sweep"  # sweep | pipeline (its trials and best: its only sweep step's; monitor.pipeline_record)
    steps: dict[str, str] | None = None  # a pipeline: step -> its state, in dependency order

    @classmethod
    def of(cls, summary: SweepSummary, *, done: int | None, best: float | None, **overrides) -> SweepListing:
        """The row of a sweep whose summary was read without its trials: every field the summary holds, from it."""
        fields = dict(
            name=summary.name,
            where=summary.where,
            status=summary.status,
            started=summary.started,
            ended=summary.ended,
            done=done,
            total=summary.total_trials,
            best=best,
            primary_metric=summary.primary_metric,
            goal=summary.goal,
            experiment=summary.experiment,
        )
        return cls(**{**fields, **overrides})

    @property
    def duration(self) -> float | None:
        if self.started is None:
            return None
        return None if self.ended is None else max(0.0, self.ended - self.started)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "where": self.where,
            "status": self.status,
            "experiment": self.experiment,
            "trials_done": self.done,
            "trials_total": self.total,
            "best": _json_number(self.best),
            "objective": {"goal": self.goal, "primary_metric": self.primary_metric},
            "started": self.started,
            "ended": self.ended,
            "duration_s": None if self.duration is None else round(self.duration, 3),
            "progress": None if self.progress is None else self.progress.to_dict(),
            "flags": [f.to_dict() for f in self.flags],
            "kind": self.kind,
            "steps": self.steps,
        }


def ranked_trials(
    trials: Iterable[TrialRecord], goal: str, named_best: Collection[str | None] = ()
) -> list[TrialRecord]:
    """The leaderboard's one order: the trials with a usable value, best first by ``spec.objective``.

    Ties: a trial its sweep named best (``named_best``: run ids) first, then the one that reached the value first.
    """
    ranked = [t for t in trials if usable(t.best)]
    ranked.sort(key=lambda t: (sort_key(t.best, goal), t.run_id not in named_best, _reached(t), t.index or 0))
    return ranked


def trial_seconds(trials: Iterable[TrialRecord]) -> float:
    """The compute trials used: each one's ``duration``, summed (ended trials; a running one adds nothing)."""
    return sum(t.duration or 0.0 for t in trials)


def _reached(t: TrialRecord) -> float:
    for p in t.history:
        if p.value == t.best:
            return p.timestamp
    return math.inf


def _json_number(value: float | None) -> float | str | None:
    """JSON has no NaN or infinity: they are written as the strings "NaN", "Infinity", "-Infinity"."""
    if value is None or math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def parse_param(text: str) -> Any:
    """A parameter as the emulator logged it (render_value: JSON numbers, bare strings) back to its value."""
    import json

    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return text
    return value if isinstance(value, (int, float, str, bool)) or value is None else text


def parse_logbase(value: Any) -> float | None:
    """A sampling's ``logbase`` as the spec or the service gives it (a number, its text, or "e") as a number."""
    if value is None or str(value).strip().lower() in ("", "e"):
        return None
    try:
        base = float(value)
    except (TypeError, ValueError):
        return None
    return base if base > 0 and base != 1 and math.isfinite(base) else None


def require_trials(summary: SweepSummary) -> SweepSummary:
    """The sweep, if it has at least one trial; else why not, in one line."""
    if not summary.trials:
        raise MonitorInputError(
            f"sweep {summary.name} has no trials yet (it is {summary.status}; {summary.where}: {summary.location})"
        )
    return summary


def require_best(summary: SweepSummary) -> TrialRecord:
    """The best trial, or the reason there is none: no trials, none finished, or none logged a usable value."""
    require_trials(summary)
    best = summary.best
    if best is not None:
        return best
    if summary.leaderboard():
        raise MonitorInputError(
            f"sweep {summary.name} failed, and a failed sweep names no best trial (its values came from trials "
            "that failed); `sweep status` shows them"
        )
    if not summary.ended_trials:
        running = summary.count("running") + summary.count("queued")
        raise MonitorInputError(
            f"no trial of sweep {summary.name} has finished yet ({running} running or queued); "
            f"try again later, or `sweep watch {summary.name}`"
        )
    logged = sorted({k for t in summary.trials for k in t.metrics})
    hint = _closest(summary.primary_metric, logged)
    what = f"they logged: {', '.join(logged)}" if logged else "they logged no metrics"
    raise MonitorInputError(
        f"no trial of sweep {summary.name} logged a usable value of its primary metric "
        f"{summary.primary_metric!r} (NaN and infinity never count); {what}" + (f" ({hint})" if hint else "")
    )


def _closest(metric: str, logged: list[str]) -> str:
    """A did-you-mean for a metric name: as the emulator's no-metric note, `acc` for `accuracy` counts."""
    import difflib

    close = (
        difflib.get_close_matches(metric, logged, n=1, cutoff=0.5)
        or [n for n in logged if n.lower() in metric.lower() or metric.lower() in n.lower()][:1]
    )
    return f"did you mean `{close[0]}`?" if close else ""
