"""Sobol sampling: Azure's `sampling_algorithm: {type: random, rule: sobol}`, a scrambled low-discrepancy sequence."""

from __future__ import annotations

import math

import numpy as np

from ...spec.space import SearchSpace
from .base import Sampler


class SobolSampler(Sampler):
    """``scipy.stats.qmc.Sobol(d, scramble=True, seed=seed)``; uniforms go through each distribution's inverse CDF."""

    uses_observations = False  # a pure function of the index (and the seed)

    def __init__(self, space: SearchSpace, **kwargs):
        super().__init__(space, **kwargs)
        self._points: np.ndarray | None = None

    def suggest(self, index, observations):
        if self._points is None or index >= len(self._points):
            from scipy.stats import qmc

            m = max(1, math.ceil(math.log2(index + 1)), 10)  # 1024 points cover Azure's 1000-trial cap in one draw
            self._points = qmc.Sobol(self.space.n_dims(), scramble=True, seed=self.seed).random_base2(m)
        return self.space.from_unit(self._points[index], self.logbase)
