"""``--set KEY.PATH=VALUE``: any key of a spec overridden from the command line, the value read as YAML."""

from __future__ import annotations

from typing import Any

from ..errors import Problem, SpecError, key_path
from .yaml_read import YamlRefused, parse_yaml

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
        value = parse_yaml(raw)[1] if raw.strip() else ""
    except YamlRefused as e:
        if not e.syntax:  # a bomb, or a tagged value YAML cannot read (`!!int x`): refused, not taken as text
            raise SpecError([Problem("--set", key_path(parts), f"{e.message} in {raw[:40]!r}")]) from None
        value = raw  # not YAML (`python t.py --x: 1`): the text as typed
    return parts, value


def apply_override(data: dict, path: tuple, value: Any) -> set[tuple]:
    """Set ``value`` at ``path`` in the loaded YAML, creating the mappings on the way; returns the key paths it wrote.

    A list is indexed by a number and never grown; a scalar in a list cannot hold a key (``values.0.k`` on
    ``values: [3]``). A mapping created on the way, over a scalar or nothing, is the override's too: a problem there
    (``--set objective.goal.x=1`` makes ``goal`` a mapping) is reported as ``--set``, not at the spec's line.
    """
    written = {path}
    node = data
    for i, part in enumerate(path[:-1]):
        if isinstance(node, dict):
            nxt = node.get(part)
            if not isinstance(nxt, (dict, list)):
                nxt = node[part] = {}
                written.add(path[: i + 1])
        else:
            _check_index(node, path, i)
            nxt = node[part]
        node = nxt
    if not isinstance(node, dict):
        _check_index(node, path, len(path) - 1)
    node[path[-1]] = value
    return written


def _check_index(node: Any, path: tuple, i: int) -> None:
    """``node`` (reached by ``path[:i]``, not a mapping) takes ``path[i]`` only as a list takes an index in range."""
    inside, part = key_path(path[:i]), path[i]
    if not isinstance(node, list):
        message = f"cannot set `{part}` inside {inside}: it is {node!r}, not a mapping or a list"
        raise SpecError([Problem("--set", key_path(path), message)])
    if not isinstance(part, int):
        message = f"{inside} is a list: expected an index from 0 to {len(node) - 1}, found `{part}`"
        raise SpecError([Problem("--set", key_path(path), message, f"--set {inside}.0...=VALUE")])
    if part >= len(node):
        message = f"{inside} has {len(node)} item(s): index {part} is out of range (from 0 to {len(node) - 1})"
        raise SpecError([Problem("--set", key_path(path), message)])


def apply_overrides(data: dict, overrides) -> set[tuple]:
    """Apply each ``KEY.PATH=VALUE``; returns the key paths set, so problems there are reported as ``--set``."""
    overridden: set[tuple] = set()
    for text in overrides:
        key, value = parse_override(text)
        overridden |= apply_override(data, key, value)
    return overridden
