"""`sweep export`: the trials of one or more sweeps as one table (CSV, JSON or Parquet), and their metric histories.

One row per trial with the same columns for a local and a cloud sweep (``TRIAL_COLUMNS``, then ``param.<name>`` for
every parameter of any exported sweep, then ``metric.<name>`` for every other metric's latest value). Nothing is
dropped: a value a trial does not have is empty (CSV) or null (JSON, Parquet), never a missing column; NaN and
infinities are kept as the values they are (CSV ``nan``/``inf``/``-inf``, which pandas reads back as floats; JSON the
strings ``"NaN"``/``"Infinity"``/``"-Infinity"``, as every `--json` of `sweep` writes them). Times are epoch
seconds (UTC). With histories, every value of every metric each trial logged, one row each (``HISTORY_COLUMNS``).
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .record import MonitorInputError, SweepSummary, _json_number

FORMATS = ("csv", "json", "parquet")
TRIAL_COLUMNS = (
    "sweep",
    "where",
    "trial",
    "index",
    "run_id",
    "status",
    "primary_metric",
    "goal",
    "final",
    "best",
    "values_logged",
    "started",
    "ended",
    "duration_s",
    "cancel_reason",
    "canceled_by_policy",
    "exit_code",
)
HISTORY_COLUMNS = ("sweep", "trial", "run_id", "metric", "step", "value", "timestamp")


@dataclass
class Exported:
    paths: list[Path]
    trials: int
    history_rows: int | None
    columns: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "paths": [str(p) for p in self.paths],
            "trials": self.trials,
            "history_rows": self.history_rows,
            "columns": self.columns,
        }


def trial_rows(summaries: list[SweepSummary]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns, and one row per trial of every sweep (every column in every row, None where missing)."""
    params: dict[str, None] = {}
    metrics: dict[str, None] = {}
    for s in summaries:
        params.update(dict.fromkeys(s.parameter_names))
        for t in s.trials:
            metrics.update(dict.fromkeys(k for k in t.metrics if k != s.primary_metric))
    columns = [*TRIAL_COLUMNS, *(f"param.{p}" for p in params), *(f"metric.{m}" for m in sorted(metrics))]
    rows = []
    for s in summaries:
        for t in s.by_index():
            row = dict.fromkeys(columns)
            row.update(
                sweep=s.name,
                where=s.where,
                trial=t.name,
                index=t.index,
                run_id=t.run_id,
                status=t.status,
                primary_metric=s.primary_metric,
                goal=s.goal,
                final=t.final,
                best=t.best,
                values_logged=len(t.history),
                started=t.started,
                ended=t.ended,
                duration_s=t.duration,
                cancel_reason=t.cancel_reason,
                canceled_by_policy=t.canceled_by_policy,
                exit_code=t.exit_code,
            )
            row.update({f"param.{k}": v for k, v in t.params.items()})
            row.update({f"metric.{k}": v for k, v in t.metrics.items() if k != s.primary_metric})
            rows.append(row)
    return columns, rows


def history_rows(pairs) -> list[dict[str, Any]]:
    """Every value of every metric each trial logged: ``pairs`` are (source, summary); the source reads each
    metric's history (``history(run_id, metric)``), the summary names the trials and their metrics."""
    rows = []
    for source, s in pairs:
        for t in s.by_index():
            for metric in sorted({s.primary_metric, *t.metrics} - {""}):
                points = t.history if metric == s.primary_metric and s.histories_read else None
                if points is None:
                    points = source.history(t.run_id, metric)
                rows += [
                    {
                        "sweep": s.name,
                        "trial": t.name,
                        "run_id": t.run_id,
                        "metric": metric,
                        "step": p.step,
                        "value": p.value,
                        "timestamp": p.timestamp,
                    }
                    for p in points
                ]
    return rows


def export(pairs, path: Path, fmt: str, histories: bool = False) -> Exported:
    """Write the trials of every (source, summary) to ``path`` in ``fmt``; with ``histories``, their metric values
    too: in the same JSON document, or beside the table as ``<stem>.histories.<ext>`` (CSV, Parquet)."""
    if fmt not in FORMATS:
        raise MonitorInputError(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise MonitorInputError(f"cannot write {path}: the folder {path.parent} does not exist")
    pairs = list(pairs)
    columns, rows = trial_rows([s for _, s in pairs])
    history = history_rows(pairs) if histories else None
    paths = [path]
    if fmt == "json":
        body: dict[str, Any] = {"columns": columns, "trials": [_jsonable(r) for r in rows]}
        if history is not None:
            body["histories"] = [_jsonable(r) for r in history]
        _written(path, lambda p: p.write_text(json.dumps(body, indent=1, allow_nan=False) + "\n"))
    else:
        write = _csv if fmt == "csv" else _parquet
        _written(path, lambda p: write(p, columns, rows))
        if history is not None:
            side = path.with_name(f"{path.stem}.histories{path.suffix or '.' + fmt}")
            _written(side, lambda p: write(p, list(HISTORY_COLUMNS), history))
            paths.append(side)
    return Exported(paths, len(rows), None if history is None else len(history), columns)


def _written(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` into a new file beside ``path``, then renamed over it: a folder that cannot be written (read-only,
    full) is one line naming -o, and never leaves a half-written file or an emptied old one behind."""
    if path.is_dir():
        raise MonitorInputError(f"-o {path}: is a folder; give a file name")
    temporary = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        temporary = Path(name)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600, made what a plain open would have made
        write(temporary)
        os.replace(temporary, path)
    except OSError as e:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise MonitorInputError(f"-o {path}: cannot write: {e.strerror or e}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _json_number(v) if isinstance(v, float) else v for k, v in row.items()}


def _csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return (
            repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def _parquet(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = {}
    for c in columns:
        values = [r.get(c) for r in rows]
        try:
            arrays[c] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # a parameter that is a number in one sweep and a string in another: a column holds one type
            arrays[c] = pa.array(
                [None if v is None else json.dumps(v) if not isinstance(v, str) else v for v in values]
            )
    pq.write_table(pa.table(arrays) if rows else pa.table({c: pa.array([], pa.null()) for c in columns}), path)
