"""How the Bayesian sampler sees a search space: every parameter as columns of the unit cube.

``uniform`` is linear in its bounds; ``quniform`` and numeric ``choice`` are ordinal (their sorted lattice spread over
[0, 1], so "depth 5 lies between 3 and 7" is learnt); string or mixed ``choice`` is one-hot. Each axis also snaps an
encoded point to the nearest value the parameter can take, so the point scored is the point that will run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...spec.space import Choice, QUniform, Uniform, quantize


class Axis:
    """One parameter: how it occupies columns of the encoded unit cube."""

    width = 1

    def encode(self, value: Any) -> np.ndarray | None:
        raise NotImplementedError

    def decode(self, x: np.ndarray) -> Any:
        raise NotImplementedError

    def snap(self, x: np.ndarray) -> np.ndarray:
        """Move encoded columns (n, width) to the nearest value the parameter can take."""
        return x

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.random((n, self.width))

    def size(self) -> float:
        return math.inf


class Continuous(Axis):
    def __init__(self, low: float, high: float):
        self.low, self.high = float(low), float(high)

    def encode(self, value):
        return np.array([(float(value) - self.low) / (self.high - self.low)])

    def decode(self, x):
        return float(min(max(self.low + float(x[0]) * (self.high - self.low), self.low), self.high))

    def snap(self, x):
        return np.clip(x, 0.0, 1.0)


class Ordinal(Axis):
    """Ordered values spread evenly over [0, 1]: quniform's lattice, or a choice of numbers (sorted)."""

    def __init__(self, values: Sequence[Any]):
        self.values = list(values)
        self.n = len(self.values)

    def _index(self, value) -> int | None:
        for i, v in enumerate(self.values):
            if same_value(v, value):
                return i
        return None

    def encode(self, value):
        i = self._index(value)
        if i is None:
            return None
        return np.array([i / (self.n - 1) if self.n > 1 else 0.5])

    def decode(self, x):
        return self.values[self._round(x[0])]

    def _round(self, u: float) -> int:
        return int(min(max(round(float(u) * (self.n - 1)), 0), self.n - 1))

    def snap(self, x):
        if self.n == 1:
            return np.full_like(x, 0.5)
        return np.clip(np.round(x * (self.n - 1)), 0, self.n - 1) / (self.n - 1)

    def size(self):
        return self.n


class Lattice(Ordinal):
    """quniform: round(x / q) * q for x in [min, max], kept as arithmetic so 100000-point lattices cost nothing."""

    def __init__(self, dist: QUniform):
        self.q = dist.q
        self.k0 = round(dist.min_value / dist.q)
        self.n = round(dist.max_value / dist.q) - self.k0 + 1

    def _index(self, value):
        try:
            k = round(float(value) / self.q) - self.k0
        except (TypeError, ValueError):
            return None
        return k if 0 <= k < self.n else None

    def decode(self, x):
        return quantize((self.k0 + self._round(x[0])) * self.q, self.q)


class OneHot(Axis):
    """A choice of strings (or mixed values): no order to learn, one column per value."""

    def __init__(self, values: Sequence[Any]):
        self.values = list(values)
        self.width = len(self.values)

    def encode(self, value):
        for i, v in enumerate(self.values):
            if same_value(v, value):
                out = np.zeros(self.width)
                out[i] = 1.0
                return out
        return None

    def decode(self, x):
        return self.values[int(np.argmax(x))]

    def snap(self, x):
        out = np.zeros_like(x)
        out[np.arange(len(x)), np.argmax(x, axis=1)] = 1.0
        return out

    def random(self, rng, n):
        return np.eye(self.width)[rng.integers(self.width, size=n)]

    def size(self):
        return self.width


def same_value(option: Any, value: Any) -> bool:
    """A stored value matches a choice option: exactly, or as the string the store may give back."""
    if option == value and type(option) is not bool:
        return True
    if isinstance(option, (int, float)) and not isinstance(option, bool):
        try:
            return float(value) == float(option)
        except (TypeError, ValueError):
            return False
    return str(option) == str(value)


def axis_of(dist) -> Axis:
    if isinstance(dist, QUniform):
        return Lattice(dist)
    if isinstance(dist, Uniform):
        return Continuous(dist.min_value, dist.max_value)
    if isinstance(dist, Choice):
        values = dist.values
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) and len(set(values)) == len(
            values
        ):
            return Ordinal(sorted(values))
        return OneHot(values)
    raise ValueError(f"bayesian sampling supports choice, uniform and quniform only, found `{dist.type}`")
