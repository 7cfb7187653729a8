"""A sweep, local or cloud, read as data: list, status, histories, best, cancel.

``LocalSweeps(uri)`` reads a local store (the emulator's layout); ``CloudSweeps(ml_client, ...)`` reads an Azure ML
workspace through ``ml_client.jobs`` and MLflow on the workspace's tracking URI. Both return the same
``SweepSummary``/``TrialRecord`` data, which the CLI renders and the HTML report draws. Nothing here prints.
"""

from ..emulator.tracking import cancel_requested
from ..spec.objective import best_of, better
from .local import TAG_CANCEL_REQUESTED, LocalSweeps, open_store
from .record import (
    MetricPoint,
    MonitorInputError,
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
    "require_best",
    "require_trials",
    "SweepListing",
    "SweepSummary",
    "TrialRecord",
    "best_of",
    "better",
    "cancel_requested",
    "open_store",
    "usable",
]
