"""What every training script shares: data, splits, the MLflow run, streamed metrics, final metrics, artifacts, model.

This folder is uploaded alone as a sweep trial's ``code``, so nothing here imports the ``submit`` package. A script
describes its model with a ``Model`` and hands it to ``run``; ``run`` makes the script work three ways unmodified:

- on its own: ``mlflow.start_run()`` opens a new run (MLflow's default tracking, or ``MLFLOW_TRACKING_URI``);
- under Azure ML, which sets ``MLFLOW_RUN_ID`` and the tracking URI: ``start_run()`` attaches to that run;
- under ``sweep submit --local``, which does the same with a child run in its SQLite store.

Metrics, with the names the sweep specs use as ``primary_metric``:

- ``val_accuracy``, ``val_log_loss``, ``val_roc_auc`` on the validation split, at every iteration of an iterative
  model (step = iteration) or once (step 0), streamed to the store within ``STREAM_INTERVAL`` s of being computed so
  early-termination policies can act on them;
- at the end, on train and test: ``<split>_accuracy``, ``_precision``, ``_recall``, ``_f1_score``, ``_log_loss``,
  ``_roc_auc``, ``_pr_auc``, and for binary tasks the confusion-matrix counts; ``mean_cv_score`` / ``std_cv_score``
  with ``--cv-folds`` > 1.

Binary tasks score the second class (label index 1) as positive. Multi-class precision, recall and F1 are macro
averages; ROC AUC and PR AUC are one-vs-rest averages weighted by class prevalence, the definition XGBoost's ``auc``
uses, so an XGBoost trial's per-round ``val_roc_auc`` and every other script's mean the same thing.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATASETS = ("breast_cancer", "iris", "wine", "digits")
STREAM_INTERVAL = 0.25  # seconds: with the write itself, a value is in the store well within a second (bench/README.md)
CV_METRICS = ("mean_cv_score", "std_cv_score")
EXIT_USER_ERROR = 2


class UserError(Exception):
    """Bad input (a file, a column, a flag combination): printed as one message, exit code 2, no traceback."""


# ---------------------------------------------------------------------------------------------------------------
# data


@dataclass
class Data:
    X: pd.DataFrame
    y: np.ndarray  # label indices 0..K-1
    classes: list[str]  # label names, by index
    source: str

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def binary(self) -> bool:
        return self.n_classes == 2


def load_data(dataset: str | None, data: str | None, target: str | None) -> Data:
    if (dataset is None) == (data is None):
        raise UserError(
            "give exactly one of --dataset NAME (" + ", ".join(DATASETS) + ") or --data CSV --target COLUMN"
        )
    if dataset is not None:
        return _builtin(dataset)
    if not target:
        raise UserError(f"--data {data}: --target COLUMN is required to name the label column")
    return _csv(find_csv(data), target)


def _builtin(name: str) -> Data:
    from sklearn import datasets

    if name not in DATASETS:
        raise UserError(
            f"--dataset {name!r}: unknown dataset; choose one of {', '.join(DATASETS)}{_did_you_mean(name, DATASETS)}"
        )
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    X = bunch.data
    if name == "digits":
        X = X.astype("float64")
    return Data(X=X, y=np.asarray(bunch.target, dtype=int), classes=[str(c) for c in bunch.target_names], source=name)


def find_csv(path: str) -> Path:
    """A ``uri_file`` input is the CSV itself; a ``uri_folder`` input is a folder holding exactly one CSV."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"--data {path}: no such file or folder")
    if p.is_file():
        return p
    found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".csv")
    if len(found) != 1:
        listed = "; found: " + ", ".join(str(q.relative_to(p)) for q in found) if found else ""
        raise UserError(f"--data {path}: expected a folder holding exactly one .csv file, found {len(found)}{listed}")
    return found[0]


def _csv(path: Path, target: str) -> Data:
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as e:
        raise UserError(f"--data {path}: cannot read it as CSV: {str(e).strip().splitlines()[0]}") from None
    if target not in frame.columns:
        raise UserError(
            f"--target {target!r}: no such column in {path}{_did_you_mean(target, frame.columns)}; columns: {', '.join(map(str, frame.columns))}"
        )
    labels = frame[target]
    if labels.isna().any():
        raise UserError(f"--target {target!r}: {int(labels.isna().sum())} rows of {path} have no label")
    classes, y = np.unique(labels.astype(str) if labels.dtype == object else labels, return_inverse=True)
    if len(classes) < 2:
        raise UserError(
            f"--target {target!r}: a classifier needs at least two classes, {path} has only {classes.tolist()}"
        )
    X = frame.drop(columns=[target])
    text = [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
    X[text] = X[text].astype(object)  # pandas 3 reads text as its own string dtype; the encoders expect object
    # integer features as floats: the logged model's signature then accepts rows with missing values, which an
    # integer column schema rejects (the imputer handles them)
    integers = [c for c in X.columns if pd.api.types.is_integer_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
    X[integers] = X[integers].astype("float64")
    if X.shape[1] == 0:
        raise UserError(f"--data {path}: no feature columns besides the target {target!r}")
    return Data(X=X, y=y.astype(int), classes=[str(c) for c in classes], source=str(path))


def _did_you_mean(word: str, options) -> str:
    match = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


@dataclass
class Split:
    X_train: pd.DataFrame
    X_val: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray


def split(data: Data, test_size: float, val_size: float, seed: int) -> Split:
    """Stratified train / validation / test; the sweep selects on validation, the test split reports."""
    from sklearn.model_selection import train_test_split

    for flag, v in (("--test-size", test_size), ("--val-size", val_size)):
        if not 0 < v < 1:
            raise UserError(f"{flag} {v}: expected a fraction between 0 and 1")
    if test_size + val_size >= 0.9:
        raise UserError(f"--test-size {test_size} + --val-size {val_size}: leaves under 10% of the rows to train on")
    counts = np.bincount(data.y)
    if counts.min() < 3:
        rare = data.classes[int(counts.argmin())]
        raise UserError(
            f"{data.source}: class {rare!r} has {counts.min()} row(s); every class needs at least 3 for a stratified train/validation/test split"
        )
    try:
        X_rest, X_test, y_rest, y_test = train_test_split(
            data.X, data.y, test_size=test_size, random_state=seed, stratify=data.y
        )
        X_train, X_val, y_train, y_val = train_test_split(
            X_rest, y_rest, test_size=val_size / (1 - test_size), random_state=seed, stratify=y_rest
        )
    except ValueError as e:
        raise UserError(f"{data.source}: cannot split {len(data.y)} rows into train/validation/test: {e}") from None
    return Split(X_train, X_val, X_test, y_train, y_val, y_test)


def make_preprocessor(X: pd.DataFrame, *, scale: bool, max_categories: int, source: str):
    """Numeric columns: median-imputed (and standardized for scale-sensitive models). Text columns with at most
    ``max_categories`` distinct values: one-hot encoded. Anything else cannot be encoded and is reported."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric, categorical = [], []
    for column in X.columns:
        series = X[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            numeric.append(column)
            continue
        distinct = series.dropna().nunique()
        if distinct > max_categories:
            sample = ", ".join(repr(v) for v in series.dropna().astype(str).unique()[:3])
            raise UserError(
                f"{source}: column {column!r} is not numeric and has {distinct} distinct values ({sample}, ...); "
                f"text columns are one-hot encoded only up to --max-categories {max_categories}. "
                "Drop the column, convert it to numbers, or raise --max-categories"
            )
        categorical.append(column)
    numeric_steps = [SimpleImputer(strategy="median")] + ([StandardScaler()] if scale else [])
    transformers = []
    if numeric:
        transformers.append(("numeric", make_pipeline(*numeric_steps), numeric))
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(
            ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), categorical)
        )
    return ColumnTransformer(transformers, verbose_feature_names_out=False)


# ---------------------------------------------------------------------------------------------------------------
# metrics


def validation_metrics(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """The per-iteration metrics on the validation split: what early-termination policies act on."""
    from sklearn.metrics import log_loss

    n_classes = proba.shape[1]
    return {
        "val_accuracy": float(np.mean(proba.argmax(axis=1) == y)),
        "val_log_loss": float(log_loss(y, proba, labels=np.arange(n_classes))),
        "val_roc_auc": _roc_auc(y, proba),
    }


def classification_metrics(prefix: str, y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import confusion_matrix, f1_score, log_loss, precision_score, recall_score

    n_classes = proba.shape[1]
    pred = proba.argmax(axis=1)
    average = "binary" if n_classes == 2 else "macro"
    labels = np.arange(n_classes)
    out = {
        "accuracy": float(np.mean(pred == y)),
        "precision": float(precision_score(y, pred, labels=labels, average=average, zero_division=0)),
        "recall": float(recall_score(y, pred, labels=labels, average=average, zero_division=0)),
        "f1_score": float(f1_score(y, pred, labels=labels, average=average, zero_division=0)),
        "log_loss": float(log_loss(y, proba, labels=labels)),
        "roc_auc": _roc_auc(y, proba),
        "pr_auc": _pr_auc(y, proba),
    }
    if n_classes == 2:
        tn, fp, fn, tp = confusion_matrix(y, pred, labels=labels).ravel()
        out.update(
            true_negatives=float(tn), false_positives=float(fp), false_negatives=float(fn), true_positives=float(tp)
        )
    return {f"{prefix}_{k}": v for k, v in out.items()}


def _one_vs_rest(score: Callable, y: np.ndarray, proba: np.ndarray) -> float:
    if proba.shape[1] == 2:
        return float(score(y == 1, proba[:, 1])) if 0 < np.sum(y == 1) < len(y) else float("nan")
    # classes absent from y (or the only class present) have no defined curve; weights renormalize over the rest
    values, weights = [], []
    for c in range(proba.shape[1]):
        positives = np.sum(y == c)
        if 0 < positives < len(y):
            values.append(score(y == c, proba[:, c]))
            weights.append(positives)
    return float(np.average(values, weights=weights)) if values else float("nan")


def _roc_auc(y, proba) -> float:
    from sklearn.metrics import roc_auc_score

    return _one_vs_rest(roc_auc_score, y, proba)


def _pr_auc(y, proba) -> float:
    from sklearn.metrics import average_precision_score

    return _one_vs_rest(average_precision_score, y, proba)


def _dummy_predictions(n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    y = np.tile(np.arange(n_classes), 2)
    proba = np.full((len(y), n_classes), 0.5 / max(n_classes - 1, 1))
    proba[np.arange(len(y)), y] = 0.5
    return y, proba


class MetricStream:
    """Sends metric values to one MLflow run from a background thread, in batches.

    The training loop only appends to a list; a thread writes what has accumulated with one ``log_batch`` every
    ``interval`` seconds. One synchronous ``log_metric`` costs tens of ms on the SQLite store, so logging every
    boosting round synchronously would dominate a fast model's training; batching keeps each value in the store
    within ``interval`` s (plus one write), which is what early-termination policies need (bench/train_logging.py).
    """

    MAX_BATCH = 1000  # MLflow's log_batch limit on metrics per call

    def __init__(self, run_id: str, interval: float = STREAM_INTERVAL, client=None):
        from mlflow import MlflowClient

        self.run_id, self.interval = run_id, interval
        self.client = client or MlflowClient()
        self._pending: list = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="metric-stream", daemon=True)
        self._thread.start()

    def log(self, metrics: dict[str, float], step: int = 0) -> None:
        from mlflow.entities import Metric

        if self._error is not None:
            raise self._error
        now = int(time.time() * 1000)
        with self._lock:
            self._pending.extend(Metric(k, float(v), now, step) for k, v in metrics.items())

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        for i in range(0, len(batch), self.MAX_BATCH):
            self.client.log_batch(self.run_id, metrics=batch[i : i + self.MAX_BATCH], synchronous=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except BaseException as e:  # surfaced in the training thread at its next log() or close()
                self._error = e
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        self.flush()

    def __enter__(self) -> MetricStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Progress:
    """What an iterative model reports at each iteration: its validation probabilities, or metrics it computed."""

    def __init__(self, stream: MetricStream, y_val: np.ndarray):
        self.stream, self.y_val = stream, y_val
        self.steps = 0

    def probabilities(self, step: int, proba: np.ndarray) -> None:
        self.metrics(step, validation_metrics(self.y_val, proba))

    def metrics(self, step: int, values: dict[str, float]) -> None:
        self.stream.log(values, step)
        self.steps = step + 1


# ---------------------------------------------------------------------------------------------------------------
# the script


def fit_by_epoch(args, model, X, y, X_val, y_val, progress):
    """Fit a ``partial_fit`` model one pass over the data an epoch, logging the validation metrics after each."""
    classes = np.unique(y)
    for epoch in range(args.epochs):
        model.partial_fit(X, y, classes=classes)
        progress.probabilities(epoch, model.predict_proba(X_val))
    return model


@dataclass
class Model:
    """One training script's model.

    ``build(args, data, threads)`` returns the unfitted sklearn-API estimator (used as-is for cross-validation);
    ``fit(args, estimator, X_train, y_train, X_val, y_val, progress)``, for iterative models, trains it while
    reporting every iteration to ``progress`` and returns it fitted; non-iterative models leave it None and are fitted
    once. ``iteration_metrics(data)`` names what ``fit`` reports when it is not ``validation_metrics``.
    """

    name: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    build: Callable[..., Any]
    fit: Callable[..., Any] | None = None
    scale: bool = False
    iteration_metrics: Callable[[Data], list[str]] | None = None


def parser(model: Model) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=model.description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, help="a dataset that ships with scikit-learn")
    data.add_argument("--data", help="a CSV file, or a folder holding one (a uri_file / uri_folder input)")
    data.add_argument("--target", help="the label column of --data")
    data.add_argument(
        "--max-categories",
        type=int,
        default=20,
        help="text columns with at most this many distinct values are one-hot encoded",
    )
    data.add_argument("--test-size", type=float, default=0.2, help="fraction held out for the final test metrics")
    data.add_argument(
        "--val-size", type=float, default=0.2, help="fraction held out for the per-iteration validation metrics"
    )
    data.add_argument(
        "--seed", type=int, default=0, help="seeds the split and the model: the same seed gives the same model"
    )
    run = p.add_argument_group("run")
    run.add_argument(
        "--cv-folds",
        type=int,
        default=0,
        help="> 1: also log mean_cv_score / std_cv_score of stratified K-fold CV on train+validation",
    )
    run.add_argument("--cv-scoring", default="accuracy", help="scikit-learn scorer name for --cv-folds")
    run.add_argument(
        "--model-output", help="also save the MLflow model in this folder (for an ${{outputs.model}} output)"
    )
    run.add_argument(
        "--list-metrics", action="store_true", help="print the names of the metrics this run would log, and exit"
    )
    model.add_arguments(p.add_argument_group(model.name))
    return p


def whole(text: str) -> int:
    """An integer flag that also takes ``4.0``: Azure's quniform / qloguniform give floats even for whole q."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}")
    return int(value)


def metric_names(model: Model, data: Data, args: argparse.Namespace) -> list[str]:
    """Every metric a run with these arguments logs, from the functions that compute them."""
    y, proba = _dummy_predictions(data.n_classes)
    names = model.iteration_metrics(data) if model.iteration_metrics else list(validation_metrics(y, proba))
    for prefix in ("train", "test"):
        names += list(classification_metrics(prefix, y, proba))
    if args.cv_folds > 1:
        names += list(CV_METRICS)
    return names


def threads() -> int:
    """Threads a trial may use: the emulator (and a careful user) set OMP_NUM_THREADS so concurrent trials share cores."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return os.cpu_count() or 1


def run(model: Model, argv: list[str] | None = None) -> int:
    """Parse, load, train, log; the exit code. Bad input gives one message on stderr and exit code 2."""
    args = parser(model).parse_args(argv)
    try:
        data = load_data(args.dataset, args.data, args.target)
        if args.cv_folds == 1 or args.cv_folds < 0:
            raise UserError(f"--cv-folds {args.cv_folds}: expected 0 (no cross-validation) or at least 2")
        if args.list_metrics:
            print("\n".join(metric_names(model, data, args)))
            return 0
        parts = split(data, args.test_size, args.val_size, args.seed)
        prep = make_preprocessor(data.X, scale=model.scale, max_categories=args.max_categories, source=data.source)
        _train_and_log(model, args, data, parts, prep)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def _train_and_log(model: Model, args, data: Data, parts: Split, prep) -> None:
    import mlflow
    from sklearn.pipeline import Pipeline

    with mlflow.start_run() as active:  # attaches to MLFLOW_RUN_ID when Azure ML or the emulator set it
        run_id = active.info.run_id
        _log_params(run_id, args, model, data)
        X_train = prep.fit_transform(parts.X_train)
        X_val = prep.transform(parts.X_val)
        try:
            estimator = model.build(args, data, threads())
        except ValueError as e:
            raise UserError(f"{model.name}: {e}") from None
        with MetricStream(run_id) as stream:
            progress = Progress(stream, parts.y_val)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", category=UserWarning)
                    if model.fit is not None:
                        estimator = model.fit(args, estimator, X_train, parts.y_train, X_val, parts.y_val, progress)
                    else:
                        estimator.fit(X_train, parts.y_train)
                        progress.probabilities(0, estimator.predict_proba(X_val))
            except ValueError as e:  # an invalid hyperparameter combination, in scikit-learn's or XGBoost's words
                raise UserError(f"{model.name}: {e}") from None
            pipeline = Pipeline([("prep", prep), ("model", estimator)])
            final = {}
            for prefix, X, y in (("train", parts.X_train, parts.y_train), ("test", parts.X_test, parts.y_test)):
                final.update(classification_metrics(prefix, y, pipeline.predict_proba(X)))
            if args.cv_folds > 1:
                final.update(_cross_validate(model, args, data, parts, prep))
            stream.log(final)
        _log_artifacts(pipeline, data, parts)
        _log_model(pipeline, parts, args.model_output)


def _log_params(run_id: str, args, model: Model, data: Data) -> None:
    import mlflow
    from mlflow import MlflowClient

    # the run may already hold some of these (logged earlier in it, e.g. by autolog); MLflow params are write-once,
    # so those stay as they are and only the others are added
    existing = MlflowClient().get_run(run_id).data.params
    params = {k: v for k, v in vars(args).items() if v is not None and k not in ("list_metrics", "model_output")}
    params.update(model=model.name, n_classes=data.n_classes, n_rows=len(data.y), n_features=data.X.shape[1])
    mlflow.log_params({k: str(v)[:6000] for k, v in params.items() if k not in existing})
    mlflow.set_tags({"model": model.name, "data": data.source, "classes": json.dumps(data.classes)[:5000]})


def _cross_validate(model: Model, args, data: Data, parts: Split, prep) -> dict[str, float]:
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import Pipeline

    X = pd.concat([parts.X_train, parts.X_val])
    y = np.concatenate([parts.y_train, parts.y_val])
    estimator = Pipeline([("prep", clone(prep)), ("model", model.build(args, data, threads()))])
    folds = StratifiedKFold(n_splits=args.cv_folds, shuffle=True, random_state=args.seed)
    try:
        scores = cross_val_score(estimator, X, y, cv=folds, scoring=args.cv_scoring, error_score="raise")
    except ValueError as e:
        raise UserError(f"--cv-folds {args.cv_folds} --cv-scoring {args.cv_scoring}: {e}") from None
    return {"mean_cv_score": float(np.mean(scores)), "std_cv_score": float(np.std(scores))}


def _log_artifacts(pipeline, data: Data, parts: Split) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    from sklearn.metrics import ConfusionMatrixDisplay, classification_report

    pred = pipeline.predict(parts.X_test)
    labels = list(range(data.n_classes))
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * data.n_classes + 3),) * 2)
    ConfusionMatrixDisplay.from_predictions(
        parts.y_test, pred, labels=labels, display_labels=data.classes, ax=ax, colorbar=False
    )
    ax.set_title("test split")
    mlflow.log_figure(fig, "confusion_matrix.png")
    plt.close(fig)
    report = classification_report(
        parts.y_test, pred, labels=labels, target_names=data.classes, digits=4, zero_division=0
    )
    legend = "\n".join(f"  {i}: {name}" for i, name in enumerate(data.classes))
    mlflow.log_text(
        f"test split of {data.source}\n\n{report}\nthe model predicts label indices:\n{legend}\n",
        "classification_report.txt",
    )


def _requirements() -> list[str]:
    # stated, not inferred: MLflow's inference imports the model in a subprocess, seconds per trial
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("mlflow", "scikit-learn", "numpy", "pandas", "scipy", "cloudpickle", "xgboost-cpu", "xgboost"):
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    if any(r.startswith("xgboost-cpu==") for r in out):
        out = [r for r in out if not r.startswith("xgboost==")]
    return out


def _log_model(pipeline, parts: Split, model_output: str | None) -> None:
    """The model in MLflow's sklearn flavour, saved once, logged as the run's ``model`` artifacts (and copied to
    ``--model-output``).

    Saved and logged as artifacts rather than with ``mlflow.sklearn.log_model``: since MLflow 3, ``log_model`` goes
    through the logged-models REST API, which Azure ML's tracking server does not serve (404; Azure/azureml-examples
    PR 3885, Azure/azure-sdk-for-python issue 44896); ``runs:/<run>/model`` loads the artifacts the same way.
    """
    import logging
    import shutil
    import tempfile

    import mlflow
    from mlflow.models import infer_signature

    example = parts.X_train.head(5)
    signature = infer_signature(parts.X_test, pipeline.predict(parts.X_test))
    # cloudpickle, not MLflow's default skops: skops costs about 4 s per trial here (its import and its audit of every
    # type in the model), and this MLflow gates loading behind MLFLOW_ALLOW_PICKLE_DESERIALIZATION for both formats
    kwargs = dict(
        signature=signature, input_example=example, pip_requirements=_requirements(), serialization_format="cloudpickle"
    )
    sklearn_logger = logging.getLogger("mlflow.sklearn")
    level = sklearn_logger.level
    sklearn_logger.setLevel(logging.ERROR)  # its warning about pickle formats, once per trial, says nothing new
    try:
        with tempfile.TemporaryDirectory() as tmp:
            saved = Path(tmp) / "model"
            mlflow.sklearn.save_model(pipeline, str(saved), **kwargs)
            mlflow.log_artifacts(str(saved), "model")
            if model_output:
                target = Path(model_output)
                if target.exists() and any(target.iterdir()):
                    target = (
                        target / "model"
                    )  # an MLflow model wants a folder of its own; Azure mounts outputs non-empty
                shutil.copytree(saved, target, dirs_exist_ok=True)
    finally:
        sklearn_logger.setLevel(level)


def main(model: Model) -> None:
    sys.exit(run(model))
