"""Python processes started warm: a fork of an interpreter that has already imported what they import.

Most of what a test's `python -m submit ...` or `python train_gb.py ...` costs is the interpreter importing MLflow
(and scikit-learn, pandas, matplotlib for a training script): 2-3 s of CPU a process, on a 2-core machine, before the
code under test runs a line. So a test can start such a process from a *zygote*: one Python per test worker that
imported those modules once, with nothing else running (no thread, no open file), and forks a child per command. The
child is a real process of its own, as ``subprocess.Popen`` would start: its own pid and session, the command's
arguments, environment, working folder, stdin/stdout/stderr, the signal dispositions a fresh one would inherit (the
zygote has the test worker's); it runs the module or script as
``__main__`` and exits as the interpreter does (atexit handlers, an uncaught exception's traceback and exit code 1,
``sys.exit``). What it skips is the import, and what an import does once (a module's top-level code) it did in the
zygote, with the zygote's environment.

So the zygote is used only where that cannot change what a test sees:

- a command whose environment differs from the zygote's in a variable read as an interpreter or a native library
  starts (``PYTHON*``, thread counts, ``LD_*``: ``_start_settings``) is started fresh, as is every command where
  ``SWEEP_TESTS_FRESH=1`` is set (the suite run the slow way, to compare);
- the preload must import without a warning and leave no Python thread and no open file (the zygote refuses to
  start otherwise: a fresh process would print that warning, or the fork would copy a lock a thread holds);
- tests of start-up itself (what the CLI imports, ``--help``'s speed, the installed ``sweep`` command) start fresh
  processes of their own, never through this module.

The zygote's parent is the test worker (PDEATHSIG ends it with the worker); its children's parent is the zygote, which
reaps each and sends its exit status to the test. ``WarmPopen`` is what the test holds: ``pid``, ``poll``, ``wait``,
``communicate`` (text), ``send_signal``/``terminate``/``kill``, ``returncode``, as on a ``subprocess.Popen``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# read as the interpreter or a native library starts: a command must agree with the zygote on them to be forked
_START_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MALLOC_ARENA_MAX")
_START_PREFIXES = ("PYTHON", "LD_")
FRESH = "SWEEP_TESTS_FRESH"


def _start_settings(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k in _START_VARS or k.startswith(_START_PREFIXES)}


_zygotes: dict[tuple, Zygote] = {}
_zygotes_lock = threading.Lock()


def start(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path | str | None = None,
    preload: tuple[str, ...],
    quiet: tuple[str, ...] = (),
    base_env: dict[str, str],
    new_session: bool = False,
) -> subprocess.Popen | WarmPopen:
    """``python ARGV`` (``["-m", module, ...]`` or ``[script, ...]``) with ``env``, output captured as text: forked
    from this process's zygote for ``preload`` (started on first use, with ``base_env``), or started fresh where a
    fork cannot stand in for it (the module docstring)."""
    if os.environ.get(FRESH) != "1":
        with _zygotes_lock:
            zygote = _zygotes.get((preload, quiet))
            if zygote is None:
                zygote = _zygotes[preload, quiet] = Zygote(preload, base_env, quiet)
                atexit.register(zygote.close)
        if zygote.takes(env):
            return zygote.popen(argv, env=env, cwd=cwd, new_session=new_session)
    return fresh(argv, env=env, cwd=cwd, new_session=new_session)


def fresh(argv: list[str], *, env: dict[str, str], cwd: Path | str | None, new_session: bool) -> subprocess.Popen:
    """``python ARGV`` in a fresh interpreter, output captured as text: what a zygote's fork stands in for."""
    return subprocess.Popen(
        [sys.executable, *argv],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )


def run(argv: list[str], *, timeout: float, **how) -> subprocess.CompletedProcess:
    """``start``, waited for as ``subprocess.run(..., capture_output=True, text=True, timeout=)`` waits."""
    proc = start(argv, **how)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


class Zygote:
    """One warm interpreter that imported ``preload`` with ``env``, then ``quiet`` with warnings ignored (what the
    command itself imports so); ``popen`` forks a command from it."""

    def __init__(self, preload: tuple[str, ...], env: dict[str, str], quiet: tuple[str, ...] = ()):
        self.preload, self.env = preload, dict(env)
        self._folder = tempfile.TemporaryDirectory(prefix="zygote-")
        self.address = os.path.join(self._folder.name, "socket")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, self.address, str(os.getpid()), *preload, "--", *quiet],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            out, err = self.proc.communicate()
            raise RuntimeError(f"the zygote for {preload} did not start: {line}{out}\n{err}")

    def takes(self, env: dict[str, str]) -> bool:
        """Whether a command with ``env`` may be forked from here (else it is started fresh)."""
        return self.proc.poll() is None and _start_settings(env) == _start_settings(self.env)

    def popen(self, argv: list[str], *, env: dict[str, str], cwd: Path | str | None, new_session: bool) -> WarmPopen:
        """``argv`` as after ``python``: ``["-m", module, ...]`` or ``[script, ...]``; output captured as text."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self.address)
            request = {"argv": argv, "env": env, "cwd": str(cwd or os.getcwd()), "new_session": new_session}
            socket.send_fds(conn, [json.dumps(request).encode()], [0, out_w, err_w])
            conn.shutdown(socket.SHUT_WR)  # the request ends here; the zygote answers on the same connection
        except BaseException:
            conn.close()
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            os.close(out_w)
            os.close(err_w)
        return WarmPopen(conn, out_r, err_r, argv)

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.communicate()
        self._folder.cleanup()


class WarmPopen:
    """A command forked from a zygote, held as a ``subprocess.Popen`` with text output is."""

    def __init__(self, conn: socket.socket, out_fd: int, err_fd: int, argv: list[str]):
        self._conn, self.args = conn, argv
        self.returncode: int | None = None
        self._buffer = b""
        self._out, self._err = bytearray(), bytearray()
        self._pipes = {out_fd: self._out, err_fd: self._err}  # read by communicate, as Popen reads them: no thread
        self.pid = int(self._message(None)["pid"])

    def __del__(self) -> None:
        for fd in self._pipes:
            os.close(fd)

    def _message(self, timeout: float | None) -> dict | None:
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                return None
            chunk = self._conn.recv(4096)
            if not chunk:
                raise RuntimeError("the zygote ended before it said how the command ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _status(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            message = self._message(timeout)
            if message is not None:
                self.returncode = os.waitstatus_to_exitcode(message["status"])
                self._conn.close()
        return self.returncode

    def poll(self) -> int | None:
        return self._status(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._status(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return code

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Reads the command's output until its pipes close (a process it left behind may hold them open), then waits
        for its end; raises ``subprocess.TimeoutExpired`` after ``timeout`` s, and may be called again after that."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for fd, into in self._pipes.items():
                selector.register(fd, selectors.EVENT_READ, into)
            while selector.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout)
                for key, _ in selector.select(left):
                    if chunk := os.read(key.fd, 65536):
                        key.data.extend(chunk)
                    else:
                        selector.unregister(key.fd)
                        del self._pipes[key.fd]
                        os.close(key.fd)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self._out.decode(errors="replace"), self._err.decode(errors="replace")

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


# ---- the zygote itself: `python warm_process.py SOCKET MODULE...` ----


def _serve(address: str, parent: int, preload: list[str], quiet: list[str]) -> dict:
    """Imports ``preload``, says "ready" and forks a child per request; returns the request in the child."""
    import ctypes
    import gc
    import warnings

    from setproctitle import setproctitle

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: it ends with its test worker
    if os.getppid() != parent:
        raise SystemExit("the test worker ended before the zygote started")
    setproctitle(f"zygote of test worker {parent} ({' '.join(preload)[:60]})")  # no command line to mistake it for
    with warnings.catch_warnings(record=True) as said:  # under this interpreter's filters, as a fresh one's
        for name in preload:
            __import__(name)
    if said:
        raise SystemExit(f"the preload warned, as a fresh process would each time: {said[0].message}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in quiet:
            __import__(name)
    # no Python thread: a fork copies the locks one holds, never released in the copy (the native threads of OpenBLAS
    # and jemalloc that numpy and pyarrow start are theirs to fork, with pthread_atfork; the CLI forks with them too)
    files = os.listdir("/proc/self/fd")
    if threading.active_count() != 1 or len(files) > 4:  # 0, 1, 2 and the listing's own
        raise SystemExit(f"the preload left {threading.enumerate()} or files {files} open: a fork would copy them")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    gc.freeze()  # the children share these pages: collecting them would copy them
    print("ready", flush=True)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
                while chunk := conn.recv(1 << 16):  # a large environment comes in more than one read
                    data += chunk
                request = json.loads(data)
                pid = os.fork()
                if pid == 0:  # the child: the zygote's sockets are closed through their objects, never by number
                    for other in list(selector.get_map().values()):
                        if other.fileobj is not listener:
                            os.close(other.fd)
                            other.data[1].close()
                    selector.close()
                    listener.close()
                    conn.close()
                    return {**request, "fds": fds}
                for fd in fds:
                    os.close(fd)
                conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                selector.register(os.pidfd_open(pid), selectors.EVENT_READ, (pid, conn))
            else:
                pid, conn = key.data
                selector.unregister(key.fileobj)
                os.close(key.fd)
                _, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps({"status": status}).encode() + b"\n")
                conn.close()


def _become(request: dict) -> None:
    """In the child: the command's session, stdio, folder, environment and arguments, as a fresh interpreter has."""
    stdin, stdout, stderr = request["fds"]
    if request["new_session"]:
        os.setsid()
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
    for fd in {stdin, stdout, stderr} - {0, 1, 2}:
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if "numpy" in sys.modules:  # its global generator was seeded once, in the zygote; each process draws its own
        sys.modules["numpy"].random.seed()


def _run(argv: list[str]) -> None:
    import runpy

    from setproctitle import setproctitle

    setproctitle(" ".join([sys.executable, *argv]))  # what `ps` and /proc/PID/cmdline show of a fresh one
    if argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        sys.path[0] = os.getcwd()  # `python -m` puts the working folder first
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))  # a script's own folder first
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    sys.path.pop(0)  # this file's folder (tests/) is nothing a command may import from
    _modules = sys.argv[3:]
    _split = _modules.index("--")
    _request = _serve(sys.argv[1], int(sys.argv[2]), _modules[:_split], _modules[_split + 1 :])
    _become(_request)
    sys.path.insert(0, "")
    _run(_request["argv"])
