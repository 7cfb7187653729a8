"""The tracking store: by default the one `mlflow ui` opens here, and it holds up under concurrent trials."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from emulator_helpers import spec_from, sqlite_uri, stored_sweep
from submit.emulator import run_local
from submit.emulator.tracking import resolve_uri
from submit.monitor import LocalSweeps


@pytest.mark.slow
def test_four_concurrent_trials_logging_300_values_each_into_the_default_store_lose_none(tmp_path, monkeypatch):
    spec = spec_from(
        tmp_path,
        """\
        type: sweep
        trial:
          code: src
          command: python many_values.py ${{search_space.offset}}
          environment: azureml:AzureML-sklearn-1.0@latest
        sampling_algorithm: grid
        search_space:
          offset: {type: choice, values: [0, 1, 2, 3]}
        objective: {goal: maximize, primary_metric: accuracy}
        limits: {max_total_trials: 4, max_concurrent_trials: 4}
        """,
        scripts=("many_values.py",),
    )
    sqlite_uri(tmp_path)  # ./mlflow.db exists already migrated; the sweep must pick it by default
    monkeypatch.chdir(tmp_path)
    result = run_local(spec, name="many", max_concurrent=4)

    assert result.tracking_uri == f"sqlite:///{tmp_path}/mlflow.db"
    # the store `mlflow ui` opens in this folder with no arguments
    assert LocalSweeps(result.tracking_uri).status("many").ui_command == "mlflow ui"
    assert result.concurrency == 4 and result.status == "completed"
    assert result.tracking_server.startswith("http://127.0.0.1:")  # the 4 x 300 values went through the server
    client = MlflowClient(tracking_uri=result.tracking_uri)
    stored = stored_sweep(result.tracking_uri, "many")
    for name, run in stored.children.items():
        offset = stored.values(name)["offset"]
        history = client.get_metric_history(run.info.run_id, "accuracy")
        assert sorted((m.step, m.value) for m in history) == [(i, offset + i / 1000) for i in range(300)], name
        assert run.info.status == "FINISHED"
    for trial in result.trials:
        assert "database is locked" not in Path(trial.log_file).read_text()
    assert result.best_trial.name == "many_3" and result.best_trial.best == 3.299


def test_the_default_store_follows_mlflow_to_an_existing_mlruns_file_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_uri(None) == f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "mlruns" / "0").mkdir(parents=True)
    (tmp_path / "mlruns" / "0" / "meta.yaml").write_text("name: Default\n")
    # MLflow 3.x's `mlflow ui` keeps opening ./mlruns when it holds a file store: so do we
    assert resolve_uri(None) == (tmp_path / "mlruns").as_uri()
