"""Samplers, one file per algorithm over a small ``base`` (``Sampler``, ``Observation``), as Optuna lays them out.

Every sampler answers ``suggest(index, observations)``; ``make_sampler(spec)`` picks the one a spec asks for:
``grid``, ``random``, ``sobol`` or ``bayesian`` (a Gaussian process over the unit cube of ``encoding``); ``lock``
replays the trials a lock file holds.
"""

from __future__ import annotations

from importlib import import_module

from ...spec.lazy import lazy_exports
from .base import Observation, Sampler
from .lock import LockSampler  # light: replays a lock file's values

# label -> (module, class), imported when a sweep asks for it: the Bayesian sampler pulls in scikit-learn and scipy
SAMPLERS: dict[str, tuple[str, str]] = {
    "grid": ("grid", "GridSampler"),
    "random": ("random", "RandomSampler"),
    "sobol": ("sobol", "SobolSampler"),
    "bayesian": ("bayesian", "BayesianSampler"),
}


def sampler_class(label: str) -> type[Sampler]:
    """The sampler class for ``label`` (grid, random, sobol or bayesian; random for any other)."""
    module, name = SAMPLERS.get(label, SAMPLERS["random"])
    return getattr(import_module(f".{module}", __name__), name)


def make_sampler(spec) -> Sampler:
    """The sampler a validated ``SweepSpec`` asks for (``spec.sampling.label``: grid, random, sobol or bayesian)."""
    cls = sampler_class(spec.sampling.label)
    return cls(spec.search_space, goal=spec.objective.goal, seed=spec.sampling.seed, logbase=spec.sampling.base)


__getattr__ = lazy_exports(__name__, {cls: module for module, cls in SAMPLERS.values()})


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
