r"""Edits to a spec's YAML text that leave every other line as it was: comments, layout, key order, quoting.

The text is parsed once with the same reader ``spec.load`` uses (PyYAML's nodes carry each key's and value's
position), and each edit replaces only the changed value's characters, with comment lines above its key saying
why. A value inside a flow mapping (``search_space: {lr: {...}, k: {...}}``) cannot take a comment of its own, so
the nearest mapping written in flow style is rewritten in block style, one key a line. A key that is missing is
added at the end of its mapping. The result is parsed again and must hold exactly the data asked for; if it does
not (YAML this editor does not handle), the spec is written afresh from the data, comments above each change kept.

This is chosen over a round-trip YAML library (ruamel.yaml): that would be a new dependency, and it re-indents
sequences and re-flows long lines of the parts it does not change.

>>> print(apply_edits("a: 1  # one\nb: {x: 1, y: 2}\n", [Edit(("b", "y"), 3, ["y was 2"])]), end="")
a: 1  # one
b:
  x: 1
  # refine: y was 2
  y: 3
"""

from __future__ import annotations

import copy
import textwrap
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..spec.yaml_read import parse_yaml

PREFIX = "# refine: "
WIDTH = 118


@dataclass(frozen=True)
class Edit:
    path: tuple[str, ...]
    value: Any  # plain data, as yaml.safe_load gives it
    comment: list[str] = field(default_factory=list)  # the lines written above the key, without "# "


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with each edit's value set at its path, and its comment above the key."""
    node, data = parse_yaml(text)
    new_data = copy.deepcopy(data)
    for e in edits:
        _set(new_data, e.path, e.value)
    comments = {e.path: e.comment for e in edits}
    try:
        out = _edit_text(text, node, new_data, edits, comments)
        if parse_yaml(out)[1] == new_data:
            return out
    except _Unhandled:
        pass
    return _fresh(new_data, comments)


class _Unhandled(Exception):
    pass


def _edit_text(text: str, root, new_data: dict, edits: list[Edit], comments: dict) -> str:
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise _Unhandled
    anchors: list[tuple] = []
    for e in edits:
        a = _anchor(root, e.path)
        if a not in anchors:
            anchors.append(a)
    # an anchor inside another one is rendered with it
    anchors = [a for a in anchors if not any(b != a and a[: len(b)] == b for b in anchors)]
    spans = [_span(text, root, a, new_data, comments) for a in anchors]
    for start, end, replacement in sorted(spans, key=lambda s: s[0], reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _pairs(node) -> dict[str, tuple]:
    return {str(k.value): (k, v) for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def _anchor(root, path: tuple) -> tuple:
    """The path to re-render for an edit at ``path``: itself, a flow mapping above it, or a key to add."""
    node = root
    for i, key in enumerate(path):
        if node.flow_style and i > 0:
            return path[:i]
        pairs = _pairs(node)
        if key not in pairs:
            return path[: i + 1]
        node = pairs[key][1]
        if i < len(path) - 1 and not isinstance(node, yaml.MappingNode):
            return path[: i + 1]
    return path


def _lookup(root, path: tuple):
    """(parent mapping node, key node, value node) at ``path``; key and value None when the key is missing."""
    node = root
    for key in path[:-1]:
        node = _pairs(node)[key][1]
    found = _pairs(node).get(path[-1])
    return (node, *found) if found else (node, None, None)


def _span(text: str, root, path: tuple, new_data: dict, comments: dict) -> tuple[int, int, str]:
    parent, key, value = _lookup(root, path)
    new_value = _get(new_data, path)
    if key is None:  # a key to add at the end of its (block) mapping; at the end of the file for a top-level one
        indent = parent.value[0][0].start_mark.column if parent.value else 0
        at = _line_end(text, _end(parent.value[-1][1])) if parent is not root and parent.value else len(text)
        lines = _comments_under(comments, path, indent) + [" " * indent + f"{_flow(path[-1])}: {_flow(new_value)}"]
        prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
        return at, at, prefix + "".join(line + "\n" for line in lines)
    if key.start_mark.line != _line_start_line(text, key):
        raise _Unhandled  # a key that does not start its line (a sequence item's first key)
    colon = text.index(":", key.end_mark.index) + 1
    indent = key.start_mark.column
    deeper = any(p != path and p[: len(path)] == path for p in comments)
    if deeper and isinstance(new_value, dict):
        body = []
        for k, v in new_value.items():
            body += _comments_under(comments, path + (k,), indent + 2)
            body.append(" " * (indent + 2) + f"{_flow(k)}: {_flow(v)}")
        replacement = "\n" + "\n".join(body)
        above = "".join(line + "\n" for line in _comment_lines(comments, path, indent))
    else:
        replacement = " " + _flow(new_value)
        above = "".join(line + "\n" for line in _comments_under(comments, path, indent))
    start_of_line = text.rfind("\n", 0, key.start_mark.index) + 1
    # two spans: the comment above the key's line, and the value; joined as one from the line's start
    return start_of_line, _end(value), above + text[start_of_line:colon] + replacement


def _line_start_line(text: str, key) -> int:
    start = text.rfind("\n", 0, key.start_mark.index) + 1
    return key.start_mark.line if not text[start : key.start_mark.index].strip() else -1


def _comments_under(comments: dict, path: tuple, indent: int) -> list[str]:
    """The comments of ``path`` and of every key inside it: one flow value carries them all above its key."""
    lines = []
    for p in comments:
        if p[: len(path)] == path:
            lines += _comment_lines(comments, p, indent)
    return lines


def _comment_lines(comments: dict, path: tuple, indent: int) -> list[str]:
    lines = []
    for note in comments.get(path, []):
        wrapped = textwrap.wrap(note, WIDTH - indent - len(PREFIX)) or [""]
        lines += [" " * indent + PREFIX + wrapped[0]] + [" " * indent + "#   " + w for w in wrapped[1:]]
    return lines


def _end(node) -> int:
    """Where a value's text ends: a block collection ends with its last item (not at the next key's line)."""
    if isinstance(node, yaml.ScalarNode) or node.flow_style or not node.value:
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            raise _Unhandled  # a block scalar's end is the next line's start
        return node.end_mark.index
    last = node.value[-1]
    return _end(last[1] if isinstance(node, yaml.MappingNode) else last)


def _line_end(text: str, index: int) -> int:
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _flow(value: Any) -> str:
    out = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**9, allow_unicode=True)
    return out.removesuffix("\n").removesuffix("\n...").strip()


def _get(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


def _set(data: dict, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        if not isinstance(data.get(key), dict):
            data[key] = {}
        data = data[key]
    data[path[-1]] = value


def _fresh(data: dict, comments: dict) -> str:
    """The spec written afresh from its data (block style), each changed key with its comment above it."""
    lines: list[str] = []

    def walk(value: Any, path: tuple, indent: int) -> None:
        for k, v in value.items():
            lines.extend(_comment_lines(comments, path + (k,), indent))
            if (
                isinstance(v, dict)
                and v
                and any(p[: len(path) + 1] == path + (k,) and len(p) > len(path) + 1 for p in comments)
            ):
                lines.append(" " * indent + f"{_flow(k)}:")
                walk(v, path + (k,), indent + 2)
            else:
                dumped = yaml.safe_dump({k: v}, sort_keys=False, allow_unicode=True, width=WIDTH).rstrip("\n")
                lines.extend(" " * indent + line for line in dumped.splitlines())

    walk(data, (), 0)
    return "\n".join(lines) + "\n"
