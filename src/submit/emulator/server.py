"""The sweep's own MLflow tracking server: trials log over HTTP, as they do to an Azure ML workspace.

On Azure ML a trial's MLflow calls go over HTTP to the workspace's tracking server. Locally, a trial process that
opens the SQLite store itself pays for it on every run: SQLAlchemy, the schema check (alembic loads every migration
script) and the engine's teardown, about a second of a short trial (bench/README.md). So the sweep starts MLflow's
own server over its store, and trials get ``MLFLOW_TRACKING_URI=http://127.0.0.1:PORT``.

What runs is the app `mlflow server` runs (``mlflow.server.fastapi_app:app``, MLflow's Flask handlers under FastAPI),
under uvicorn, in one child process, configured through the variables `mlflow server` hands its workers
(``mlflow.server.constants``). Not `mlflow server` itself: that is a wrapper process importing MLflow only to start
uvicorn as its own child, so MLflow would be imported twice on a 2-core machine, and a SIGKILL of the sweep would leave
the grandchild alive. Only what tracking needs: one worker, no job runner (only `mlflow server` starts its huey
consumers; ``MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false`` says so to the app too), no artifact proxy: runs keep the
``file://`` artifact locations the emulator gives their experiments, so clients write artifacts straight into the
same folder as before (``mlartifacts/`` next to the store).

The listening socket is bound here, on a free loopback port, and handed to the child (uvicorn serves it): no race for
the port, and a trial that connects before the server has finished importing waits in the socket's backlog instead of
being refused. So the first trial starts while the server boots. The child dies with the sweep: its own session and
process group (stopped with SIGTERM, then SIGKILL), and ``PR_SET_PDEATHSIG`` (SIGKILL) for a sweep that is itself
killed; it checks at start that its parent is still the sweep.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from .options import LocalOptions
from .processes import die_with_parent, signal_group
from .tracking import store_folder

# Database stores the server can sit on; any other URI (a file store, an http server, azureml://) is used directly.
SERVED_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
READY_PATH = "/api/2.0/mlflow/experiments/search?max_results=1"  # opens the server's store, unlike /health

# Runs in the child. uvicorn is imported before mlflow.server, whose security middleware (allowed hosts, CORS)
# switches on when it sees a server module loaded, as under `mlflow server`.
_SERVE = """\
import os, socket, sys
fd, parent, backend, artifacts = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
if os.getppid() != parent:
    sys.exit(3)  # the sweep died before PR_SET_PDEATHSIG took effect
import uvicorn
from mlflow.server import constants
os.environ[constants.BACKEND_STORE_URI_ENV_VAR] = backend
os.environ[constants.ARTIFACT_ROOT_ENV_VAR] = artifacts
os.environ["_MLFLOW_SGI_NAME"] = "uvicorn"
config = uvicorn.Config("mlflow.server.fastapi_app:app", workers=1, log_level="warning", access_log=False)
# socket(fileno=) reads the socket's real family (uvicorn's fd= labels it AF_UNIX, so asyncio skips TCP_NODELAY
# and every response waits ~40 ms on a delayed ACK)
uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])
"""


def serves(uri: str) -> bool:
    """Whether the sweep starts a server over ``uri``: database stores; a user's http(s) server is used as is."""
    return uri.split(":", 1)[0].split("+", 1)[0] in SERVED_SCHEMES


def sweep_server(uri: str, options: LocalOptions) -> TrackingServer | None:
    """The server a sweep over ``uri`` starts (not started yet), or None when its trials log to ``uri`` directly."""
    if not options.tracking_server or not serves(uri):
        return None
    # where the emulator's experiments keep their artifacts (Store.experiment_id): the default for any other
    artifacts = (store_folder(uri) / "mlartifacts").as_uri()
    return TrackingServer(uri, artifacts, command=options.server_command)


class TrackingServer:
    """MLflow's tracking server over ``store_uri`` in a child process, from ``start()`` to ``stop()``.

    ``uri`` is what trials get while the server is usable: ``http://127.0.0.1:PORT`` from the start (early requests
    wait in the backlog), None once it failed (``failure`` says why) or stopped. ``command`` replaces the child's
    command line (its arguments are appended: the socket's fd, this pid, the store, the artifact root). Its output
    goes to ``log_file``, or to an unnamed temporary file: the sweep starts it before it holds its work folder (the
    store is not even open yet), so nothing is written there unless the server failed (``keep_log``).
    """

    def __init__(
        self,
        store_uri: str,
        artifact_root: str,
        *,
        log_file: Path | None = None,
        command: Sequence[str] | None = None,
        ready_timeout: float = 120.0,
    ):
        self.store_uri, self.artifact_root, self.log_file = store_uri, artifact_root, log_file
        self.command = list(command) if command is not None else [sys.executable, "-c", _SERVE]
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.failure: str | None = None
        self.ready = threading.Event()  # set once the server answered, or failed
        self._log = None  # the file the child writes its output to
        self._stopping = False

    @property
    def uri(self) -> str | None:
        if self.failure is not None or self._stopping or self.port is None:
            return None
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        """Bind a loopback port and start the child; a failure is recorded in ``failure``, never raised.

        Call it from the thread that outlives the sweep (the main thread): the kernel sends PR_SET_PDEATHSIG when the
        thread that forked the child ends, not the process.
        """
        try:
            listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        except OSError as e:
            self._fail(f"did not start: no free loopback port ({e.strerror or e})")
            return
        try:
            self.port = listener.getsockname()[1]
            fd = listener.fileno()
            if self.log_file is not None:
                self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_file, "w+b") if self.log_file else tempfile.TemporaryFile()  # noqa: SIM115
            env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "PYTHONUNBUFFERED": "1"}
            args = [str(fd), str(os.getpid()), self.store_uri, self.artifact_root]
            self.proc = subprocess.Popen(
                [*self.command, *args],
                cwd=tempfile.gettempdir(),  # its files are named in full: nothing of it lands in the user's folder
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
                start_new_session=True,  # its own process group: Ctrl-C is the sweep's to handle, not the server's
                preexec_fn=die_with_parent(),
            )
        except (OSError, subprocess.SubprocessError) as e:
            self._fail(f"did not start: {self.command[0]}: {getattr(e, 'strerror', None) or e}")
            return
        finally:
            listener.close()  # the child holds it now: if it dies, clients are refused instead of left waiting
        threading.Thread(target=self._await_ready, daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the server answers (True) or failed (False)."""
        self.ready.wait(timeout)
        return self.ready.is_set() and self.failure is None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``grace`` seconds; its port is free on return."""
        self._stopping = True
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            signal_group(proc.pid, signal.SIGKILL)
            proc.wait()

    def keep_log(self, folder: Path) -> None:
        """After ``stop()``: a failed server's output as ``folder/mlflow_server.log`` (if ``folder`` exists); the
        temporary log is closed either way."""
        log, self._log = self._log, None
        if log is None:
            return
        try:
            if self.failure is not None and self.log_file is None and folder.is_dir():
                (folder / "mlflow_server.log").write_bytes(_read(log))
        except OSError:
            pass
        finally:
            log.close()

    def _await_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while not self._stopping and self.failure is None:
            try:
                # one request is enough: it waits in the backlog while the server imports, and is reset if it dies
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{READY_PATH}", timeout=self.ready_timeout):
                    self.ready.set()
                    return
            except OSError as e:
                if time.monotonic() >= deadline or (self.proc and self.proc.poll() is not None):
                    self._fail(f"did not answer ({e})")
                    return
                time.sleep(0.2)

    def _watch(self) -> None:
        code = self.proc.wait()
        if not self._stopping:
            self._fail(f"exited with code {code}")

    def _fail(self, why: str) -> None:
        if self.failure is None:
            tail = _last_line(self._log)
            self.failure = f"the sweep's MLflow tracking server stopped: {why}" + (
                f"; its log ends: {tail}" if tail else ""
            )
        self.ready.set()
        if self.proc is not None and self.proc.poll() is None:
            signal_group(self.proc.pid, signal.SIGKILL)


def _read(log) -> bytes:
    # pread, not seek and read: the child writes through a copy of this descriptor, which shares its offset
    fd = log.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0)


def _last_line(log) -> str:
    if log is None:
        return ""
    try:
        lines = _read(log).decode(errors="replace").strip().splitlines()
    except (OSError, ValueError):  # ValueError: closed meanwhile
        return ""
    return lines[-1][:300] if lines else ""
