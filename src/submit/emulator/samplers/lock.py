"""Replaying a lock file: the trials `sweep plan --lock` wrote, each with the index and parameters it was planned with.

Only these trials run, in the lock's order, and each keeps its planned index (so trial 5 of a plan split in two is
``<sweep>_5`` in whichever half runs it); the sweep's own sampler is not consulted.

>>> from submit.spec.space import SearchSpace, Uniform
>>> s = LockSampler(SearchSpace({"x": Uniform(0, 1)}), [(5, {"x": 0.25}), (2, {"x": 0.5})])
>>> list(s.indices(10)), s.suggest(2, [])
([5, 2], {'x': 0.5})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...spec.space import SearchSpace
from .base import Sampler


class LockSampler(Sampler):
    """The parameters of a fixed list of ``(index, params)``; the spec's trial count is ignored."""

    uses_observations = False  # the lock's values, whatever earlier trials scored

    def __init__(self, space: SearchSpace, trials: Sequence[tuple[int, Mapping[str, Any]]], **kwargs):
        super().__init__(space, **kwargs)
        self._order = [index for index, _ in trials]
        self._params = {index: dict(params) for index, params in trials}

    def indices(self, count: int) -> Sequence[int]:
        return list(self._order)

    def suggest(self, index, observations):
        params = self._params.get(index)
        return None if params is None else dict(params)
