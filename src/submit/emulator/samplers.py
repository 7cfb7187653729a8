"""Samplers: which parameters trial ``index`` runs with.

Every sampler answers ``suggest(index, observations)``. Random, Sobol and grid are pure functions of ``index`` (and the
seed), so a resumed sweep draws exactly the values an uninterrupted one would have; Bayesian uses the observations.

>>> from submit.space import SearchSpace, Uniform
>>> s = RandomSampler(SearchSpace({"x": Uniform(0, 1)}), seed=1)
>>> s.suggest(0, []) == RandomSampler(SearchSpace({"x": Uniform(0, 1)}), seed=1).suggest(0, [])
True
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..space import SearchSpace


@dataclass
class Observation:
    """What a sampler may learn from one trial, running or ended."""

    params: dict[str, Any]
    value: float | None  # the trial's best primary-metric value so far (Azure's best-trial rule); None if never logged
    status: str  # "running" | "completed" | "failed" | "canceled"


class Sampler(ABC):
    def __init__(self, space: SearchSpace, *, goal: str = "maximize", seed: int | None = None, logbase: float = math.e):
        self.space, self.goal, self.seed, self.logbase = space, goal, seed, logbase

    @abstractmethod
    def suggest(self, index: int, observations: Sequence[Observation]) -> dict[str, Any] | None:
        """Parameters for trial ``index`` (0-based), or None when the space is exhausted."""


class RandomSampler(Sampler):
    """numpy ``Generator(seed)``: trial i gets the i-th point of one stream, whatever order trials are asked for in."""

    def __init__(self, space: SearchSpace, **kwargs):
        super().__init__(space, **kwargs)
        self._rng = np.random.default_rng(self.seed)
        self._points: list[np.ndarray] = []

    def suggest(self, index, observations):
        while len(self._points) <= index:
            self._points.append(self._rng.random(self.space.n_dims()))
        return self.space.from_unit(self._points[index], self.logbase)


class SobolSampler(Sampler):
    """``scipy.stats.qmc.Sobol(d, scramble=True, seed=seed)``; uniforms go through each distribution's inverse CDF."""

    def __init__(self, space: SearchSpace, **kwargs):
        super().__init__(space, **kwargs)
        self._points: np.ndarray | None = None

    def suggest(self, index, observations):
        if self._points is None or index >= len(self._points):
            from scipy.stats import qmc

            m = max(1, math.ceil(math.log2(index + 1)), 10)  # 1024 points cover Azure's 1000-trial cap in one draw
            self._points = qmc.Sobol(self.space.n_dims(), scramble=True, seed=self.seed).random_base2(m)
        return self.space.from_unit(self._points[index], self.logbase)


class GridSampler(Sampler):
    """The cartesian product of the choices, in the spec's key order (first key outermost)."""

    def __init__(self, space: SearchSpace, **kwargs):
        super().__init__(space, **kwargs)
        self._grid = space.grid() or []

    def suggest(self, index, observations):
        return dict(self._grid[index]) if index < len(self._grid) else None


def make_sampler(spec) -> Sampler:
    """The sampler a validated ``SweepSpec`` asks for."""
    kwargs = dict(goal=spec.objective.goal, seed=spec.sampling.seed, logbase=spec.sampling.base)
    kind = spec.sampling.label
    if kind == "grid":
        return GridSampler(spec.search_space, **kwargs)
    if kind == "sobol":
        return SobolSampler(spec.search_space, **kwargs)
    if kind == "bayesian":
        from .bayesian import BayesianSampler

        return BayesianSampler(spec.search_space, **kwargs)
    return RandomSampler(spec.search_space, **kwargs)
