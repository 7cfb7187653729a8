"""Locks between emulators: one running emulator per sweep, and one process at a time creating a SQLite store.

Both are ``flock`` locks on a file in the work folder (``<store folder>/.sweep/``), held on an open descriptor: the
kernel drops them when the process dies, SIGKILL included, so a crashed emulator never leaves a stale lock to break
(Optuna's journal lock needs a 30 s grace for that). Without ``fcntl`` (Windows) neither lock is taken.

The same lock tells a reader whether a sweep's emulator is alive (``holder``): a sweep the store calls running whose
lock nobody holds was killed. The reader takes the lock shared for an instant, never writes it; an emulator that finds
it taken tries again for ``RETRY_SECONDS`` before it says another one runs the sweep.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreUnusable, UserError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

SWEEP_LOCK = ".lock"  # in <store folder>/.sweep/<sweep>/
RETRY_SECONDS = 1.0  # a reader holds the lock for microseconds (``holder``); an emulator holds it for the sweep


class SweepRunning(UserError):
    """Another emulator holds the sweep."""


class SweepLock:
    """Held while one emulator runs the sweep ``name``; a second one (``--resume`` in another terminal, or the same
    ``--name`` started twice at once) gets ``SweepRunning`` instead of running the trials twice."""

    def __init__(self, folder: Path, name: str):
        self.folder, self.name = folder, name
        self.fd: int | None = None

    def __enter__(self) -> SweepLock:
        _make_folder(self.folder)
        if fcntl is None:
            return self
        fd = os.open(self.folder / SWEEP_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        if not _lock_within(fd, RETRY_SECONDS):
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise SweepRunning(
                f"sweep `{self.name}` is already running in another process{pid}; one sweep runs in one emulator: "
                f"wait for it to end, or stop it and then --resume {self.name}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = None


@dataclass(frozen=True)
class Holder:
    """Who holds a sweep's lock: ``alive`` True while an emulator runs it, False when none does (it ended, or died and
    the kernel dropped its lock); ``pid`` the last emulator that held it, as it wrote itself there (None: unknown)."""

    alive: bool
    pid: int | None


def holder(folder: Path) -> Holder | None:
    """Whether an emulator runs the sweep whose work folder is ``folder``; None when this cannot be told here (no
    lock file: the sweep ran from another folder or machine; no ``fcntl``). Opens the file read-only, writes nothing."""
    if fcntl is None:
        return None
    try:
        fd = os.open(folder / SWEEP_LOCK, os.O_RDONLY)
    except OSError:
        return None
    try:
        text = os.read(fd, 64).decode(errors="replace").strip()
        pid = int(text) if text.isdigit() else None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return Holder(True, pid)
        return Holder(False, pid)
    finally:
        os.close(fd)  # releases the shared lock, if taken


def _lock_within(fd: int, seconds: float) -> bool:
    """Take ``fd``'s exclusive lock, trying again for ``seconds`` while a reader may hold it shared."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


@contextmanager
def store_creation_lock(work_root: Path, db: Path) -> Iterator[None]:
    """Held while a process opens (and on first use creates and migrates) the SQLite store ``db``.

    MLflow's tracking store migrates a new database with no lock of its own: two sweeps starting at once on a new
    store fail with alembic's "duplicate column name" (measured 10 of 10 rounds), while its jobs store takes such a
    lock (``_safe_initialize_tables``, store/db/utils.py). With this one, 4 processes x 10 rounds: 0 failures.
    """
    _make_folder(work_root)
    if fcntl is None:
        yield
        return
    fd = os.open(creation_lock_file(work_root, db), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def creation_lock_file(work_root: Path, db: Path) -> Path:
    return work_root / f"{db.name}.create.lock"


@contextmanager
def creation_settled(work_root: Path, db: Path) -> Iterator[None]:
    """Held while ``db`` is read to tell what it is: waits for a process creating it (its tables appear one by one)
    to finish. Shared, on a descriptor opened read-only, and only when a sweep made the lock file: nothing is
    created, and a store on a read-only file system is read as well."""
    try:
        fd = os.open(creation_lock_file(work_root, db), os.O_RDONLY) if fcntl is not None else None
    except OSError:
        fd = None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreUnusable(
            f"cannot create the sweep's work folder {folder} next to the tracking store: {e.strerror or e}; "
            "give a --tracking-uri in a folder you can write to"
        ) from None
