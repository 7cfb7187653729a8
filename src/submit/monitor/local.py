"""A local sweep read from its MLflow store through ``MlflowClient``: the layout ``emulator/tracking.py`` writes.

The sweep is the parent run tagged ``sweep.kind = parent`` and ``sweep.name``; its trials are the child runs
(``mlflow.parentRunId``), one per ``sweep.trial_index``; a trial re-run on ``--resume`` supersedes its interrupted run
(``sweep.superseded_by``), so only the newest run of each index is the trial. Nothing here writes to the store except
``request_cancel`` (one tag on the parent run), and opening a store never creates one: a missing file or a SQLite
file of another program is refused before MLflow can migrate it into an MLflow store.

A sweep the store calls running whose emulator holds no lock any more (``emulator.flocks.holder``: it was killed, the
machine rebooted) is read as ``interrupted``, its runs still RUNNING as trials canceled ``interrupted``, as after
Ctrl-C: `--resume` continues it. The reader only says so; it closes no run (the store stays as the emulator left it,
read-only stores included, and `--resume` closes them when it takes the sweep over).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..emulator import tracking as t
from ..emulator.flocks import Holder, holder
from ..emulator.live import INTERRUPTED
from ..emulator.tags import (
    BEST_METRIC,
    BEST_RUN_TAG,
    TAG_CANCEL,
    TAG_CANCEL_POOL,
    TAG_CANCEL_REQUESTED,
    TAG_CONCURRENCY,
    TAG_EXIT,
    TAG_GOAL,
    TAG_INDEX,
    TAG_KIND,
    TAG_LIMITS,
    TAG_LOGBASE,
    TAG_NOTE,
    TAG_PARENT,
    TAG_PIPELINE,
    TAG_POLICY,
    TAG_POLICY_SETTINGS,
    TAG_PRIMARY,
    TAG_SAMPLING,
    TAG_SPACE,
    TAG_SPEC,
    TAG_STATE,
    TAG_SUPERSEDED,
    TAG_SWEEP,
)
from ..spec.model import RecordedLimits
from .record import (
    MLFLOW_STATUSES,
    MetricPoint,
    MonitorInputError,
    SweepListing,
    SweepSummary,
    TrialRecord,
    parse_logbase,
    parse_param,
)
from .savings import Clock, estimate_savings

# a metric as the script logged it: MLflow's SQL store keeps +-inf as +-float max; one home, emulator/tracking.py
stored_value = t.as_logged
PAGE = 1000  # search_runs' default page; every page is read, so a 5,000-trial store is not cut at 1,000
_MLFLOW = MLFLOW_STATUSES
# a policy's cancel reason starts with its name in words (policies.py): "bandit: 0.71 < best ..."
POLICY_NAMES = {
    "bandit": "bandit",
    "median stopping": "median_stopping",
    "truncation selection": "truncation_selection",
}


def open_store(uri: str | None):
    """An ``MlflowClient`` on an existing MLflow store; ``UserError`` (exit 2) for anything else, ``StoreUnusable``
    (exit 1) for a server that does not answer or a store a migration left half done. A SQLite store is read without
    MLflow (``sqlite_read``: seconds less per command), through the read-only URI its check found (immutable on a
    read-only file system); MLflow takes any write, and a store of a schema the reader does not know."""
    uri = t.resolve_uri(uri)
    if urlparse(uri).scheme in ("http", "https"):
        t.probe_server(uri)  # seconds, not MLflow's retries (minutes) when nothing answers; before MLflow's import
    read_uri, found = _check_is_store(uri)
    if found is not None:
        from .sqlite_read import open_reader

        reader = open_reader(uri, found.file_uri())
        if reader is not None:
            return uri, reader
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=read_uri)
    try:
        client.search_experiments(max_results=1)
    except Exception as e:  # noqa: BLE001 - MLflow raises many kinds; each means "not a store we can read"
        raise _not_a_store(uri, " ".join(str(e).split())[:200]) from e
    return uri, client


class NoStore(MonitorInputError):
    """The store's file does not exist: nothing has been run into it yet."""


def _not_a_store(uri: str, why: str, kind: type[MonitorInputError] = MonitorInputError) -> MonitorInputError:
    return kind(
        f"{uri} is not an MLflow tracking store ({why})\n  hint: --tracking-uri names the store that "
        "`sweep submit --local` wrote, e.g. sqlite:///mlflow.db"
    )


def _check_is_store(uri: str) -> tuple[str, t.SqliteCheck | None]:
    """The URI MLflow reads the store at ``uri`` through, once it is known to be an MLflow store (read without
    writing), and for a SQLite store what its check found."""
    db = t.sqlite_path(uri)
    if db is not None:
        if not db.exists():
            raise _not_a_store(uri, f"no such file: {db}", NoStore)
        try:
            found = t.check_sqlite(db)
        except t.NotAStore as e:  # not SQLite, or another program's database: said the monitor's way
            raise _not_a_store(uri, e.why) from None
        if found.kind != "mlflow":
            raise _not_a_store(uri, "a SQLite database without MLflow's tables")
        return found.read_uri(), found
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        folder = Path(unquote(parsed.path))
        if not folder.is_dir():
            raise _not_a_store(uri, f"no such folder: {folder}")
        if not any(p.name == "meta.yaml" for p in folder.glob("*/meta.yaml")) and not (folder / ".trash").exists():
            raise _not_a_store(uri, "a folder without MLflow experiments (no */meta.yaml)")
    return uri, None


class LocalSweeps:
    """The sweeps of one local store."""

    where = "local"

    def __init__(self, uri: str | None = None, client=None, page: int = PAGE):
        self.page = page
        if client is None:
            self.uri, self.client = open_store(uri)
        else:
            self.uri, self.client = t.resolve_uri(uri), client

    def describe(self) -> str:
        return f"the local store {self.uri}"

    # reading ----------------------------------------------------------------------------------------------

    def _experiments(self) -> list[str]:
        return [e.experiment_id for e in self.client.search_experiments()]

    def _search(self, experiments: list[str], filter_string: str, order_by=None) -> list:
        runs, token = [], None
        while True:
            page = self.client.search_runs(
                experiments, filter_string, max_results=self.page, order_by=order_by, page_token=token
            )
            runs += list(page)
            token = page.token
            if not token:
                return runs

    def parent(self, name: str):
        """The sweep's parent run, or None."""
        experiments = self._experiments()
        if not experiments:
            return None
        found = self.client.search_runs(
            experiments,
            f"tags.`{TAG_SWEEP}` = '{_quote(name)}' and tags.`{TAG_KIND}` = 'parent'",
            max_results=1,
        )
        return found[0] if found else None

    def names(self) -> list[str]:
        experiments = self._experiments()
        if not experiments:
            return []
        sweeps = [r.data.tags[TAG_SWEEP] for r in self._search(experiments, f"tags.`{TAG_KIND}` = 'parent'")]
        from .pipeline_record import local_pipeline_runs

        return sweeps + [r.data.tags[TAG_PIPELINE] for r in local_pipeline_runs(self)]

    def require(self, name: str):
        run = self.parent(name)
        if run is None:
            raise MonitorInputError(unknown_sweep(name, [self.describe()], self.names()))
        return run

    def orphaned(self, parent) -> Holder | None:
        """The lock of the sweep ``parent`` when the store calls it running but no emulator runs it (it died), else
        None. The lock is asked first and the state read again after: an emulator records its end before it lets go
        of its lock, so a sweep that just ended is never taken for a dead one."""
        if not _says_running(parent):
            return None
        found = holder(t.store_folder(self.uri) / ".sweep" / parent.data.tags.get(TAG_SWEEP, parent.info.run_name))
        if found is None or found.alive:
            return None
        return found if _says_running(self.client.get_run(parent.info.run_id)) else None

    def status(self, name: str, *, histories: bool = True) -> SweepSummary:
        """The sweep as data: its state, every trial with its primary-metric history, the best, compute used/saved."""
        parent = self.require(name)
        dead = self.orphaned(parent)
        summary = _summary(parent, self.uri, dead)
        runs = self._search([parent.info.experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
        work = t.store_folder(self.uri) / ".sweep" / summary.name
        for run in _current_trials(runs):
            trial = _trial(run, parent.data.tags, interrupted=dead is not None)
            log = work / trial.name / "user_logs" / "std_log.txt"  # the emulator keeps it here, and as an artifact
            if log.is_file():
                trial.log = str(log)
            if histories:
                trial.history = self.history(trial.run_id, summary.primary_metric)
            else:  # the latest value only: what `list` needs, without one query per trial
                _latest_only(trial, run, summary.primary_metric)
            summary.add(trial)
        if summary.policy is None:
            summary.policy = _policy_from_reasons(summary.trials)
        summary.histories_read = histories
        if histories:
            summary.savings = savings_of(summary)
        return summary

    def history(self, run_id: str, metric: str) -> list[MetricPoint]:
        points = self.client.get_metric_history(run_id, metric)
        return [
            MetricPoint(int(m.step), stored_value(m.value), m.timestamp / 1000)
            for m in sorted(points, key=lambda m: (m.timestamp, m.step))
        ]

    def list(self, limit: int | None = 50) -> list[SweepListing]:
        """The store's sweeps, newest first: counts and best from two searches, not from every trial's history."""
        experiments = self._experiments()
        if not experiments:
            return []
        parents = self._search(experiments, f"tags.`{TAG_KIND}` = 'parent'", order_by=["attributes.start_time DESC"])
        # a pipeline's sweep step is listed as its pipeline, one row, as studio lists a pipeline job
        parents = [p for p in parents if TAG_PIPELINE not in p.data.tags]
        parents = parents[:limit] if limit else parents
        wanted = {p.info.run_id for p in parents}
        runs: dict[str, list] = {}
        for run in self._search(experiments, f"tags.`{TAG_KIND}` = 'trial'"):
            parent_id = run.data.tags.get(TAG_PARENT)
            if parent_id in wanted:
                runs.setdefault(parent_id, []).append(run)
        from .health import flags
        from .progress import progress_of

        rows = []
        for p in parents:
            dead = self.orphaned(p)
            summary = _summary(p, self.uri, dead)
            for run in _current_trials(runs.get(p.info.run_id, [])):
                trial = _trial(run, p.data.tags, interrupted=dead is not None)
                summary.add(_latest_only(trial, run, summary.primary_metric))
            summary.histories_read = False
            best = p.data.metrics.get(BEST_METRIC) if summary.names_best else None
            row = SweepListing.of(summary, done=len(summary.ended_trials), best=best)
            row.progress, row.flags = progress_of(summary), flags(summary)
            rows.append(row)
        from .pipeline_record import local_pipeline_runs, pipeline_listing, read_local_pipeline

        pipelines = local_pipeline_runs(self)
        rows += [pipeline_listing(read_local_pipeline(self, p, histories=False)) for p in pipelines[:limit]]
        rows.sort(key=lambda r: -(r.started or 0))
        return rows[:limit] if limit else rows

    # pipelines --------------------------------------------------------------------------------------------

    def pipeline_run(self, name: str):
        """The run of the pipeline named ``name`` (run here by `sweep submit pipeline.yml --local`), or None."""
        from .pipeline_record import local_pipeline_run

        return local_pipeline_run(self, name)

    def pipeline(self, name: str, *, histories: bool = True):
        """The pipeline as data (``monitor.pipeline_record.PipelineSummary``), each sweep step's sweep as `status` reads it."""
        from .pipeline_record import read_local_pipeline

        run = self.pipeline_run(name)
        if run is None:
            raise MonitorInputError(unknown_sweep(name, [self.describe()], self.names()))
        return read_local_pipeline(self, run, histories=histories)

    def request_pipeline_cancel(self, name: str, now: Callable[[], float] = time.time):
        from .pipeline_record import request_local_cancel

        return request_local_cancel(self, name, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now())))

    # cancel -----------------------------------------------------------------------------------------------

    def request_cancel(self, name: str, now: Callable[[], float] = time.time) -> SweepSummary:
        """Ask the emulator running ``name`` (in another process) to stop, as Ctrl-C stops it: resumable.

        The request is a tag on the parent run; the running scheduler reads its parent's tags at every poll and,
        seeing it, cancels its trials, closes their runs and ends the sweep `interrupted`. A sweep that already
        ended has nothing to cancel and is refused.
        """
        parent = self.require(name)
        state = parent.data.tags.get(TAG_STATE)
        dead = self.orphaned(parent)
        if dead is not None:
            raise MonitorInputError(
                f"sweep {name} is interrupted: {_gone(dead)}; there is nothing to stop. {_resume_hint(parent, self.uri)}"
            )
        if state == INTERRUPTED:
            raise MonitorInputError(
                f"sweep {name} is interrupted; there is nothing to stop. {_resume_hint(parent, self.uri)}"
            )
        if state != "running" or parent.info.status != "RUNNING":
            raise MonitorInputError(
                f"sweep {name} is not running (it is {state or parent.info.status.lower()}); nothing to cancel"
            )
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now()))
        self.client.set_tag(parent.info.run_id, TAG_CANCEL_REQUESTED, stamp)
        return self.status(name, histories=False)


def unknown_sweep(name: str, searched: list[str], known: list[str]) -> str:
    from ..spec.names import did_you_mean

    hint = did_you_mean(name, known) if known else ""
    lines = [f"no sweep named {name!r} in " + " nor in ".join(searched)]
    if hint:
        lines.append(f"  hint: {hint}")
    elif known:
        lines.append("  hint: `sweep list` shows the sweeps there (" + ", ".join(known[:5]) + ")")
    return "\n".join(lines)


def savings_of(summary: SweepSummary):
    """What the policy's cancels ran after the values they were judged at, and avoided (savings.py)."""
    return estimate_savings(summary.trials, policy_cancels(summary), record_clock, summary.policy)


def policy_cancels(summary: SweepSummary) -> dict[str, int]:
    """Each trial the policy canceled -> the interval it was canceled at: its reason's; Azure records no reason, so
    there the values it logged."""
    return {t.name: t.canceled_at or len(t.history) for t in summary.trials if t.canceled_by_policy}


def record_clock(trial) -> Clock:
    return Clock([p.timestamp for p in trial.history], trial.started, trial.ended)


# the store's layout -> the model ----------------------------------------------------------------------------


def _says_running(parent) -> bool:
    return parent.data.tags.get(TAG_STATE) == "running" and parent.info.status == "RUNNING"


def _gone(dead: Holder) -> str:
    pid = f" (pid {dead.pid})" if dead.pid else ""
    return f"the emulator that ran it{pid} stopped without ending it (killed?)"


def _resume_hint(parent, uri: str) -> str:
    """The command that continues the sweep ``parent``: its spec's path when the store has it."""
    tags = parent.data.tags
    spec = tags.get(TAG_SPEC) or "SPEC"
    store = "" if t.ui_command(uri) == "mlflow ui" else f" --tracking-uri {uri}"
    return f"Resume it with: sweep submit {spec} --local{store} --resume {tags.get(TAG_SWEEP, parent.info.run_name)}"


def _summary(parent, uri: str, dead: Holder | None = None) -> SweepSummary:
    summary = _parent_summary(parent, uri, dead)
    summary.concurrency, summary.concurrency_note = _concurrency(parent.data.tags)
    return summary


def _concurrency(tags: dict[str, str]) -> tuple[int | None, str | None]:
    """The trials the emulator ran at once and why fewer than the spec's limit (``TAG_CONCURRENCY``); (None, None)
    for a sweep whose store does not say."""
    import json

    try:
        found = json.loads(tags.get(TAG_CONCURRENCY, "{}"))
    except ValueError:
        return None, None
    at_once = found.get("at_once") if isinstance(found, dict) else None
    note = found.get("note") if isinstance(found, dict) else None
    if not isinstance(at_once, int) or isinstance(at_once, bool) or at_once < 1:
        return None, None
    return at_once, note if isinstance(note, str) else None


def _parent_summary(parent, uri: str, dead: Holder | None = None) -> SweepSummary:
    import json

    tags = parent.data.tags
    state = tags.get(TAG_STATE) or _MLFLOW.get(parent.info.status, parent.info.status.lower())
    if dead is not None:
        state = INTERRUPTED
    try:
        limits = json.loads(tags.get(TAG_LIMITS, "{}"))
    except ValueError:
        limits = {}
    try:
        space = json.loads(tags[TAG_SPACE]) if TAG_SPACE in tags else None
    except ValueError:  # cut at 5,000 characters for a very large space
        space = None
    try:
        settings = json.loads(tags.get(TAG_POLICY_SETTINGS, "{}"))
    except ValueError:
        settings = {}
    return SweepSummary(
        name=tags.get(TAG_SWEEP, parent.info.run_name),
        where="local",
        location=uri,
        status=state,
        primary_metric=tags.get(TAG_PRIMARY, ""),
        goal=tags.get(TAG_GOAL, "maximize"),
        run_id=parent.info.run_id,
        experiment=parent.info.experiment_id,
        started=_seconds(parent.info.start_time),
        ended=_seconds(parent.info.end_time),
        sampling=tags.get(TAG_SAMPLING),
        policy=tags.get(TAG_POLICY) or None,
        policy_settings=settings if isinstance(settings, dict) else {},
        limits=RecordedLimits.read(limits if isinstance(limits, dict) else {}),
        search_space=space if isinstance(space, dict) else None,
        logbase=parse_logbase(tags.get(TAG_LOGBASE)),
        best_run_id=tags.get(BEST_RUN_TAG),
        ui_command=t.ui_command(uri),
        cancel_requested=tags.get(TAG_CANCEL_REQUESTED),
        warnings=[] if dead is None else [f"{_gone(dead)}. {_resume_hint(parent, uri)}"],
    )


def _current_trials(runs) -> list:
    """The newest run of each trial index: a resumed sweep re-runs its interrupted trials under the same name."""
    by_index: dict[str, object] = {}
    for run in sorted(runs, key=lambda r: r.info.start_time or 0):
        if TAG_SUPERSEDED in run.data.tags:
            continue
        by_index[run.data.tags.get(TAG_INDEX, run.info.run_id)] = run
    return list(by_index.values())


def _trial(run, parent_tags: dict[str, str], *, interrupted: bool = False) -> TrialRecord:
    """The trial a child run holds; with ``interrupted`` (its emulator died), a run still RUNNING is a trial canceled
    ``interrupted``, as Ctrl-C leaves one."""
    tags = run.data.tags
    values = t.trial_values(parent_tags, run.info.run_name)  # where the sweep service keeps them; else params
    index = tags.get(TAG_INDEX, "")
    exit_code = tags.get(TAG_EXIT, "")
    status = _MLFLOW.get(run.info.status, "failed")
    cancel_reason = tags.get(TAG_CANCEL)
    if interrupted and status == "running":
        status, cancel_reason = "canceled", INTERRUPTED
    return TrialRecord(
        name=run.info.run_name,
        run_id=run.info.run_id,
        index=int(index) if index.isdigit() else None,
        status=status,
        params=values if values is not None else {k: parse_param(v) for k, v in run.data.params.items()},
        metrics={k: stored_value(v) for k, v in run.data.metrics.items()},
        started=_seconds(run.info.start_time),
        ended=_seconds(run.info.end_time),
        cancel_reason=cancel_reason,
        canceled_by_policy=TAG_CANCEL_POOL in tags,
        # the emulator records a failed trial's code; a completed one exited 0 (that is what completed means)
        exit_code=int(exit_code) if exit_code.lstrip("-").isdigit() else 0 if status == "completed" else None,
        note=tags.get(TAG_NOTE),
        log=(run.info.artifact_uri.rstrip("/") + "/user_logs/std_log.txt") if run.info.artifact_uri else None,
    )


def _latest_only(trial: TrialRecord, run, metric: str) -> TrialRecord:
    value = run.data.metrics.get(metric)
    if value is not None:
        trial.history = [MetricPoint(0, stored_value(value), (run.info.end_time or run.info.start_time or 0) / 1000)]
    return trial


def _policy_from_reasons(trials: list[TrialRecord]) -> str | None:
    # sweeps written before the scheduler tagged its policy: a policy's cancel reason starts with its name
    for trial in trials:
        if trial.canceled_by_policy and trial.cancel_reason:
            head = trial.cancel_reason.split(":", 1)[0].strip()
            if head in POLICY_NAMES:
                return POLICY_NAMES[head]
    return None


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _quote(s: str) -> str:
    return s.replace("'", "\\'")
