r"""The trial command's grammar: ``${{kind.name}}`` references and Azure's optional ``$[[...]]`` segments.

A command is parsed once (``parse_command``) into its references, each knowing whether it sits inside an optional
segment; validation reads the references, the Azure builder rewrites them (``Command.rewrite``) and the emulator
renders them with a trial's values (``Command.render``).

>>> cmd = parse_command("python train.py --lr ${{search_space.lr}} $[[--data ${{inputs.data}}]]")
>>> [(r.kind, r.name, r.optional) for r in cmd.references]
[('search_space', 'lr', False), ('inputs', 'data', True)]
>>> cmd.render({"search_space": {"lr": 0.1}, "inputs": {}})
'python train.py --lr 0.1 '
>>> cmd.render({"search_space": {"lr": "a b"}, "inputs": {"data": "x.csv"}})
"python train.py --lr 'a b' --data x.csv"

A value is quoted for where its reference sits, so it reaches the script as the same text whatever quotes surround
the reference (``shell.quote_for``):

>>> print(parse_command("echo '${{search_space.v}}' \"${{search_space.v}}\"").render({"search_space": {"v": "$x"}}))
echo '$x' "\$x"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .shell import Context, quote_for, quoting_contexts
from .space import render_value

KINDS = ("search_space", "inputs", "outputs")
# ${{search_space.x}}; the SDK still accepts the legacy single-brace {search_space.x} (with a deprecation warning)
_REFERENCE = re.compile(
    r"\$\{\{\s*(search_space|inputs|outputs)\.([^\s}]+)\s*\}\}|(?<![{$])\{(search_space|inputs|outputs)\.([^\s}]+)\}"
)
# Azure's optional segment, `$[[--flag ${{inputs.x}}]]`: kept when its inputs are given. Plain brackets are the shell's
# (`[ "$x" = 1 ]`) and are left alone.
_OPTIONAL_SEGMENT = re.compile(r"\$\[\[(.*?)\]\]", re.S)


@dataclass(frozen=True)
class Reference:
    kind: str  # search_space | inputs | outputs
    name: str
    text: str  # as written, e.g. "${{ inputs.x }}" or the legacy "{inputs.x}"
    start: int
    end: int
    legacy: bool = False
    optional: bool = False  # inside a `$[[...]]` segment
    quoting: Context = "bare"  # the shell quoting it sits in: bare, single, double (or bash's $'...')

    @property
    def modern(self) -> str:
        """The reference in Azure's current spelling (a legacy single-brace one becomes ``${{kind.name}}``)."""
        return f"${{{{{self.kind}.{self.name}}}}}" if self.legacy else self.text


@dataclass(frozen=True)
class _Segment:
    start: int  # of `$[[`
    end: int  # after `]]`
    references: tuple[Reference, ...]


@dataclass(frozen=True)
class Command:
    text: str
    references: tuple[Reference, ...]
    segments: tuple[_Segment, ...]
    # each ``${{`` that opens no reference (unclosed, no name, an unknown kind), as written up to its ``}}``: Azure
    # would pass it to the shell as text, and bash fails on it at run time ("bad substitution")
    malformed: tuple[str, ...] = ()

    @property
    def legacy(self) -> bool:
        """Whether any reference uses the deprecated single-brace spelling."""
        return any(r.legacy for r in self.references)

    def names(self, kind: str) -> list[str]:
        """The names of ``kind`` referenced, in order (repeats kept)."""
        return [r.name for r in self.references if r.kind == kind]

    def render(self, values: Mapping[str, Mapping[str, Any]]) -> str:
        """The command with the given values substituted, shell-quoted.

        ``values`` maps "search_space", "inputs" and "outputs" to name -> value; a reference without a value is left
        as written. An optional segment is kept (without its brackets) when all its references have values, and
        dropped otherwise.
        """

        def given(ref: Reference) -> bool:
            return values.get(ref.kind, {}).get(ref.name) is not None

        def value_of(ref: Reference) -> str:
            if not given(ref):
                return ref.text
            # quoted for its place: a choice value such as "x; rm -rf ~" or "$(id)" reaches the script as literal
            # text, bare or inside the command's own quotes
            return quote_for(render_value(values[ref.kind][ref.name]), ref.quoting)

        def segment(seg: _Segment) -> str:
            if not all(given(r) for r in seg.references):
                return ""
            return self._substitute(seg.start + 3, seg.end - 2, seg.references, value_of)

        return self._join(value_of, segment)

    def rewrite(self, replace: Callable[[Reference], str]) -> str:
        """The command with every reference replaced by ``replace(reference)``; optional segments stay as written."""

        def segment(seg: _Segment) -> str:
            return "$[[" + self._substitute(seg.start + 3, seg.end - 2, seg.references, replace) + "]]"

        return self._join(replace, segment)

    def _join(self, reference: Callable[[Reference], str], segment: Callable[[_Segment], str]) -> str:
        parts, pos = [], 0
        outside = [r for r in self.references if not r.optional]
        for item in sorted([*outside, *self.segments], key=lambda x: x.start):
            if item.start < pos:  # a reference straddling a segment's brackets: the segment wins
                continue
            parts.append(self.text[pos : item.start])
            parts.append(reference(item) if isinstance(item, Reference) else segment(item))
            pos = item.end
        parts.append(self.text[pos:])
        return "".join(parts)

    def _substitute(self, start: int, end: int, refs, replace: Callable[[Reference], str]) -> str:
        parts, pos = [], start
        for ref in refs:
            parts.append(self.text[pos : ref.start])
            parts.append(replace(ref))
            pos = ref.end
        parts.append(self.text[pos:end])
        return "".join(parts)


@lru_cache(maxsize=64)
def parse_command(text: str) -> Command:
    """The command's references and optional segments, found once."""
    segments = [(m.start(), m.end()) for m in _OPTIONAL_SEGMENT.finditer(text)]
    refs = []
    matches = list(_REFERENCE.finditer(text))
    contexts = quoting_contexts(text, [(m.start(), m.end()) for m in matches])
    for m, quoting in zip(matches, contexts, strict=True):
        legacy = m.group(1) is None
        kind, name = (m.group(3), m.group(4)) if legacy else (m.group(1), m.group(2))
        # a reference straddling a segment's brackets belongs to neither side; it is treated as outside
        inside = any(s + 3 <= m.start() and m.end() <= e - 2 for s, e in segments)
        refs.append(
            Reference(kind, name, m.group(0), m.start(), m.end(), legacy=legacy, optional=inside, quoting=quoting)
        )
    segs = tuple(
        _Segment(s, e, tuple(r for r in refs if r.optional and s <= r.start and r.end <= e)) for s, e in segments
    )
    opened = {m.start() for m in matches if m.group(1) is not None}
    malformed = tuple(_written(text, m.start()) for m in re.finditer(r"\$\{\{", text) if m.start() not in opened)
    return Command(text, tuple(refs), segs, malformed)


def _written(text: str, start: int) -> str:
    """The text of a ``${{`` that opens no reference, to its ``}}`` (or the end of its word, when never closed)."""
    close = text.find("}}", start)
    word = re.match(r"\S*", text[start:]).group(0)
    return text[start : close + 2] if close != -1 and close + 2 <= start + len(word) else word
