r"""YAML read safely: PyYAML's safe loader with its nesting bounded and its aliases expanded against a budget.

PyYAML has no depth or alias limit (reference: pyyaml#235): 5,000 nested ``[`` overflow Python's stack, and a few
hundred bytes of aliases expand to ~10^9 nodes when walked. As go-yaml does since CVE-2019-11253, nesting is bounded
and aliases are expanded against a budget, before anything walks the tree. Used for a spec file and for each
``--set`` value alike.

>>> parse_yaml("a: &x [1, 2]\nb: *x")[1]
{'a': [1, 2], 'b': [1, 2]}
>>> parse_yaml("[" * 500)
Traceback (most recent call last):
...
submit.spec.yaml_read.YamlRefused: nested deeper than 100 levels; a sweep spec needs about 10

A key written twice in one mapping is refused too: PyYAML would keep the last silently.

>>> parse_yaml("a: 1\nb: 2\na: 3")
Traceback (most recent call last):
...
submit.spec.yaml_read.YamlRefused: the key `a` is written twice in one mapping (lines 1 and 3); YAML would keep only the last
"""

from __future__ import annotations

from typing import Any

import yaml

# A sweep spec nests about 10 levels deep (nested choices add 3 a level); 100 is far past any real one and far below
# Python's recursion limit, which the composer and the validators would otherwise hit.
MAX_DEPTH = 100
# The nodes aliases may add when expanded, beyond those written: a spec reusing anchors needs hundreds; a bomb
# needs millions. Walking 100,000 nodes takes well under a second.
ALIAS_BUDGET = 100_000
_DEEP = f"nested deeper than {MAX_DEPTH} levels; a sweep spec needs about 10"
_BOMB = f"YAML aliases expand to more than {ALIAS_BUDGET:,} nodes beyond those written (an alias bomb?)"


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The YAML's node tree (for line numbers) and its data, parsed once; ``YamlRefused`` for a bomb, a key written
    twice in one mapping, or bad YAML (a NUL byte included)."""
    try:
        loader = _BoundedLoader(text)  # the reader refuses control characters (a NUL) here, before any parsing
    except yaml.reader.ReaderError as e:
        raise YamlRefused(text.count("\n", 0, e.position) + 1, f"not valid YAML: {_reader_problem(e)}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_expansion(node, loader.nodes + ALIAS_BUDGET)
        return node, loader.construct_document(node)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        raise YamlRefused(mark.line + 1 if mark else None, f"not valid YAML: {problem}", syntax=True) from None
    except (ValueError, TypeError, OverflowError) as e:  # a tagged scalar the constructor cannot read (!!int x)
        raise YamlRefused(None, f"not valid YAML: {e}") from None
    finally:
        loader.dispose()


def _reader_problem(error: yaml.reader.ReaderError) -> str:
    """PyYAML's words for a character it cannot read, without its "in <unicode string>, position N"."""
    return str(error).split("\n", 1)[0]


class YamlRefused(Exception):
    """The YAML cannot be read: ``message`` says why, ``line`` (1-based, or None) where; ``syntax`` for plain bad
    YAML (as opposed to a bomb or an unreadable tagged value)."""

    def __init__(self, line: int | None, message: str, *, syntax: bool = False):
        super().__init__(message)
        self.line, self.message, self.syntax = line, message, syntax


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
                raise YamlRefused(self.peek_event().start_mark.line + 1, _DEEP)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        _refuse_duplicate_keys(node)
        return node


def _refuse_duplicate_keys(node: yaml.MappingNode) -> None:
    """A key written twice in one mapping: PyYAML keeps the last silently (as azure-ai-ml's loader does), so a spec
    would run what it does not say; refused at both lines. Merge keys (``<<``) may repeat."""
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        first = seen.setdefault((key.tag, key.value), key)
        if first is not key:
            a, b = first.start_mark.line + 1, key.start_mark.line + 1
            lines = f"lines {a} and {b}" if a != b else f"both on line {a}"
            raise YamlRefused(
                key.start_mark.line + 1,
                f"the key `{key.value}` is written twice in one mapping ({lines}); YAML would keep only the last",
            )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_expansion(root: yaml.Node, budget: int) -> None:
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
                raise YamlRefused(line, _BOMB)
            if depth[key] > MAX_DEPTH:
                raise YamlRefused(line, _DEEP + " once its aliases are expanded")
            continue
        if key in size:
            continue
        if key in open_:  # an alias inside the node it names
            raise YamlRefused(node.start_mark.line + 1, "a YAML alias refers to a node that contains it")
        open_.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)
