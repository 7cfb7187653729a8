"""A sweep, local or cloud, read as data: list, status, histories, best, cancel, and what is built on them.

``record`` is the one model (``SweepSummary``, ``TrialRecord``); ``local`` (``LocalSweeps(uri)``) reads a local
store in the emulator's layout (a SQLite one through ``sqlite_read``, without importing MLflow), ``cloud``
(``CloudSweeps(ml_client, ...)``) an Azure ML workspace through ``ml_client.jobs`` and MLflow; ``find`` decides
where an ID lives. On that model: ``progress`` and ``health``, ``follow`` and ``until`` (watch), ``best`` with
``best_files`` and ``cloud_best`` (download, register), ``export``, ``savings`` (what a policy's cancels ran after
cancel, and avoided), ``replay`` and ``whatif``, ``diff``, ``importance`` (with ``forest``, the random forest it
fits); ``pipeline_record`` (``PipelineSummary``) a pipeline's steps, each sweep step holding its sweep as this
model; ``fresh`` returns a sweep just run here (the emulator runs it, ``local`` reads it back) as this same model.
The CLI renders it and the HTML report draws it; nothing here prints.
"""

from ..emulator.tags import TAG_CANCEL_REQUESTED
from ..emulator.tracking import cancel_requested
from ..spec.objective import best_of, better
from .local import LocalSweeps, open_store
from .pipeline_record import PipelineSummary, StepRecord
from .record import (
    MetricPoint,
    MonitorInputError,
    RunRecord,
    SweepListing,
    SweepSummary,
    TrialRecord,
    require_best,
    require_trials,
    usable,
)

__all__ = [
    "TAG_CANCEL_REQUESTED",
    "LocalSweeps",
    "MetricPoint",
    "MonitorInputError",
    "PipelineSummary",
    "StepRecord",
    "require_best",
    "require_trials",
    "RunRecord",
    "SweepListing",
    "SweepSummary",
    "TrialRecord",
    "best_of",
    "better",
    "cancel_requested",
    "open_store",
    "usable",
]
