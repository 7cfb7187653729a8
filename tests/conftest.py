"""Session fixtures shared by the monitor tests: one real local sweep, run once (its trials import MLflow)."""

from __future__ import annotations

import pytest

from emulator_helpers import spec_from, sqlite_uri
from monitor_helpers import FAILING


@pytest.fixture(scope="session")
def failing_sweep(tmp_path_factory):
    """A finished local sweep `fails` (2 completed, 2 failed) and an empty running sweep `empty`, in one store."""
    from monitor_helpers import synth_sweep
    from submit.emulator import run_local

    folder = tmp_path_factory.mktemp("failing")
    uri = sqlite_uri(folder)
    result = run_local(spec_from(folder, FAILING, ("quadratic.py",)), tracking_uri=uri, name="fails")
    synth_sweep(uri, "empty", [], state="running")
    return uri, result
