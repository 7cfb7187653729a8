"""`sweep best --download DIR --register NAME`: the best trial's files, and its model registered.

A local sweep here; a cloud sweep in ``cloud_best`` (``download`` and ``register`` pick by where the sweep lives).

Download mirrors `az ml job download --all` of a sweep (which goes to its best child): the best run's MLflow
artifacts into ``DIR/artifacts/`` and the trial's outputs folder (the emulator's ``outputs``) into
``DIR/named-outputs/``. Register puts the best trial's MLflow model into the local store's model registry, with
the lineage as tags (sweep, trial, run, parameters, primary metric and value): a model the trial logged
(``mlflow.<flavor>.log_model``, MLflow 3's logged models), or an ``MLmodel`` folder among its artifacts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..emulator.tracking import store_folder
from .best_files import Downloaded, Registered, download_folder, files_under, lineage_tags, mlmodel_folder
from .local import LocalSweeps
from .record import MonitorInputError, SweepSummary, TrialRecord


def download(source, summary: SweepSummary, best: TrialRecord, folder: str | Path) -> Downloaded:
    """``--download``: the best trial's files, from the local store or from Azure (``cloud_best``)."""
    if source.where == "cloud":
        from .cloud_best import download_cloud_best

        return download_cloud_best(source, best, folder)
    return download_best(source, summary, best, folder)


def register(source, summary: SweepSummary, best: TrialRecord, name: str) -> Registered:
    """``--register``: the best trial's model, in the local store's registry or the workspace's (``cloud_best``)."""
    if source.where == "cloud":
        from .cloud_best import register_cloud_best

        return register_cloud_best(source, summary, best, name)
    return register_best(source, summary, best, name)


def download_best(sweeps: LocalSweeps, summary: SweepSummary, best: TrialRecord, folder: str | Path) -> Downloaded:
    target = download_folder(folder)
    (target / "artifacts").mkdir(parents=True, exist_ok=True)
    sweeps.client.download_artifacts(best.run_id, "", str(target / "artifacts"))
    outputs = store_folder(sweeps.uri) / ".sweep" / summary.name / best.name / "outputs"
    if outputs.is_dir():
        shutil.copytree(outputs, target / "named-outputs", dirs_exist_ok=True)
    return files_under(target)


def register_best(sweeps: LocalSweeps, summary: SweepSummary, best: TrialRecord, name: str) -> Registered:
    source = _model_source(sweeps, best)
    if source is None:
        raise MonitorInputError(
            f"--register {name}: the best trial {best.name} logged no MLflow model (no logged model and no MLmodel "
            "among its artifacts)\n  hint: log one in the training script, e.g. mlflow.sklearn.log_model(model, name='model')"
        )
    client = sweeps.client
    try:
        client.create_registered_model(name)
    except Exception as e:  # noqa: BLE001 - MLflow raises RESOURCE_ALREADY_EXISTS; a new version is what we want
        if "already exists" not in str(e).lower() and "RESOURCE_ALREADY_EXISTS" not in str(e):
            raise
    version = client.create_model_version(name, source, run_id=best.run_id, tags=lineage_tags(summary, best))
    return Registered(name, str(version.version), source)


def _model_source(sweeps: LocalSweeps, best: TrialRecord) -> str | None:
    client = sweeps.client
    try:
        logged = client.search_logged_models(
            experiment_ids=[client.get_run(best.run_id).info.experiment_id],
            filter_string=f"source_run_id = '{best.run_id}'",
        )
        if logged:
            return f"models:/{logged[0].model_id}"
    except AttributeError:  # an MLflow without logged models: look for an MLmodel folder instead
        pass
    folder = mlmodel_folder(client, best.run_id)
    return None if folder is None else f"runs:/{best.run_id}/{folder}".rstrip("/.")
