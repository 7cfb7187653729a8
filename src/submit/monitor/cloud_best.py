"""`sweep best --download DIR --register NAME` for an Azure ML sweep: the best trial's files, its model registered.

Download is ``ml_client.jobs.download(<best trial>, all=True)``, the SDK's own: it reads the trial's outputs from
RunHistory (``rundata``) and the data plane (their datastore paths), the datastores' accounts and keys, and lists
and reads the blobs with its storage client. The layout is Azure's: ``DIR/artifacts/`` (the trial's default
artifact output: ``outputs/``, ``user_logs/``, MLflow's files) and ``DIR/named-outputs/<name>/`` (each declared
output). We download the trial we name best rather than the sweep (which ``az ml job download`` resolves to
``best_child_run_id``): it is the trial the command printed, and the SDK refuses a sweep that is still running,
where a finished trial's files are already there.

Register is ``ml_client.models.create_or_update(Model(path=<job output path>))``, the forms Azure documents for a
model made by a job: ``azureml://jobs/<trial>/outputs/<output>`` for an output declared as a model
(``mlflow_model``, ``custom_model``, ``triton_model``), else ``azureml://jobs/<trial>/outputs/artifacts/paths/<dir>/``
for an MLflow model among the trial's artifacts (its ``MLmodel`` file found through the workspace's MLflow). The
lineage goes on the model's tags, as for a local sweep.
"""

from __future__ import annotations

from pathlib import Path

from .best_files import Downloaded, Registered, download_folder, files_under, lineage_tags, mlmodel_folder
from .cloud import CloudSweeps
from .record import MonitorInputError, SweepSummary, TrialRecord

MODEL_OUTPUTS = ("mlflow_model", "custom_model", "triton_model")


def download_cloud_best(sweeps: CloudSweeps, best: TrialRecord, folder: str | Path) -> Downloaded:
    target = download_folder(folder)
    target.mkdir(exist_ok=True)
    sweeps._call(
        sweeps.ml_client.jobs.download,
        best.name,
        download_path=str(target),
        all=True,
        reading=f"the outputs of trial {best.name}",
    )
    return files_under(target)


def model_source(sweeps: CloudSweeps, summary: SweepSummary, best: TrialRecord) -> tuple[str, str] | None:
    """(path, model type) of the best trial's model, or None when it has none (see the module docstring)."""
    job = sweeps.job(summary.name)
    for name, output in (job.outputs or {}).items():
        kind = str(getattr(output, "type", "") or "")
        if kind in MODEL_OUTPUTS:
            return f"azureml://jobs/{best.name}/outputs/{name}", kind
    folder = sweeps._call(mlmodel_folder, sweeps.mlflow(), best.run_id)
    if folder is None:
        return None
    return f"azureml://jobs/{best.name}/outputs/artifacts/paths/" + (f"{folder}/" if folder else ""), "mlflow_model"


def register_cloud_best(sweeps: CloudSweeps, summary: SweepSummary, best: TrialRecord, name: str) -> Registered:
    from azure.ai.ml.entities import Model

    found = model_source(sweeps, summary, best)
    if found is None:
        raise MonitorInputError(
            f"--register {name}: the best trial {best.name} has no model output: the sweep declares no output of "
            f"type {', '.join(MODEL_OUTPUTS)} and no MLmodel is among the trial's artifacts (declare "
            "`outputs: {model: {type: mlflow_model}}`, or log one with mlflow.<flavor>.log_model)"
        )
    path, kind = found
    model = Model(
        name=name,
        path=path,
        type=kind,
        description=f"the best trial {best.name} of sweep {summary.name} ({summary.primary_metric} {best.best!r})",
        tags=lineage_tags(summary, best),
    )
    created = sweeps._call(sweeps.ml_client.models.create_or_update, model)
    return Registered(name, str(created.version), path)
