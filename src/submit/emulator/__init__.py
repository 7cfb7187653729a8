"""The local emulator of the Azure ML sweep service: samplers, policies, scheduler, trials, tracking.

``run_local(spec)`` is the entry: it runs the sweep and returns a ``SweepResult``; it prints nothing.

The names below are loaded on first use (PEP 562): the monitor reads a sweep through ``emulator.tracking`` alone, and
importing the scheduler with it would add the samplers, the policies and the server to ``sweep --help``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .options import LocalOptions
    from .results import SweepResult, TrialResult
    from .scheduler import run_local

_HOMES = {"LocalOptions": "options", "SweepResult": "results", "TrialResult": "results", "run_local": "scheduler"}

__all__ = ["LocalOptions", "SweepResult", "TrialResult", "run_local"]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value
