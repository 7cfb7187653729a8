"""The MLflow side of a local sweep: the store, the parent run (the sweep) and one child run per trial.

Azure ML exposes a sweep through MLflow as a parent run whose trials are child runs (tag ``mlflow.parentRunId``),
named ``<sweep>_<i>``, with the parent's ``best_child_run_id`` and ``best_child_by_primary_metric``. The emulator
writes the same shape into a local store; the trial scripts write their own metrics and params into their child run.

A trial's sampled values are where the sweep service keeps them: a tag of the *parent* run named after the trial,
``<sweep>_<i>: {"lr": 0.01, ...}`` (JSON), read by the v1 SDK's ``HyperDriveRun.get_hyperparameters`` and by the
studio widget (``_aml_system_<child>`` or ``<child>``). They are not the child run's params: those are the script's
alone, so ``mlflow.autolog()`` or ``log_param`` never meet a value the emulator logged in another spelling.

SQLite and concurrent writers: MLflow opens every SQLite session with ``busy_timeout = 20000``, so writers wait for
each other instead of failing; we also switch the file to WAL, so the scheduler's reads (metric histories polled
while trials run) never block a trial's writes. The parent's own writes are retried on "database is locked" as a
last line of defence.

What a SQLite store may be (``check_sqlite``, read-only, before any byte is written or any folder made): new (no file),
empty, or MLflow's. Anything else (an application's database, a text file) is refused untouched: MLflow would migrate
its ~60 tables into it. A store an MLflow migration left half done (an ``_alembic_tmp_<table>`` behind) is refused too,
with the repair: sweep does not guess which copy of a table is the good one. A store that cannot be written is said to
be so; the monitor still reads it (``read_uri``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

from ..errors import InputError, StoreUnusable
from .artifacts import artifact_location, upload
from .flocks import creation_lock_file, creation_settled, store_creation_lock
from .tags import (
    BEST_METRIC,
    BEST_RUN_TAG,
    TAG_CANCEL_REQUESTED,
    TAG_INDEX,
    TAG_KIND,
    TAG_PARENT,
    TAG_STATE,
    TAG_SWEEP,
)

PROBE_SECONDS = 5.0  # a tracking server that does not answer /health in this time is reported as unreachable
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"  # MLflow 3.x's default: the store `mlflow ui` opens with no arguments


def default_tracking_uri() -> str:
    """The store `mlflow ui` opens when run here with no arguments: ./mlflow.db, or ./mlruns if that holds a file store.

    MLflow 3.x's `mlflow ui`/`mlflow server` take `_get_default_tracking_uri()` when no --backend-store-uri is given
    (mlflow/cli/__init__.py); asking the same function keeps the two in step across MLflow releases. Its answer differs
    from `sqlite:///mlflow.db` only when ./mlruns exists, so without one MLflow is not imported (a second of start-up).
    """
    if not Path("mlruns").exists():
        return DEFAULT_TRACKING_URI
    try:
        from mlflow.tracking._tracking_service.utils import _get_default_tracking_uri

        return _get_default_tracking_uri()
    except ImportError:  # an MLflow that moved it: its documented default
        return DEFAULT_TRACKING_URI


def resolve_uri(uri: str | None) -> str:
    """An absolute tracking URI: trials run in their own folders, so a relative `sqlite:///mlflow.db` would move."""
    uri = uri or default_tracking_uri()
    try:
        urlparse(uri)
    except ValueError as e:  # e.g. "Invalid IPv6 URL" for http://[::1
        raise InputError(f"--tracking-uri {uri}: not a URI ({e})") from None
    if uri.startswith("sqlite:///"):
        path = Path(unquote(uri[len("sqlite:///") :]))
        return "sqlite:///" + str(path if path.is_absolute() else (Path.cwd() / path).resolve())
    if "://" not in uri:  # a bare folder: MLflow's file store
        return Path(uri).resolve().as_uri()
    return uri


def ui_command(uri: str) -> str:
    """The command that opens the MLflow UI on ``uri``: bare `mlflow ui` when it is the default store of this folder."""
    if uri == resolve_uri(None):
        return "mlflow ui"
    return f"mlflow ui --backend-store-uri {uri}"


def sqlite_path(uri: str) -> Path | None:
    return Path(uri[len("sqlite:///") :]) if uri.startswith("sqlite:///") else None


MLFLOW_TABLES = frozenset({"experiments", "runs", "alembic_version"})  # what every MLflow SQL store has had
ALEMBIC_TMP = "_alembic_tmp_"  # alembic's copy of a table during a migration on SQLite (batch_alter_table)


class NotAStore(InputError):
    """A file given as the store that is not one sweep may write into; ``why`` says what it is instead."""

    def __init__(self, db: Path, why: str):
        self.why = why
        super().__init__(
            f"--tracking-uri sqlite:///{db}: {why}, not an MLflow tracking store; sweep writes nothing into it: "
            "give a new file, e.g. sqlite:///mlflow.db"
        )


@dataclass(frozen=True)
class SqliteCheck:
    """What a SQLite store's file is: ``kind`` new | empty | mlflow; whether this process may write it; and whether
    SQLite can read it only as an immutable file (a WAL store on a read-only file system, its -shm file absent)."""

    db: Path
    kind: str
    writable: bool
    immutable: bool = False

    def read_uri(self) -> str:
        """The URI MLflow reads the store through: as given when it can be written, else opened read-only (SQLite
        would otherwise try to create its journal and fail, as for a store on a read-only file system). Spelled
        ``sqlite+pysqlite``: MLflow makes the parent folder of a ``sqlite:///`` path, here ``file:/...``, in the cwd."""
        if self.writable:
            return f"sqlite:///{self.db}"
        return f"sqlite+pysqlite:///{self.file_uri()}&uri=true"

    def file_uri(self) -> str:
        """The store as ``sqlite3`` opens it read-only (immutable where only that can read it)."""
        return sqlite_file_uri(self.db, self.immutable)


def check_sqlite(db: Path) -> SqliteCheck:
    """What ``db`` holds, read without writing a byte (opened ``mode=ro``); ``NotAStore`` for a file that is not a
    SQLite database (a folder, a text file) or is another program's, ``StoreUnusable`` for a store a migration left
    half done."""
    uri = f"sqlite:///{db}"
    if not db.exists():
        return SqliteCheck(db, "new", _writable(db.parent))
    if db.is_dir():
        raise NotAStore(db, "a folder, not a database file")
    if not db.is_file():
        raise NotAStore(db, "not a regular file")
    writable = _writable(db) and _writable(db.parent)
    with creation_settled(db.parent / ".sweep", db):  # a sweep creating it now: its tables, once all are there
        if db.stat().st_size == 0:
            return SqliteCheck(db, "empty", writable)
        tables, immutable = _tables(db)
    if not tables:
        return SqliteCheck(db, "empty", writable, immutable)
    if not MLFLOW_TABLES <= tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise NotAStore(db, f"a SQLite database without MLflow's tables (tables: {shown})")
    leftovers = sorted(name for name in tables if name.startswith(ALEMBIC_TMP))
    if leftovers:
        raise StoreUnusable(f"the tracking store {uri} {_half_migrated(db, tables, leftovers[0])}")
    return SqliteCheck(db, "mlflow", writable, immutable)


def check_writable_store(uri: str) -> bool:
    """Whether the store at ``uri`` exists (False: it will be created), once it is known a sweep can write it; for a
    SQLite file, decided before anything is written or created (``check_sqlite``). Other URIs: True."""
    db = sqlite_path(uri)
    if db is None:
        return True
    found = check_sqlite(db)
    if not found.writable and found.kind == "mlflow":
        raise StoreUnusable(
            f"the tracking store {uri} is an MLflow store that cannot be written ({_why_read_only(db)}); "
            "`sweep list`, `status`, `best`, `report` and `export` read it; to run a sweep give a --tracking-uri "
            "you can write to"
        )
    return found.kind == "mlflow"


def _tables(db: Path) -> tuple[set[str], bool]:
    """The tables of ``db`` read-only, and whether only an immutable open could read them; NotAStore when it is
    not a SQLite database."""
    for immutable in (False, True):
        try:
            # closed here: a connection is not closed by `with` (that commits), and left to the collector it keeps
            # the file open after the check (a sweep forks its server only from a process without it open)
            with contextlib.closing(sqlite3.connect(sqlite_file_uri(db, immutable), uri=True, timeout=20)) as conn:
                rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            return {r[0] for r in rows}, immutable
        except sqlite3.OperationalError as e:
            # a WAL database whose folder cannot be written opens only as an immutable file
            if immutable or "unable to open" not in str(e) or not os.access(db, os.R_OK):
                raise NotAStore(db, f"a file SQLite cannot read ({e})") from None
        except sqlite3.DatabaseError as e:
            raise NotAStore(db, f"not a SQLite database ({e})") from None
    raise AssertionError("unreachable")


def sqlite_file_uri(db: Path, immutable: bool) -> str:
    """SQLite's read-only URI for ``db`` (https://sqlite.org/uri.html): mode=ro writes nothing; immutable=1 also
    takes no lock, for a file on a read-only file system."""
    return f"file:{quote(str(db))}?mode=ro" + ("&immutable=1" if immutable else "")


def _half_migrated(db: Path, tables: set[str], leftover: str) -> str:
    """Why the store is refused and how to repair it, for a table alembic's batch migration left behind."""
    table = leftover[len(ALEMBIC_TMP) :]
    fix = (
        f"DROP TABLE {leftover}"  # the migration stopped before it dropped the original: the copy is the extra one
        if table in tables
        else f"ALTER TABLE {leftover} RENAME TO {table}"  # it dropped the original: the copy holds the rows
    )
    return (
        f"holds {leftover}, left by an MLflow schema migration that stopped half way; sweep leaves it untouched. "
        f"To repair: back the file up, run sqlite3 {db} '{fix}', then mlflow db upgrade sqlite:///{db}"
    )


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def _why_read_only(db: Path) -> str:
    try:
        if os.statvfs(db).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    except OSError:
        pass
    return f"{db} or its folder is read-only"


def store_folder(uri: str) -> Path:
    """Where the sweep keeps its local work area: next to a local store, else in the current folder."""
    db = sqlite_path(uri)
    if db is not None:
        return db.parent
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path)).parent
    return Path.cwd()


def cancel_requested(client, experiment_id: str, parent_run_id: str) -> str | None:
    """When `sweep cancel` asked the sweep to stop (its tag's value), or None: what the scheduler polls.

    A search for the one tag, not ``get_run``: the parent carries a tag per trial, so reading it whole at every poll
    made each poll cost grow with the trials run (147 ms at 5,000 trials, against 6 ms for the search)."""
    found = client.search_runs(
        [experiment_id],
        filter_string=f"attributes.run_id = '{parent_run_id}' and tags.`{TAG_CANCEL_REQUESTED}` LIKE '%'",
        max_results=1,
    )
    return found[0].data.tags.get(TAG_CANCEL_REQUESTED) if found else None


def _retry(fn, *args, **kwargs):
    for attempt in range(8):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # MlflowException wraps sqlalchemy's OperationalError
            if "database is locked" not in str(e) or attempt == 7:
                raise
            time.sleep(0.05 * 2**attempt)


@dataclass
class RunInfo:
    run_id: str
    name: str
    status: str
    tags: dict[str, str]
    params: dict[str, str]
    metrics: dict[str, float]


class Store:
    """One tracking store, opened once per sweep (creating a SQLite store runs ~1.4 s of migrations, once)."""

    def __init__(self, uri: str | None = None, *, exists: bool | None = None):
        """Open the store, creating it if it is new; ``StoreUnusable`` (one line) when it cannot be opened.
        ``exists``: what ``check_writable_store(uri)`` said, when the caller has just asked (else it is asked here)."""
        self.uri = resolve_uri(uri)
        db = sqlite_path(self.uri)
        if urlparse(self.uri).scheme in ("http", "https"):
            probe_server(self.uri)  # before MLflow's import: a second or more of a refusal
        from mlflow.tracking import MlflowClient

        if exists is None:
            exists = check_writable_store(self.uri)  # before any byte is written or any folder made
        self.artifact_uris: dict[str, str] = {}  # trial run id -> its artifact root, from its start to its end
        # one process at a time creates a new SQLite store (flocks.store_creation_lock says why); an existing one is
        # waited for when a sweep created it (it may be migrating it now); nothing is made next to it otherwise
        work = store_folder(self.uri) / ".sweep"
        locked = db is not None and (not exists or creation_lock_file(work, db).exists())
        creating = store_creation_lock(work, db) if locked else nullcontext()
        try:
            with creating:
                if db is not None:
                    db.parent.mkdir(parents=True, exist_ok=True)
                    _open_sqlite(db)
                self.client = MlflowClient(tracking_uri=self.uri)
                _retry(self.client.search_experiments, max_results=1)  # creates and migrates the store now
                if db is not None:
                    _enable_wal(db)
        except StoreUnusable:
            raise
        except Exception as e:  # noqa: BLE001 - OSError, MlflowException, SQLAlchemy's: all say the store is unusable
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:1000]
            raise StoreUnusable(f"the tracking store {self.uri} cannot be opened: {first}") from None

    # experiments and the parent run ------------------------------------------------------------------------

    def experiment_id(self, name: str) -> str:
        exp = _retry(self.client.get_experiment_by_name, name)
        if exp is not None:
            return exp.experiment_id
        location = None
        if sqlite_path(self.uri) is not None:
            # next to the store, as `mlflow ui` keeps its own artifacts in ./mlartifacts, not in the cwd of the day
            location = (store_folder(self.uri) / "mlartifacts" / name).as_uri()
        try:
            return _retry(self.client.create_experiment, name, artifact_location=location)
        except Exception:
            exp = self.client.get_experiment_by_name(name)  # created concurrently by another sweep
            if exp is None:
                raise
            return exp.experiment_id

    def start_sweep(self, experiment_id: str, name: str, tags: dict[str, str]) -> str:
        run = _retry(
            self.client.create_run,
            experiment_id,
            run_name=name,
            tags={TAG_SWEEP: name, TAG_KIND: "parent", TAG_STATE: "running", **tags},
        )
        return run.info.run_id

    def find_sweep(self, name: str) -> tuple[str, RunInfo] | None:
        """(experiment id, parent run) of the sweep called ``name``, in any experiment of the store."""
        return self.find_run({TAG_SWEEP: name, TAG_KIND: "parent"})

    def find_run(self, tags: dict[str, str]) -> tuple[str, RunInfo] | None:
        """(experiment id, run) of the run carrying every one of ``tags``, in any experiment of the store."""
        exps = [e.experiment_id for e in _retry(self.client.search_experiments)]
        if not exps:
            return None
        runs = _retry(
            self.client.search_runs,
            exps,
            filter_string=" and ".join(f"tags.`{k}` = '{_quote(v)}'" for k, v in tags.items()),
            max_results=2,
        )
        if not runs:
            return None
        return runs[0].info.experiment_id, _info(runs[0])

    def run(self, run_id: str) -> RunInfo:
        return _info(_retry(self.client.get_run, run_id))

    def trials_of(self, experiment_id: str, parent_run_id: str) -> list[RunInfo]:
        runs = _retry(
            self.client.search_runs,
            [experiment_id],
            filter_string=f"tags.`mlflow.parentRunId` = '{parent_run_id}'",
            max_results=5000,
        )
        return [_info(r) for r in runs]

    def reopen_sweep(self, run_id: str) -> None:
        _retry(self.client.update_run, run_id, status="RUNNING")
        _retry(self.client.set_tag, run_id, TAG_STATE, "running")
        if TAG_CANCEL_REQUESTED in _retry(self.client.get_run, run_id).data.tags:
            # the request stopped the previous run of the sweep; resuming it is the user's new word
            _retry(self.client.delete_tag, run_id, TAG_CANCEL_REQUESTED)

    def cancel_requested(self, experiment_id: str, run_id: str) -> str | None:
        """When `sweep cancel` asked this sweep to stop (the tag's value), or None."""
        return _retry(cancel_requested, self.client, experiment_id, run_id)

    def end_sweep(self, run_id: str, state: str, status: str) -> None:
        _retry(self.client.set_tag, run_id, TAG_STATE, state)
        _retry(self.client.set_terminated, run_id, status)

    def set_best(self, parent_run_id: str, child_run_id: str, value: float, step: int) -> None:
        _retry(self.client.set_tag, parent_run_id, BEST_RUN_TAG, child_run_id)
        _retry(self.client.log_metric, parent_run_id, BEST_METRIC, value, step=step)

    # trials ----------------------------------------------------------------------------------------------

    def start_trial(
        self, experiment_id: str, parent_run_id: str, sweep: str, index: int, values: dict[str, Any]
    ) -> str:
        """The trial's child run, its sampled ``values`` recorded on the parent first (see the module's docstring)."""
        name = f"{sweep}_{index}"
        _retry(self.client.set_tag, parent_run_id, name, hyperparameters_tag(values))
        tags = {TAG_PARENT: parent_run_id, TAG_SWEEP: sweep, TAG_KIND: "trial", TAG_INDEX: str(index)}
        return self.start_run(experiment_id, name, tags)

    def start_run(self, experiment_id: str, name: str, tags: dict[str, str]) -> str:
        """A new run (a child when ``tags`` name its ``mlflow.parentRunId``), its artifact root kept for ``end_trial``."""
        run = _retry(self.client.create_run, experiment_id, run_name=name, tags=tags)
        self.artifact_uris[run.info.run_id] = run.info.artifact_uri
        return run.info.run_id

    def hyperparameters(self, parent_run_id: str, trials: list[str]) -> dict[str, dict[str, Any]]:
        """Trial name -> its sampled values, from the parent's tags, for each of ``trials`` that has them."""
        tags = _retry(self.client.get_run, parent_run_id).data.tags
        found = {name: trial_values(tags, name) for name in trials}
        return {name: values for name, values in found.items() if values is not None}

    def history(self, run_id: str, metric: str) -> list[float]:
        """The trial's values of ``metric`` in the order they were logged (timestamp, then step)."""
        points = _retry(self.client.get_metric_history, run_id, metric)
        return [as_logged(m.value) for m in sorted(points, key=lambda m: (m.timestamp, m.step))]

    def metric_names(self, run_id: str) -> list[str]:
        return sorted(_retry(self.client.get_run, run_id).data.metrics)

    def end_trial(
        self,
        run_id: str,
        status: str,
        tags: dict[str, str],
        log_file: Path | None,
        folders: dict[str, Path] | None = None,
    ) -> str | None:
        """Tag and end a trial's run, its log kept as ``user_logs/`` and each of ``folders`` (artifact path ->
        folder) as artifacts, whatever the status: Azure uploads a trial's outputs when it fails or is canceled too.

        Returns the log's place among the run's artifacts (a path when they are local files) once the log and every
        folder were logged, or None when something could not be (the trial's local copies are then all there is).
        """
        from mlflow.entities import RunTag

        if tags:
            _retry(self.client.log_batch, run_id, tags=[RunTag(k, v) for k, v in tags.items()])
        uploads = [(log_file, "user_logs")] if log_file is not None and log_file.exists() else []
        uploads += [(p, a) for a, p in (folders or {}).items() if p.is_dir() and any(p.iterdir())]
        # the repository for the root known from the trial's start: MlflowClient.log_artifact would read the run back
        # to find it, and keep a repository (a thread pool, a queue) for each of the last 1024 runs
        artifact_uri = self.artifact_uris.pop(run_id, None)
        logged = True
        for path, artifact_path in uploads:
            try:
                if artifact_uri:
                    upload(artifact_uri, path, artifact_path)
                elif path.is_dir():
                    self.client.log_artifacts(run_id, str(path), artifact_path=artifact_path)
                else:
                    self.client.log_artifact(run_id, str(path), artifact_path=artifact_path)
            except Exception:  # noqa: BLE001 - a store that cannot take artifacts must not lose the run's status
                logged = False
        # the script's own MLflow may have ended the run already (FINISHED at exit, even on failure): ours is final
        _retry(self.client.set_terminated, run_id, status)
        if not (logged and log_file is not None and log_file.exists()):
            return None
        return artifact_location(artifact_uri, f"user_logs/{log_file.name}")

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        _retry(self.client.set_tag, run_id, key, value)

    def delete_tag(self, run_id: str, key: str) -> None:
        try:
            _retry(self.client.delete_tag, run_id, key)
        except Exception:  # noqa: BLE001 - MLflow raises when the tag is not there: nothing to delete
            pass


def hyperparameters_tag(values: dict[str, Any]) -> str:
    """The parent's tag value for one trial: its values as JSON, in search-space order, numbers as numbers."""
    return json.dumps(values, default=lambda v: v.item() if hasattr(v, "item") else str(v))


def trial_values(parent_tags: dict[str, str], trial: str) -> dict[str, Any] | None:
    """A trial's sampled values from its sweep's tags (``<sweep>_<i>``, or Azure's ``_aml_system_<sweep>_<i>``).

    >>> trial_values({"s_0": '{"lr": 0.01, "kernel": "rbf"}'}, "s_0")
    {'lr': 0.01, 'kernel': 'rbf'}
    """
    text = parent_tags.get(trial, parent_tags.get(f"_aml_system_{trial}"))
    if text is None or not text.startswith("{"):
        return None
    try:
        values = json.loads(text)
    except ValueError:
        return None
    # v1 sweeps passed `--lr` as the name; the search-space key is the name without the dashes
    return {str(k).lstrip("-"): v for k, v in values.items()} if isinstance(values, dict) else None


def as_logged(value: float) -> float:
    """The value the script logged: MLflow's SQL store keeps +-inf as +-sys.float_info.max (``_log_metrics`` in
    sqlalchemy_store.py), which read back as is would make a diverged trial the best one ever seen."""
    if abs(value) == sys.float_info.max:
        return math.copysign(math.inf, value)
    return value


def probe_server(uri: str) -> None:
    """A tracking server that does not answer is reported in seconds, not after MLflow's retries (minutes)."""
    import ssl
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=PROBE_SECONDS).close()
    except urllib.error.HTTPError:
        return  # something answers; MLflow's own requests say what it thinks of them
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, ssl.SSLError):
            return  # it answers; whether its certificate is trusted is MLflow's setting (MLFLOW_TRACKING_INSECURE_TLS)
        raise StoreUnusable(
            f"no MLflow tracking server answers at {uri} ({reason}; waited up to {PROBE_SECONDS:g} s); "
            "start it, or give another --tracking-uri"
        ) from None


def _open_sqlite(db: Path) -> None:
    """Open the database file once ourselves: MLflow retries a file SQLite cannot open (a folder, a path it may not
    write) for minutes before it gives up, where SQLite answers at once."""
    if db.is_dir():
        raise StoreUnusable(
            f"the tracking store sqlite:///{db} cannot be opened: {db} is a folder, not a database file"
        )
    try:
        sqlite3.connect(db, timeout=5).close()
    except sqlite3.Error as e:
        raise StoreUnusable(f"the tracking store sqlite:///{db} cannot be opened: {e}") from None


def _enable_wal(db: Path) -> None:
    # WAL is a property of the database file: set once, every later connection (the trials' too) uses it
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=20)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error:
        pass


def _quote(s: str) -> str:
    return s.replace("'", "\\'")


def _info(run: Any) -> RunInfo:
    return RunInfo(
        run_id=run.info.run_id,
        name=run.info.run_name,
        status=run.info.status,
        tags=dict(run.data.tags),
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
    )
