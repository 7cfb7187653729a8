"""The `sweep` command: a thin Typer shell over the library. Commands parse, call, and render with rich."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from .errors import SpecError, UserError
from .spec import load_spec

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Validate, submit and locally emulate Azure ML hyperparameter sweep jobs.",
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_SPEC = 2  # a bad spec or bad option
EXIT_FAILED = 1  # the work ran and failed (Azure refused, the sweep failed)


def _fail(message: str, code: int) -> None:
    err.print(message, markup=False)
    raise typer.Exit(code)


def _load(paths: list[Path], overrides: list[str]):
    specs, problems = [], []
    for path in paths:
        try:
            specs.append(load_spec(path, overrides))
        except SpecError as e:
            problems.append(str(e))
    if problems:
        _fail("\n".join(problems), EXIT_SPEC)
    return specs


@app.command()
def validate(
    specs: list[Path] = typer.Argument(..., help="Sweep spec YAML files.", show_default=False),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set limits.max_total_trials=4"),
) -> None:
    """Check specs offline against every rule Azure ML enforces, and print what each sweep will do."""
    from .report import render_validation

    for spec in _load(specs, set_):
        render_validation(spec, out, err)


@app.command()
def submit(
    specs: list[Path] = typer.Argument(
        ..., help="Sweep spec YAML files; each becomes one sweep job.", show_default=False
    ),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set limits.max_total_trials=4"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the exact job as YAML; contact nothing."),
    local: bool = typer.Option(False, "--local", help="Run the sweep on this machine under the emulator."),
    wait: bool = typer.Option(False, "--wait", help="Cloud: stream the sweep's log until it ends."),
    subscription: str | None = typer.Option(
        None, "--subscription", envvar="AZURE_SUBSCRIPTION_ID", help="Azure subscription id."
    ),
    resource_group: str | None = typer.Option(
        None, "--resource-group", "-g", envvar="AZURE_RESOURCE_GROUP", help="Resource group."
    ),
    workspace: str | None = typer.Option(
        None, "--workspace", "-w", envvar="AZUREML_WORKSPACE_NAME", help="Azure ML workspace."
    ),
    input_: list[str] = typer.Option([], "--input", help="Local: NAME=PATH stands in for a remote input."),
    max_concurrent: int | None = typer.Option(None, "--max-concurrent", min=1, help="Local: cap concurrent trials."),
    tracking_uri: str | None = typer.Option(
        None, "--tracking-uri", help="Local: MLflow store (default: ./mlflow.db, the store `mlflow ui` opens here)."
    ),
    name: str | None = typer.Option(None, "--name", help="Local: the sweep's name."),
    resume: str | None = typer.Option(None, "--resume", help="Local: continue an interrupted sweep by name."),
    json_: bool = typer.Option(False, "--json", help="Print a machine-readable summary on stdout."),
) -> None:
    """Submit sweeps to Azure ML, print them (--dry-run), or run them here (--local)."""
    loaded = _load(specs, set_)
    try:
        if local:
            from .emulator import run_local_cli

            code = run_local_cli(
                loaded,
                inputs=input_,
                max_concurrent=max_concurrent,
                tracking_uri=tracking_uri,
                name=name,
                resume=resume,
                as_json=json_,
                out=out,
                err=err,
            )
            raise typer.Exit(code)
        from .azure import submit_cli

        code = submit_cli(
            loaded,
            dry_run=dry_run,
            wait=wait,
            subscription=subscription,
            resource_group=resource_group,
            workspace=workspace,
            as_json=json_,
            out=out,
            err=err,
        )
        raise typer.Exit(code)
    except UserError as e:
        _fail(str(e), e.exit_code)


def _monitor_context():
    from .cli_monitor import Context

    return Context(out, err)


def _register_monitor() -> None:
    from .cli_monitor import register

    register(app, _monitor_context)


_register_monitor()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
