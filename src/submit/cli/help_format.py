"""How `--help` names what each option and argument takes, in the words click-based tools use.

Typer's own rendering shows the Python annotation: `--local <bool>` (a flag takes no value), `<list[Path]>`, a
required argument as `{specs}...`. The command and group classes here keep Typer's layout and change only those
words: a flag shows nothing after its name, an option shows TEXT, INTEGER, FLOAT or PATH (or the metavar it
declares), an argument its upper-case name (`SPEC...` for several), required arguments bare in the usage line and
optional ones in brackets, as click writes them.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import get_args, get_origin

from typer.core import TyperArgument, TyperCommand, TyperOption

from .common import OneLineUsage

# what a value of each annotation is called (click's names, which `--help` of most Python tools shows)
WORDS = {str: "TEXT", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}


def value_word(annotation) -> str:
    """TEXT, INTEGER, FLOAT, PATH; a list's element word (an option given several times takes one value each)."""
    if get_origin(annotation) in (list, tuple) and get_args(annotation):
        return value_word(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "PATH"
    return WORDS.get(annotation, "VALUE")


class ReadableOption(TyperOption):
    """An option whose type column says what to type after it, and nothing for a flag."""

    def display_type_rich(self, ctx) -> str | None:
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        desc = self.type_descriptor
        if desc.is_choice and desc.choices:
            return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
        return value_word(desc.annotation)


class ReadableArgument(TyperArgument):
    """An argument named by its metavar (upper case, `...` for several), without a Python type beside it."""

    def display_type_rich(self, ctx) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        if self.nargs != 1 and not name.endswith("..."):
            name += "..."
        return name if self.required else f"[{name}]"


def _argument_metavar(argument: TyperArgument) -> str:
    name = argument.name.upper()
    if argument.nargs == 1:
        return name
    return (name[:-1] if name.endswith("S") and len(name) > 3 else name) + "..."  # SPECS -> SPEC...


def readable(param):
    """``param`` with the readable rendering (its class swapped for the subclass above: the same object, so
    Typer's parsing and callbacks are untouched)."""
    if type(param) is TyperOption:
        param.__class__ = ReadableOption
    elif type(param) is TyperArgument:
        if param.metavar is None:
            param.metavar = _argument_metavar(param)
        param.__class__ = ReadableArgument
    return param


class _ReadableHelp:
    """Its `--help` option renders readably (a flag: nothing after it)."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        return readable(option) if option is not None else None


class ReadableCommand(_ReadableHelp, TyperCommand):
    """A Typer command whose options and arguments, the help option included, render readably."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = [readable(p) for p in self.params]


class ReadableGroup(_ReadableHelp, OneLineUsage):
    """The `sweep` group (usage errors in one line, ``common.OneLineUsage``): its own `--help` renders as its
    commands' do."""
