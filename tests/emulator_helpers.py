"""Shared by the tests/test_emulator_*.py files: a spec in a temp folder, its own SQLite store, and what the store holds.

Trials are real subprocesses. Scripts that must log come from tests/scripts; trials that only need to run, sleep or
fail are plain shell commands. A script imports MLflow (~1.5 s of CPU a trial) only where MLflow's client is the point;
the others log through the same REST call with tests/scripts/rest_log.py.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from mlflow.tracking import MlflowClient

from submit import load_spec
from submit.spec.model import SweepSpec

SCRIPTS = Path(__file__).parent / "scripts"


def copy_scripts(src: Path, scripts: tuple[str, ...]) -> None:
    """The named tests/scripts files into the code folder ``src``, with rest_log.py, which some of them log with."""
    src.mkdir(parents=True, exist_ok=True)
    if scripts:
        for name in (*scripts, "rest_log.py"):
            shutil.copy(SCRIPTS / name, src / name)


def write_spec(folder: Path, body: str, scripts: tuple[str, ...] = ()) -> Path:
    """``folder/spec.yaml`` with ``body`` (dedented), and ``folder/src`` holding the named tests/scripts files."""
    copy_scripts(folder / "src", scripts)
    path = folder / "spec.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def spec_from(folder: Path, body: str, scripts: tuple[str, ...] = ()) -> SweepSpec:
    return load_spec(write_spec(folder, body, scripts))


def shell_spec(command: str, *, space: str, limits: str, sampling: str = "random", extra: str = "") -> str:
    """A spec whose trial is a shell command with no code to copy (for trials that only run, sleep or fail)."""
    return f"""\
type: sweep
trial:
  code: src
  command: >-
    {command}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: {sampling}
search_space:
{textwrap.indent(textwrap.dedent(space).strip(), "  ")}
objective: {{goal: maximize, primary_metric: accuracy}}
limits: {limits}
{extra}"""


@dataclass
class Stored:
    """A sweep as the store holds it: the parent run and all its child runs (re-runs of resumed trials included)."""

    parent: object
    runs: list

    @property
    def children(self) -> dict[str, object]:
        """The current run of each trial, by name: a trial re-run on --resume supersedes its interrupted run."""
        return {r.info.run_name: r for r in self.runs if "sweep.superseded_by" not in r.data.tags}

    def statuses(self) -> dict[str, str]:
        return {name: run.info.status for name, run in self.children.items()}

    def log(self, trial: str) -> str:
        """The current run's log of ``trial``, kept as its artifact ``user_logs/std_log.txt``."""
        root = self.children[trial].info.artifact_uri
        return (Path(unquote(urlparse(root).path)) / "user_logs" / "std_log.txt").read_text()

    def values(self, trial: str) -> dict:
        """The values sampled for ``trial``, where the sweep service keeps them: the parent's tag ``<trial>``."""
        return json.loads(self.parent.data.tags[trial])


def stored_sweep(uri: str, name: str) -> Stored:
    client = MlflowClient(tracking_uri=uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, filter_string=f"tags.`sweep.name` = '{name}'", max_results=1000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1, f"expected one parent run for {name}, found {len(parents)}"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    return Stored(parents[0], children)


_TEMPLATE: list[Path] = []


def sqlite_uri(folder: Path) -> str:
    """A fresh SQLite store in ``folder``: a copy of one migrated empty store, made once per test session.

    Creating a store runs MLflow's ~70 schema migrations (1.4 s idle, 5-7 s on a busy 2-core machine); a copy of the
    migrated file is the same empty store and costs nothing.
    """
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="sweep-store-")) / "mlflow.db"
        MlflowClient(tracking_uri=f"sqlite:///{template}").search_experiments(max_results=1)
        _TEMPLATE.append(template)
    db = folder / "mlflow.db"
    if not db.exists():
        shutil.copy(_TEMPLATE[0], db)
    return f"sqlite:///{db}"
