"""Random sampling: Azure's `sampling_algorithm: random`, drawn from numpy's ``Generator(seed)``.

>>> from submit.spec.space import SearchSpace, Uniform
>>> s = RandomSampler(SearchSpace({"x": Uniform(0, 1)}), seed=1)
>>> s.suggest(0, []) == RandomSampler(SearchSpace({"x": Uniform(0, 1)}), seed=1).suggest(0, [])
True
"""

from __future__ import annotations

import numpy as np

from ...spec.space import SearchSpace
from .base import Sampler


class RandomSampler(Sampler):
    """numpy ``Generator(seed)``: trial i gets the i-th point of one stream, whatever order trials are asked for in."""

    uses_observations = False  # a pure function of the index (and the seed)

    def __init__(self, space: SearchSpace, **kwargs):
        super().__init__(space, **kwargs)
        self._rng = np.random.default_rng(self.seed)
        self._points: list[np.ndarray] = []

    def suggest(self, index, observations):
        while len(self._points) <= index:
            self._points.append(self._rng.random(self.space.n_dims()))
        return self.space.from_unit(self._points[index], self.logbase)
