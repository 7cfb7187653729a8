"""Tables that stay readable at 80 columns: the columns naming a row keep their width, the rest wrap below.

Rich fits a table that is too wide by shrinking every column, so with six parameters the rank and trial columns of
a leaderboard shrank to nothing and every parameter was cut to a few letters. Here the leading columns (what names a
row and its value) are laid out at full width, the other columns follow in their spec order while they fit, and the
ones that do not fit go to a continuation table below, keyed by the same naming columns, as a wrapped line would.
"""

from __future__ import annotations

import json

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..spec.space import render_value

# Rich's default box draws one border between and around columns, and pads each cell by one space on either side.
_BORDER, _PADDING = 1, 2

Column = tuple[str, list[str], str]  # header, cells (one a row), justify


def _width(column: Column) -> int:
    header, cells, _ = column
    return max([len(header), *(Text.from_markup(c).cell_len for c in cells)])  # as shown: markup is not drawn


def _table(columns: list[Column], title: str | None) -> Table:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col[0], justify=col[2], no_wrap=True, min_width=_width(col))
    for row in zip(*(cells for _, cells, _ in columns), strict=True):
        table.add_row(*row)
    return table


def _chunks(lead: list[Column], rest: list[Column], width: int, key: int) -> list[list[Column]]:
    """`rest` cut into runs: the first beside all of `lead`, empty if none fits there; the others beside its first
    `key` columns, each holding at least one column, however wide."""
    used = _BORDER + sum(_width(c) + _PADDING + _BORDER for c in lead)
    chunks: list[list[Column]] = [[]]
    room = width - used
    for col in rest:
        need = _width(col) + _PADDING + _BORDER
        if need > room and (chunks[-1] or len(chunks) == 1):
            chunks.append([])
            room = width - (_BORDER + sum(_width(c) + _PADDING + _BORDER for c in lead[:key]))
        chunks[-1].append(col)
        room -= need
    return chunks


def fitted_table(
    title: str, fixed: list[Column], optional: list[Column], width: int, *, key: int = 2, caption: str | None = None
) -> Group:
    """`fixed` columns and as many `optional` ones as fit `width`; the rest below, beside the first `key` columns
    (those that name a row: rank and trial in a leaderboard, the name in a listing).

    >>> key = [("#", ["1"], "right"), ("trial", ["0"], "right")]
    >>> g = fitted_table("t", key, [("a" * 40, ["x"], "left"), ("b" * 40, ["y"], "left")], 80)
    >>> [[c.header[:3] for c in t.columns] for t in g.renderables]
    [['#', 'tri', 'aaa'], ['#', 'tri', 'bbb']]
    """
    first, *more = _chunks(fixed, optional, width, key) if optional else [[]]
    tables = [_table(fixed + first, title)]
    tables += [_table(fixed[:key] + chunk, None) for chunk in more]
    if caption:
        tables[-1].caption, tables[-1].caption_justify = caption, "left"
    return Group(*tables)


def param_value(value) -> str:
    """One sampled value as every line names it: a float to 6 significant digits, a string quoted (a value with a
    space or comma stays one value), anything else as the spec writes it."""
    if isinstance(value, str):
        return json.dumps(value)
    return f"{value:.6g}" if isinstance(value, float) else render_value(value)


def param_values(params: dict) -> str:
    """A trial's values as ``C=1.45596, l1_ratio=1``: the plan, the preflight and a started trial's line alike."""
    return ", ".join(f"{k}={param_value(v)}" for k, v in params.items())
