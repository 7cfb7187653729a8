"""Fixtures shared across test files: the recording Azure ML REST API, and one real local sweep for the monitor
tests, run once (its trials import MLflow)."""

from __future__ import annotations

import pytest

from _azure_util import AzureMLRest, BlobStore
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


@pytest.fixture(scope="module")
def blob_store():
    """The blob storage the recording REST API hands out for code uploads."""
    store = BlobStore()
    yield store
    store.close()


@pytest.fixture
def rest(blob_store):
    return AzureMLRest(blob_store)
