"""The local emulator of the Azure ML sweep service: samplers, policies, scheduler, trials, tracking.

``run_local(spec)`` is the entry: it runs the sweep and returns a ``SweepResult``; it prints nothing.
"""

from .options import LocalOptions
from .results import SweepResult, TrialResult
from .scheduler import run_local

__all__ = ["LocalOptions", "SweepResult", "TrialResult", "run_local"]
