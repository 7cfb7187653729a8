"""After a sweep: ``refine`` (a finished sweep -> the next, narrower spec, each change explained; with ``original``,
``narrow`` and ``edits`` behind it) and ``continuation`` (a spec for what a sweep did not complete).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.lazy import lazy_exports

if TYPE_CHECKING:
    from .continuation import Continuation, continue_sweep
    from .refine import Refinement, RefineOptions, refine

__getattr__ = lazy_exports(
    __name__,
    {
        "Continuation": "continuation",
        "continue_sweep": "continuation",
        "RefineOptions": "refine",
        "Refinement": "refine",
        "refine": "refine",
    },
)

__all__ = ["Continuation", "RefineOptions", "Refinement", "continue_sweep", "refine"]
