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

The child is a fork of the sweep where that is safe: the sweep imports the app (0.4 s of CPU on top of the MLflow it
imports anyway), and the child starts with everything imported, where a fresh interpreter spends 3 s of CPU importing
MLflow and the app again. The fork is made as the sweep starts (a pipeline: as it starts, one server for all its sweep
steps), before the store is opened or the lock taken, and only from a process with no other thread and without the
store open (``_may_fork`` says why): `sweep submit --local` is such a process. A sweep run from elsewhere (a threaded
program, one that has the store open) starts a fresh interpreter (``_SERVE``) instead, as does a ``command`` given in
place of MLflow's app. The forked child ends with ``os._exit``: nothing of the sweep's clean-up runs twice.

The listening socket is bound here, on a free loopback port, and handed to the child (uvicorn serves it): no race for
the port, and a trial that connects before the server has finished importing waits in the socket's backlog instead of
being refused. So the first trial starts while the server boots. The child dies with the sweep: its own session and
process group (stopped with SIGTERM, then SIGKILL), and ``PR_SET_PDEATHSIG`` (SIGKILL) for a sweep that is itself
killed; it checks at start that its parent is still the sweep.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .options import LocalOptions
from .processes import die_with_parent, signal_group
from .tracking import sqlite_path, store_folder

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


@contextlib.contextmanager
def serving(uri: str, options: LocalOptions, *, exists: bool, log_folder: Path) -> Iterator[TrackingServer | None]:
    """The server of a sweep (or of a pipeline's sweep steps) over ``uri``, from before the store is opened here to
    the end: None where trials log to ``uri`` directly.

    Started on entry, so that it boots while this process opens the store, and can be a fork of it (``_may_fork``);
    held when the store does not exist yet (``exists``), since two processes running MLflow's migrations at once
    would collide: the caller calls ``release()`` once the store is there. Stopped on exit, after every trial ended
    (they log through it to the last value), and a failed server's log kept in ``log_folder`` beside the trials'.
    """
    server = sweep_server(uri, options)
    if server is None:
        yield None
        return
    server.start(hold=not exists)
    try:
        yield server
    finally:
        server.stop()
        server.keep_log(log_folder)


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
        self.command = list(command) if command is not None else None  # None: MLflow's app
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | _Forked | None = None
        self.port: int | None = None
        self.failure: str | None = None
        self.ready = threading.Event()  # set once the server answered, or failed
        self._log = None  # the file the child writes its output to
        self._stopping = False
        self._held = False  # start(hold=True) left the start to release()

    @property
    def uri(self) -> str | None:
        if self.failure is not None or self._stopping or self.port is None:
            return None
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, *, hold: bool = False) -> None:
        """Bind a loopback port and start the child; a failure is recorded in ``failure``, never raised.

        With ``hold`` the server opens the store only at ``release()``: this process is about to create it, and two
        processes running MLflow's migrations at once would collide. A fork is made now all the same, while this
        process has opened nothing, and waits; a fresh interpreter is started at ``release()``.

        Call it from the thread that outlives the sweep (the main thread): the kernel sends PR_SET_PDEATHSIG when the
        thread that forked the child ends, not the process.
        """
        fork = self.command is None and _may_fork(self.store_uri)
        if hold and not fork:
            self._held = True
            return
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
            if fork:
                self.proc = _Forked(args, env, log=self._log.fileno(), hold=hold)
            else:
                self.proc = subprocess.Popen(
                    [*(self.command or [sys.executable, "-c", _SERVE]), *args],
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
            what = self.command[0] if self.command else sys.executable
            self._fail(f"did not start: {what}: {getattr(e, 'strerror', None) or e}")
            return
        finally:
            listener.close()  # the child holds it now: if it dies, clients are refused instead of left waiting
        threading.Thread(target=self._await_ready, daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()

    def release(self) -> None:
        """After ``start(hold=True)``, once the store exists: the server opens it and serves. Nothing to do for a
        server that was not held, or was released already."""
        if self._held:
            self._held = False
            self.start()
        elif isinstance(self.proc, _Forked):
            self.proc.release()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the server answers (True) or failed (False)."""
        self.ready.wait(timeout)
        return self.ready.is_set() and self.failure is None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``grace`` seconds; its port is free on return."""
        self._stopping = True
        proc = self.proc
        if isinstance(proc, _Forked):
            proc.release(serve=False)  # a fork still held reads the end of its pipe and exits
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


def _may_fork(store_uri: str) -> bool:
    """Whether the server may be a fork of this process: no other thread runs (a copied lock one of them holds would
    never be released in the copy), the store is a SQLite file this process has not opened (SQLite keeps a
    process-wide record of the files it has open and of their locks, which the copy would take for its own: sqlite.org
    /howtocorrupt.html, 2.6) and MLflow has no engine for (the copy would use its pooled connections), and MLflow's
    app imports here (its import warnings are silenced: a fresh interpreter would say them into the server's log)."""
    db = sqlite_path(store_uri)
    if not hasattr(os, "fork") or threading.active_count() != 1 or db is None or _has_open(db):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for module in ("uvicorn", "mlflow.server.fastapi_app"):  # uvicorn first: see _SERVE
                importlib.import_module(module)
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    except Exception:  # noqa: BLE001  a fresh interpreter fails the same way, into the server's log
        return False
    engines = getattr(SqlAlchemyStore, "_engine_map", None)
    return isinstance(engines, dict) and store_uri not in engines


def _has_open(db: Path) -> bool:
    """Whether this process has ``db`` or its journal, WAL or shared-memory file open (True where it cannot tell)."""
    names = {str(db.resolve()) + suffix for suffix in ("", "-journal", "-wal", "-shm")}
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return True
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}") in names:
                return True
    return False


class _Forked:
    """The server as a fork of this process, seen as ``TrackingServer`` sees a Popen: ``pid``, ``poll()``, ``wait()``.

    The child is set up as ``start()`` sets up a fresh interpreter (own session, PDEATHSIG, stdin from /dev/null,
    output to ``log``, ``env``) and runs ``_SERVE`` with ``argv``; with ``hold`` it first waits for ``release()`` (and
    exits if this process closes the pipe without it). A thread reaps it; ``wait`` waits for that.
    """

    def __init__(self, argv: list[str], env: dict[str, str], *, log: int, hold: bool):
        die = die_with_parent()  # looked up here: the child calls it before anything else
        for stream in (sys.stdout, sys.stderr):  # what this process has buffered is its own to write, once
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
        go, self._go = os.pipe() if hold else (None, None)
        self.pid = os.fork()
        if self.pid == 0:
            if self._go is not None:
                os.close(self._go)
            _serve_forked(argv, env, log, go, die)  # never returns
        if go is not None:
            os.close(go)
        self.returncode: int | None = None
        self._ended = threading.Event()
        threading.Thread(target=self._reap, daemon=True).start()

    def release(self, *, serve: bool = True) -> None:
        """Let a held child serve (``serve``), or end it; either way the pipe is closed. Called from the thread that
        started it (``TrackingServer.release`` and ``stop``), never from the reaper: one closer, no fd closed twice."""
        if self._go is not None:
            if serve:
                with contextlib.suppress(OSError):  # it died meanwhile: its reaper says so
                    os.write(self._go, b"go")
            os.close(self._go)
            self._go = None

    def _reap(self) -> None:
        try:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        except ChildProcessError:  # reaped elsewhere: its code is lost
            self.returncode = -1
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode if self._ended.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(["mlflow.server (forked)"], timeout)
        return self.returncode


def _serve_forked(argv: list[str], env: dict[str, str], log: int, go: int | None, die: Callable[[], None] | None):
    """The forked child: never returns, and ends with ``os._exit`` (the sweep's atexit hooks and finalizers are the
    sweep's, not this copy's). The sweep's other descriptors stay open here (a fork is made only before the sweep
    opens its store or takes its lock) but unused: closing them could close what a copied object still names."""
    code = 1
    try:
        gc.freeze()  # the sweep's objects are never collected here: no finalizer of theirs runs in this copy
        os.setsid()  # as start_new_session: Ctrl-C is the sweep's to handle
        if die is not None:
            die()
        for sig in signal.valid_signals():  # the sweep's handlers (Ctrl-C, SIGTERM) are not the server's
            handler = signal.getsignal(sig)
            if callable(handler) and handler is not signal.default_int_handler:
                signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.set_wakeup_fd(-1)
        null = os.open(os.devnull, os.O_RDONLY)
        for fd, to in ((null, 0), (log, 1), (log, 2)):
            os.dup2(fd, to)
        os.chdir(tempfile.gettempdir())
        _title(argv)  # before the environment changes: the title takes the room of the original one
        if go is not None and not os.read(go, 2):
            os._exit(3)  # the sweep closed the pipe without releasing the server: it ended before its store opened
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["-c", *argv]
        exec(compile(_SERVE, "<sweep's mlflow server>", "exec"), {"__name__": "__main__"})
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001  into the server's log, which the sweep's warning quotes
        traceback.print_exc()
    finally:
        os._exit(code)


def _title(argv: list[str]) -> None:
    """The forked server's command line, as `ps` shows it: what it is, its store and artifact root (not the sweep's
    command line, which it would keep)."""
    from setproctitle import setproctitle

    _, parent, store, artifacts = argv
    setproctitle(f"mlflow.server {store} {artifacts} (the MLflow tracking server of the sweep in process {parent})")


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
