"""A local SQLite store read with the standard library: what ``local`` asks ``MlflowClient`` for, without MLflow.

Every monitoring command reads a few hundred rows, yet ``import mlflow`` and opening its SQL store (SQLAlchemy, the
schema check, every plugin's entry point) cost two to three seconds before the first row. ``SqliteRuns`` answers the
three reads the monitor makes, in MLflow's own terms, from the tables MLflow's SQL store keeps (``runs``, ``tags``,
``params``, ``latest_metrics``, ``metrics``, ``experiments``):

- ``search_experiments()``: the active experiments;
- ``search_runs(ids, filter_string, max_results, order_by, page_token)``: active runs whose tags equal the values
  a filter of ``tags.`key` = 'value'`` clauses joined by ``and`` names (the only filters the monitor writes),
  newest first as MLflow orders them, each with its tags, params and latest metrics read in one query per table;
- ``get_metric_history(run_id, key)``: every value logged, NaN where MLflow stored ``is_nan``.

Anything else (a write such as ``set_tag``, artifacts, a filter of another shape) goes to a real ``MlflowClient``,
built on first use. Opened read-only (``mode=ro``): a reader never writes to, migrates or creates the store. A store
whose tables lack a column read here (another MLflow schema) is left to ``MlflowClient``: ``open_reader`` says None.
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

# one clause of the filters the monitor writes: tags.`sweep.kind` = 'parent' (a quote inside the value as \')
_CLAUSE = re.compile(r"tags\.`([^`]+)`\s*=\s*'((?:[^'\\]|\\.)*)'")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_ORDERS = {"attributes.start_time DESC": "DESC", "attributes.start_time ASC": "ASC"}
CHUNK = 500  # run ids per IN (...): under SQLite's limit on bound parameters
_PROBE = (
    "SELECT r.run_uuid, r.name, r.status, r.start_time, r.end_time, r.artifact_uri, r.experiment_id, "
    "r.lifecycle_stage FROM runs r LIMIT 0",
    "SELECT key, value, run_uuid FROM tags LIMIT 0",
    "SELECT key, value, run_uuid FROM params LIMIT 0",
    "SELECT key, value, step, timestamp, is_nan, run_uuid FROM latest_metrics LIMIT 0",
    "SELECT key, value, step, timestamp, is_nan, run_uuid FROM metrics LIMIT 0",
    "SELECT experiment_id, name, lifecycle_stage FROM experiments LIMIT 0",
)


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    run_name: str
    experiment_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str | None
    lifecycle_stage: str

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass
class RunData:
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int


class Page(list):
    """A page of runs, as MLflow's ``PagedList``: ``token`` is None on the last page."""

    def __init__(self, items, token: str | None = None):
        super().__init__(items)
        self.token = token


def open_reader(uri: str, file_uri: str) -> SqliteRuns | None:
    """A reader of the SQLite store ``uri``, opened through ``file_uri`` (read-only: ``SqliteCheck.file_uri``), or
    None when its tables are not the ones read here."""
    try:
        conn = sqlite3.connect(file_uri, uri=True, timeout=20, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        for query in _PROBE:
            conn.execute(query)
    except sqlite3.Error:
        conn.close()
        return None
    return SqliteRuns(uri, conn)


class SqliteRuns:
    """The reads of ``MlflowClient`` the monitor makes, on one read-only connection; the rest go to MLflow."""

    def __init__(self, uri: str, conn: sqlite3.Connection):
        self.tracking_uri = uri
        self.conn = conn
        self._client = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.mlflow_client(), name)

    def mlflow_client(self):
        """A real ``MlflowClient`` on the same store, for anything not read here (writes, artifacts)."""
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def search_experiments(self, max_results: int | None = None, **_ignored) -> list[Experiment]:
        rows = self.conn.execute(
            "SELECT experiment_id, name FROM experiments WHERE lifecycle_stage = 'active' ORDER BY experiment_id"
        ).fetchall()
        found = [Experiment(str(i), n) for i, n in rows]
        return found[:max_results] if max_results else found

    def search_runs(
        self,
        experiment_ids,
        filter_string: str = "",
        max_results: int = 1000,
        order_by=None,
        page_token: str | None = None,
        **others,
    ):
        clauses = _parse_filter(filter_string)
        order = _order(order_by)
        if clauses is None or order is None or others:
            return self.mlflow_client().search_runs(
                experiment_ids, filter_string, max_results=max_results, order_by=order_by, page_token=page_token
            )
        ids = [str(e) for e in experiment_ids]
        if not ids:
            return Page([])
        where = [f"r.experiment_id IN ({','.join('?' * len(ids))})", "r.lifecycle_stage = 'active'"]
        args: list[Any] = [*ids]
        for key, value in clauses:
            where.append("EXISTS (SELECT 1 FROM tags g WHERE g.run_uuid = r.run_uuid AND g.key = ? AND g.value = ?)")
            args += [key, value]
        rows = self.conn.execute(
            "SELECT r.run_uuid, r.name, r.experiment_id, r.status, r.start_time, r.end_time, r.artifact_uri, "
            f"r.lifecycle_stage FROM runs r WHERE {' AND '.join(where)} "
            f"ORDER BY r.start_time {order}, r.run_uuid",
            args,
        ).fetchall()
        start = int(page_token) if page_token else 0
        chosen = rows[start : start + max_results] if max_results else rows[start:]
        after = start + len(chosen)
        token = str(after) if after < len(rows) else None
        return Page(self._runs(chosen), token)

    def _runs(self, rows) -> list[Run]:
        runs = {r[0]: Run(RunInfo(r[0], r[1] or "", str(r[2]), r[3], r[4], r[5], r[6], r[7]), RunData()) for r in rows}
        ids = list(runs)
        for part in range(0, len(ids), CHUNK):
            chunk = ids[part : part + CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, value, run in self.conn.execute(
                f"SELECT key, value, run_uuid FROM tags WHERE run_uuid IN ({marks})", chunk
            ):
                runs[run].data.tags[key] = value
            for key, value, run in self.conn.execute(
                f"SELECT key, value, run_uuid FROM params WHERE run_uuid IN ({marks})", chunk
            ):
                runs[run].data.params[key] = value
            for key, value, is_nan, run in self.conn.execute(
                f"SELECT key, value, is_nan, run_uuid FROM latest_metrics WHERE run_uuid IN ({marks})", chunk
            ):
                runs[run].data.metrics[key] = math.nan if is_nan else float(value)
        return list(runs.values())

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        rows = self.conn.execute(
            "SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step",
            (run_id, key),
        ).fetchall()
        return [Metric(key, math.nan if nan else float(v), int(ts), int(step)) for v, ts, step, nan in rows]


def _order(order_by) -> str | None:
    """SQL's direction for MLflow's default order (newest first) or one ``attributes.start_time`` order; None for
    any other (MLflow answers it)."""
    if not order_by:
        return "DESC"
    return _ORDERS.get(order_by[0]) if len(order_by) == 1 else None


def _parse_filter(text: str) -> list[tuple[str, str]] | None:
    """The (tag, value) pairs of a filter of ``tags.`key` = 'value'`` clauses joined by ``and``; None for any other
    filter (MLflow answers it). Read clause by clause, so an ``and`` inside a quoted value is part of the value."""
    text, pairs, at = text.strip(), [], 0
    while at < len(text):
        if pairs:
            joint = _AND.match(text, at)
            if joint is None:
                return None
            at = joint.end()
        found = _CLAUSE.match(text, at)
        if found is None:
            return None
        pairs.append((found.group(1), re.sub(r"\\(.)", r"\1", found.group(2))))
        at = found.end()
    return pairs
