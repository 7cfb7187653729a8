"""The real `sweep` CLI in a subprocess, for faults that need one (signals, two emulators at once), and what to check
after: trial processes alive (from /proc), files under a folder, conditions waited on with a deadline (never a sleep
chosen to outlast a race)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# A trial that, the first time it runs, notes its shell's pid and a background child's pid in its trial folder and
# waits on the child for 5 minutes; run again (--resume), it just ends. The child is a grandchild of the emulator:
# PDEATHSIG set on the shell does not reach it, so the watchdog or resume must.
FIRST_RUN_HANGS = (
    "if [ -e ../ran ]; then echo second run; else touch ../ran; echo first run; echo $$ > ../leader.pid; "
    "sleep 300 & echo $! > ../child.pid; wait; fi; : ${{search_space.x}}"
)


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
    """``python -m submit ARGS`` started; stdout and stderr captured as text."""
    full_env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "submit", *args],
        env=full_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a signal the test sends reaches the emulator only, as `kill PID` would
    )


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


def wait_for(condition: Callable[[], object], what: str, timeout: float = 120, proc=None) -> object:
    """Poll ``condition`` until it is truthy; fail naming ``what`` after ``timeout`` s or if ``proc`` exited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the emulator exited (code {proc.returncode}) before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (dead, not yet reaped by whoever inherited it) is dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2] != "Z"


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat[stat.rfind(")") + 2 :].split()[1] == str(pid):
                found.append(int(entry.name))
    return found


def serves_mlflow(pid: int) -> bool:
    """Whether ``pid`` is an MLflow tracking server (the sweep's own: its command line runs ``mlflow.server``)."""
    try:
        return b"mlflow.server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def trial_pids(sweep_folder: Path, trials: int) -> dict[str, list[int]] | None:
    """{"leader": [...], "child": [...]}: the pids ``trials`` FIRST_RUN_HANGS trials wrote, once all are written."""
    found = {}
    for kind in ("leader", "child"):
        texts = [p.read_text().strip() for p in sorted(sweep_folder.glob(f"*/{kind}.pid"))]
        if len(texts) < trials or not all(t.isdigit() for t in texts):
            return None
        found[kind] = [int(t) for t in texts]
    return found


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    os.kill(proc.pid, sig)


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def no_traceback(*texts: str) -> bool:
    return not any("Traceback" in t for t in texts)
