"""A pipeline submitted to Azure ML through ``MLClient.jobs.create_or_update``, with the sweep's client: the same
workspace finding and checks, the same one-line errors, the same ``SubmittedJob`` (name, studio URL, status)."""

from __future__ import annotations

from ..azure.client import SubmittedJob, created, refuse_local_compute
from .build import pipeline_job
from .declared import Pipeline


def submit_pipeline(pipeline: Pipeline, ml_client) -> SubmittedJob:
    """Submit one validated pipeline through a client from ``submit.azure.connect``; raises ``AzureError`` naming
    the pipeline's file when Azure refuses it."""
    refuse_local_compute([pipeline])
    return created(ml_client, lambda: pipeline_job(pipeline), pipeline)
