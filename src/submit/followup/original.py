"""Where `sweep refine` finds the spec a sweep ran: recorded with a local sweep, or rebuilt from an Azure ML job.

- A local sweep: the emulator records the spec file's path (``sweep.spec``) and its text as it was when the sweep
  started (``sweep.spec_text``, up to an MLflow tag's 8,000 characters) on the parent run. The recorded text comes
  first: the file may have changed or moved since. Without it (a longer spec, or a sweep from before the text was
  recorded), the file at the recorded path, said to be read from there. The ``--set`` the sweep was started with
  (``sweep.overrides``) are then written into that text, each with a comment: the sweep ran the spec with them, and
  the trials are ranked by the objective it ran (a `--set objective.primary_metric=...` included).
- A cloud sweep: the job as the service holds it (``jobs.get``, its REST body read back by azure-ai-ml as a
  ``SweepJob``): trial command, code (the uploaded snapshot's ARM id), environment, compute, inputs, outputs,
  sampling, search space, objective, policy, limits. What the service added is left out: the job's name and id,
  status, services, the trials' values on its tags (``<sweep>_<i>``), its system properties.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..emulator.tags import TAG_OVERRIDES, TAG_SPACE, TAG_SPEC, TAG_SPEC_TEXT
from ..monitor.record import MonitorInputError
from ..spec.model import SCHEMA_URL

# the order a hand-written spec usually has; keys the job holds beyond these follow in the job's order
_ORDER = (
    "$schema",
    "type",
    "display_name",
    "experiment_name",
    "description",
    "compute",
    "trial",
    "inputs",
    "outputs",
    "sampling_algorithm",
    "search_space",
    "objective",
    "early_termination",
    "limits",
    "identity",
    "resources",
    "queue_settings",
    "tags",
    "properties",
)
# the service's own, not the user's: never part of a spec
_SERVICE_KEYS = ("name", "id", "status", "services", "creation_context", "parent_job_name")
_SYSTEM_PROPERTY = re.compile(r"^(azureml\.|mlflow\.|_aml_system|ContentSnapshotId|ProcessInfoFile|ProcessStatusFile)")


@dataclass(frozen=True)
class Original:
    """The spec a sweep ran, as text, and where its relative paths start."""

    text: str
    base_dir: Path | None  # the spec's folder (local); None for a rebuilt cloud spec, which holds no local path
    origin: str  # said in the output: where the text came from
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None  # the spec file the sweep ran, if it was one


def local_original(sweeps, name: str) -> Original:
    """The spec of local sweep ``name`` (``sweeps``: a ``LocalSweeps``)."""
    tags = sweeps.require(name).data.tags
    path = tags.get(TAG_SPEC)
    base = Path(path).parent if path else None
    text = tags.get(TAG_SPEC_TEXT)
    if text is not None:
        origin = f"the spec recorded with sweep {name}" + (f" ({path})" if path else "")
        return _overridden(Original(text, base, origin, path=Path(path) if path else None), tags.get(TAG_OVERRIDES))
    if path is None:
        raise MonitorInputError(
            f"sweep {name} recorded no spec (it was started from a spec given as text); "
            "nothing to refine from\n  hint: run it from a spec file with `sweep submit SPEC --local`"
        )
    from ..errors import SpecError
    from ..spec.load import read_spec_text

    try:
        text = read_spec_text(Path(path))  # bounded: the path may now name a FIFO or a huge file
    except SpecError as e:
        raise MonitorInputError(
            f"the spec of sweep {name} cannot be read ({e}); the sweep recorded its path only"
        ) from None
    warnings = []
    recorded = tags.get(TAG_SPACE)
    if recorded is not None and _space_tag(text, Path(path)) not in (None, recorded):
        warnings.append(
            f"{path} has changed since sweep {name} ran: its search space is not the one the sweep drew from"
        )
    original = Original(text, base, f"{path} (the spec file sweep {name} ran)", warnings, Path(path))
    return _overridden(original, tags.get(TAG_OVERRIDES))


def _overridden(original: Original, recorded: str | None) -> Original:
    """``original`` with the recorded ``--set`` written into its text, a comment above each key."""
    if not recorded:
        return original
    from ..errors import SpecError
    from ..spec.overrides import parse_override
    from .edits import Edit, apply_edits

    try:
        given = [str(o) for o in json.loads(recorded)]
        edits = [Edit(*parse_override(o), [f"--set {o} when the sweep was started"]) for o in given]
        text = apply_edits(original.text, edits)
    except (ValueError, TypeError, SpecError) as e:  # a tag written by hand: the text as the file has it
        why = f"the --set it was started with ({recorded[:200]}) cannot be applied: {e}"
        return replace(original, warnings=[*original.warnings, why])
    return replace(original, text=text, origin=f"{original.origin}, with {' '.join('--set ' + o for o in given)}")


def _space_tag(text: str, path: Path) -> str | None:
    from ..errors import SpecError
    from ..spec.load import parse_spec

    try:
        spec = parse_spec(text, source=str(path), path=path)
    except SpecError:
        return None
    return json.dumps(spec.search_space.to_yaml(), sort_keys=True, default=str)[:5000]


def cloud_original(cloud, name: str) -> Original:
    """The spec of cloud sweep ``name`` rebuilt from the job's REST body (``cloud``: a ``CloudSweeps``)."""
    job = cloud.job(name)
    try:
        data = json.loads(json.dumps(job._to_dict(), default=str))  # noqa: SLF001 - the SDK's own YAML shape
    except Exception as e:  # noqa: BLE001 - whatever the SDK trips on, the job cannot be written as a spec
        raise MonitorInputError(f"the spec of cloud sweep {name} cannot be rebuilt from its job: {e}") from None
    missing = [k for k in ("trial", "search_space", "objective", "limits") if not data.get(k)]
    if missing or not (data.get("trial") or {}).get("command"):
        what = ", ".join(missing) or "trial.command"
        raise MonitorInputError(f"the spec of cloud sweep {name} cannot be rebuilt from its job: it has no {what}")
    spec = _clean(data, name)
    body = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120)
    text = f"# rebuilt by `sweep refine` from the Azure ML job {name} (the job the service holds)\n{body}"
    return Original(text, None, f"the Azure ML job {name}, rebuilt from its REST body")


def _clean(data: dict[str, Any], name: str) -> dict[str, Any]:
    for key in _SERVICE_KEYS:
        data.pop(key, None)
    if data.get("display_name") == name:
        data.pop("display_name")  # the service's default, not the user's
    trial = data.get("trial") or {}
    for key in ("environment_variables",):
        if not trial.get(key):
            trial.pop(key, None)
    for key in ("inputs", "outputs", "properties"):
        if not data.get(key):
            data.pop(key, None)
    child = re.compile(rf"^(_aml_system_)?{re.escape(name)}_\d+$")
    tags = {k: v for k, v in (data.get("tags") or {}).items() if not child.match(k) and not k.startswith("_aml")}
    data.pop("tags", None)
    if tags:
        data["tags"] = tags
    properties = {k: v for k, v in (data.get("properties") or {}).items() if not _SYSTEM_PROPERTY.match(k)}
    data.pop("properties", None)
    if properties:
        data["properties"] = properties
    data["$schema"] = SCHEMA_URL
    ordered = {k: data[k] for k in _ORDER if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return ordered
