"""Every rule a sweep spec must pass, each problem located (file:line, key path, found, expected, did-you-mean).

``checker`` collects the problems; ``sweep`` checks a job as a whole and calls ``job_rules`` (top-level keys, identity,
settings), ``space_rules`` (distributions, sampling, the early-termination policy), ``trial_rules`` (command, code,
environment, inputs and outputs) and ``advice`` (warnings on what Azure accepts but users rarely mean).
"""

from __future__ import annotations

from .checker import Checker
from .space_rules import policy_of
from .sweep import check_azure, validate

__all__ = ["Checker", "check_azure", "policy_of", "validate"]
