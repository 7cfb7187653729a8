"""The local emulator of the Azure ML sweep service: samplers, policies, scheduler, trials, tracking.

``run_local(spec)`` is the library entry; ``run_local_cli`` is what ``sweep submit --local`` calls.
"""

from .console import run_local_cli
from .options import LocalOptions
from .results import SweepResult, TrialResult
from .scheduler import run_local

__all__ = ["LocalOptions", "SweepResult", "TrialResult", "run_local", "run_local_cli"]
