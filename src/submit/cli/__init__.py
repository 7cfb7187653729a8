"""The `sweep` command: a thin Typer shell over the library. Commands parse, call, and render with rich.

One module per group of commands: ``spec_commands`` validate; ``plan_command`` plan and the preflight;
``submit_command`` submit, with ``local_run``, ``cloud_submit`` and ``continue_command`` behind it; ``monitor`` list,
status, cancel, best, report, and ``with_places``, the options that say where a sweep is; ``watch_command``,
``export_command``, ``refine_command``; ``analysis`` whatif and diff. ``render``, ``monitor_render``, ``tables`` and
``progress`` are what people read, ``shapes`` what programs read (``--json``), ``codes`` the exit-code table. Nothing
outside this package prints, imports typer or imports rich.
"""

from __future__ import annotations

import gc

import typer

from .analysis import COMMANDS as ANALYSIS_COMMANDS
from .codes import TABLE
from .export_command import export
from .monitor import COMMANDS as MONITOR_COMMANDS
from .plan_command import plan
from .refine_command import refine
from .spec_commands import validate
from .submit_command import submit
from .watch_command import watch

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Validate, submit and locally emulate Azure ML hyperparameter sweep jobs.",
    pretty_exceptions_enable=False,
    epilog="Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in TABLE) + ".",
)
app.command()(validate)
app.command()(submit)
app.command()(plan)
app.command()(refine)
for _name, _command in MONITOR_COMMANDS.items():
    app.command(_name)(_command)
app.command("watch")(watch)
app.command("export")(export)
for _name, _command in ANALYSIS_COMMANDS.items():  # whatif, diff
    app.command(_name)(_command)


def main() -> None:
    try:
        app()
    finally:
        # the interpreter's last garbage collection walks every object MLflow's import made: ~0.7 s of a local
        # sweep's exit; frozen objects are left out of it (atexit handlers and stream flushing still run)
        gc.freeze()


__all__ = ["app", "main"]
