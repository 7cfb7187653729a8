"""The `sweep` command: a thin Typer shell over the library. Commands parse, call, and render with rich.

One module per group of commands (``spec_commands``: validate; ``submit_command``: submit, with ``local_run`` and
``cloud_submit`` behind it); ``render`` and ``progress`` are what people read, ``shapes`` what programs read
(``--json``), ``codes`` the exit-code table. Nothing outside this package prints, imports typer or imports rich.
"""

from __future__ import annotations

import gc

import typer

from .codes import TABLE
from .spec_commands import validate
from .submit_command import submit

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Validate, submit and locally emulate Azure ML hyperparameter sweep jobs.",
    pretty_exceptions_enable=False,
    epilog="Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in TABLE) + ".",
)
app.command()(validate)
app.command()(submit)


def main() -> None:
    try:
        app()
    finally:
        # the interpreter's last garbage collection walks every object MLflow's import made: ~0.7 s of a local
        # sweep's exit; frozen objects are left out of it (atexit handlers and stream flushing still run)
        gc.freeze()


__all__ = ["app", "main"]
