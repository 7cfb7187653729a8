"""What every command shares: the two consoles, loading the specs, and turning a UserError into one line and a code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

try:  # typer >= 0.2x carries its own click
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - older typer, on click itself
    from click import exceptions as _click_errors

from ..errors import SpecError, UserError
from . import codes

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def reported() -> Iterator[None]:
    """A UserError (or Ctrl-C) inside becomes its message on stderr and its exit code: never a traceback."""
    try:
        yield
    except UserError as e:
        err.print(str(e), markup=False, highlight=False)
        raise typer.Exit(codes.for_error(e)) from None
    except KeyboardInterrupt:
        err.print("interrupted", markup=False, highlight=False)
        raise typer.Exit(codes.INTERRUPTED) from None


class OneLineUsage(TyperGroup):
    """The `sweep` group, with a usage error (an unknown option, a number that is not one, a missing argument) said
    in one line naming the flag, and exit code 2, like every other refusal: not click's usage box."""

    def make_context(self, info_name, args, parent=None, **extra):
        with _one_line_usage():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        with _one_line_usage():
            return super().invoke(ctx)


@contextmanager
def _one_line_usage() -> Iterator[None]:
    try:
        yield
    except _click_errors.UsageError as e:
        if isinstance(e, getattr(_click_errors, "NoArgsIsHelpError", ())):
            raise  # `sweep` alone: the help, as asked
        err.print(usage_line(e), markup=False, highlight=False)
        raise typer.Exit(codes.BAD_INPUT) from None


def usage_line(error) -> str:
    """``--limit: Input should be a valid integer ...; see `sweep list --help``` : the flag first, then why."""
    param = getattr(error, "param", None)
    names = "/".join(getattr(param, "opts", None) or ()) if param is not None else ""
    if param is not None and param.param_type_name == "argument":
        names = (param.metavar or param.name or "").upper()
    possibilities = sorted(getattr(error, "possibilities", None) or ())
    if possibilities:  # an option misspelt: click's "(Possible options: ...)" as a did-you-mean
        line = f"{error.message}; did you mean {' or '.join(possibilities)}?"
    elif names and error.message:
        line = f"{names}: {error.message}"
    else:
        line = error.format_message()
    line = " ".join(line.split()).rstrip(".")  # one line, whatever the message held
    if possibilities or error.ctx is None:
        return line
    return f"{line}; see `{error.ctx.command_path} --help`"


def load_specs(paths: list[Path], overrides: list[str], *, pipelines: bool = False) -> list:
    """Every spec, loaded and validated; the problems of all of them in one SpecError. With ``pipelines``, a
    pipeline job file (``type: pipeline``) is loaded as one (``submit.pipeline``), else refused in one line."""
    from ..pipeline.load import load_job_file
    from ..spec.load import load_spec  # lazy: `sweep --help` loads no spec

    load = load_job_file if pipelines else load_spec
    specs, problems = [], []
    for path in paths:
        try:
            specs.append(load(path, overrides))
        except SpecError as e:
            problems.extend(e.problems)
    if problems:
        raise SpecError(problems)
    return specs


def show_warnings(specs, err: Console) -> None:
    """Each spec's warnings on stderr, as `sweep validate` prints them (stdout stays the job YAML or the JSON)."""
    for spec in specs:
        for warning in spec.warnings:
            # the warning quotes the user's text (a choice value may read "[red]"): never parsed as markup
            err.print(Text.assemble(("warning", "yellow"), " ", warning), highlight=False)
