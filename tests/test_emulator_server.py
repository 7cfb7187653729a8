"""The sweep's own MLflow tracking server: trials log through it, and it never outlives the sweep.

Every sweep here is real: the emulator, MLflow's server as its child process, trial subprocesses. "Gone" is checked
from the outside: no process serves the test's store, and the port refuses connections.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from rich.console import Console

from cli_process import Started, alive, children_of, cli, finish, serves_mlflow, wait_for
from emulator_helpers import shell_spec, spec_from, sqlite_uri, stored_sweep, write_spec
from submit.cli.progress import LiveProgress
from submit.emulator import LocalOptions, run_local
from submit.emulator.server import TrackingServer, _has_open, _may_fork

LOGS_URI = """\
type: sweep
trial:
  code: src
  command: python logs_uri.py ${{search_space.x}}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: grid
search_space:
  x: {type: choice, values: [0.1, 0.2]}
objective: {goal: maximize, primary_metric: accuracy}
limits: {max_total_trials: 2, max_concurrent_trials: 2}
"""


def servers_of(uri: str) -> list[int]:
    """Pids of live MLflow servers over the store ``uri``."""
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [pid for pid in pids if serves_mlflow(pid, uri) and alive(pid)]


def sweep_listens_on(port: int, uri: str) -> bool:
    """A process whose command line names the store ``uri`` holds a listening socket on ``port``.

    Not "the port is refused": on a shared machine another program may take a freed port at once.
    """
    return any(uri.encode() in argv for argv in listening_on(port))


def listening_on(port: int) -> list[bytes]:
    """The command lines of the processes holding a listening TCP socket on ``port`` (from /proc/net/tcp{,6})."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    owners = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                    owners.append((entry / "cmdline").read_bytes())
    return owners


def logged_uri(log_file: str) -> str:
    return re.search(r"MLFLOW_TRACKING_URI=(\S+)", Path(log_file).read_text()).group(1)


@pytest.mark.slow
def test_trials_log_through_the_sweeps_server_which_is_gone_when_the_sweep_ends(tmp_path):
    spec = spec_from(tmp_path, LOGS_URI, scripts=("logs_uri.py",))
    uri = sqlite_uri(tmp_path)
    result = run_local(spec, tracking_uri=uri, name="served")

    assert result.status == "completed", result.message
    server = result.tracking_server
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server)
    client = MlflowClient(tracking_uri=uri)
    for trial in result.trials:
        assert logged_uri(trial.log_file) == server  # the log, kept as the run's artifact, shows what the trial got
        values = [m.value for m in client.get_metric_history(trial.run_id, "accuracy")]
        assert values == [trial.params["x"] + step / 10 for step in range(3)]
    assert servers_of(uri) == [] and not sweep_listens_on(int(server.rsplit(":", 1)[1]), uri)
    # finished trials' work folders are gone (their logs are artifacts), the server left no log: only the sweep's lock
    assert [p.name for p in (tmp_path / ".sweep" / "served").iterdir()] == [".lock"]


@pytest.mark.slow
def test_a_server_that_cannot_start_is_one_warning_and_trials_log_to_the_store(tmp_path):
    spec = spec_from(tmp_path, LOGS_URI, scripts=("logs_uri.py",))
    uri = sqlite_uri(tmp_path)
    shown = io.StringIO()
    progress = LiveProgress(Console(file=shown, soft_wrap=True))
    options = LocalOptions(server_command=[str(tmp_path / "no-such-server")], on_event=progress.event)
    result = run_local(spec, options, tracking_uri=uri, name="fallback")

    assert result.status == "completed" and result.tracking_server is None
    warned = [line for line in shown.getvalue().splitlines() if "tracking server" in line]
    assert len(warned) == 1 and warned[0].startswith("warning ") and "trials log to the store directly" in warned[0]
    for trial in result.trials:
        assert logged_uri(trial.log_file) == uri
    assert sorted(t.best for t in result.trials) == [0.1 + 0.2, 0.2 + 0.2]


@pytest.mark.slow
def test_a_threaded_program_gets_a_fresh_interpreter_as_its_server(tmp_path):
    # a fork copies the locks other threads hold; with one thread running beside it, the sweep does not fork
    spec = spec_from(tmp_path, LOGS_URI, scripts=("logs_uri.py",))
    uri = sqlite_uri(tmp_path)
    seen, beside = [], threading.Event()
    threading.Thread(target=beside.wait, daemon=True).start()

    def look(kind, result):
        if kind == "trial_started" and not seen:
            mine = children_of(os.getpid())
            seen.extend((pid in mine, Path(f"/proc/{pid}/cmdline").read_bytes()) for pid in servers_of(uri))

    try:
        result = run_local(spec, tracking_uri=uri, name="threaded", on_event=look)
    finally:
        beside.set()
    assert result.status == "completed" and result.tracking_server is not None
    ((ours, argv),) = seen
    assert ours  # this process's child
    assert argv.split(b"\0")[:2] == [sys.executable.encode(), b"-c"]


def test_a_store_this_process_has_open_is_never_forked_with(tmp_path, monkeypatch):
    # SQLite's record of the files a process has open and their locks would be the fork's too
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    db = tmp_path / "real" / "mlflow.db"
    conn = sqlite3.connect(db)
    assert _has_open(db)
    monkeypatch.chdir(tmp_path / "link")  # the same file through a relative path and a symlink
    assert _has_open(Path("mlflow.db"))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert not _has_open(db)
    reader = sqlite3.connect(db)
    reader.execute("SELECT * FROM t").fetchall()
    assert _has_open(db)  # a WAL database holds its -wal and -shm files too
    reader.close()
    assert not _has_open(db)
    assert not _may_fork("postgresql://db.example/mlflow")  # another server's store: its connections are sockets


@pytest.mark.slow
def test_a_users_http_tracking_uri_is_used_as_is(tmp_path, monkeypatch):
    store = sqlite_uri(tmp_path)
    theirs = TrackingServer(store, (tmp_path / "mlartifacts").as_uri(), log_file=tmp_path / "theirs.log")
    theirs.start()
    try:
        assert theirs.wait_ready(120), theirs.failure
        spec = spec_from(tmp_path, LOGS_URI, scripts=("logs_uri.py",))
        monkeypatch.chdir(tmp_path)
        result = run_local(spec, tracking_uri=theirs.uri, name="theirs")
        assert result.status == "completed" and result.tracking_server is None
        assert [logged_uri(t.log_file) for t in result.trials] == [theirs.uri, theirs.uri]
        assert servers_of(store) == [theirs.pid]  # no server of the sweep's own, over theirs or anything else
    finally:
        theirs.stop()
    assert servers_of(store) == []


def _start_cli(tmp_path: Path, name: str) -> tuple[Started, str, Path]:
    """`sweep submit --local` in a subprocess, with one trial that records its pid and sleeps; returns once it runs."""
    started = tmp_path / f"{name}.pid"
    command = f"echo $$ > {started}; sleep 600"  # outlasts any wait below: the test ends it, never the clock
    spec = write_spec(
        tmp_path, shell_spec(command, space="x: {type: choice, values: [1]}", limits="{max_total_trials: 1}")
    )
    uri = sqlite_uri(tmp_path)
    proc = cli("submit", str(spec), "--local", "--tracking-uri", uri, "--name", name)
    wait_for(lambda: started.exists() and started.read_text().strip(), "the trial to start", proc=proc)
    wait_for(lambda: servers_of(uri), "the sweep's server to start", proc=proc)
    return proc, uri, started


def open_files(pid: int) -> list[str]:
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            found.append(os.readlink(fd))
    return found


@pytest.mark.slow
def test_ctrl_c_stops_the_server_with_the_sweep(tmp_path):
    proc, uri, _ = _start_cli(tmp_path, "interrupted")
    try:
        (server,) = servers_of(uri)
        # `sweep submit --local` forks its server (a new store: the fork waited for the sweep to create it); the fork
        # says what it is, and does not hold the sweep's lock, which it was made before
        assert server in children_of(proc.pid)
        title = Path(f"/proc/{server}/cmdline").read_bytes().rstrip(b"\0").decode()
        assert title.startswith(f"mlflow.server {uri} ") and title.endswith(f"of the sweep in process {proc.pid})")
        lock = tmp_path / ".sweep" / "interrupted" / ".lock"
        assert str(lock) in open_files(proc.pid) and str(lock) not in open_files(server)
    except BaseException:
        proc.kill()  # its trial (sleep 600) and server go with it
        raise
    proc.send_signal(signal.SIGINT)
    _, out, err = finish(proc)
    out += err

    assert proc.returncode == 130, out
    port = int(re.search(r"MLflow server http://127\.0\.0\.1:(\d+)", out).group(1))
    assert servers_of(uri) == [] and not sweep_listens_on(port, uri)
    assert stored_sweep(uri, "interrupted").statuses() == {"interrupted_0": "KILLED"}


@pytest.mark.slow
def test_a_killed_sweep_takes_its_server_along_and_the_next_sweep_starts_fine(tmp_path):
    proc, uri, started = _start_cli(tmp_path, "killed")
    assert len(servers_of(uri)) == 1
    trial = int(started.read_text())
    try:
        proc.kill()
        _, out, err = finish(proc)  # its output ends when the last process holding it (the server's) is gone
        out += err
        wait_for(lambda: servers_of(uri) == [], f"the server to follow the sweep killed with SIGKILL\n{out}")
    finally:  # the sweep's watchdog may have stopped the trial already; if not, it is not this test's subject
        with contextlib.suppress(ProcessLookupError):
            os.killpg(trial, signal.SIGKILL)
    port = int(re.search(r"MLflow server http://127\.0\.0\.1:(\d+)", out).group(1))
    assert not sweep_listens_on(port, uri), out

    spec = spec_from(tmp_path / "next", LOGS_URI, scripts=("logs_uri.py",))
    result = run_local(spec, tracking_uri=uri, name="next")
    assert result.status == "completed" and result.tracking_server is not None
    assert [logged_uri(t.log_file) for t in result.trials] == [result.tracking_server] * 2
    assert servers_of(uri) == []
