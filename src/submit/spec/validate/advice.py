"""Advice on log-scale bounds: a warning when ``loguniform`` bounds look like the values meant, not exponents."""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..model import Sampling
from ..space import Choice, Distribution, LogUniform, QLogUniform, SearchSpace, bounds_meant_as_values
from .checker import Checker


def log_bounds_advice(space: SearchSpace, sampling: Sampling, check: Checker) -> None:
    """Warn when a log-scale distribution's bounds look like the values meant rather than their exponents.

    Azure samples ``loguniform`` as ``exp(uniform(min_value, max_value))`` (reference 3; ``logbase`` changes the
    base). Bounds read as values give samples no hyperparameter takes: ``1..100`` samples up to 2.7e43, ``0.001..0.1``
    only 1.001..1.105. Ours: warn when ``space.bounds_meant_as_values`` says so.
    """
    base = sampling.base
    if not (base > 0 and base != 1):  # refused by sampling_of already
        return
    for path, dist in _log_scaled(space):
        lo, hi = dist.min_value, dist.max_value
        low, high = _power(base, lo), _power(base, hi)
        if not bounds_meant_as_values(lo, hi, low, high):
            continue
        b = "e" if base == math.e else f"{base:g}"
        advice = ""
        if lo > 0:
            advice = (
                f"; for {lo:g}..{hi:g} write min_value: {math.log(lo, base):.4g}, max_value: {math.log(hi, base):.4g}"
            )
        check.warn(
            path,
            f"{dist.type} bounds are {'natural-log exponents' if b == 'e' else 'exponents of logbase ' + b}: this samples "
            f"{b}^{lo:g}..{b}^{hi:g} = {low:.4g}..{high:.4g}{advice}",
        )


def _log_scaled(space: SearchSpace) -> Iterator[tuple[tuple, Distribution]]:
    """(path, distribution) of every loguniform and qloguniform, those nested in choices included."""
    for name, dist in space.items():
        if isinstance(dist, (LogUniform, QLogUniform)):
            yield ("search_space", name), dist
        elif isinstance(dist, Choice):
            for i, value in enumerate(dist.values):
                for key, nested in value.items() if isinstance(value, dict) else ():
                    if isinstance(nested, (LogUniform, QLogUniform)):
                        yield ("search_space", name, "values", i, key), nested


def _power(base: float, x: float) -> float:
    try:
        return base**x
    except OverflowError:
        return math.inf
