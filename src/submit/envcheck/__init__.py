"""The offline environment check: what a trial's code imports against what its environment declares.

``check_environment(spec)`` returns an ``EnvReport`` (problems that refuse the spec, warnings, notes); it imports
nothing heavy and reads no network, so `sweep validate` runs it by default.
"""

from __future__ import annotations

from .check import EnvReport, check_environment

__all__ = ["EnvReport", "check_environment"]
