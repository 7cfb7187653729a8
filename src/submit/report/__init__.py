"""The offline HTML report of one or more sweeps (plotly, inlined): ``page`` lays it out; ``charts`` (leaderboard,
parallel coordinates, curves, importance), ``timeline`` and ``coverage`` draw it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.lazy import lazy_exports

if TYPE_CHECKING:
    from .page import WrittenReport, check_report_path, render_report, write_report

__getattr__ = lazy_exports(
    __name__,
    {"WrittenReport": "page", "check_report_path": "page", "render_report": "page", "write_report": "page"},
)

__all__ = ["WrittenReport", "check_report_path", "render_report", "write_report"]
