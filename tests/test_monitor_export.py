"""`sweep export`: one row per trial, the same columns local and cloud, nothing dropped, read back through pandas."""

from __future__ import annotations

import json
import math
import random

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from emulator_helpers import sqlite_uri
from monitor_helpers import Trial, synth_sweep
from submit.cli import app
from submit.monitor import LocalSweeps, SweepSummary, TrialRecord
from submit.monitor.export import HISTORY_COLUMNS, TRIAL_COLUMNS, export
from submit.monitor.record import MetricPoint

NO_WORKSPACE = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_RESOURCE_GROUP": "", "AZUREML_WORKSPACE_NAME": ""}


def sweep(*args: str):
    return CliRunner().invoke(app, list(args), env=NO_WORKSPACE)


def thousand(seed: int = 0) -> list[TrialRecord]:
    """1,000 trials as the monitor reads them (its own data classes: the export's input), with every kind of value:
    failed and canceled trials, NaN, a parameter some trials lack, string choices, another metric."""
    rng = random.Random(seed)
    out = []
    for i in range(1000):
        params = {"lr": 10 ** rng.uniform(-4, -1), "depth": rng.choice([3, 5, 7]), "opt": rng.choice(["adam", "sgd"])}
        if i % 97 == 3:
            del params["depth"]  # a parameter some trials lack: an empty cell, not a dropped column
        start = 1_700_000_000 + i * 3.25
        values = [rng.random() for _ in range(3)]
        if i % 50 == 1:
            values[-1] = math.nan
        status, reason, code, metrics = "completed", None, None, {"loss": rng.random()}
        if i % 10 == 7:
            status, reason, values, metrics = (
                "canceled",
                "bandit: 0.1 < best 0.8 / (1 + 0.1) at interval 2",
                values[:2],
                {},
            )
        elif i % 33 == 5:
            status, code, values, metrics = "failed", 1, [], {}
        history = [MetricPoint(s, v, start + s + 0.5) for s, v in enumerate(values)]
        metrics = {**metrics, **({"accuracy": values[-1]} if values else {})}
        record = TrialRecord(f"big_{i}", f"run{i:04d}", i, status, params, history, metrics, start, start + 10.125)
        record.cancel_reason, record.canceled_by_policy, record.exit_code = reason, reason is not None, code
        out.append(record)
    return out


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    summary = SweepSummary("big", "local", "sqlite:///x.db", "completed", "accuracy", "maximize", thousand())
    return folder, None, summary


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A stored sweep (tests/monitor_helpers.py writes the emulator's layout): the histories are read from it."""
    folder = tmp_path_factory.mktemp("export-store")
    uri = sqlite_uri(folder)
    trials = [Trial({"x": i}, [i / 10, i / 5, math.nan][: 1 + i % 3], other={"loss": i / 7}) for i in range(12)] + [
        Trial({"x": 12}, [], "failed", exit_code=1)
    ]
    synth_sweep(uri, "small", trials)
    source = LocalSweeps(uri)
    return folder, source, source.status("small")


def _same(a, b) -> bool:
    """Equal, where an empty cell, None and NaN are one missing value only when both sides are missing."""
    missing = lambda v: v is None or (isinstance(v, float) and math.isnan(v))  # noqa: E731
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    if isinstance(a, float) or isinstance(b, float):
        return float(a) == pytest.approx(float(b), rel=1e-12, abs=1e-12)
    return a == b


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_thousand_trial_export_round_trips_through_pandas_with_every_value(big, fmt):
    folder, source, summary = big
    path = folder / f"big.{fmt}"
    written = export([(source, summary)], path, fmt)
    frame = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert written.trials == len(frame) == 1000
    assert list(frame.columns) == [*TRIAL_COLUMNS, "param.lr", "param.depth", "param.opt", "metric.loss"]
    by_name = {t.name: t for t in summary.trials}
    for row in frame.to_dict("records"):
        t = by_name[row["trial"]]
        expected = {
            "sweep": "big",
            "where": "local",
            "goal": "maximize",
            "index": t.index,
            "run_id": t.run_id,
            "trial": t.name,
            "status": t.status,
            "primary_metric": "accuracy",
            "final": t.final,
            "best": t.best,
            "values_logged": len(t.history),
            "started": t.started,
            "ended": t.ended,
            "duration_s": t.duration,
            "cancel_reason": t.cancel_reason,
            "canceled_by_policy": t.canceled_by_policy,
            "exit_code": t.exit_code,
            "param.lr": t.params.get("lr"),
            "param.depth": t.params.get("depth"),
            "param.opt": t.params.get("opt"),
            "metric.loss": t.metrics.get("loss"),
        }
        wrong = {k: (row[k], v) for k, v in expected.items() if not _same(row[k], v)}
        assert not wrong, (row["trial"], wrong)
    assert frame["param.depth"].isna().sum() == sum(1 for t in summary.trials if "depth" not in t.params) > 0
    assert frame["final"].isna().sum() == sum(1 for t in summary.trials if t.final is None or math.isnan(t.final))


def test_the_histories_hold_every_logged_value_of_every_metric(stored):
    folder, source, summary = stored
    path = folder / "h.parquet"
    written = export([(source, summary)], path, "parquet", histories=True)
    assert [p.name for p in written.paths] == ["h.parquet", "h.histories.parquet"]
    frame = pd.read_parquet(folder / "h.histories.parquet")
    assert list(frame.columns) == list(HISTORY_COLUMNS)
    client = MlflowClient(tracking_uri=source.uri)
    expected = 0
    for t in summary.trials:
        rows = frame[frame["trial"] == t.name]
        for metric in ("accuracy", "loss"):
            logged = sorted(client.get_metric_history(t.run_id, metric), key=lambda m: (m.timestamp, m.step))
            got = rows[rows["metric"] == metric]
            assert [_same(a, b.value) for a, b in zip(got["value"], logged, strict=True)] == [True] * len(logged)
            assert list(got["step"]) == [m.step for m in logged]
            assert list(got["timestamp"]) == [m.timestamp / 1000 for m in logged]
    for t in summary.trials:
        expected += len(t.history) + ("loss" in t.metrics)
    assert written.history_rows == len(frame) == expected


def test_cli_export_csv_and_json_of_a_real_sweep(failing_sweep, tmp_path):
    uri, _ = failing_sweep
    run = sweep("export", "fails", "--tracking-uri", uri, "-o", str(tmp_path / "f.csv"), "--histories")
    assert run.exit_code == 0, run.output
    assert "wrote 4 trials and 4 metric values of fails to" in run.output
    frame = pd.read_csv(tmp_path / "f.csv")
    assert list(frame["trial"]) == [f"fails_{i}" for i in range(4)]
    assert list(frame["status"]) == ["completed", "failed", "completed", "failed"]  # k = c fails
    assert list(frame["exit_code"]) == [0, 1, 0, 1]  # a completed trial exited 0; `test c != c` exits 1
    assert len(pd.read_csv(tmp_path / "f.histories.csv")) == 4
    run = sweep("export", "fails", "--tracking-uri", uri, "-o", str(tmp_path / "f.json"), "--format", "json")
    assert run.exit_code == 0, run.output
    data = json.loads((tmp_path / "f.json").read_text())
    assert data["columns"][: len(TRIAL_COLUMNS)] == list(TRIAL_COLUMNS)
    assert all(set(row) == set(data["columns"]) for row in data["trials"])  # every column in every row
    assert "histories" not in data


def test_nan_survives_a_json_export(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "nan", [Trial({"x": 1}, [math.nan]), Trial({"x": 2}, [0.5, -math.inf])])
    source = LocalSweeps(uri)
    export([(source, source.status("nan"))], tmp_path / "n.json", "json", histories=True)
    data = json.loads((tmp_path / "n.json").read_text())
    assert [r["final"] for r in data["trials"]] == ["NaN", "-Infinity"]
    assert [r["value"] for r in data["histories"]] == ["NaN", 0.5, "-Infinity"]


def test_bad_export_input_is_one_line(failing_sweep, tmp_path):
    uri, _ = failing_sweep
    bad = sweep("export", "fails", "--tracking-uri", uri, "-o", str(tmp_path / "x.xls"), "--format", "xls")
    assert bad.exit_code == 2 and "--format xls: expected one of csv, json, parquet" in bad.output
    missing = sweep("export", "fails", "--tracking-uri", uri, "-o", str(tmp_path / "no" / "x.csv"))
    assert missing.exit_code == 2 and f"the folder {tmp_path / 'no'} does not exist" in missing.output
    unknown = sweep("export", "fail", "--tracking-uri", uri, "-o", str(tmp_path / "x.csv"))
    assert unknown.exit_code == 2 and "did you mean `fails`?" in unknown.output
    assert "Traceback" not in bad.output + missing.output + unknown.output
