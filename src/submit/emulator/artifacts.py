"""A trial's files logged as its run's artifacts, straight into the artifact root its run was given.

``MlflowClient.log_artifact(run_id, ...)`` reads the run back to find its artifact root and keeps a repository (a
thread pool and a queue) for each of the last 1024 runs it served; a sweep of thousands of trials pays for both. The
emulator knows each trial's root from its start (``Store.start_trial``), so it asks MLflow's registry for that root's
repository once per upload: the same code ``log_artifact`` ends in, with nothing cached per run.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


def upload(artifact_uri: str, path: Path, artifact_path: str) -> None:
    """Log the file or folder ``path`` under ``artifact_path`` of the run whose artifact root is ``artifact_uri``."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    repository = get_artifact_repository(artifact_uri)
    if path.is_dir():
        repository.log_artifacts(str(path), artifact_path)
    else:
        repository.log_artifact(str(path), artifact_path)


def artifact_location(artifact_uri: str | None, relative: str) -> str:
    """Where ``relative`` lies among a run's artifacts: a local path for a ``file://`` root, else a URI."""
    if artifact_uri and artifact_uri.startswith("file://"):
        return str(Path(unquote(urlparse(artifact_uri).path)) / relative)
    return f"{artifact_uri or 'runs:/'}/{relative}"
