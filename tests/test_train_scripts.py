"""Every training script, run for real on a small dataset into a temporary MLflow store, the three ways a sweep runs
it: on its own (binary task, breast_cancer, with --cv-folds 2), and with MLFLOW_RUN_ID naming a child run the way
Azure ML and `sweep submit --local` start a trial (multi-class task, iris)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mlflow import MlflowClient

from train_runs import (
    FAST,
    ITERATIONS,
    SCRIPTS,
    Trial,
    base_env,
    declared_metrics,
    empty_store,
    list_metrics,
    new_store,
    run_all,
)

FINAL = ("accuracy", "precision", "recall", "f1_score", "log_loss", "roc_auc", "pr_auc")
CONFUSION = ("true_negatives", "false_positives", "false_negatives", "true_positives")
VALIDATION = "val_accuracy"  # every script logs it at every iteration; the specs' usual primary metric

# the module's 15 real trials run in one fixture: 1-2 s each on an idle machine (forked warm: train_runs.py), far more on
# a shared one; about 25 s in all on a quiet 2-core machine, so the module is left out of the fast subset
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]


@pytest.fixture(scope="module")
def trials(tmp_path_factory):
    """Runs every script twice, and gb's binary task once more with the same seed into a store of its own (15
    trials, two at a time, in one pool so no core idles at the end); returns them by (script, task), the repeat as
    ("gb", "again")."""
    root = tmp_path_factory.mktemp("train")
    template = empty_store(root / "template")
    out = []
    for script in SCRIPTS:
        folder = root / f"{script}-binary"
        uri = new_store(template, folder)
        args = ["--dataset", "breast_cancer", "--cv-folds", "2", *FAST[script]]
        if script == "xgb":
            args += ["--model-output", str(folder / "outputs" / "model")]
        out.append(Trial(script, args, folder, base_env(MLFLOW_TRACKING_URI=uri)))

        folder = root / f"{script}-multiclass"
        uri = new_store(template, folder)
        out.append(Trial(script, ["--dataset", "iris", *FAST[script]], folder, emulator_env(uri, folder, script)))
    first = next(t for t in out if t.script == "gb")
    again = Trial(
        "gb", first.args, root / "gb-again", base_env(MLFLOW_TRACKING_URI=new_store(template, root / "gb-again"))
    )
    done = run_all([again, *out])  # the repeat first: gb is among the slowest, and the pool then ends evenly
    by_task = {(t.script, "binary" if "breast_cancer" in t.args else "multiclass"): t for t in done[1:]}
    return {**by_task, ("gb", "again"): done[0]}


def emulator_env(uri: str, folder, script: str) -> dict[str, str]:
    """What Azure ML and the local emulator give a trial: a RUNNING child run of the sweep, its id in MLFLOW_RUN_ID,
    the tracking URI and experiment; and a param already logged in the run, which the script must not log again."""
    client = MlflowClient(uri)
    experiment = client.create_experiment("sweep", artifact_location=str(folder / "artifacts"))
    parent = client.create_run(experiment, run_name="sweep")
    child = client.create_run(experiment, run_name="sweep_0", tags={"mlflow.parentRunId": parent.info.run_id})
    client.log_param(child.info.run_id, "seed", "0")
    return base_env(MLFLOW_TRACKING_URI=uri, MLFLOW_EXPERIMENT_ID=experiment, MLFLOW_RUN_ID=child.info.run_id)


def the_run(trial: Trial):
    """The run the trial logged into: its own (standalone) or the child run it was given."""
    assert trial.returncode == 0, trial.stderr[-3000:]
    client = MlflowClient(trial.tracking_uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    if "MLFLOW_RUN_ID" in trial.env:
        assert sorted(r.info.run_name for r in runs) == ["sweep", "sweep_0"], "the script created a run of its own"
        return client.get_run(trial.env["MLFLOW_RUN_ID"])
    assert len(runs) == 1
    return runs[0]


def history(trial: Trial, key: str) -> list:
    return MlflowClient(trial.tracking_uri).get_metric_history(the_run(trial).info.run_id, key)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_validation_metric_is_logged_once_per_iteration_with_its_step(trials, script, task):
    trial = trials[script, task]
    for key in ("val_accuracy", "val_log_loss", "val_roc_auc"):
        values = history(trial, key)
        assert sorted(m.step for m in values) == list(range(ITERATIONS[script])), key
        assert all(math.isfinite(m.value) for m in values)
    assert all(0 <= m.value <= 1 for m in history(trial, VALIDATION))


@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_final_metrics_exist_and_lie_in_range(trials, script, task):
    metrics = the_run(trials[script, task]).data.metrics
    for split in ("train", "test"):
        for name in FINAL:
            value = metrics[f"{split}_{name}"]
            if name == "log_loss":
                assert 0 <= value < 10, (split, name, value)
            else:
                assert 0 <= value <= 1, (split, name, value)
    assert metrics["test_accuracy"] > 0.5  # better than chance on both tasks, even with tiny iteration counts


@pytest.mark.parametrize("script", SCRIPTS)
def test_binary_confusion_counts_agree_with_the_metrics(trials, script):
    metrics = the_run(trials[script, "binary"]).data.metrics
    tn, fp, fn, tp = (metrics[f"test_{k}"] for k in CONFUSION)
    assert all(float(c).is_integer() and c >= 0 for c in (tn, fp, fn, tp))
    assert tn + fp + fn + tp == math.ceil(569 * 0.2)  # breast_cancer rows in the default 20% test split
    assert metrics["test_accuracy"] == pytest.approx((tp + tn) / (tn + fp + fn + tp))
    assert metrics["test_precision"] == pytest.approx(tp / (tp + fp))
    assert metrics["test_recall"] == pytest.approx(tp / (tp + fn))


@pytest.mark.parametrize("script", SCRIPTS)
def test_multiclass_runs_have_no_confusion_counts_and_no_cv_scores(trials, script):
    metrics = the_run(trials[script, "multiclass"]).data.metrics
    assert not [k for k in metrics if k.endswith(CONFUSION)]
    assert "mean_cv_score" not in metrics and "std_cv_score" not in metrics


@pytest.mark.parametrize("script", SCRIPTS)
def test_cv_folds_2_logs_mean_and_std_cv_score(trials, script):
    metrics = the_run(trials[script, "binary"]).data.metrics
    assert 0.5 < metrics["mean_cv_score"] <= 1
    assert 0 <= metrics["std_cv_score"] < 0.5


@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_declared_metric_list_is_what_a_real_run_logs(trials, script, task):
    trial = trials[script, task]
    assert sorted(declared_metrics(script, *trial.args)) == sorted(the_run(trial).data.metrics)


def test_list_metrics_prints_the_declared_list(trials):
    args = trials["xgb", "binary"].args
    assert list_metrics("xgb", *args) == declared_metrics("xgb", *args)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_artifacts_and_logged_model_load_back_and_predict(trials, script, task, monkeypatch):
    import mlflow
    from sklearn import datasets

    # loading any serialized scikit-learn model (skops included) is opt-in since MLflow 3.x
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    trial = trials[script, task]
    run = the_run(trial)
    assert str(trial.folder.parent) in run.info.artifact_uri  # in the temp store, never under the current folder
    client = MlflowClient(trial.tracking_uri)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"confusion_matrix.png", "classification_report.txt", "model"} <= artifacts
    assert "model/MLmodel" in {a.path for a in client.list_artifacts(run.info.run_id, "model")}
    report = client.download_artifacts(run.info.run_id, "classification_report.txt", str(trial.folder))
    assert "precision" in open(report).read()

    mlflow.set_tracking_uri(trial.tracking_uri)
    info = mlflow.models.get_model_info(f"runs:/{run.info.run_id}/model")
    assert info.signature is not None and info.saved_input_example_info is not None
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    X = getattr(datasets, "load_breast_cancer" if task == "binary" else "load_iris")(as_frame=True).data.head(7)
    predicted = np.asarray(model.predict(X))
    assert predicted.shape == (7,)
    assert set(predicted) <= set(range(2 if task == "binary" else 3))


def test_model_output_folder_holds_a_loadable_mlflow_model(trials, monkeypatch):
    import mlflow
    from sklearn.datasets import load_breast_cancer

    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    folder = trials["xgb", "binary"].folder / "outputs" / "model"
    assert (folder / "MLmodel").is_file()
    model = mlflow.pyfunc.load_model(str(folder))
    assert np.asarray(model.predict(load_breast_cancer(as_frame=True).data.head(4))).shape == (4,)


def test_same_seed_gives_the_same_model(trials):
    """Two runs with --seed 0 (the default): the same split and the same model, so the same metrics."""
    first = the_run(trials["gb", "binary"]).data.metrics
    second = the_run(trials["gb", "again"]).data.metrics
    assert trials["gb", "again"].tracking_uri != trials["gb", "binary"].tracking_uri
    assert {k: v for k, v in second.items()} == pytest.approx(first)
