"""One real trial before the sweep (``trial``), and what an early-termination policy can do with what it logged
(``outlook``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.lazy import lazy_exports

if TYPE_CHECKING:
    from .outlook import PolicyOutlook, policy_outlook
    from .trial import PreflightReport, preflight

__getattr__ = lazy_exports(
    __name__,
    {"PreflightReport": "trial", "preflight": "trial", "PolicyOutlook": "outlook", "policy_outlook": "outlook"},
)

__all__ = ["PolicyOutlook", "PreflightReport", "policy_outlook", "preflight"]
