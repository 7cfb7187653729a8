"""Trial processes never outlive the emulator, and a resumed sweep never runs a trial beside its old process.

On Azure a trial's processes live in its container, which goes when the job goes. Here three guards stand in:

1. ``shell_argv``: on Linux the trial's first process (the shell) asks the kernel for SIGKILL when the emulator
   dies (``PR_SET_PDEATHSIG``, through util-linux's ``setpriv --pdeathsig``), and exits if the emulator died before
   it asked. Where ``setpriv`` is missing, ``die_with_parent`` does the same in a ``preexec_fn``; that costs a full
   fork of the emulator (4.6 ms of its CPU and 12 ms of wall a trial at 340 MiB, against 0.2 ms and 1.5 ms for the
   vfork that Python uses when there is no ``preexec_fn``).
2. ``Watchdog``: one small process per sweep, in its own session, reading a pipe only the emulator can write to. When
   the emulator dies, by SIGKILL too, the pipe ends and the watchdog SIGKILLs every trial process group still
   registered: the shell's children too, which PDEATHSIG does not reach (the kernel clears it on fork), and on
   systems without PDEATHSIG.
3. ``record`` / ``stop_leftovers``: each trial's pid and start time are written into its folder; a resumed sweep
   kills whatever of them is still alive (both guards above gone, e.g. the watchdog killed as well) before it
   touches the trial's folder or re-runs the trial, and refuses to go on if one survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError

PID_FILE = ".sweep-pid"  # in a trial's folder while its process runs: {"pid", "start", "run_id"}
PR_SET_PDEATHSIG = 1  # linux/prctl.h

_WATCHDOG = r"""
import os, signal, sys
groups = set()
for line in sys.stdin:
    sign, pgid = line[:1], line[1:].strip()
    if pgid.isdigit():
        (groups.add if sign == "+" else groups.discard)(int(pgid))
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""


def shell_argv(command: str) -> tuple[list[str], Callable[[], None] | None]:
    """(argv, preexec_fn) that run ``command`` in bash (else ``sh``) and make it die with this process (guard 1).

    With ``setpriv``, bash starts with its PDEATHSIG already set; its first line checks that its parent is still this
    process, as ``die_with_parent`` does after its ``prctl``: an emulator that died before the exec left it orphaned.
    """
    shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
    setpriv = _setpriv()
    if setpriv is None:
        return [shell, "-c", command], die_with_parent()
    guard = f'[ "$PPID" = {os.getpid()} ] || exit 137; '  # on the command's own line: bash's line numbers stay
    return [setpriv, "--pdeathsig", "KILL", "--", shell, "-c", guard + command], None


def _setpriv() -> str | None:
    if not sys.platform.startswith("linux"):
        return None
    return next((p for p in ("/usr/bin/setpriv", "/bin/setpriv") if os.access(p, os.X_OK)), None)


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` giving the child SIGKILL when this process dies (Linux); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child must not load anything
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the emulator died between fork and prctl: nobody would signal us
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


class Watchdog:
    """Kills the registered trial process groups when the emulator dies; ``close()`` at a normal end."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        if os.name != "posix":
            return
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHDOG],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C, or a kill of the emulator's process group, must not take it first
            text=True,
        )

    def watch(self, pgid: int) -> None:
        self._send(f"+{pgid}\n")

    def release(self, pgid: int) -> None:
        self._send(f"-{pgid}\n")

    def _send(self, line: str) -> None:
        if self.proc is None:
            return
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # the watchdog is gone: the other guards remain

    def close(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Watchdog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def record(folder: Path, pid: int, run_id: str) -> None:
    """Note the trial's process in its folder, for a later ``--resume`` to find if this emulator dies."""
    entry = {"pid": pid, "start": start_time(pid), "run_id": run_id}
    (folder / PID_FILE).write_text(json.dumps(entry) + "\n")


def forget(folder: Path) -> None:
    (folder / PID_FILE).unlink(missing_ok=True)


def stop_leftovers(sweep_folder: Path, *, wait: float = 10.0) -> list[int]:
    """Kill every trial process of a previous emulator of this sweep still alive; the pids killed.

    A process counts as the trial's only if its start time is the recorded one (a pid reused since is someone else's);
    a group whose first process is gone is found through its members' ``MLFLOW_RUN_ID`` (Linux).
    """
    killed = []
    for pid_file in sorted(sweep_folder.glob(f"*/{PID_FILE}")):
        try:
            entry = json.loads(pid_file.read_text())
            pid, start, run_id = int(entry["pid"]), entry.get("start"), str(entry.get("run_id", ""))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        leader = alive(pid) and start is not None and start_time(pid) == start
        if leader or _members(pid, run_id):
            signal_group(pid)
            killed.append(pid)
            deadline = time.monotonic() + wait
            while (alive(pid) and start_time(pid) == start) or _members(pid, run_id):
                if time.monotonic() > deadline:
                    raise UserError(
                        f"{pid_file.parent.name}: its process {pid} from an earlier run of this sweep survives "
                        f"SIGKILL; stop it (kill -9 -- -{pid}), then resume again"
                    )
                time.sleep(0.05)
        pid_file.unlink(missing_ok=True)
    return killed


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = _stat(pid)
    return stat is None or stat[0] != "Z"


def start_time(pid: int) -> str | None:
    """When ``pid`` started, as the system tells it (clock ticks since boot on Linux); None if it is gone."""
    stat = _stat(pid)
    if stat is not None:
        return stat[19]
    if sys.platform.startswith("linux"):
        return None
    try:
        out = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, pgrp, ...] (field 3 onwards); None if unavailable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _members(pgid: int, run_id: str) -> list[int]:
    """Live processes of group ``pgid`` started for the run ``run_id`` (Linux; elsewhere none are found)."""
    if not run_id or not Path("/proc/self/stat").exists():
        return []
    marker = f"MLFLOW_RUN_ID={run_id}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is None or stat[0] == "Z" or stat[2] != str(pgid):
            continue
        try:
            if marker in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def signal_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to a process group; one that is gone already (or never ours) is left alone."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@contextmanager
def on_signals(handler: Callable[[int], None]) -> Iterator[None]:
    """Ctrl-C and SIGTERM (`kill`, `docker stop`, a CI timeout) call ``handler`` with the signal instead of raising or
    ending the process, while the loop runs: both close the runs and leave the sweep resumable. Only the main thread
    can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, frame: handler(signum)) for sig in taken}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
