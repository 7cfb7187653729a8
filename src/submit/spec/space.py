"""The ten Azure ML search-space distributions.

Each distribution knows four things: its Azure SDK object (``to_azure``), its value for a point of the unit cube
(``from_unit``, the inverse CDF that random and Sobol sampling share), its grid values (``choice`` only) and the
problems Azure would reject it for (``problems``). A ``SearchSpace`` is the ordered mapping of parameter names to
distributions, in the spec's key order.

Formulas follow docs/semantics.md "Sampling": ``log*`` distributions exponentiate in the natural log unless the sampling
algorithm sets ``logbase``; quantized ones are ``round(x / q) * q`` and so may leave [min, max], as on Azure.

>>> space = SearchSpace({"lr": Uniform(0.0, 1.0), "depth": Choice([3, 5, 7])})
>>> space.from_unit([0.25, 0.9])
{'lr': 0.25, 'depth': 7}
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

# keeps the inverse normal CDF finite: a unit coordinate of exactly 0 or 1 would map to -inf / +inf
_EPS = 1e-12
UNIT_Z = 7.034486910047836  # scipy.special.ndtri(1 - _EPS): a Gaussian draw lies within mu ± UNIT_Z·sigma
# the distributions Azure's Bayesian sampling takes (reference 2.6); the checker and refine both ask
BAYESIAN_TYPES = ("choice", "uniform", "quniform")
# a log-scale hyperparameter (learning rate, regularisation, weight decay) lives well inside 1e-12..1e6
LOG_SAMPLE_MIN, LOG_SAMPLE_MAX = 1e-12, 1e6


def bounds_meant_as_values(lo: float, hi: float, low: float, high: float) -> bool:
    """Log-scale bounds ``lo..hi`` (exponents) that sample ``low..high`` and so look like the values meant instead.

    True when the samples reach above ``LOG_SAMPLE_MAX`` or below ``LOG_SAMPLE_MIN``, or when 0 < lo < hi <= 1
    (every sample squeezed between 1 and the base): the loguniform advice of `sweep validate` and the report's.

    >>> bounds_meant_as_values(0.001, 0.1, 1.001, 1.105), bounds_meant_as_values(-7, -2, 9e-4, 0.14)
    (True, False)
    """
    return high > LOG_SAMPLE_MAX or low < LOG_SAMPLE_MIN or 0 < lo < hi <= 1


def quantize(x: float, q: float) -> float | int:
    """``round(x / q) * q`` as Azure's q-distributions give it: an int when ``q`` is an int."""
    return _round_to(x, q, _is_int(q))


def _round_to(x: float, q: float, integral: bool) -> float | int:
    value = float(round(x / q) * q)
    if integral:
        return int(round(value))
    # round(x/q)*q with q=0.1 gives 0.30000000000000004; trim to the precision q itself carries
    return round(value, 12)


@dataclass
class Distribution:
    """Base class. ``type`` is the Azure YAML name; ``PARAMS`` lists the YAML keys in Azure's order."""

    type = ""
    PARAMS: ClassVar[tuple[str, ...]] = ()

    def n_dims(self) -> int:
        return 1

    def from_unit(self, u: Sequence[float], logbase: float = math.e) -> Any:
        raise NotImplementedError

    def grid_values(self) -> list[Any] | None:
        return None

    def problems(self) -> list[tuple[str, str, str]]:
        """``(key, message, hint)`` for each rule the Azure service enforces (docs/semantics.md,
        "What `sweep validate` checks")."""
        return []

    def to_azure(self):
        from azure.ai.ml import sweep

        cls = getattr(sweep, type(self).__name__)
        return cls(**{k: getattr(self, k) for k in self.PARAMS})

    def to_yaml(self) -> dict[str, Any]:
        return {"type": self.type, **{k: getattr(self, k) for k in self.PARAMS}}

    def describe(self) -> str:
        return f"{self.type}(" + ", ".join(f"{getattr(self, k)!r}" for k in self.PARAMS) + ")"


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass
class Choice(Distribution):
    values: list[Any] = field(default_factory=list)
    type = "choice"
    PARAMS = ("values",)

    def _options_dims(self) -> list[int]:
        return [_nested_dims(v) for v in self.values]

    def n_dims(self) -> int:
        # one coordinate picks the option; every nested option owns its own coordinates, used only when chosen
        return 1 + sum(self._options_dims())

    def from_unit(self, u: Sequence[float], logbase: float = math.e) -> Any:
        index = min(int(u[0] * len(self.values)), len(self.values) - 1)
        offset = 1 + sum(self._options_dims()[:index])
        return _resolve_nested(self.values[index], u[offset:], logbase)

    def grid_values(self) -> list[Any] | None:
        if any(_nested_dims(v) for v in self.values):
            return None
        return list(self.values)

    def problems(self) -> list[tuple[str, str, str]]:
        if not self.values:
            return [("values", "choice needs at least one value, found an empty list", "values: [a, b, c]")]
        found = []
        for i, v in enumerate(self.values):
            if isinstance(v, bool) or isinstance(v, (list, tuple)) or v is None:
                found.append(
                    (
                        f"values[{i}]",
                        f"choice values must be numbers, strings or mappings, found {v!r}",
                        'quote it ("true") or use 0/1',
                    )
                )
            elif isinstance(v, dict):
                for k, nested in v.items():
                    if isinstance(nested, Distribution):
                        found += [(f"values[{i}].{k}.{key}", msg, hint) for key, msg, hint in nested.problems()]
        return found + self._repeats()

    def _repeats(self) -> list[tuple[str, str, str]]:
        """A value listed more than once: a grid would run identical trials, and random sampling draw it more often
        (as written, the spec reads as one value among the others). Values are told apart as the trial's command
        gets them (``1`` and ``1.0`` differ)."""
        places: dict[str, list[int]] = {}
        for i, v in enumerate(self.values):
            places.setdefault(json.dumps(_nested_to_yaml(v), sort_keys=True, default=repr), []).append(i)
        found = []
        for written, where in places.items():
            if len(where) > 1:
                times = "twice" if len(where) == 2 else f"{len(where)} times"
                at = ", ".join(f"values[{i}]" for i in where)
                found.append(
                    (
                        f"values[{where[1]}]",
                        f"{written} is listed {times} ({at}): a grid would run identical trials, random sampling "
                        "draw it more often",
                        "list each value once",
                    )
                )
        return found

    def to_azure(self):
        from azure.ai.ml.sweep import Choice as AzureChoice

        return AzureChoice(values=[_nested_to_azure(v) for v in self.values])

    def to_yaml(self) -> dict[str, Any]:
        return {"type": "choice", "values": [_nested_to_yaml(v) for v in self.values]}

    def describe(self) -> str:
        return "choice(" + ", ".join(json.dumps(_nested_to_yaml(v)) for v in self.values) + ")"


def _nested_dims(value: Any) -> int:
    if isinstance(value, dict):
        return sum(d.n_dims() for d in value.values() if isinstance(d, Distribution))
    return 0


def _resolve_nested(value: Any, u: Sequence[float], logbase: float) -> Any:
    if not isinstance(value, dict):
        return value
    resolved, pos = {}, 0
    for k, v in value.items():
        if isinstance(v, Distribution):
            resolved[k] = v.from_unit(u[pos : pos + v.n_dims()], logbase)
            pos += v.n_dims()
        else:
            resolved[k] = v
    return resolved


def _nested_to_azure(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v.to_azure() if isinstance(v, Distribution) else v for k, v in value.items()}
    return value


def _nested_to_yaml(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v.to_yaml() if isinstance(v, Distribution) else v for k, v in value.items()}
    return value


@dataclass
class _Bounded(Distribution):
    min_value: float = 0.0
    max_value: float = 1.0
    PARAMS = ("min_value", "max_value")

    def _x(self, u: float) -> float:
        return self.min_value + u * (self.max_value - self.min_value)

    def problems(self) -> list[tuple[str, str, str]]:
        if self.min_value >= self.max_value:
            return [
                (
                    "max_value",
                    f"min_value must be below max_value, found {self.min_value} >= {self.max_value}",
                    "swap them",
                )
            ]
        return []


@dataclass
class Uniform(_Bounded):
    type = "uniform"

    def from_unit(self, u, logbase=math.e):
        return float(self._x(u[0]))


@dataclass
class LogUniform(_Bounded):
    """``logbase ** uniform(min_value, max_value)``: the bounds are exponents, not values."""

    type = "loguniform"

    def from_unit(self, u, logbase=math.e):
        return float(logbase ** self._x(u[0]))


def _q_problems(q: float) -> list[tuple[str, str, str]]:
    if not q > 0:
        return [("q", f"q must be > 0, found {q}", "q: 1")]
    return []


@dataclass
class QUniform(_Bounded):
    q: float = 1
    type = "quniform"
    PARAMS = ("min_value", "max_value", "q")

    def from_unit(self, u, logbase=math.e):
        return _round_to(self._x(u[0]), self.q, _is_int(self.q))

    def problems(self):
        return super().problems() + _q_problems(self.q)


@dataclass
class QLogUniform(_Bounded):
    q: float = 1
    type = "qloguniform"
    PARAMS = ("min_value", "max_value", "q")

    def from_unit(self, u, logbase=math.e):
        return _round_to(logbase ** self._x(u[0]), self.q, _is_int(self.q))

    def problems(self):
        return super().problems() + _q_problems(self.q)


@dataclass
class _Gaussian(Distribution):
    mu: float = 0.0
    sigma: float = 1.0
    PARAMS = ("mu", "sigma")

    def _x(self, u: float) -> float:
        from scipy.special import ndtri  # here, not at the top: loading and validating a spec needs no scipy

        return self.mu + self.sigma * float(ndtri(min(max(u, _EPS), 1 - _EPS)))

    def problems(self) -> list[tuple[str, str, str]]:
        if self.sigma < 0:
            return [("sigma", f"sigma must be >= 0, found {self.sigma}", f"sigma: {abs(self.sigma)}")]
        return []


@dataclass
class Normal(_Gaussian):
    type = "normal"

    def from_unit(self, u, logbase=math.e):
        return self._x(u[0])


@dataclass
class LogNormal(_Gaussian):
    type = "lognormal"

    def from_unit(self, u, logbase=math.e):
        return float(logbase ** self._x(u[0]))


@dataclass
class QNormal(_Gaussian):
    q: float = 1
    type = "qnormal"
    PARAMS = ("mu", "sigma", "q")

    def from_unit(self, u, logbase=math.e):
        return _round_to(self._x(u[0]), self.q, _is_int(self.q))

    def problems(self):
        return super().problems() + _q_problems(self.q)


@dataclass
class QLogNormal(_Gaussian):
    q: float = 1
    type = "qlognormal"
    PARAMS = ("mu", "sigma", "q")

    def from_unit(self, u, logbase=math.e):
        return _round_to(logbase ** self._x(u[0]), self.q, _is_int(self.q))

    def problems(self):
        return super().problems() + _q_problems(self.q)


@dataclass
class Randint(Distribution):
    """An integer in [0, upper): Azure's upper bound is exclusive."""

    upper: int = 1
    type = "randint"
    PARAMS = ("upper",)

    def from_unit(self, u, logbase=math.e):
        return min(int(u[0] * self.upper), self.upper - 1)

    def problems(self):
        if not _is_int(self.upper) or self.upper < 1:
            return [("upper", f"upper must be a positive integer, found {self.upper!r}", "upper: 10")]
        return []


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.type: cls
    for cls in (Choice, Uniform, LogUniform, QUniform, QLogUniform, Normal, LogNormal, QNormal, QLogNormal, Randint)
}


class SearchSpace(Mapping[str, Distribution]):
    """Parameter name -> distribution, in the spec's order (the order of grid enumeration and unit-cube axes)."""

    def __init__(self, params: Mapping[str, Distribution]):
        self._params = dict(params)

    def __getitem__(self, key: str) -> Distribution:
        return self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def n_dims(self) -> int:
        return sum(d.n_dims() for d in self._params.values())

    def from_unit(self, u: Sequence[float], logbase: float = math.e) -> dict[str, Any]:
        """Map a point of the unit cube (length ``n_dims()``) to parameter values."""
        params, pos = {}, 0
        for name, dist in self._params.items():
            params[name] = dist.from_unit(u[pos : pos + dist.n_dims()], logbase)
            pos += dist.n_dims()
        return params

    def grid(self) -> list[dict[str, Any]] | None:
        """The cartesian product of every choice, first key outermost; None unless every parameter is a flat choice."""
        values = [d.grid_values() for d in self._params.values()]
        if any(v is None for v in values):
            return None
        return [dict(zip(self._params, combo, strict=False)) for combo in itertools.product(*values)]

    def grid_size(self) -> int | None:
        values = [d.grid_values() for d in self._params.values()]
        if any(v is None for v in values):
            return None
        return math.prod(len(v) for v in values)

    def to_azure(self) -> dict[str, Any]:
        return {name: dist.to_azure() for name, dist in self._params.items()}

    def to_yaml(self) -> dict[str, Any]:
        return {name: dist.to_yaml() for name, dist in self._params.items()}


def render_value(value: Any) -> str:
    """How a sampled value appears in the trial's command line and ``AZUREML_SWEEP_<k>``."""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=False)
    return str(value)
