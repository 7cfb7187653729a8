"""The sweep's name and its folder on disk: names checked by Azure's job-name rule, every path kept inside.

A sweep's name becomes an MLflow run name and a folder (``<store folder>/.sweep/<name>/<name>_<i>/``), so it must
follow the rule Azure applies to a job's ``name`` before the store or the file system is touched: ``../victim`` or
``x'y`` as a name would otherwise write, or delete, outside the work folder. As a second guard every folder built from
a name is resolved and checked to lie inside ``.sweep/``, and a trial's old code snapshot is removed only from a
trial folder this emulator created (it holds ``MARKER``).
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from ..errors import InputError, OptionError
from ..spec.model import SweepSpec
from ..spec.names import job_name_problem

MARKER = ".sweep-trial"  # written into each trial folder the emulator creates; it holds the trial's run id
NAME_RESUME_CLASH = (
    "--name and --resume clash: --name starts a new sweep, --resume continues the one it names; give one"
)
LOCK = ".lock"  # in the sweep's folder: held by the one emulator running the sweep (flocks.py)


def sweep_name(spec: SweepSpec, *, name: str | None, resume: str | None) -> str:
    """The sweep's name: ``resume``, else ``name``, else the spec's ``name:``, else one made from the spec;
    ``OptionError`` for both ``name`` and ``resume`` (a new sweep, or an old one continued: not both)."""
    if name is not None and resume is not None:
        raise OptionError(NAME_RESUME_CLASH)
    for flag, given in (("--name", name), ("--resume", resume)):
        if given is not None:
            _check(given, flag)
    chosen = resume or name
    if chosen is None and spec.name:
        chosen = _check(spec.name, f"{spec.path or '<spec>'}: name")
    return _check(chosen or _generated_name(spec), "the generated sweep name")


def _check(name: str, where: str) -> str:
    problem = job_name_problem(name)
    if problem:
        raise InputError(f"{where}: {problem}")
    return name


def _generated_name(spec: SweepSpec) -> str:
    stem = spec.display_name or (spec.path.stem if spec.path else "sweep")
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_")[:40] or "sweep"
    return f"{stem}_{uuid.uuid4().hex[:6]}"


class WorkArea:
    """``<store folder>/.sweep/<sweep>/``: one folder per trial, with its code snapshot, outputs and log."""

    def __init__(self, store_folder: Path, sweep: str):
        self.root = (store_folder / ".sweep").resolve()
        self.folder = self.inside(self.root / sweep)

    def inside(self, path: Path) -> Path:
        """``path`` resolved, if it lies strictly inside the work folder; InputError otherwise."""
        resolved = path.resolve()
        if resolved == self.root or not resolved.is_relative_to(self.root):
            raise InputError(f"{path}: outside the sweep's work folder {self.root}; refusing to write there")
        return resolved

    def trial_folder(self, trial: str, run_id: str) -> Path:
        """The trial's folder, made ready for a new run: a previous run's code snapshot removed if we made it, its log
        kept as ``std_log.<its run id>.txt`` (a re-run never truncates the log of the run it supersedes).

        Only called once no process of an earlier run of the trial is alive (``processes.stop_leftovers``)."""
        folder = self.inside(self.folder / trial)
        code = folder / "code"
        if code.exists() or code.is_symlink():
            if not (folder / MARKER).is_file():
                raise InputError(f"{folder}: exists and was not made by sweep; move it away, or give the sweep --name")
            _keep_log(folder, (folder / MARKER).read_text().strip())
            if code.is_symlink():  # never followed: only the link itself is ours to remove
                code.unlink()
            else:
                shutil.rmtree(code)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text(run_id + "\n")
        return folder

    def clear_trial(self, folder: Path, log: Path) -> None:
        """Remove a finished trial's code snapshot and ``log`` (both are its run's artifacts now), and the folder when
        nothing else is left in it. Declared outputs stay, and so does a superseded run's log (``std_log.<run
        id>.txt``: its run was never closed, so it is nowhere else). Only in a trial folder this emulator made."""
        folder = self.inside(folder)
        if not (folder / MARKER).is_file():
            return
        code = folder / "code"
        if code.is_symlink():
            code.unlink()
        elif code.is_dir():
            shutil.rmtree(code, ignore_errors=True)
        log = self.inside(log)
        log.unlink(missing_ok=True)
        try:
            log.parent.rmdir()  # user_logs/, when it held only this log
        except OSError:
            pass
        if [p.name for p in folder.iterdir()] == [MARKER]:
            shutil.rmtree(folder, ignore_errors=True)


def _keep_log(folder: Path, old_run_id: str) -> None:
    log = folder / "user_logs" / "std_log.txt"
    if log.is_file() and re.fullmatch(r"[0-9a-f]{1,64}", old_run_id):
        log.rename(log.with_name(f"std_log.{old_run_id}.txt"))
