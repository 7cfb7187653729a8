"""The local emulator of the Azure ML sweep service: a sweep run on this machine by Azure's rules.

``run_local(spec)`` is the entry (``scheduler``): it runs the sweep and returns its live state as it ended (``live``:
what drives the progress; the sweep as every command reads it is ``submit.run_local``, ``monitor.fresh``); it prints
nothing. Behind it: ``options`` (what a run takes besides the spec), ``workarea`` (the sweep's name and folder),
``flocks`` (one emulator per sweep, and whether one still runs it), ``tracking`` (the MLflow store: what a store may
be, the parent run and one child run per trial) and
``tags`` (the names of the tags it holds, which the monitor reads), ``server`` (the sweep's tracking server the trials
log to), ``resume``, ``samplers/`` (one file per algorithm), ``judge`` and ``policies`` (the early-termination rules
and the best trial), ``trial``, ``launch``, ``snapshot`` (a trial's copy of the code), ``inputs``, ``artifacts``,
``processes`` (trials never outlive the emulator), ``live``, ``plan`` and ``plan_lock`` (every trial before it runs,
written down), and ``preflight_run`` (the preflight's one trial).

The names below are loaded on first use (PEP 562): the monitor reads a sweep through ``emulator.tracking`` alone, and
importing the scheduler with it would add the samplers, the policies and the server to ``sweep --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.lazy import lazy_exports

if TYPE_CHECKING:
    from .options import LocalOptions
    from .scheduler import run_local

__getattr__ = lazy_exports(
    __name__,
    {"LocalOptions": "options", "run_local": "scheduler"},
)

__all__ = ["LocalOptions", "run_local"]
