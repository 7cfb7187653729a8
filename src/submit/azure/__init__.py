"""Azure ML: the spec as an azure-ai-ml job (``job``) and the workspace client that submits and reads it (``client``).

``to_azure_job(spec)`` is ``command(...)(**search_space).sweep(...)``; ``client`` finds the workspace, connects with
azure-identity, submits, waits and turns the service's errors into one line. Both load azure-ai-ml on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.lazy import lazy_exports

if TYPE_CHECKING:
    from .client import SubmittedJob, Workspace, connect, find_workspace, submit, wait_for
    from .job import job_yaml, rest_body, to_azure_job

__getattr__ = lazy_exports(
    __name__,
    {
        "to_azure_job": "job",
        "job_yaml": "job",
        "rest_body": "job",
        "SubmittedJob": "client",
        "Workspace": "client",
        "connect": "client",
        "find_workspace": "client",
        "submit": "client",
        "wait_for": "client",
    },
)

__all__ = [
    "SubmittedJob",
    "Workspace",
    "connect",
    "find_workspace",
    "job_yaml",
    "rest_body",
    "submit",
    "to_azure_job",
    "wait_for",
]
