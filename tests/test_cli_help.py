"""Every command's `--help`, read at 80 columns: a flag shows no value, an option what to type after it, an argument
a plain upper-case name; no Python annotation (`<bool>`, `<list[Path]>`) and no `{name}` leaks into it."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from submit.cli import app

GROUP = typer.main.get_command(app)
COMMANDS = sorted(GROUP.commands)
LEAKS = re.compile(r"<bool>|<list\[|<str>|<int>|<float>|<Path>|\{\w+\}")


def shown_help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def option_rows(text: str, option: str) -> list[str]:
    """The help table's row of ``option``: the text between the box edges of the line that names it."""
    return [line.strip("│ ") for line in text.splitlines() if re.search(rf"│\s+(\*\s+)?{re.escape(option)}\s", line)]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_reads_at_80_columns_without_python_types(command):
    text = shown_help(*([command] if command else []))

    assert not LEAKS.findall(text), text
    too_wide = [line for line in text.splitlines() if len(line) > 80]
    assert not too_wide, text
    flags = [p for p in (GROUP.commands[command].params if command else []) if getattr(p, "is_flag", False)]
    for option in [*(p.opts[0] for p in flags), "--help"]:
        [row] = option_rows(text, option)
        after = row[len(option) :].split()
        assert not after or not after[0].isupper(), f"{option} is a flag, yet its row shows a value: {row}"


def test_values_and_arguments_are_named_as_click_names_them():
    validate = shown_help("validate")
    assert "validate [OPTIONS] SPEC..." in validate
    assert re.search(r"\*\s+SPEC\.\.\.\s+Sweep spec YAML files", validate)
    assert option_rows(validate, "--preflight-seconds")[0].split()[1] == "FLOAT"
    assert option_rows(validate, "--set")[0].split()[1] == "TEXT"
    assert option_rows(shown_help("export"), "--output")[0].split()[:4] == ["*", "--output", "-o", "PATH"]
    assert option_rows(shown_help("list"), "--limit")[0].split()[1] == "INTEGER"
    assert "diff [OPTIONS] A B" in shown_help("diff")
