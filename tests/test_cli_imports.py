"""`sweep --help` and `sweep validate` stay light: neither imports MLflow, azure-ai-ml nor scipy.special.

Each command runs in a fresh interpreter, which then lists the modules it loaded: the check is on what was imported,
not on a timing (bench/README.md has the start-up times).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("mlflow", "azure", "scipy.special", "sklearn", "sqlalchemy", "pandas")

LIST_MODULES = """\
import json, sys
sys.argv = ["sweep", *json.loads(sys.argv[1])]
from submit.cli import main
try:
    main()
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_by(*args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", LIST_MODULES, json.dumps(args)], capture_output=True, text=True, timeout=120
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], report["modules"]


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("submit", "--help"),
        ("validate", str(ROOT / "sweep_specs" / "quickstart.yaml")),
        ("validate", str(ROOT / "sweep_specs" / "bayesian_svm.yaml")),
        ("validate", str(ROOT / "tests" / "fixtures" / "pipelines" / "three_steps.yml")),
    ],
    ids=["help", "submit-help", "validate", "validate-bayesian", "validate-pipeline"],
)
def test_help_and_validate_import_no_heavy_module(args):
    code, modules = loaded_by(*args)

    assert code in (0, None)
    heavy = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
    assert "submit.cli" in modules  # the command did run in this interpreter


def test_the_listing_does_see_a_heavy_import_where_a_command_needs_one():
    # --dry-run builds the azure-ai-ml job: the same listing names azure, so the empty lists above mean something
    code, modules = loaded_by("submit", str(ROOT / "sweep_specs" / "quickstart.yaml"), "--dry-run")

    assert code in (0, None)
    assert "azure.ai.ml" in modules and "mlflow" not in modules


def test_help_does_not_load_the_emulator():
    # the monitor commands read sweeps through emulator.tracking; the scheduler, samplers and server wait for a sweep
    code, modules = loaded_by("--help")

    assert code in (0, None)
    assert "submit.emulator.tracking" in modules
    assert [m for m in modules if m in ("submit.emulator.scheduler", "submit.emulator.server")] == []
