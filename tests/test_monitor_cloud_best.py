"""`sweep best --download --register` of an Azure ML sweep: the real MLClient over the recorded REST API, the SDK's
own storage client over HTTPS to the loopback blob store (tests/_blob_https.py), and the stand-in tracking server.

The best trial is a child job in ARM with Azure's outputs (its default artifact store, a declared output), its
outputs in RunHistory and the data plane, its files as blobs in the workspace's two containers.
"""

from __future__ import annotations

import json

import pytest
from mlflow.tracking import MlflowClient

from _azure_util import DATASTORES, RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, WS_PATH
from submit.monitor import MonitorInputError
from submit.monitor.best import download, register
from submit.monitor.cloud import CloudSweeps
from test_monitor_cloud import SPEC, a_sweep, client

WITH_FOLDER = SPEC + "outputs:\n  model: {type: uri_folder}\n"
WITH_MODEL = SPEC + "outputs:\n  model: {type: mlflow_model}\n"
ARTIFACTS, BLOBS = DATASTORES["workspaceartifactstore"], DATASTORES["workspaceblobstore"]


def finished_best(rest, tmp_path, tracking, spec=SPEC, model_output=False):
    """A completed sweep whose best trial (`<sweep>_3`) finished, with its ARM job, outputs and files in Azure."""
    name = a_sweep(rest, tmp_path, tracking, status="Completed", spec=spec)
    best = f"{name}_3"
    rest.children[name][3]["status"] = "Completed"
    outputs = {
        "default": {
            "jobOutputType": "uri_folder",
            "mode": "ReadWriteMount",
            "uri": f"azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.{best}",
        }
    }
    if model_output:
        outputs["model"] = {
            "jobOutputType": "uri_folder",
            "mode": "ReadWriteMount",
            "uri": f"azureml://datastores/workspaceblobstore/paths/azureml/{best}/model/",
        }
        asset = f"azureml://locations/westeurope/workspaces/5e0c1f5a/data/azureml_{best}_output_data_model/versions/1"
        rest.run_outputs[best] = {"model": {"assetId": asset, "type": "uri_folder"}}
        rest.data_uris[asset] = {
            "uri": f"azureml://subscriptions/{SUBSCRIPTION}/resourcegroups/{RESOURCE_GROUP}/workspaces/{WORKSPACE}"
            f"/datastores/workspaceblobstore/paths/azureml/{best}/model/",
            "type": "uri_folder",
        }
    rest.jobs[best] = {
        "id": f"{WS_PATH}/jobs/{best}",
        "name": best,
        "type": "Microsoft.MachineLearningServices/workspaces/jobs",
        "properties": {
            "jobType": "Command",
            "status": "Completed",
            "command": "python train.py --lr 0.003 --opt adam",
            "environmentId": "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33",
            "computeId": "cpu-cluster",
            "experimentName": "monitor-cloud",
            "parentJobName": name,
            "displayName": best,
            "properties": {},
            "tags": {},
            "inputs": {},
            "outputs": outputs,
        },
    }
    return name, best


def mlflow_run(tracking, trial):
    [run] = MlflowClient(tracking_uri=tracking).search_runs(
        [MlflowClient(tracking_uri=tracking).get_experiment_by_name("monitor-cloud").experiment_id],
        f"attributes.run_name = '{trial}'",
    )
    return run.info.run_id


def test_download_writes_the_best_trials_artifacts_and_named_outputs(rest, https_blobs, tmp_path, tracking_server):
    name, best = finished_best(rest, tmp_path, tracking_server, spec=WITH_FOLDER, model_output=True)
    https_blobs.blobs[f"/{ARTIFACTS}/ExperimentRun/dcid.{best}/outputs/model/MLmodel"] = b"flavors: {}\n"
    https_blobs.blobs[f"/{ARTIFACTS}/ExperimentRun/dcid.{best}/user_logs/std_log.txt"] = b"epoch 1\n"
    https_blobs.blobs[f"/{BLOBS}/azureml/{best}/model/weights.bin"] = bytes(range(40))
    https_blobs.blobs[f"/{ARTIFACTS}/ExperimentRun/dcid.{name}_0/user_logs/std_log.txt"] = b"another trial\n"
    sweeps = CloudSweeps(client(rest), tracking_uri=tracking_server)
    summary = sweeps.status(name)
    assert summary.best.name == best
    https_blobs.requests.clear()
    rest.requests.clear()

    got = download(sweeps, summary, summary.best, tmp_path / "best")

    assert got.files == [
        "artifacts/outputs/model/MLmodel",
        "artifacts/user_logs/std_log.txt",
        "named-outputs/model/weights.bin",
    ]
    assert (tmp_path / "best/named-outputs/model/weights.bin").read_bytes() == bytes(range(40))
    assert (tmp_path / "best/artifacts/user_logs/std_log.txt").read_text() == "epoch 1\n"
    # the SDK asked RunHistory for the trial's outputs and the data plane for where the declared one is
    [rundata] = rest.requests_to("POST", r"/rundata$")
    assert rundata.body["runId"] == best
    [resolve] = rest.requests_to("POST", r"/dataversion/batchGetResolvedUris$")
    assert resolve.body["values"] == [rest.run_outputs[best]["model"]["assetId"]]
    assert rest.requests_to("POST", r"/datastores/workspaceartifactstore/listSecrets$")
    # then listed each container under the output's prefix and read each blob, over TLS through the proxy
    gets = [path for method, path in https_blobs.requests if method == "GET"]
    assert f"/{BLOBS}?restype=container&comp=list&prefix=azureml%2F{best}%2Fmodel%2F&include=metadata" in gets
    assert f"/{ARTIFACTS}/ExperimentRun/dcid.{best}/outputs/model/MLmodel" in gets
    assert not any(f"dcid.{name}_0/" in g for g in gets if "comp=list" not in g)
    assert ("CONNECT", "sweepsa.blob.core.windows.net:443") in https_blobs.requests
    assert not [r for r in rest.requests if r.method in ("PUT", "DELETE")]


def test_register_an_mlflow_model_among_the_artifacts_as_a_job_output_path(rest, tmp_path, tracking_server):
    name, best = finished_best(rest, tmp_path, tracking_server, spec=WITH_FOLDER)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "MLmodel").write_text("flavors: {}\n")
    MlflowClient(tracking_uri=tracking_server).log_artifacts(
        mlflow_run(tracking_server, best), str(model_dir), "outputs/model"
    )
    sweeps = CloudSweeps(client(rest), tracking_uri=tracking_server)
    summary = sweeps.status(name)

    got = register(sweeps, summary, summary.best, "iris-best")

    assert (got.name, got.version) == ("iris-best", "1")
    [put] = rest.requests_to("PUT", r"/models/iris-best/versions/1$")
    props = put.body["properties"]
    # a uri_folder output is no model: the MLflow model among the trial's artifacts is what is registered
    assert props["modelUri"] == got.source == f"azureml://jobs/{best}/outputs/artifacts/paths/outputs/model/"
    assert props["modelType"] == "mlflow_model"
    assert props["tags"]["sweep.name"] == name and props["tags"]["sweep.trial"] == best
    assert json.loads(props["tags"]["sweep.params"]) == {"lr": 0.003, "opt": "adam"}
    assert props["tags"]["sweep.value"] == "0.9" and props["tags"]["sweep.primary_metric"] == "accuracy"

    again = register(sweeps, summary, summary.best, "iris-best")  # a second registration is the next version
    assert again.version == "2" and rest.requests_to("PUT", r"/models/iris-best/versions/2$")


def test_register_a_declared_model_output(rest, tmp_path, tracking_server):
    name, best = finished_best(rest, tmp_path, tracking_server, spec=WITH_MODEL)
    sweeps = CloudSweeps(client(rest), tracking_uri=tracking_server)
    summary = sweeps.status(name)
    got = register(sweeps, summary, summary.best, "declared")
    [put] = rest.requests_to("PUT", r"/models/declared/versions/1$")
    assert put.body["properties"]["modelUri"] == got.source == f"azureml://jobs/{best}/outputs/model"
    assert put.body["properties"]["modelType"] == "mlflow_model"


def test_a_best_trial_without_a_model_is_one_line_and_registers_nothing(rest, tmp_path, tracking_server):
    name, best = finished_best(rest, tmp_path, tracking_server)
    sweeps = CloudSweeps(client(rest), tracking_uri=tracking_server)
    summary = sweeps.status(name)
    with pytest.raises(MonitorInputError) as e:
        register(sweeps, summary, summary.best, "nothing")
    assert "\n" not in str(e.value)
    assert str(e.value).startswith(f"--register nothing: the best trial {best} has no model output")
    assert not rest.requests_to("PUT", r"/models/")
