"""An Azure ML sweep read as data: ``ml_client.jobs`` for the sweep and its trials, MLflow for their histories.

- The sweep: ``jobs.get(name)`` (a ``SweepJob``: objective, limits, sampling, policy, search space, status, studio
  URL; ``properties.best_child_run_id`` once the service has picked a best trial).
- Its trials: ``jobs.list(parent_job_name=name)``, which reads RunHistory's children listing page by page
  (``nextLink``); a child the SDK cannot parse arrives as ``None`` and is counted, not dropped silently.
- A trial's parameters: HyperDrive keeps them on the sweep's own tags, ``<sweep>_<i>: {"lr": 0.01, ...}`` (the v1
  SDK's ``HyperDriveRun.get_hyperparameters`` reads them there); [INFER] v2 sweeps keep the layout, as the service
  is the same. A trial whose tag is missing falls back to its RunHistory record's, then its MLflow run's params.
- A trial's failure and times: RunHistory's record of the child in that listing (``error.error.message``,
  ``startTimeUtc``, ``endTimeUtc``), which the SDK's job entity drops; MLflow's run times when it has the run.
- Histories and times: MLflow on the workspace's tracking URI (``azureml://...``, through azureml-mlflow), the runs
  whose ``mlflow.parentRunId`` is the sweep; a run is matched to its trial by run id (Azure: the job name) or by run
  name. ``get_metric_history`` per trial, which is complete where ``search_runs``' metrics can lag (azure-sdk #39198).
- Cancel reasons: Azure records none. [INFER] Only the policy cancels trials of a sweep that went on to complete, so
  there the canceled trials are the policy's; in a sweep that was canceled or timed out, they are not.
"""

from __future__ import annotations

import re
from typing import Any

from ..emulator.tags import BEST_RUN_TAG
from ..emulator.tracking import trial_values
from ..spec.model import POLICY_SETTINGS, RecordedLimits
from ..spec.space import DISTRIBUTIONS
from .local import POLICY_NAMES, stored_value
from .pipeline_record import run_failure, utc_seconds
from .record import (
    MetricPoint,
    MonitorInputError,
    SweepListing,
    SweepSummary,
    TrialRecord,
    parse_logbase,
    parse_param,
)

MLFLOW_PAGE = 1000  # runs per MLflow search page: Azure's MLflow answers at most 1000 rows (azure-sdk #39198)
# Azure's job statuses in the monitor's words (the sweep's own status is kept, lower-cased)
_TRIAL_STATUS = {
    "NotStarted": "queued",
    "Queued": "queued",
    "Preparing": "queued",
    "Provisioning": "queued",
    "Starting": "queued",
    "Running": "running",
    "Finalizing": "running",
    "CancelRequested": "canceled",
    "Canceled": "canceled",
    "Completed": "completed",
    "Failed": "failed",
    "NotResponding": "failed",
}


class CloudSweeps:
    """The sweeps of one Azure ML workspace."""

    where = "cloud"

    def __init__(self, ml_client, *, tracking_uri: str | None = None, mlflow_client=None, label: str | None = None):
        self.ml_client = ml_client
        self._tracking_uri = tracking_uri
        self._mlflow = mlflow_client
        self.label = label or (
            f"the workspace {ml_client.workspace_name} (resource group {ml_client.resource_group_name}, "
            f"subscription {ml_client.subscription_id})"
        )

    def describe(self) -> str:
        return self.label

    # connections -----------------------------------------------------------------------------------------

    def tracking_uri(self) -> str:
        """The workspace's MLflow tracking URI, as the workspace itself gives it (GET workspace)."""
        if self._tracking_uri is None:
            ws = self._call(
                self.ml_client.workspaces.get,
                self.ml_client.workspace_name,
                reading=f"the workspace {self.ml_client.workspace_name}",
            )
            self._tracking_uri = ws.mlflow_tracking_uri
        return self._tracking_uri

    def mlflow(self):
        if self._mlflow is None:
            from mlflow.tracking import MlflowClient

            self._mlflow = MlflowClient(tracking_uri=self.tracking_uri())
        return self._mlflow

    def _call(self, fn, *args, reading: str | None = None, **kwargs):
        """``fn(*args, **kwargs)``, every failure one line; ``reading`` names what is read, for a 404's message."""
        try:
            return fn(*args, **kwargs)
        except MonitorInputError:
            raise
        except Exception as e:  # every SDK/azure-core/MLflow failure becomes one line, exit 3
            if reading and _not_found(e):
                raise MonitorInputError(f"{reading} not found in {self.describe()} ({_service_line(e)})") from e
            raise _unreachable(e) from e

    # reading ---------------------------------------------------------------------------------------------

    def job(self, name: str, *, pipeline_ok: bool = False):
        """The sweep job ``name`` (or, with ``pipeline_ok``, a pipeline job); ``MonitorInputError`` for any other."""
        from azure.core.exceptions import ResourceNotFoundError

        from .local import unknown_sweep

        try:
            job = self.ml_client.jobs.get(name)
        except Exception as e:
            if not isinstance(e, ResourceNotFoundError) and not _not_found(e):
                raise _unreachable(e) from e
            raise MonitorInputError(unknown_sweep(name, [self.describe()], self._known_names())) from e
        if getattr(job, "type", None) == "pipeline" and pipeline_ok:
            return job
        if getattr(job, "type", None) == "pipeline":
            raise MonitorInputError(
                f"job {name} in {self.describe()} is a pipeline job, not a sweep\n  hint: give {name}/STEP for the "
                f"sweep of its step STEP, or `sweep status {name}` for its steps"
            )
        if getattr(job, "type", None) != "sweep":
            raise MonitorInputError(f"job {name} in {self.describe()} is a {job.type} job, not a sweep")
        return job

    def _known_names(self, scan: int = 500) -> list[str]:
        """The sweep and pipeline job names among the workspace's latest ``scan`` jobs, for a did-you-mean; none
        if they cannot be listed (the not-found line is said either way)."""
        from itertools import islice

        try:
            jobs = islice(self.ml_client.jobs.list(), scan)
            return [j.name for j in jobs if j is not None and getattr(j, "type", None) in ("sweep", "pipeline")]
        except Exception:  # a suggestion is a courtesy
            return []

    def status(self, name: str, *, histories: bool = True) -> SweepSummary:
        job = self.job(name)
        summary = _summary(job, self.describe())
        unparsed: list[str] = []
        raw: list[dict] = []
        children = self._call(children_of, self.ml_client, name, unparsed, raw, reading=f"the trials of sweep {name}")
        summary.unparsed_children = unparsed
        records = {item.get("runId"): item for item in raw if isinstance(item, dict)}
        runs = self._runs(job)
        for child in children:
            if child is None:
                continue
            run = runs.get(child.name)
            trial = _trial(child, job, run, records.get(child.name, {}))
            if run is not None and histories:
                trial.history = self._history(trial.run_id, summary.primary_metric)
            elif run is not None and summary.primary_metric in trial.metrics:
                # the latest value only (one search for every trial, as `watch` looks every few seconds)
                stamp = trial.ended or trial.started or 0.0
                trial.history = [MetricPoint(0, trial.metrics[summary.primary_metric], stamp)]
            summary.add(trial)
        if summary.unparsed_children:
            summary.warnings.append(
                f"{len(summary.unparsed_children)} child job(s) listed by Azure could not be read by azure-ai-ml "
                f"and are left out: {', '.join(summary.unparsed_children)}"
            )
        _policy_cancels(summary)
        if histories:
            from .local import savings_of

            summary.savings = savings_of(summary)
        # what the health flags read: which listing stopped early, and whether each history was read whole
        summary.cut_short += _cut_children(job, summary) + self._mlflow_cut
        summary.histories_read = histories
        return summary

    def _runs(self, job) -> dict:
        """The sweep's MLflow child runs by trial name (Azure: run id = job name; a stand-in server: run name).

        A full page without a next page token is a search the server cut at its max_results (azure-sdk #39198:
        Azure's MLflow returns 1000 rows): it is kept in ``_mlflow_cut``, which the health flags show.
        """
        client = self.mlflow()
        self._mlflow_cut: list[str] = []

        def search():
            experiments = [e.experiment_id for e in client.search_experiments()]
            exp = client.get_experiment_by_name(job.experiment_name) if job.experiment_name else None
            ids = [exp.experiment_id] if exp else experiments
            found, token = [], None
            while True:
                page = client.search_runs(
                    ids, f"tags.`mlflow.parentRunId` = '{job.name}'", max_results=MLFLOW_PAGE, page_token=token
                )
                found += list(page)
                token = page.token
                if not token:
                    if len(page) == MLFLOW_PAGE:
                        self._mlflow_cut.append(
                            f"MLflow search_runs returned a full page of {MLFLOW_PAGE} runs (its max_results) and "
                            "no next page: trials past it have no history here"
                        )
                    return found

        runs = self._call(search)
        by_name = {}
        for run in runs:
            by_name[run.info.run_name] = run
            by_name[run.info.run_id] = run
        return by_name

    def history(self, run_id: str, metric: str) -> list[MetricPoint]:
        """One metric's whole history (what `sweep export --histories` reads for each metric)."""
        return self._history(run_id, metric)

    def _history(self, run_id: str, metric: str) -> list[MetricPoint]:
        points = self._call(self.mlflow().get_metric_history, run_id, metric)
        return [
            MetricPoint(int(m.step), stored_value(m.value), m.timestamp / 1000)
            for m in sorted(points, key=lambda m: (m.timestamp, m.step))
        ]

    def list(self, limit: int | None = 50) -> list[SweepListing]:
        """The workspace's sweep jobs, as `az ml job list` finds them (every page, until ``limit`` sweeps)."""
        rows: list[SweepListing] = []

        def collect():
            for job in self.ml_client.jobs.list():
                kind = getattr(job, "type", None) if job is not None else None
                if kind == "pipeline":  # one row, as studio lists it: its steps are child jobs, not listed here
                    rows.append(_pipeline_row(job))
                elif kind == "sweep":
                    summary = _summary(job, self.describe())
                    # a cloud listing reads no trials: the count done and the best value stay unknown
                    rows.append(SweepListing.of(summary, done=None, best=None, ended=None))
                else:
                    continue
                if limit and len(rows) >= limit:
                    return

        self._call(collect)
        return rows

    # pipelines -------------------------------------------------------------------------------------------

    def is_pipeline(self, name: str) -> bool:
        return getattr(self.job(name, pipeline_ok=True), "type", None) == "pipeline"

    def pipeline(self, name: str, *, histories: bool = True):
        """The pipeline job ``name`` as data (``pipeline.PipelineSummary``): its steps from the job's ``jobs``, each
        step's child job from ``jobs.list(parent_job_name=name)`` (RunHistory's children), a sweep step's sweep read
        as ``status`` reads a sweep."""
        from .pipeline_record import read_cloud_pipeline

        job = self.job(name, pipeline_ok=True)
        raw: list[dict] = []
        children = self._call(children_of, self.ml_client, name, None, raw, reading=f"the steps of pipeline {name}")
        return read_cloud_pipeline(self, job, children, raw, histories=histories)

    # cancel ----------------------------------------------------------------------------------------------

    def request_cancel(self, name: str, wait: bool = False) -> SweepSummary:
        """``jobs.begin_cancel``: Azure cancels the sweep and its running trials; ``wait`` follows the poller."""
        self._cancel(self.job(name), "sweep", wait)
        return self.status(name, histories=False)

    def request_pipeline_cancel(self, name: str, wait: bool = False):
        """``jobs.begin_cancel`` of the pipeline job: Azure cancels its running steps (a sweep step's trials too)."""
        self._cancel(self.job(name, pipeline_ok=True), "pipeline", wait)
        return self.pipeline(name, histories=False)

    def _cancel(self, job, what: str, wait: bool) -> None:
        status = str(getattr(job.status, "value", job.status))
        if status in ("Completed", "Failed", "Canceled"):
            raise MonitorInputError(f"{what} {job.name} is not running (it is {status.lower()}); nothing to cancel")
        poller = self._call(self.ml_client.jobs.begin_cancel, job.name, reading=f"{what} {job.name}")
        if wait:
            self._call(poller.result, reading=f"the cancel of {what} {job.name}")


def children_of(ml_client, name: str, unparsed: list[str] | None = None, raw: list | None = None) -> list:
    """Every child job of the sweep, as ``jobs.list(parent_job_name=name)`` gives them, from every page.

    ``unparsed``, when given, receives each child the SDK could not read (a ``None``), named by the page's own
    ``runId`` and ``status`` so that it can be told apart and looked up; ``raw``, when given, receives each child
    as RunHistory sent it (the job entity keeps no start or end time).

    azure-ai-ml 1.35's regenerated RunHistory client never follows a page: its ``get_child`` returns ``None`` as the
    next link (``extract_data``), so ``jobs.list(parent_job_name=...)`` stops after the first page of a long sweep.
    We ask for each page by its ``continuationToken`` (read from the raw response with azure-core's per-request
    ``raw_response_hook``), with the SDK's own authenticated client and its own ``Run`` -> job translation, which
    gives ``None`` for a child it cannot parse, as ``jobs.list`` does.
    """
    runs = ml_client.jobs._runs_operations  # noqa: SLF001 - the only way past the SDK's paging bug
    children: list = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        answer: dict = {}

        def hook(response, answer=answer):
            answer.update(response.http_response.json() or {})

        page = runs._operation.get_child(
            ml_client.subscription_id,
            ml_client.resource_group_name,
            ml_client.workspace_name,
            name,
            continuationtoken=token,
            raw_response_hook=hook,
        )
        read = [runs._translate_from_rest_object(run) for run in page]
        items = answer.get("value") or []
        if raw is not None:
            raw += items
        for i, job in enumerate(read):
            if job is None and unparsed is not None:
                item = items[i] if i < len(items) and isinstance(items[i], dict) else {}
                unparsed.append(f"{item.get('runId', f'child #{len(children) + i}')} ({item.get('status', '?')})")
        children += read
        token = answer.get("continuationToken")
        if not token or token in seen:  # a service that repeats a token would loop forever
            return children
        seen.add(token)


def _not_found(e: BaseException) -> bool:
    """A 404 from Azure under the SDK's wrappers: what was read is not there (not a refusal, not an outage)."""
    from ..azure.client import _root_azure_error

    return getattr(_root_azure_error(e), "status_code", None) == 404


def _service_line(e: BaseException) -> str:
    from ..azure.client import _root_azure_error, _service_message

    root = _root_azure_error(e)
    return f"{getattr(root, 'status_code', '')} {_service_message(root)}".strip()[:300]


def _unreachable(e: BaseException):
    """One line for a failure of Azure or of the workspace's tracking server (an ``AzureError``: its exit code)."""
    from ..azure.client import azure_error
    from ..errors import AzureUnreachable

    if type(e).__module__.startswith(("mlflow", "requests", "urllib3")):
        return AzureUnreachable(
            f"the workspace's MLflow tracking server failed or is unreachable: {' '.join(str(e).split())[:300]}"
        )
    error = azure_error(e)
    # its catch-all says "submission failed"; here nothing was submitted
    return type(error)(str(error).replace("submission failed", "the request failed"))


def _pipeline_row(job) -> SweepListing:
    created = getattr(job.creation_context, "created_at", None) if job.creation_context else None
    return SweepListing(
        name=job.name,
        where="cloud",
        status=str(getattr(job.status, "value", job.status) or "unknown").lower(),
        started=created.timestamp() if created is not None else None,
        ended=None,
        done=None,
        total=None,
        best=None,
        primary_metric=None,
        goal=None,
        experiment=job.experiment_name,
        kind="pipeline",
    )


def _summary(job, where: str) -> SweepSummary:
    objective = job.objective
    limits = job.limits
    policy = job.early_termination
    sampling = job.sampling_algorithm
    created = getattr(job.creation_context, "created_at", None) if job.creation_context else None
    properties = dict(job.properties or {})
    return SweepSummary(
        name=job.name,
        where="cloud",
        location=where,
        status=str(getattr(job.status, "value", job.status) or "unknown").lower(),
        primary_metric=objective.primary_metric if objective else "",
        goal=str(objective.goal).lower() if objective else "maximize",
        run_id=job.name,
        experiment=job.experiment_name,
        started=created.timestamp() if created is not None else None,
        sampling=_sampling_label(sampling),
        sampling_settings=_settings(sampling, SAMPLING_SETTINGS),
        policy=_policy_name(policy),
        policy_settings=_settings(policy, POLICY_SETTINGS.get(_policy_name(policy) or "", ())),
        system_tags={
            k: v for k, v in (job.tags or {}).items() if k.startswith("_aml_system_") and not _TRIAL_TAG.search(k)
        },
        limits=RecordedLimits.read(limits),
        search_space={k: space_yaml(v) for k, v in (job.search_space or {}).items()},
        logbase=parse_logbase(getattr(sampling, "logbase", None)),
        best_run_id=properties.get(BEST_RUN_TAG),
        url=job.studio_url,
    )


def space_yaml(distribution) -> Any:
    """An azure-ai-ml search-space object as the spec's YAML gives it (``{"type": "loguniform", "min_value": ...}``):
    the same shape a local sweep records, so the report draws both alike. Nested choices are converted inside."""
    kind = getattr(distribution, "type", None)
    if kind == "choice":
        values = [
            {k: space_yaml(v) for k, v in value.items()} if isinstance(value, dict) else value
            for value in distribution.values or []
        ]
        return {"type": "choice", "values": values}
    cls = DISTRIBUTIONS.get(str(kind))
    if cls is None:  # not a distribution (a nested choice's constant), or one this toolkit does not know
        return distribution if kind is None else {"type": kind}
    return {"type": cls.type, **{k: getattr(distribution, k, None) for k in cls.PARAMS}}


SAMPLING_SETTINGS = ("rule", "seed", "logbase")  # azure-ai-ml's RandomSamplingAlgorithm; grid and bayesian have none


def _settings(entity, keys) -> dict[str, Any]:
    """The settings ``keys`` an SDK policy or sampling object carries (the ones the service echoed back, not None)."""
    if entity is None or isinstance(entity, str):
        return {}
    found = {k: getattr(entity, k) for k in keys if getattr(entity, k, None) is not None}
    if isinstance(found.get("rule"), str):  # the service echoes "Random"; the spec and the SDK write "random"
        found["rule"] = found["rule"].lower()
    return found


def _sampling_label(sampling) -> str | None:
    """The sampling as the spec and a local sweep name it: ``sobol`` for random sampling with the Sobol rule."""
    if not sampling:
        return None
    kind = str(getattr(sampling, "type", sampling)).lower()
    if kind == "random" and str(getattr(sampling, "rule", "") or "").lower() == "sobol":
        return "sobol"
    return kind


def _policy_name(policy) -> str | None:
    if policy is None:
        return None
    kind = str(getattr(policy, "type", "")).lower()
    return next((v for k, v in POLICY_NAMES.items() if v == kind or k.replace(" ", "") in kind), kind or None)


def _trial(child, job, run, item: dict) -> TrialRecord:
    """A trial from its child job, its MLflow run (None when MLflow has none) and ``item``, its record in RunHistory's
    children listing: the times and the failure the job entity does not keep (``startTimeUtc``, ``endTimeUtc``,
    ``error.error.message``)."""
    name = child.name
    match = re.search(r"_(\d+)$", name)
    status = str(getattr(child.status, "value", child.status))
    params = trial_values(job.tags or {}, name)  # the one reader of the sweep's `<sweep>_<i>` tags
    if params is None and isinstance(item.get("parameters"), dict) and item["parameters"]:
        # [INFER] the run's own parameters where RunHistory lists any (the recorded children have none)
        params = {k: parse_param(v) for k, v in item["parameters"].items()}
    if params is None:
        params = {k: parse_param(v) for k, v in (run.data.params.items() if run else [])}
    started = run.info.start_time / 1000 if run and run.info.start_time else utc_seconds(item.get("startTimeUtc"))
    ended = run.info.end_time / 1000 if run and run.info.end_time else utc_seconds(item.get("endTimeUtc"))
    record = TrialRecord(
        name=name,
        run_id=run.info.run_id if run else name,
        index=int(match.group(1)) if match else None,
        status=_TRIAL_STATUS.get(status, status.lower()),
        params=params,
        metrics={k: stored_value(v) for k, v in run.data.metrics.items()} if run else {},
        started=started,
        ended=ended,
        error=run_failure(item) if status in ("Failed", "NotResponding") else None,
        log=f"{child.studio_url}" if getattr(child, "studio_url", None) else None,
    )
    if record.status == "canceled" and status == "CancelRequested":
        record.note = "cancel requested; Azure has not confirmed it yet"
    return record


def _policy_cancels(summary: SweepSummary) -> None:
    if summary.policy is None or summary.status != "completed":
        return
    for trial in summary.trials:
        if trial.status == "canceled":
            trial.canceled_by_policy = True
            trial.cancel_reason = trial.cancel_reason or f"{summary.policy} (Azure records no values for its cancels)"


_TRIAL_TAG = re.compile(r"_\d+$")  # `_aml_system_<sweep>_<i>`: a trial's values, not a setting of the sweep


def _cut_children(job, summary: SweepSummary) -> list[str]:
    """Why the children listing is short, if it is: fewer children than the trials the sweep's own tags name
    (HyperDrive tags the parent `<sweep>_<i>` for every trial it generates)."""
    listed = {t.name for t in summary.trials} | {u.split(" ", 1)[0] for u in summary.unparsed_children}
    pattern = re.compile(rf"(?:_aml_system_)?({re.escape(job.name)}_\d+)")
    named = {m.group(1) for k in (job.tags or {}) if (m := pattern.fullmatch(k))}
    missing = sorted(named - listed, key=lambda n: int(n.rsplit("_", 1)[1]))
    if not missing:
        return []
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return [
        f"Azure's children listing (RunHistory) gave {len(listed)} trials but the sweep's tags name "
        f"{len(named | listed)}; not listed: {', '.join(missing[:5])}{more}"
    ]
