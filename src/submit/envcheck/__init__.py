"""The offline environment check: what a trial's code imports against what its environment declares.

``check_environment(spec)`` returns an ``EnvReport`` (problems that refuse the spec, warnings, notes); it imports
nothing heavy and reads no network, so `sweep validate` runs it by default. ``needs`` reads the code's imports,
``provides`` what the environment declares (with ``reqs`` for pip and conda pins and ``curated`` for Azure's curated
environments), ``check`` holds one against the other, and ``build`` makes the `--isolated` environment with uv.
"""

from __future__ import annotations

from .check import EnvReport, check_environment

__all__ = ["EnvReport", "check_environment"]
