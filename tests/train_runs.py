"""Running the training scripts for real, as a sweep trial runs them: a process of its own (forked from a zygote that
imported their libraries once: warm_process.py), in its own working folder, logging into a temporary SQLite MLflow
store."""

from __future__ import annotations

import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import warm_process

TRAIN = Path(__file__).resolve().parents[1] / "src" / "train"
SCRIPTS = sorted(p.stem.removeprefix("train_") for p in TRAIN.glob("train_*.py"))

# tiny iteration counts: the tests are about what is logged, not about the models
FAST = {
    "logreg": ["--solver", "saga", "--max-iter", "6", "--iters-per-step", "2"],
    "svm": [],
    "rf": ["--n-estimators", "6", "--trees-per-step", "2"],
    "gb": ["--n-estimators", "4"],
    "mlp": ["--epochs", "3", "--hidden-layer-sizes", "16", "--learning-rate-init", "0.05"],
    "sgd": ["--epochs", "3"],
    "xgb": ["--n-estimators", "5"],
}
ITERATIONS = {"logreg": 3, "svm": 1, "rf": 3, "gb": 4, "mlp": 3, "sgd": 3, "xgb": 5}
WORKERS = 2  # two single-threaded trials at a time: the machine has 2 cores, shared
# What the scripts import, for the zygote that forks them (warm_process.py): about 3 of a trial's 5 s of CPU here
PRELOAD = (
    "numpy",
    "pandas",
    "sklearn.calibration",
    "sklearn.compose",
    "sklearn.datasets",
    "sklearn.ensemble",
    "sklearn.impute",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.neural_network",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.svm",
    "xgboost",
    "matplotlib.pyplot",
    "mlflow.sklearn",  # and with it MLflow, its client and mlflow.models
)


@dataclass
class Trial:
    script: str
    args: list[str]
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.folder}/mlflow.db"


def script_path(script: str) -> Path:
    return TRAIN / f"train_{script}.py"


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    env.update(extra)
    return env


def new_store(template: Path, folder: Path) -> str:
    """A fresh store for one trial: a copy of an initialized empty one (creating the tables takes seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "mlflow.db")
    return f"sqlite:///{folder}/mlflow.db"


def empty_store(folder: Path) -> Path:
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder.mkdir(parents=True, exist_ok=True)
    # the default experiment's artifact root is fixed when the tables are made; it must be in the temp folder,
    # not under the current folder where MlflowClient would put it
    SqlAlchemyStore(f"sqlite:///{folder}/mlflow.db", str(folder / "artifacts"))
    return folder / "mlflow.db"


def run(trial: Trial) -> Trial:
    """Runs the script with a copy of the code folder as its working folder, as the emulator and Azure do."""
    code = trial.folder / "code"
    shutil.copytree(TRAIN, code, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    done = run_script([f"train_{trial.script}.py", *trial.args], env=trial.env, cwd=code, timeout=600)
    trial.returncode, trial.stdout, trial.stderr = done.returncode, done.stdout, done.stderr
    return trial


def run_script(argv: list[str], *, env: dict[str, str], cwd: Path | None = None, timeout: float):
    """``python ARGV`` run to its end, as ``subprocess.run(capture_output=True, text=True)`` runs it; forked from this
    worker's zygote of the scripts' imports where it may be."""
    return warm_process.run(argv, env=env, cwd=cwd, timeout=timeout, preload=PRELOAD, base_env=base_env())


def run_all(trials: list[Trial]) -> list[Trial]:
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(run, trials))


def list_metrics(script: str, *args: str) -> list[str]:
    """The metric names a script declares it logs (``--list-metrics``), without training or logging anything."""
    done = run_script([str(script_path(script)), *args, "--list-metrics"], env=base_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def declared_metrics(script: str, *args: str) -> list[str]:
    """What ``--list-metrics`` prints, computed in this process (a subprocess per call would cost seconds)."""
    import importlib

    if str(TRAIN) not in sys.path:
        sys.path.insert(0, str(TRAIN))
    module = importlib.import_module(f"train_{script}")
    trainlib = importlib.import_module("trainlib")
    parsed = trainlib.parser(module.MODEL).parse_args(list(args))
    data = trainlib.load_data(parsed.dataset, parsed.data, parsed.target)
    return trainlib.metric_names(module.MODEL, data, parsed)
