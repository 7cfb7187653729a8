"""The local emulator of the Azure ML sweep service: samplers, policies, scheduler, trials, tracking.

``run_local(spec)`` is the entry: it runs the sweep and returns a ``SweepResult``; it prints nothing.

The names below are loaded on first use (PEP 562): the monitor reads a sweep through ``emulator.tracking`` alone, and
importing the scheduler with it would add the samplers, the policies and the server to ``sweep --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.lazy import lazy_exports

if TYPE_CHECKING:
    from .options import LocalOptions
    from .results import SweepResult, TrialResult
    from .scheduler import run_local

__getattr__ = lazy_exports(
    __name__,
    {"LocalOptions": "options", "SweepResult": "results", "TrialResult": "results", "run_local": "scheduler"},
)

__all__ = ["LocalOptions", "SweepResult", "TrialResult", "run_local"]
