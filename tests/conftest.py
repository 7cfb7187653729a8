"""Fixtures shared across test files: the recording Azure ML REST API, a real `mlflow server` standing in for the
workspace's tracking server, and one real local sweep for the monitor tests, run once (its trials import MLflow)."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from _azure_util import AzureMLRest, BlobStore
from emulator_helpers import spec_from, sqlite_uri
from monitor_helpers import FAILING

# MLflow shows an artifact download with a tqdm bar, and tqdm's first bar starts a monitor thread that lives as long as
# the process. A sweep run in a process with another thread running starts its tracking server as a fresh interpreter
# (3 s of CPU) rather than a fork of itself (submit/emulator/server.py, _may_fork), so in this process it stays off.
with contextlib.suppress(ImportError):
    import tqdm

    tqdm.tqdm.monitor_interval = 0


@pytest.fixture(scope="session")
def failing_sweep(tmp_path_factory):
    """A finished local sweep `fails` (2 completed, 2 failed) and an empty running sweep `empty`, in one store, with
    what ``run_local`` returned for `fails` (its MLflow client left out). Built once per test run (``built_once``) and
    only read after: a test that changes a sweep makes its own."""
    folder = built_once(tmp_path_factory, "failing", _run_failing)
    return sqlite_uri(folder), pickle.loads((folder / "result.pickle").read_bytes())


def _run_failing(folder: Path) -> None:
    from monitor_helpers import synth_sweep
    from submit.emulator import run_local

    uri = sqlite_uri(folder)
    result = run_local(spec_from(folder, FAILING, ("quadratic.py",)), tracking_uri=uri, name="fails")
    synth_sweep(uri, "empty", [], state="running")
    (folder / "result.pickle").write_bytes(pickle.dumps(dataclasses.replace(result, client=None)))


@pytest.fixture(scope="module")
def blob_store():
    """The blob storage the recording REST API hands out for code uploads (and, with ``https_blobs``, downloads)."""
    store = BlobStore()
    yield store
    store.close()


@pytest.fixture
def https_blobs(blob_store, tmp_path, monkeypatch):
    """The SDK's storage client reaches ``blob_store`` for ``https://sweepsa.blob.core.windows.net``, as through a
    proxy (tests/_blob_https.py): the proxy and the CA to trust come from the environment, as on a machine behind one."""
    ca = blob_store.serve_https(tmp_path)
    monkeypatch.setenv("HTTPS_PROXY", blob_store.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    return blob_store


@pytest.fixture
def rest(blob_store):
    return AzureMLRest(blob_store)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def tracking_server(tmp_path_factory):
    """`mlflow server` on a free loopback port for the session, standing in for the workspace's tracking server.

    It lives here, once: a test module importing it from another would start a second server in the same session.
    """
    folder = tmp_path_factory.mktemp("tracking-server")
    port = _free_port()
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    cmd += ["--backend-store-uri", f"sqlite:///{folder / 'ws.db'}", "--default-artifact-root", str(folder / "art")]
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed below, after the server stops
    # without MLflow's job runners (six huey consumer processes, an MLflow import each): nothing here submits a job
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a loaded CI machine boots MLflow slowly; this is a ceiling, not a wait
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (folder / "server.log").read_text()[-3000:]
        time.sleep(0.3)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and the workers it started
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()


def built_once(tmp_path_factory, name: str, build) -> Path:
    """The folder ``build(folder)`` fills, built once per test run and only read after.

    Under pytest-xdist each worker has a session of its own: the first worker to ask builds the folder, holding a lock
    in the run's shared base folder, and the others wait on that lock, then read what it built. A build that failed
    leaves no mark of being done, so the next worker to ask builds it again (and fails the same way, visibly). The
    mark names the run: a base folder given again (``--basetemp``) keeps an earlier run's folder, built by older code.
    """
    root = tmp_path_factory.getbasetemp()
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' base folders sit side by side in the run's
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (done.exists() and done.read_text() == run):
            done.unlink(missing_ok=True)
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.write_text(run)
    return folder


@pytest.fixture(scope="session")
def three_step_pipeline(tmp_path_factory):
    """Our three-step pipeline (prepare -> tune -> evaluate) run here once through the real CLI, as `p3`, in its
    own store, with six trials; returns the folder it ran in (the store is its mlflow.db, submit.json what
    `submit --json` printed, submit.err its progress on stderr)."""
    return built_once(tmp_path_factory, "pipeline", _run_three_steps)


def _run_three_steps(folder: Path) -> None:
    from cli_process import cli, finish
    from pipeline_helpers import copy_pipelines

    copy_pipelines(folder / "pipelines")
    code, out, err = finish(
        cli(
            "submit",
            str(folder / "pipelines" / "three_steps.yml"),
            "--local",
            "--name",
            "p3",
            *("--set", "jobs.tune.limits.max_total_trials=6"),  # enough finished trials for refine
            # drawn alike on every run: one best trial (accuracies 0.983, 0.55, 0.95, 0.9, 0.8, 0.9), so refine
            # narrows the space; an unseeded draw could tie most trials at the best, for which refine only advises
            *("--set", "jobs.tune.sampling_algorithm={type: random, seed: 3}"),
            "--json",
            cwd=folder,
        ),
        timeout=300,
    )
    assert code == 0, out + err
    (folder / "submit.json").write_text(out)
    (folder / "submit.err").write_text(err)
