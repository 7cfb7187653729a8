"""Grid sampling: Azure's `sampling_algorithm: grid`, every combination of the `choice` values once."""

from __future__ import annotations

from ...spec.space import SearchSpace
from .base import Sampler


class GridSampler(Sampler):
    """The cartesian product of the choices, in the spec's key order (first key outermost)."""

    uses_observations = False  # a pure function of the index (and the seed)

    def __init__(self, space: SearchSpace, **kwargs):
        super().__init__(space, **kwargs)
        self._grid = space.grid() or []

    def suggest(self, index, observations):
        return dict(self._grid[index]) if index < len(self._grid) else None
