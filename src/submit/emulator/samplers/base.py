"""The sampler interface: which parameters trial ``index`` runs with, given what the sweep has observed so far.

Random, Sobol and grid are pure functions of ``index`` (and the seed), so a resumed sweep draws exactly the values an
uninterrupted one would have; Bayesian uses the observations.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...spec.space import SearchSpace


@dataclass
class Observation:
    """What a sampler may learn from one trial, running or ended."""

    params: dict[str, Any]
    value: float | None  # the trial's best primary-metric value so far (Azure's best-trial rule); None if never logged
    status: str  # "running" | "completed" | "failed" | "canceled"


class Sampler(ABC):
    # whether suggest reads its observations; those that do not are handed none (building them is O(trials) a trial)
    uses_observations = True

    def __init__(self, space: SearchSpace, *, goal: str = "maximize", seed: int | None = None, logbase: float = math.e):
        self.space, self.goal, self.seed, self.logbase = space, goal, seed, logbase

    @abstractmethod
    def suggest(self, index: int, observations: Sequence[Observation]) -> dict[str, Any] | None:
        """Parameters for trial ``index`` (0-based), or None when the space is exhausted."""

    def indices(self, count: int) -> Sequence[int]:
        """The trial indices the sweep runs, in order, given the spec's trial count: 0 .. count - 1, unless the
        sampler holds its own list (a lock file's trials keep the indices they were planned with)."""
        return range(count)
