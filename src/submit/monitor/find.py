"""Where an ID lives: the local store first, then the Azure ML workspace (or only one of them, when told).

A local sweep's ID is its name as `sweep submit --local` printed it, looked up in the store given by
``--tracking-uri`` (default as for submit: ./mlflow.db); a cloud sweep's ID is its Azure job name, looked up in the
workspace resolved as for submit (options, environment, config.json). Local first because it costs nothing and
needs no credentials; the workspace is only resolved, and contacted, when the store does not hold the ID. An ID
found in neither says which store and which workspace were searched, and why one could not be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..emulator.tracking import resolve_uri
from ..errors import NoWorkspace, UserError
from .cloud import CloudSweeps
from .local import LocalSweeps, NoStore, unknown_sweep
from .record import MonitorInputError

Only = Literal["auto", "local", "cloud"]


@dataclass
class Places:
    """The places to look: a local store, and a workspace built only when needed (``cloud()`` may raise)."""

    tracking_uri: str | None = None
    cloud: Callable[[], CloudSweeps] | None = None
    only: Only = "auto"
    skipped: list[str] = field(default_factory=list)  # places that could not be searched, and why

    def local_sweeps(self) -> LocalSweeps | None:
        if self.only == "cloud":
            return None
        try:
            return LocalSweeps(self.tracking_uri)
        except MonitorInputError as e:
            if self.tracking_uri is not None or self.only == "local":
                raise  # a store the user named must be a store
            if isinstance(e, NoStore):
                self.skipped.append(f"no local store: {resolve_uri(None)} does not exist (a local sweep here makes it)")
            else:  # the reason names the store: said once
                self.skipped.append(f"no local store: {str(e).splitlines()[0]}")
            return None

    def cloud_sweeps(self) -> CloudSweeps | None:
        if self.only == "local" or self.cloud is None:
            return None
        try:
            return self.cloud()
        except UserError as e:
            if self.only == "cloud":
                raise
            if isinstance(e, NoWorkspace):  # its options and variables are in the command's --help
                self.skipped.append("no workspace searched: none given (see --help, or add a config.json)")
            else:
                self.skipped.append(f"no workspace searched: {str(e).splitlines()[0]}")
            return None


def locate(name: str, places: Places) -> LocalSweeps | CloudSweeps:
    """The place that holds sweep ``name``; ``MonitorInputError`` naming every place searched when none does."""
    searched: list[str] = []
    local = places.local_sweeps()
    known: list[str] = []
    if local is not None:
        if local.parent(name) is not None or local.pipeline_run(name) is not None:
            return local
        searched.append(local.describe())
        known = local.names()
    cloud = places.cloud_sweeps()
    if cloud is not None:
        try:
            cloud.job(name, pipeline_ok=True)
            return cloud
        except MonitorInputError as e:
            if "no sweep named" not in str(e):
                raise  # a job that is not a sweep
        searched.append(cloud.describe())
    message = unknown_sweep(name, searched, known) if searched else f"no sweep named {name!r}: nowhere to look"
    if places.skipped:
        message += "\n  " + "\n  ".join(places.skipped)
    raise MonitorInputError(message)


def every_place(places: Places) -> list[LocalSweeps | CloudSweeps]:
    """What `sweep list` reads: the local store and the workspace, each when it can be opened."""
    found: list[LocalSweeps | CloudSweeps] = []
    local = places.local_sweeps()
    if local is not None:
        found.append(local)
    cloud = places.cloud_sweeps()
    if cloud is not None:
        found.append(cloud)
    return found


def pipeline_at(source: LocalSweeps | CloudSweeps, name: str):
    """The pipeline ``name`` as data (``pipeline.PipelineSummary``) when ``source`` holds a pipeline of that name;
    None when the name is a sweep's."""
    if isinstance(source, LocalSweeps) and source.pipeline_run(name) is not None:
        return source.pipeline(name)
    if isinstance(source, CloudSweeps) and source.is_pipeline(name):
        return source.pipeline(name)
    return None


def locate_sweep(job_id: str, places: Places) -> tuple[LocalSweeps | CloudSweeps, str]:
    """The place and the sweep's name an ID means: a sweep's name; a pipeline's, meaning its only sweep step's sweep;
    or ``PIPELINE/STEP``, the sweep of that step."""
    from .pipeline_record import split_id

    name, step = split_id(job_id)
    source = locate(name, places)
    pipeline = pipeline_at(source, name)
    if pipeline is None:
        if step is not None:
            raise MonitorInputError(f"{name} is a sweep, not a pipeline: give {name} alone")
        return source, name
    return source, pipeline.sweep_of(step).name
