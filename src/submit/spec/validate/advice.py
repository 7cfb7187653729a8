"""Log-scale bounds: a warning when ``loguniform`` bounds look like the values meant, not exponents, and an error when
a log-scale distribution's exponents reach past the largest float (every trial would get ``inf``, or the sampler
stop on an ``OverflowError``)."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator

from ..model import Sampling
from ..space import (
    UNIT_Z,
    Choice,
    Distribution,
    LogNormal,
    LogUniform,
    QLogNormal,
    QLogUniform,
    SearchSpace,
    bounds_meant_as_values,
)
from .checker import Checker

LN_FLOAT_MAX = math.log(sys.float_info.max)  # 709.78: e to any higher power is not a float


def log_overflow_rules(space: SearchSpace, sampling: Sampling, check: Checker) -> None:
    """Refuse a log-scale distribution whose samples can overflow a float: ``loguniform`` bounds of 1000 give every
    trial ``--x inf``, a ``lognormal`` with ``mu: 1000`` stops the sampler. For a lognormal the reach is its
    extreme draw, ``mu ± UNIT_Z·sigma`` (the emulator clips its quantiles there)."""
    base = sampling.base
    if not (base > 0 and base != 1):  # refused by sampling_of already
        return
    b = "e" if base == math.e else f"{base:g}"
    for path, dist in _log_scaled(space, (LogUniform, QLogUniform, LogNormal, QLogNormal)):
        if isinstance(dist, (LogUniform, QLogUniform)):
            low, high, what = dist.min_value, dist.max_value, "its bounds reach"
        else:
            low, high = dist.mu - UNIT_Z * dist.sigma, dist.mu + UNIT_Z * dist.sigma
            what = f"mu ± {UNIT_Z:.1f}·sigma reaches"
        worst = max((low, high), key=lambda x: x * math.log(base))
        if worst * math.log(base) > LN_FLOAT_MAX:
            limit = LN_FLOAT_MAX / math.log(base)
            check.error(
                path,
                f"{dist.type} samples {b}^x and {what} x = {worst:g}, past the largest float ({b}^{limit:.6g}): "
                "trials would get inf",
                f"x is an exponent, not a value: {b}^{math.log(1000, base):.4g} = 1000",
            )


def log_bounds_advice(space: SearchSpace, sampling: Sampling, check: Checker) -> None:
    """Warn when a log-scale distribution's bounds look like the values meant rather than their exponents.

    Azure samples ``loguniform`` as ``exp(uniform(min_value, max_value))`` (reference 3; ``logbase`` changes the
    base). Bounds read as values give samples no hyperparameter takes: ``1..100`` samples up to 2.7e43, ``0.001..0.1``
    only 1.001..1.105. Ours: warn when ``space.bounds_meant_as_values`` says so.
    """
    base = sampling.base
    if not (base > 0 and base != 1):  # refused by sampling_of already
        return
    for path, dist in _log_scaled(space, (LogUniform, QLogUniform)):
        lo, hi = dist.min_value, dist.max_value
        low, high = _power(base, lo), _power(base, hi)
        if math.inf in (low, high) or not bounds_meant_as_values(lo, hi, low, high):  # inf: log_overflow_rules
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


def _log_scaled(space: SearchSpace, kinds: tuple[type, ...]) -> Iterator[tuple[tuple, Distribution]]:
    """(path, distribution) of every distribution of ``kinds``, those nested in choices included."""
    for name, dist in space.items():
        if isinstance(dist, kinds):
            yield ("search_space", name), dist
        elif isinstance(dist, Choice):
            for i, value in enumerate(dist.values):
                for key, nested in value.items() if isinstance(value, dict) else ():
                    if isinstance(nested, kinds):
                        yield ("search_space", name, "values", i, key), nested


def _power(base: float, x: float) -> float:
    try:
        return base**x
    except OverflowError:
        return math.inf
