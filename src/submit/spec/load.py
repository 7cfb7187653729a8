"""A sweep spec file -> the validated model: read, parse with line numbers, apply ``--set``, validate.

>>> spec = parse_spec('''
... type: sweep
... trial:
...   command: python t.py --lr ${{search_space.lr}}
...   environment: azureml:sklearn@latest
... search_space: {lr: {type: uniform, min_value: 0.01, max_value: 0.1}}
... sampling_algorithm: random
... objective: {goal: maximize, primary_metric: accuracy}
... limits: {max_total_trials: 4}
... ''', overrides=["limits.max_total_trials=8"])
>>> spec.limits.max_total_trials, spec.objective.goal
(8, 'maximize')
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, SpecError
from .model import SweepSpec
from .names import did_you_mean
from .overrides import apply_overrides
from .validate.checker import Checker, kind_of
from .validate.sweep import validate
from .yaml_read import YamlRefused, parse_yaml

# A sweep spec is a few kilobytes and a pipeline with its components tens; a megabyte is far past any real one, and
# PyYAML parses one in about a second (50 MB took minutes).
MAX_SPEC_BYTES = 1_000_000


def load_spec(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> SweepSpec:
    """Load and validate a sweep spec; raises ``SpecError`` listing every problem found."""
    path = Path(path)
    text = read_spec_text(path)
    return parse_spec(text, source=str(path), path=resolved(path), overrides=overrides)


def read_spec_text(path: Path, what: str = "a sweep spec YAML file") -> str:
    """The text of a spec (or pipeline, or component) file, refused in one line unless it is a regular file of at
    most ``MAX_SPEC_BYTES``: a FIFO or a device (``/dev/zero``) would block or never end, and PyYAML, pure Python,
    takes about a second a megabyte. The file is opened without blocking and read no further than the bound."""
    _refuse_unless_regular(path, what)
    data = _read_bounded(path, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SpecError([Problem(f"{path}:{line}", "", f"not UTF-8 text: {e.reason} at byte {e.start}")]) from None


def _refuse_unless_regular(path: Path, what: str) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SpecError([Problem(str(path), "", "no such file", did_you_mean_file(path))]) from None
    except OSError as e:
        raise SpecError([Problem(str(path), "", f"cannot read: {e.strerror or e}")]) from None
    if stat.S_ISDIR(mode):
        raise SpecError([Problem(str(path), "", f"is a folder, expected {what}")])
    if not stat.S_ISREG(mode):
        raise SpecError([Problem(str(path), "", f"is not a regular file ({_kind_of_file(mode)}), expected {what}")])


def _read_bounded(path: Path, what: str) -> bytes:
    """At most ``MAX_SPEC_BYTES`` of ``path``, opened without blocking (it may have become a FIFO since its stat)."""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise SpecError([Problem(str(path), "", f"is not a regular file, expected {what}")])
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as e:
        raise SpecError([Problem(str(path), "", f"cannot read: {e.strerror or e}")]) from None
    if len(data) > MAX_SPEC_BYTES:
        size = f"larger than {MAX_SPEC_BYTES // 1_000_000} MB"
        raise SpecError([Problem(str(path), "", f"{size}, expected {what} (a sweep spec is a few kilobytes)")])
    return data


def _kind_of_file(mode: int) -> str:
    kinds = {stat.S_ISFIFO: "a named pipe", stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device"}
    return next((name for test, name in kinds.items() if test(mode)), "a socket" if stat.S_ISSOCK(mode) else "?")


def resolved(path: Path) -> Path:
    """``path`` made absolute with its symlinks followed where they can be (a loop stays as written)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return path.absolute()


def parse_spec(text: str, *, source: str = "<spec>", path: Path | None = None, overrides=()) -> SweepSpec:
    """Validate a spec given as text; ``source`` names it in messages, ``path`` is where its relative paths start."""
    node, data = read_yaml(text, source)
    if data is None:
        raise SpecError([Problem(source, "", "the file is empty; expected a sweep job (type: sweep, trial, ...)")])
    if not isinstance(data, dict):
        raise SpecError(
            [Problem(f"{source}:1", "", f"expected a mapping (a sweep job with type: sweep), found {kind_of(data)}")]
        )
    overridden = apply_overrides(data, overrides)
    check = Checker(source, line_map(node) if node is not None else {}, overridden)
    spec = validate(data, check, path)
    if check.problems or spec is None:
        raise SpecError(check.problems)
    return dataclasses.replace(spec, overrides=tuple(overrides)) if overrides else spec


def read_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The YAML's node tree (for line numbers) and its data, parsed once; a bomb or a bad document is a SpecError."""
    try:
        return parse_yaml(text)
    except YamlRefused as e:
        where = f"{source}:{e.line}" if e.line else source
        raise SpecError([Problem(where, "", e.message)]) from None


def line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Key path -> 1-based line of the key (or of the item, in sequences)."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            sub = path + (str(key_node.value),)
            out[sub] = key_node.start_mark.line + 1
            line_map(value_node, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            line_map(item, path + (i,), out)
    return out


def did_you_mean_file(path: Path) -> str:
    folder = path.parent if path.parent.exists() else None
    if folder is None:
        return ""
    candidates = [p.name for p in folder.iterdir() if p.suffix in (".yml", ".yaml")]
    return did_you_mean(path.name, candidates)
