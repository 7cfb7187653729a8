"""A trial's copy of the ``code`` folder: what Azure's code upload would send, minus what must never leave the folder.

Azure's rule (azure-ai-ml ``_utils/_asset_utils.py``: ``get_ignore_file``, ``IgnoreFile.is_file_excluded``, and
``get_upload_files_from_folder``): the ``.amlignore`` at the root of the code folder, else its ``.gitignore`` (never
both, never one in a subfolder), read as git wildmatch patterns and applied to each *file's* path relative to the root,
the last matching pattern deciding (so ``data/`` then ``!data/keep.csv`` keeps that one file). Only files are
uploaded, so a folder holding nothing uploaded does not exist on the compute. The patterns are matched by the very
matcher the SDK uses (its vendored copy of ``pathspec``), loaded from its file so that a sweep does not pay the
SDK's 3 s import.

We go further (Azure would upload these unless ignored): ``NEVER_COPIED`` is left out whatever the ignore file says:
the sweep's own store and work folder (a trial copying the store it writes into), credentials (``CREDENTIALS``: the
files where cloud CLIs, package managers, git, SSH and databases keep keys and tokens), caches and virtual
environments, ``node_modules``, and the ``outputs``/``logs`` folders that Azure gives each run fresh. Azure's upload
follows symbolic links wherever they lead (``os.walk(followlinks=True)``); the copy never does: a link whose target
lies inside the folder stays a (relative) link, and one leading out of it, nowhere, or round in a loop is left out.
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

from ..errors import InputError

AML_IGNORE, GIT_IGNORE = ".amlignore", ".gitignore"  # azure-ai-ml's AML_IGNORE_FILE_NAME, GIT_IGNORE_FILE_NAME

# Where credentials live, by the name each tool gives them (its documented default), left out at any depth: cloud
# CLIs (AWS ~/.aws/credentials, Azure CLI ~/.azure token caches, gcloud's ~/.config/gcloud and its
# application_default_credentials.json, Google OAuth client and service-account files, Databricks, boto, s3cmd),
# package managers (~/.npmrc, ~/.pypirc, pip.conf with an index token, ~/.docker/config.json, Terraform's
# credentials.tfrc.json and ~/.terraformrc), git (~/.git-credentials), SSH and GnuPG keys, ~/.netrc, PostgreSQL's
# ~/.pgpass, Kubernetes' ~/.kube/config, Hugging Face's token. A folder of these names is not entered.
CREDENTIALS = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.pfx",
    "*.p12",
    "*.ppk",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    "gcloud",
    "application_default_credentials.json",
    "credentials.json",
    "client_secret*.json",
    "service-account*.json",
    ".databrickscfg",
    ".boto",
    ".s3cfg",
    ".npmrc",
    ".yarnrc.yml",
    ".pypirc",
    "pip.conf",
    "pip.ini",
    ".docker",
    ".terraformrc",
    "terraform.rc",
    ".terraform.d",
    "credentials.tfrc.json",
    ".git-credentials",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".kube",
    "kubeconfig",
    ".huggingface",
)
# Names left out at any depth (folders are not entered).
NEVER_COPIED = CREDENTIALS + (
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
    root = Path(os.path.realpath(code))  # never raises: a folder turned into a looping link since it was validated
    if not root.is_dir():
        raise InputError(f"trial.code: {code} is no longer a folder (it was when the spec was checked)")
    rules = IgnoreRules(root, store_db)
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        links = [here / d for d in dirs if (here / d).is_symlink()]  # a link to a folder: kept a link, not entered
        dirs[:] = [d for d in dirs if not rules.skip_folder(here / d)]
        for name in files:
            source = here / name
            if rules.excluded(source):
                continue
            if source.is_symlink():
                _copy_link(source, root, dest)
            elif source.is_file():  # a FIFO, socket or device is no file to copy (reading a FIFO would block)
                _copy_file(source, dest / source.relative_to(root))
        for link in links:
            if not rules.excluded(link):
                _copy_link(link, root, dest)
    return dest


def credentials_uploaded(code: str | None, limit: int = 20) -> list[str]:
    """The credential files (``CREDENTIALS``) under ``code`` that Azure's own upload would send: those its ignore
    file does not exclude, as relative paths (at most ``limit``). The copy here leaves them out; `sweep submit`
    to Azure hands the folder to azure-ai-ml, which does not, so the CLI warns before it does."""
    if not code or not os.path.isdir(code):
        return []
    root = Path(os.path.realpath(code))
    rules = IgnoreRules(root)
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules", ".venv", "venv", "__pycache__")]
        for name in [*dirs, *files]:
            path = here / name
            if any(fnmatch(name, p) for p in CREDENTIALS) and not rules.matched_whole(path):
                found.append(path.relative_to(root).as_posix() + ("/" if name in dirs else ""))
        dirs[:] = [d for d in dirs if not any(fnmatch(d, p) for p in CREDENTIALS)]
        if len(found) >= limit:
            break
    return sorted(found)[:limit]


def _copy_file(source: Path, target: Path) -> None:
    """``source`` copied to ``target``; a file that cannot be read (its permissions) is one line, not a traceback."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    except OSError as e:
        raise InputError(f"trial.code: cannot copy {source} into the trial's folder: {e.strerror or e}") from None


def _copy_link(link: Path, root: Path, dest: Path) -> None:
    """``link`` kept in the copy as a relative link to the same place, if it leads to something inside ``root``
    (followed to its end); a link leading out of the folder, nowhere, or round in a loop is left out, never
    followed: its target may be a key file, and the trial's folder must not reach it."""
    target = Path(os.path.realpath(link))  # never raises on a loop: it stops where the loop starts
    if not target.is_relative_to(root) or not os.path.lexists(target) or os.path.islink(target):
        return
    copy = dest / link.relative_to(root)
    copy.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(target, link.parent), copy)


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
        real = Path(os.path.realpath(path))  # os.path.realpath, unlike Path.resolve, does not raise on a link loop
        if self._never(path) or real in self.store_files or path.absolute() in self.store_files:
            return True
        return self._matched(self._relative(path))

    def matched_whole(self, path: Path) -> bool:
        """Whether the ignore file excludes ``path`` (a folder: as a folder, so every file under it)."""
        rel = self._relative(path)
        return self._matched(rel + "/" if path.is_dir() else rel) or (path.is_dir() and self._matched(rel))

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
