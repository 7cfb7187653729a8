r"""The shell's quoting rules, as far as a trial command needs them: where a reference sits, and how to quote a value there.

A trial command is run by bash. A reference may be written bare (``--lr ${{search_space.lr}}``), inside single quotes
(``'${{search_space.v}}'``) or inside double quotes (``"--tag=${{search_space.v}}"``); the value must reach the
script as the same literal text in each case, so it is quoted for the place it lands in (``quote_for``), never twice.

>>> text = "t.py ${{v}} '${{v}}' \"${{v}}\""
>>> quoting_contexts(text, [(5, 11), (13, 19), (22, 28)])
['bare', 'single', 'double']
>>> for context in ("bare", "single", "double"):
...     print(quote_for("it's $(x)", context))
'it'"'"'s $(x)'
it'\''s $(x)
it's \$(x)
"""

from __future__ import annotations

import re
import shlex
from typing import Literal

# "brace": inside `${...}` within double quotes (`"${X:-${{search_space.v}}}"`), where `}` also ends the expansion
Context = Literal["bare", "single", "double", "brace", "ansi"]

# what ends a word, so a `#` after one of these starts a comment
_WORD_BREAK = " \t\n;&|()<>"
# the characters that keep their meaning inside double quotes (bash manual, "Double Quotes")
_DOUBLE_SPECIAL = re.compile(r'([\\$`"])')


def quoting_contexts(text: str, spans: list[tuple[int, int]]) -> list[Context]:
    """The quoting each ``(start, end)`` span of ``text`` sits in, scanning ``text`` as bash reads it.

    The spans are the references: they are skipped over, not read as shell text. Nesting is followed
    (``"$(echo '${{x}}')"`` puts the reference in single quotes inside a command substitution); an unterminated quote
    leaves what follows in it, where bash would refuse the command anyway.
    """
    starts = dict(spans)
    found: dict[int, Context] = {}
    stack: list[str] = []  # open constructs: ' $' " $( ( ` ${
    i, n = 0, len(text)
    while i < n:
        if i in starts:
            found[i] = _context(stack)
            i = starts[i]
            continue
        i = _step(text, i, stack, starts, found)
    return [found.get(start, "bare") for start, _ in spans]


def _step(text: str, i: int, stack: list[str], starts: dict[int, int], found: dict[int, Context]) -> int:
    """Read the construct at ``i``, updating ``stack``; returns where the next one starts."""
    c, top = text[i], (stack[-1] if stack else None)
    if top == "'":
        if c == "'":
            stack.pop()
        return i + 1
    if c == "\\":  # escapes the next character, in $'...', in double quotes and bare
        return i + 2
    if top == "$'":
        if c == "'":
            stack.pop()
        return i + 1
    two = text[i : i + 2]
    if two in ("$(", "${"):
        stack.append(two)
        return i + 2
    if top == '"':
        if c == '"':
            stack.pop()
        elif c == "`":
            stack.append("`")
        return i + 1
    if two == "$'":
        stack.append("$'")
        return i + 2
    if c in "'\"(":
        stack.append(c)
    elif c == "`":
        if top == "`":
            stack.pop()
        else:
            stack.append("`")
    elif (c == ")" and top in ("(", "$(")) or (c == "}" and top == "${"):
        stack.pop()
    elif c == "#" and (i == 0 or text[i - 1] in _WORD_BREAK):
        end = text.find("\n", i)
        end = len(text) if end < 0 else end
        for start in starts:  # a reference in a comment: the shell never reads it
            if i < start < end:
                found[start] = "bare"
        return end
    return i + 1


def _context(stack: list[str]) -> Context:
    # `${...}` and `( ... )` take the quoting of what encloses them; `$(...)` and backticks start a fresh command
    brace = False
    for item in reversed(stack):
        if item == "'":
            return "single"
        if item == "$'":
            return "ansi"
        if item == '"':
            return "brace" if brace else "double"
        if item in ("$(", "`"):
            return "bare"
        brace = brace or item == "${"
    return "bare"


def quote_for(value: str, context: Context) -> str:
    """``value`` written so that, in ``context``, the shell reads it back as exactly ``value``."""
    if context == "single":
        return value.replace("'", "'\\''")  # close the quote, an escaped quote, reopen
    if context in ("double", "brace"):
        # in "${X:-...}" an odd `'` still makes bash look for its pair: the command is refused, nothing runs
        escaped = _DOUBLE_SPECIAL.sub(r"\\\1", value)
        return escaped.replace("}", "\\}") if context == "brace" else escaped
    if context == "ansi":
        return value.replace("\\", "\\\\").replace("'", "\\'")
    return shlex.quote(value)


def azure_hazard(value: str, context: Context) -> str | None:
    """What Azure's shell would do to ``value`` substituted raw in ``context``, or None when it reads it unchanged.

    Azure ML pastes the value's text into the command as is (no quoting), so the shell then splits or expands it.
    """
    if context == "single":
        return "its `'` ends the quotes around it" if "'" in value else None
    if context != "bare":
        special = {"double": '\\$`"', "brace": "\\$`\"}'", "ansi": "\\'"}[context]
        found = sorted({c for c in value if c in special})
        return f"the shell expands its {', '.join(f'`{c}`' for c in found)} inside the quotes" if found else None
    if not value:
        return "an empty value disappears from the command"
    if re.search(r"\s", value):
        return "the shell splits it at its spaces"
    if not re.fullmatch(r"[\w@%+=:,./-]+", value):
        return "the shell reads its " + ", ".join(f"`{c}`" for c in sorted(set(re.sub(r"[\w@%+=:,./-]", "", value))))
    return None
