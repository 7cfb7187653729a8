"""The real `sweep` CLI in a subprocess, for faults that need one (signals, two emulators at once), and what to check
after: trial processes alive (from /proc), files under a folder, events waited on (never a sleep chosen to outlast a
race, never a deadline a loaded machine misses: ``CEILING`` only ends a wait that will never succeed, and a failed
wait shows what the command printed)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import warm_process
from warm_process import WarmPopen

SRC = Path(__file__).resolve().parents[1] / "src"

# A trial that, the first time it runs, notes its shell's pid and a background child's pid in its trial folder and
# waits on the child for 5 minutes; run again (--resume), it just ends. The child is a grandchild of the emulator:
# PDEATHSIG set on the shell does not reach it, so the watchdog or resume must.
FIRST_RUN_HANGS = (
    "if [ -e ../ran ]; then echo second run; else touch ../ran; echo first run; echo $$ > ../leader.pid; "
    "sleep 300 & echo $! > ../child.pid; wait; fi; : ${{search_space.x}}"
)


# What `sweep submit --local` imports before it runs a trial, for the zygote that forks the tests' commands
# (warm_process.py): MLflow's client and SQLite store, and the app its server runs (imported as the CLI imports it,
# warnings ignored: submit/emulator/server.py)
CLI_PRELOAD = ("submit.cli", "mlflow.store.tracking.sqlalchemy_store")  # the store brings MLflow and its client
CLI_QUIET = ("uvicorn", "mlflow.server.fastapi_app")
Started = subprocess.Popen | WarmPopen  # what ``cli`` returns, held the same way


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Started:
    """``python -m submit ARGS`` started in a session of its own (a signal the test sends reaches the emulator only,
    as `kill PID` would); stdout and stderr captured as text. Forked from this worker's zygote (warm_process.py): a
    real process of its own that skips importing MLflow."""
    base = {**os.environ, "PYTHONPATH": str(SRC)}
    full_env = {**base, **(env or {})}
    how = dict(env=full_env, cwd=cwd, preload=CLI_PRELOAD, quiet=CLI_QUIET, base_env=base, new_session=True)
    return warm_process.start(["-m", "submit", *args], **how)


# How long a wait may last before the test gives up on its event: far beyond what a loaded 2-core machine needs
# (a sweep's start there takes 10-60 s), and under pytest-timeout's ceiling for a whole test (pyproject), so the
# failure is this module's, with the command's output, rather than a bare timeout.
CEILING = 240.0


def finish(proc: Started, timeout: float = CEILING) -> tuple[int, str, str]:
    """Waits for ``proc`` to end; its exit code, stdout and stderr. If it has not ended within ``timeout`` s, it is
    stopped and the test fails with what it printed."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the command did not end within {timeout:.0f} s\n{stop_and_show(proc)}") from None
    return proc.returncode, out, err


def stop_and_show(proc: Started) -> str:
    """What ``proc`` printed, for a failure message: it is stopped first if it still runs (Ctrl-C, so it can say
    where it was, then SIGKILL to it and, if it leads one, its process group), since a pipe is read whole only once
    the process has closed it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if _leads_group(proc):  # started in a session of its own: its trials and server go too
                os.killpg(proc.pid, signal.SIGKILL)
            proc.kill()
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # a grandchild outside its group still holds the pipe
            return f"exit code {proc.returncode}; its output is held open by a process it left behind"
    return f"exit code {proc.returncode}\n--- stdout ---\n{_text(out)[-6000:]}\n--- stderr ---\n{_text(err)[-6000:]}"


def wait_for(
    condition: Callable[[], object], what: str, timeout: float = CEILING, proc=None, interval: float = 0.1
) -> object:
    """Polls ``condition`` until it is truthy and returns its value: the event, not a duration. Fails naming ``what``
    if ``proc`` ends first or after ``timeout`` s (a ceiling, not an expectation), with ``proc``'s output."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the command exited before {what}\n{stop_and_show(proc)}")
        if time.monotonic() > deadline:
            shown = f"\n{stop_and_show(proc)}" if proc is not None else ""
            raise AssertionError(f"not within {timeout:.0f} s: {what}{shown}")
        time.sleep(interval)


def _leads_group(proc: Started) -> bool:
    try:
        return os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        return False


def _text(data) -> str:
    if data is None:
        return "(not captured)"
    return data.decode(errors="replace") if isinstance(data, bytes) else data


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


def serves_mlflow(pid: int, store: str | None = None) -> bool:
    """Whether ``pid`` is an MLflow tracking server (the sweep's own: its command line runs ``mlflow.server``), over
    ``store`` if given (its command line names its store: its arguments when it is a fresh interpreter, its title when
    it is a fork of the sweep)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"mlflow.server" in cmdline and (store is None or store.encode() in cmdline)


def trial_pids(sweep_folder: Path, trials: int) -> dict[str, list[int]] | None:
    """{"leader": [...], "child": [...]}: the pids ``trials`` FIRST_RUN_HANGS trials wrote, once all are written."""
    found = {}
    for kind in ("leader", "child"):
        texts = [p.read_text().strip() for p in sorted(sweep_folder.glob(f"*/{kind}.pid"))]
        if len(texts) < trials or not all(t.isdigit() for t in texts):
            return None
        found[kind] = [int(t) for t in texts]
    return found


def kill(proc: Started, sig: int = signal.SIGKILL) -> None:
    os.kill(proc.pid, sig)


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def no_traceback(*texts: str) -> bool:
    return not any("Traceback" in t for t in texts)
