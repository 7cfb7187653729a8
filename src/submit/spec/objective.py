"""The objective: which value is better, which is best, and what a failed or missing value means.

One rule for every caller (the scheduler's best trial and the parent's ``best_child_run_id``, the early-termination
policies, the Bayesian sampler, the leaderboard):

- ``goal`` is Azure's word, ``maximize`` or ``minimize``.
- A value that is missing (``None``) or not finite (NaN, +inf, -inf) is a *failed* value: a numerical failure (a
  diverged loss, a division by zero), not a result. It is never best, never better than a finite value, and never
  sets the bar for other trials. Azure does not document this; an infinity "better" than every finite value would
  otherwise become the sweep's best trial and cancel every other trial under any policy.
- Equal is not better: comparisons are strict, so among equal values the first one reached stays best.

>>> best_of([0.2, float("inf"), 0.5, float("nan")], "maximize")
0.5
>>> better(float("inf"), 0.1, "maximize"), better(0.1, float("nan"), "minimize")
(False, True)
>>> sorted([0.3, None, 0.9, float("-inf")], key=lambda v: sort_key(v, "maximize"))
[0.9, 0.3, None, -inf]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

Goal = Literal["maximize", "minimize"]
GOALS: tuple[Goal, ...] = ("maximize", "minimize")


def check_goal(goal: str) -> Goal:
    """``goal`` itself when it is one of Azure's two goals; ValueError otherwise."""
    if goal not in GOALS:
        raise ValueError(f"goal must be one of {GOALS}, found {goal!r}")
    return goal  # type: ignore[return-value]


def is_failed(value: float | None) -> bool:
    """Missing or not finite: a failed value, never a result."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def rank_value(value: float | None, goal: str) -> float:
    """The value as it ranks: a finite value as is, a failed one below every finite value (and tied with failures)."""
    if is_failed(value):
        return -math.inf if check_goal(goal) == "maximize" else math.inf
    return float(value)


def better(a: float | None, b: float | None, goal: str) -> bool:
    """``a`` is strictly better than ``b``: a failed ``a`` never is; a finite ``a`` is better than a failed ``b``."""
    if is_failed(a):
        return False
    return worse(b, a, goal)


def worse(a: float | None, b: float | None, goal: str) -> bool:
    """``a`` is strictly worse than ``b`` (a failed ``a`` is worse than any finite ``b``; two failures tie)."""
    ra, rb = rank_value(a, goal), rank_value(b, goal)
    return ra < rb if goal == "maximize" else ra > rb


def best_of(values: Iterable[float | None], goal: str) -> float | None:
    """The best finite value, or None when every value failed (or there is none)."""
    finite = [float(v) for v in values if not is_failed(v)]
    if not finite:
        return None
    return max(finite) if check_goal(goal) == "maximize" else min(finite)


def sort_key(value: float | None, goal: str) -> tuple[bool, float]:
    """Ascending order of this key is best first, failed values last."""
    if is_failed(value):
        return (True, 0.0)
    return (False, -float(value) if check_goal(goal) == "maximize" else float(value))


def as_loss(value: float, goal: str) -> float:
    """The value as a loss to minimise (negated when maximizing), for optimisers that only minimise."""
    return -float(value) if check_goal(goal) == "maximize" else float(value)
