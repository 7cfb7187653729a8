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

from .checker import Checker, kind_of
from .errors import Problem, SpecError
from .model import SweepSpec
from .names import did_you_mean
from .overrides import apply_overrides
from .validate import validate

# A sweep spec nests about 10 levels deep (nested choices add 3 a level); 100 is far past any real one and far below
# Python's recursion limit, which the composer and the validators would otherwise hit.
MAX_DEPTH = 100
# The nodes aliases may add when expanded, beyond those written: a spec reusing anchors needs hundreds; a bomb
# needs millions. Walking 100,000 nodes takes well under a second.
ALIAS_BUDGET = 100_000
_DEEP = f"nested deeper than {MAX_DEPTH} levels; a sweep spec needs about 10"
_BOMB = f"YAML aliases expand to more than {ALIAS_BUDGET:,} nodes beyond those written (an alias bomb?)"


def load_spec(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> SweepSpec:
    """Load and validate a sweep spec; raises ``SpecError`` listing every problem found."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Problem(source, "", "no such file", _did_you_mean_file(path))]) from None
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
    """The YAML's node tree (for line numbers) and its data, parsed once; a bomb or a bad document is a SpecError.

    PyYAML has no depth or alias limit (reference: pyyaml#235): 5,000 nested ``[`` overflow Python's stack, and a
    few hundred bytes of aliases expand to ~10^9 nodes when walked. As go-yaml does since CVE-2019-11253, nesting is
    bounded and aliases are expanded against a budget, before anything walks the tree.
    """
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_expansion(node, loader.nodes + ALIAS_BUDGET, source)
        return node, loader.construct_document(node)
    except _TooDeep as e:
        raise SpecError([Problem(f"{source}:{e.line}", "", _DEEP)]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(e, "problem", None) or str(e)
        raise SpecError([Problem(where, "", f"not valid YAML: {problem}")]) from None
    except (ValueError, TypeError, OverflowError) as e:  # a tagged scalar the constructor cannot read (!!int x)
        raise SpecError([Problem(source, "", f"not valid YAML: {e}")]) from None
    finally:
        loader.dispose()


class _TooDeep(Exception):
    def __init__(self, line: int):
        self.line = line


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing to nest deeper than ``MAX_DEPTH`` while it composes, and counting the nodes."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent, index):
        self.depth += 1
        self.nodes += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_expansion(root: yaml.Node, budget: int, source: str) -> None:
    """Refuse a tree whose aliases, expanded, exceed ``budget`` nodes or ``MAX_DEPTH`` levels, or form a cycle.

    Each node is visited once (its expanded size and depth memoized), with an explicit stack: the check itself
    neither expands the aliases nor recurses.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            open_.discard(key)
            line = node.start_mark.line + 1
            if size[key] > budget:
                raise SpecError([Problem(f"{source}:{line}", "", _BOMB)])
            if depth[key] > MAX_DEPTH:
                raise SpecError([Problem(f"{source}:{line}", "", _DEEP + " once its aliases are expanded")])
            continue
        if key in size:
            continue
        if key in open_:  # an alias inside the node it names
            line = node.start_mark.line + 1
            raise SpecError([Problem(f"{source}:{line}", "", "a YAML alias refers to a node that contains it")])
        open_.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


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


def _did_you_mean_file(path: Path) -> str:
    folder = path.parent if path.parent.exists() else None
    if folder is None:
        return ""
    candidates = [p.name for p in folder.iterdir() if p.suffix in (".yml", ".yaml")]
    return did_you_mean(path.name, candidates)
