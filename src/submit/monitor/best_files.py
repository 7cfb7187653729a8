"""The best trial's files and model, wherever the sweep lives: what was downloaded or registered, the folder to
download into, the lineage tags a registered model carries, and where a run keeps its ``MLmodel``.

Shared by the local sweep's ``best`` and the cloud sweep's ``cloud_best``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .record import MonitorInputError, SweepSummary, TrialRecord


@dataclass(frozen=True)
class Downloaded:
    folder: Path
    files: list[str]  # relative to folder

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "files": self.files}


@dataclass(frozen=True)
class Registered:
    name: str
    version: str
    source: str

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "source": self.source}


def download_folder(folder: str | Path) -> Path:
    """The folder to download into, checked before anything is read: not a file, its parent there."""
    target = Path(folder).expanduser()
    if target.exists() and not target.is_dir():
        raise MonitorInputError(f"--download {folder}: is a file; give a folder")
    if not target.parent.is_dir():
        raise MonitorInputError(f"--download {folder}: the folder {target.parent} does not exist")
    return target


def files_under(target: Path) -> Downloaded:
    return Downloaded(target, sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()))


def lineage_tags(summary: SweepSummary, best: TrialRecord) -> dict[str, str]:
    """Where a registered model came from: the sweep, the trial, its run, parameters and primary metric."""
    return {
        "sweep.name": summary.name,
        "sweep.trial": best.name,
        "sweep.run_id": best.run_id,
        "sweep.primary_metric": summary.primary_metric,
        "sweep.value": repr(best.best),
        "sweep.params": json.dumps(best.params, sort_keys=True, default=str)[:5000],
    }


def mlmodel_folder(client, run_id: str) -> str | None:
    """The artifact folder of the first ``MLmodel`` file among a run's artifacts ("" for the root), or None."""
    pending = [""]
    while pending:
        path = pending.pop()
        for item in sorted(client.list_artifacts(run_id, path), key=lambda i: i.path):
            if item.is_dir:
                pending.append(item.path)
            elif Path(item.path).name == "MLmodel":
                parent = Path(item.path).parent.as_posix()
                return "" if parent == "." else parent
    return None
