"""Our test pipelines (tests/fixtures/pipelines) copied with edits, and where a text sits in a file."""

from __future__ import annotations

import shutil
from pathlib import Path

from _azure_util import PIPELINE_FIXTURES
from emulator_helpers import SCRIPTS


def copy_pipelines(folder: Path) -> None:
    """Our fixtures copied to ``folder``, with tests/scripts/rest_log.py beside the train.py that logs with it."""
    shutil.copytree(PIPELINE_FIXTURES, folder)
    shutil.copy(SCRIPTS / "rest_log.py", folder / "src" / "rest_log.py")


def edited(tmp_path: Path, edits: dict[str, str], file: str = "three_steps.yml") -> Path:
    """Our fixtures copied to ``tmp_path`` with each ``old -> new`` edit made in ``file`` (which must hold ``old``);
    returns the copy of three_steps.yml."""
    folder = tmp_path / "pipelines"
    copy_pipelines(folder)
    target = folder / file
    text = target.read_text()
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    target.write_text(text)
    return folder / "three_steps.yml"


def line_of(path: Path, fragment: str) -> int:
    text = path.read_text()
    return text[: text.index(fragment)].count("\n") + 1
