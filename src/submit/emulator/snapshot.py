"""A trial's copy of the ``code`` folder: what Azure's code upload would send, minus what must never leave the folder.

Azure's rule (azure-ai-ml ``_utils/_asset_utils.py``: ``get_ignore_file``, ``IgnoreFile.is_file_excluded``, and
``get_upload_files_from_folder``): the ``.amlignore`` at the root of the code folder, else its ``.gitignore`` (never
both, never one in a subfolder), read as git wildmatch patterns and applied to each *file's* path relative to the root,
the last matching pattern deciding (so ``data/`` then ``!data/keep.csv`` keeps that one file). Only files are
uploaded, so a folder holding nothing uploaded does not exist on the compute. The patterns are matched by the very
matcher the SDK uses (its vendored copy of ``pathspec``), loaded from its file so that a sweep does not pay the
SDK's 3 s import.

We go further (Azure would upload these unless ignored): ``NEVER_COPIED`` is left out whatever the ignore file says:
the sweep's own store and work folder (a trial copying the store it writes into), secrets (``.env``, keys,
``.azureml/config.json``), caches and virtual environments, ``node_modules``, and the ``outputs``/``logs`` folders
that Azure gives each run fresh.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterable
from fnmatch import fnmatch
from pathlib import Path
from types import ModuleType

AML_IGNORE, GIT_IGNORE = ".amlignore", ".gitignore"  # azure-ai-ml's AML_IGNORE_FILE_NAME, GIT_IGNORE_FILE_NAME

# Names left out at any depth (folders are not entered).
NEVER_COPIED = (
    ".git",
    "__pycache__",
    "*.pyc",
    ".sweep",
    "mlruns",
    "mlartifacts",
    "mlflow.db",
    "mlflow.db-*",
    ".venv",
    "venv",
    ".pytest_cache",
    "node_modules",
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.pfx",
    "*.p12",
    "id_rsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".ssh",
)
# Paths left out only at the root of the code folder: Azure creates ./outputs and ./logs for each run.
NEVER_COPIED_AT_ROOT = ("outputs", "logs", ".azureml/config.json")
SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def snapshot(code: str | None, dest: Path, *, store_db: Path | None = None) -> Path:
    """A fresh copy of ``code`` for one trial (an empty folder when the spec has none) at a new ``dest``.

    ``store_db`` is the sweep's SQLite store: it and its side files are never copied, whatever they are named.
    """
    dest.mkdir(parents=True)
    if not code:
        return dest
    root = Path(code).resolve()
    rules = IgnoreRules(root, store_db)
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not rules.skip_folder(here / d)]
        for name in files:
            source = here / name
            if rules.excluded(source):
                continue
            target = dest / source.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():  # kept a link, never followed: a link out of the folder copies nothing
                os.symlink(os.readlink(source), target)
            else:
                shutil.copy2(source, target)
        for name in dirs:  # a link to a folder is kept as a link too (os.walk does not enter it)
            source = here / name
            if source.is_symlink():
                target = dest / source.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(os.readlink(source), target)
    return dest


class IgnoreRules:
    """Which files of the code folder ``root`` a trial's snapshot leaves out."""

    def __init__(self, root: Path, store_db: Path | None = None):
        self.root = root
        self.patterns = _patterns(root)
        # a folder can be skipped whole only when no pattern could bring back a file inside it
        self.prunable = not any(p.regex is not None and p.include is False for p in self.patterns)
        db = store_db.resolve() if store_db is not None else None
        self.store_files = {Path(str(db) + s) for s in SQLITE_SIDE_FILES} if db else set()

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _never(self, path: Path) -> bool:
        rel = self._relative(path)
        return any(fnmatch(path.name, p) for p in NEVER_COPIED) or rel in NEVER_COPIED_AT_ROOT

    def skip_folder(self, path: Path) -> bool:
        if path.is_symlink():
            return True  # os.walk does not enter it; snapshot() keeps the link
        if self._never(path):
            return True
        return self.prunable and self._matched(self._relative(path) + "/")

    def excluded(self, path: Path) -> bool:
        """Azure's ``is_file_excluded`` for the file ``path``, plus ``NEVER_COPIED`` and the store's files."""
        if self._never(path) or path.resolve() in self.store_files or path.absolute() in self.store_files:
            return True
        return self._matched(self._relative(path))

    def _matched(self, rel: str) -> bool:
        matched = False
        for pattern in self.patterns:  # the last pattern that matches decides, as in IgnoreFile.is_file_excluded
            if pattern.include is not None and pattern.match_file(rel) is not None:
                matched = pattern.include
        return matched


def ignore_file(root: Path) -> Path | None:
    """The ignore file Azure's upload reads for ``root``: ``.amlignore`` wins over ``.gitignore``; None if neither."""
    for name in (AML_IGNORE, GIT_IGNORE):
        if (root / name).is_file():
            return root / name
    return None


def _patterns(root: Path) -> list:
    path = ignore_file(root)
    if path is None:
        return []
    wildmatch = _azure_pathspec().GitWildMatchPattern
    with open(path, encoding="utf-8-sig", errors="replace") as f:  # the SDK reads it as utf-8-sig
        return [wildmatch(line.rstrip()) for line in f if line]


_PATHSPEC: list[ModuleType] = []


def _azure_pathspec() -> ModuleType:
    """azure-ai-ml's vendored pathspec (stdlib only), loaded from its file: ``import azure.ai.ml`` costs seconds."""
    if _PATHSPEC:
        return _PATHSPEC[0]
    module = None
    for location in _azure_locations():
        file = Path(location) / "ai" / "ml" / "_utils" / "_pathspec.py"
        if file.is_file():
            spec = importlib.util.spec_from_file_location("submit._azure_pathspec", file)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # its dataclasses look their module up by name
            spec.loader.exec_module(module)
            break
    if module is None:  # an SDK that moved the file: its public path, slow but the same matcher
        from azure.ai.ml._utils import _pathspec as module
    _PATHSPEC.append(module)
    return module


def _azure_locations() -> Iterable[str]:
    spec = importlib.util.find_spec("azure")  # a namespace package: finding it runs no code
    return list(spec.submodule_search_locations or []) if spec else []
