"""What every command shares: the two consoles, loading the specs, and turning a UserError into one line and a code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

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
