"""`sweep submit` refuses options that clash, or that the chosen path ignores: exit 2, one line naming the flags.

Only what the user typed clashes: the workspace options also read environment variables, which say nothing about one
command. A refused mix runs nothing and contacts nothing.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from emulator_helpers import shell_spec, sqlite_uri, write_spec
from submit.cli import app

HELLO = "tests/fixtures/official/hello_sweep.yaml"
WORKSPACE_ENV = {"AZURE_SUBSCRIPTION_ID": "sub", "AZURE_RESOURCE_GROUP": "rg", "AZUREML_WORKSPACE_NAME": "ws"}


def refused(args: list[str], env: dict | None = None) -> str:
    result = CliRunner().invoke(app, ["submit", HELLO, *args], env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    return line


def test_dry_run_and_local_clash_and_nothing_runs(tmp_path):
    store = tmp_path / "never.db"
    line = refused(["--local", "--dry-run", "--tracking-uri", f"sqlite:///{store}"])
    assert line == "--dry-run and --local clash: --dry-run prints the Azure job, --local runs it here; give one"
    assert not store.exists()


def test_wait_with_local_clashes():
    line = refused(["--local", "--wait"])
    assert line == (
        "--wait and --local clash: --wait is for a sweep submitted to Azure ML, --local runs it here; drop --wait"
    )


def test_workspace_options_typed_with_local_clash_and_each_is_named():
    line = refused(["--local", "--subscription", "sub", "-w", "ws"])
    assert line.startswith("--subscription, --workspace and --local clash: --subscription and --workspace are for")


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--input", "iris_csv=data.csv"], "--input"),
        (["--max-concurrent", "2"], "--max-concurrent"),
        (["--tracking-uri", "sqlite:///x.db"], "--tracking-uri"),
        (["--name", "mine"], "--name"),
        (["--resume", "hello_1"], "--resume"),
        (["--keep-work"], "--keep-work"),
    ],
)
def test_local_only_options_without_local_are_refused(args, flag):
    line = refused(args)
    assert line == f"{flag} without --local: {flag} is for a sweep run here; add --local, or drop {flag}"


def test_local_only_options_with_dry_run_are_refused_before_anything_is_built():
    line = refused(["--dry-run", "--name", "mine", "--max-concurrent", "2"])
    assert line == (
        "--max-concurrent and --name without --local: --max-concurrent and --name are for a sweep run here; "
        "add --local, or drop --max-concurrent and --name"
    )


def test_dry_run_and_wait_clash():
    assert refused(["--dry-run", "--wait"]).startswith("--dry-run and --wait clash")


def test_name_with_several_local_specs_is_refused():
    result = CliRunner().invoke(app, ["submit", HELLO, HELLO, "--local", "--name", "one"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == "--name and --resume name one sweep: give a single spec with them"


@pytest.mark.slow
def test_workspace_environment_variables_do_not_clash_with_local(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec("echo ${{search_space.s}}", space="s: {type: choice, values: [1]}", limits="{max_total_trials: 1}"),
    )
    uri = sqlite_uri(tmp_path)
    result = CliRunner().invoke(
        app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "env"], env=WORKSPACE_ENV
    )
    assert result.exit_code == 0, result.output
    assert "completed sweep env: 1 completed" in result.stdout


def test_the_installed_command_refuses_the_mix_with_one_line():
    run = subprocess.run(
        [sys.executable, "-m", "submit", "submit", HELLO, "--local", "--dry-run"], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "--dry-run and --local clash: --dry-run prints the Azure job, --local runs it here; give one"
    ]


def test_bad_input_the_library_finds_is_exit_2_in_one_line(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec("echo ${{search_space.s}}", space="s: {type: choice, values: [1]}", limits="{max_total_trials: 1}"),
    )
    result = CliRunner().invoke(
        app, ["submit", str(spec), "--local", "--tracking-uri", sqlite_uri(tmp_path), "--input", "nope=x"]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[0].startswith("--input nope")


def test_the_exit_codes_are_listed_in_the_help():
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    shown = " ".join(result.output.split())  # rich wraps the epilog at the console's width, whatever is asked
    assert "Exit codes: 0 success" in shown and "130 interrupted" in shown


def test_every_local_option_is_a_submit_flag_or_one_the_cli_fills_in():
    import dataclasses

    import typer

    from submit.cli.submit_command import LOCAL_FIELDS, LOCAL_ONLY, NOT_FLAGS
    from submit.emulator.options import LocalOptions

    fields = [f.name for f in dataclasses.fields(LocalOptions)]
    parameters = {p.name for p in typer.main.get_command(app).commands["submit"].params}

    assert sorted([*LOCAL_FIELDS.values(), *NOT_FLAGS]) == sorted(fields)  # each field once: a flag's or the CLI's
    assert set(LOCAL_FIELDS) <= parameters and set(LOCAL_ONLY) <= parameters


def test_each_local_flag_reaches_its_field_of_the_one_options_object():
    import typer

    from submit.cli.submit_command import local_options

    typed = ["--local", "--input", "data=d.csv", "--max-concurrent", "3", "--tracking-uri", "sqlite:///x.db"]
    typed += ["--name", "n", "--resume", "r", "--env", "A=1", "--keep-work"]
    command = typer.main.get_command(app).commands["submit"]
    with command.make_context("submit", [HELLO, *typed]) as ctx:
        options = local_options(ctx.params)

    assert (options.inputs, options.max_concurrent, options.tracking_uri) == (["data=d.csv"], 3, "sqlite:///x.db")
    assert (options.name, options.resume, options.keep_work) == ("n", "r", True)
    assert options.env == {"A": "1"}
