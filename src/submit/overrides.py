"""``--set KEY.PATH=VALUE``: any key of a spec overridden from the command line, the value read as YAML."""

from __future__ import annotations

from typing import Any

import yaml

from .errors import Problem, SpecError, key_path

_EXAMPLE = "--set limits.max_total_trials=4"


def parse_override(text: str) -> tuple[tuple, Any]:
    """``limits.max_total_trials=4`` -> (("limits", "max_total_trials"), 4); the value is read as YAML.

    >>> parse_override("search_space.depth.values=[3, 5]")
    (('search_space', 'depth', 'values'), [3, 5])
    """
    if "=" not in text:
        raise SpecError([Problem("--set", "", f"expected KEY.PATH=VALUE, found {text!r}", _EXAMPLE)])
    key, raw = text.split("=", 1)
    parts = tuple(int(p) if p.isdigit() else p for p in key.strip().split("."))
    if not all(str(p) for p in parts):
        raise SpecError([Problem("--set", "", f"empty key in {text!r}", _EXAMPLE)])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return parts, value


def apply_override(data: dict, path: tuple, value: Any) -> None:
    """Set ``value`` at ``path`` in the loaded YAML, creating the mappings on the way."""
    node = data
    for i, part in enumerate(path[:-1]):
        nxt = node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
        if isinstance(node, dict):
            nxt = node.get(part)
            if not isinstance(nxt, (dict, list)):
                nxt = node[part] = {}
        elif nxt is None:
            raise SpecError([Problem("--set", key_path(path), f"cannot set inside {key_path(path[: i + 1])}")])
        node = nxt
    if isinstance(node, list):
        if not isinstance(path[-1], int) or path[-1] >= len(node):
            raise SpecError([Problem("--set", key_path(path), "list index out of range")])
    node[path[-1]] = value


def apply_overrides(data: dict, overrides) -> set[tuple]:
    """Apply each ``KEY.PATH=VALUE``; returns the key paths set, so problems there are reported as ``--set``."""
    overridden: set[tuple] = set()
    for text in overrides:
        key, value = parse_override(text)
        apply_override(data, key, value)
        overridden.add(key)
    return overridden
