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


def load_spec(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> SweepSpec:
    """Load and validate a sweep spec; raises ``SpecError`` listing every problem found."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Problem(source, "", "no such file", did_you_mean_file(path))]) from None
    except IsADirectoryError:
        raise SpecError([Problem(source, "", "is a folder, expected a sweep spec YAML file")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError([Problem(source, "", f"cannot read: {e}")]) from None
    return parse_spec(text, source=source, path=path.resolve(), overrides=overrides)


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
    return spec


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
