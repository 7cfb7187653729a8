"""Helpers for the Azure tests: the specs to check, REST-body comparison, and a recording Azure ML REST transport."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL = ROOT / "tests" / "fixtures" / "official"
SWEEP_SPECS = ROOT / "sweep_specs"


def parity_specs() -> list[Path]:
    """Every ready spec in sweep_specs/ (however many there are when the tests run) and every official fixture."""
    found = sorted(OFFICIAL.glob("*.yaml"))
    if SWEEP_SPECS.is_dir():
        found += sorted(p for p in SWEEP_SPECS.iterdir() if p.suffix in (".yaml", ".yml"))
    return found


def plain(value: Any) -> Any:
    """A REST body as plain JSON data; an inline (not yet registered) Environment as its YAML dict."""
    return json.loads(json.dumps(value, default=lambda o: {"<environment>": o._to_dict()}))


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Field-by-field differences, one line each: `properties.trial.command: ours 'a' != load_job 'b'`."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = []
        for key in list(ours) + [k for k in theirs if k not in ours]:
            sub = f"{path}.{key}" if path else key
            if key not in theirs:
                out.append(f"{sub}: only ours sends it: {ours[key]!r}")
            elif key not in ours:
                out.append(f"{sub}: only load_job sends it: {theirs[key]!r}")
            else:
                out += differences(ours[key], theirs[key], sub)
        return out
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [d for i, (a, b) in enumerate(zip(ours, theirs)) for d in differences(a, b, f"{path}[{i}]")]
    if ours != theirs or type(ours) is not type(theirs):
        return [f"{path}: ours {ours!r} != load_job {theirs!r}"]
    return []
