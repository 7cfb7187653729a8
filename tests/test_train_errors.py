"""Bad data gives one clear message on stderr, a non-zero exit, no traceback, and no MLflow run."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from train_runs import base_env, run_script, script_path


def train(script: str, *args: str, cwd):
    uri = f"sqlite:///{cwd}/mlflow.db"
    return run_script([str(script_path(script)), *args], cwd=cwd, env=base_env(MLFLOW_TRACKING_URI=uri), timeout=120)


def one_clear_error(done) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def table(path, **columns):
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_missing_file(tmp_path):
    message = one_clear_error(train("logreg", "--data", str(tmp_path / "nope.csv"), "--target", "y", cwd=tmp_path))
    assert f"--data {tmp_path / 'nope.csv'}: no such file or folder" in message
    assert not (tmp_path / "mlflow.db").exists()


def test_missing_target_column_suggests_the_close_one(tmp_path, rng):
    csv = table(tmp_path / "d.csv", size=rng.normal(size=30), label=rng.integers(0, 2, 30))
    message = one_clear_error(train("xgb", "--data", str(csv), "--target", "lable", cwd=tmp_path))
    assert "--target 'lable': no such column" in message and "did you mean 'label'?" in message
    assert "columns: size, label" in message


def test_text_feature_that_cannot_be_encoded(tmp_path, rng):
    ids = [f"customer-{i}" for i in range(30)]
    csv = table(tmp_path / "d.csv", size=rng.normal(size=30), customer=ids, label=rng.integers(0, 2, 30))
    message = one_clear_error(train("rf", "--data", str(csv), "--target", "label", cwd=tmp_path))
    assert "column 'customer' is not numeric and has 30 distinct values" in message
    assert "--max-categories 20" in message
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.slow
def test_folder_input_with_a_text_feature_that_can_be_encoded_trains(tmp_path, rng):
    """A uri_folder input holding one CSV; a text column with few values is one-hot encoded, not an error."""
    folder = tmp_path / "data"
    folder.mkdir()
    n = 60
    colour = rng.choice(["red", "green", "blue"], n)
    label = np.where(colour == "red", "yes", "no")
    table(folder / "part.csv", size=rng.normal(size=n), colour=colour, label=label)
    done = train("logreg", "--data", str(folder), "--target", "label", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]


def test_whole_number_flags_take_azure_quniform_floats_and_refuse_fractions(capsys):
    """Azure's quniform gives 4.0 for a whole q; a script must take it for --max-depth, and refuse 4.5 plainly."""
    import importlib

    from train_runs import TRAIN

    if str(TRAIN) not in sys.path:
        sys.path.insert(0, str(TRAIN))
    xgb = importlib.import_module("train_xgb")
    parser = xgb.trainlib.parser(xgb.MODEL)
    assert parser.parse_args(["--dataset", "iris", "--max-depth", "4.0"]).max_depth == 4
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["--dataset", "iris", "--max-depth", "4.5"])
    assert exit_.value.code != 0
    assert "argument --max-depth: expected a whole number, found '4.5'" in capsys.readouterr().err
