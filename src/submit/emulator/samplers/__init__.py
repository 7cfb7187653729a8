"""Samplers, one file per algorithm over a small base (``Sampler``, ``Observation``), as Optuna lays them out.

Every sampler answers ``suggest(index, observations)``; ``make_sampler(spec)`` picks the one a spec asks for.
"""

from __future__ import annotations

from .base import Observation, Sampler
from .bayesian import BayesianSampler
from .grid import GridSampler
from .lock import LockSampler
from .random import RandomSampler
from .sobol import SobolSampler

SAMPLERS: dict[str, type[Sampler]] = {
    "grid": GridSampler,
    "random": RandomSampler,
    "sobol": SobolSampler,
    "bayesian": BayesianSampler,
}


def make_sampler(spec) -> Sampler:
    """The sampler a validated ``SweepSpec`` asks for (``spec.sampling.label``: grid, random, sobol or bayesian)."""
    cls = SAMPLERS.get(spec.sampling.label, RandomSampler)
    return cls(spec.search_space, goal=spec.objective.goal, seed=spec.sampling.seed, logbase=spec.sampling.base)


__all__ = [
    "BayesianSampler",
    "GridSampler",
    "LockSampler",
    "Observation",
    "RandomSampler",
    "Sampler",
    "SobolSampler",
    "make_sampler",
]
