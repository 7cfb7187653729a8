"""The `sweep` command: a thin Typer shell over the library. Commands parse, call, and render with rich.

Commands, one module per group: ``spec_commands`` validate (with ``env_check``, the environment check's lines);
``plan_command`` plan and the preflight; ``submit_command`` submit, with ``local_run``, ``cloud_submit`` and
``continue_command`` behind it, and ``pipeline_commands`` (what differs for a pipeline job) with ``pipeline_local`` (a pipeline run here); ``monitor`` list, status, cancel, best, report, and ``with_places``, the options that
say where a sweep is; ``watch_command``; ``export_command``; ``refine_command``; ``analysis`` whatif and diff.
What people read: ``render`` (validation, a local sweep's end), ``monitor_render`` (list, status, the leaderboard,
best), ``monitor_health`` (progress and health flags), ``analysis_render`` (whatif, diff), ``render_plan``, ``tables``
(tables that keep their naming columns whole at 80 columns) and ``progress`` (a local sweep's live progress). What
programs read: ``shapes`` (``--json``). ``help_format``: the words `--help` shows for each option and argument.
``codes`` is the exit-code table; ``common`` the two consoles, loading specs, the one-line error and its code.
Nothing outside this package prints, imports typer or imports rich.
"""

from __future__ import annotations

import gc

import typer

from .analysis import COMMANDS as ANALYSIS_COMMANDS
from .codes import TABLE
from .export_command import export
from .help_format import ReadableCommand, ReadableGroup
from .monitor import COMMANDS as MONITOR_COMMANDS
from .plan_command import plan
from .refine_command import refine
from .spec_commands import validate
from .submit_command import submit
from .watch_command import watch

app = typer.Typer(
    cls=ReadableGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Validate, submit and locally emulate Azure ML hyperparameter sweep jobs.",
    pretty_exceptions_enable=False,
    epilog="Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in TABLE) + ".",
)
COMMANDS = {
    "validate": validate,
    "submit": submit,
    "plan": plan,
    "refine": refine,
    **MONITOR_COMMANDS,
    "watch": watch,
    "export": export,
    **ANALYSIS_COMMANDS,  # whatif, diff
}
for _name, _command in COMMANDS.items():  # in `sweep --help`'s order
    app.command(_name, cls=ReadableCommand)(_command)


def main() -> None:
    try:
        app()
    finally:
        # the interpreter's last garbage collection walks every object MLflow's import made: ~0.7 s of a local
        # sweep's exit; frozen objects are left out of it (atexit handlers and stream flushing still run)
        gc.freeze()


__all__ = ["app", "main"]
