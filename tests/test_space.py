"""The distributions' formulas (docs/semantics.md, "Sampling") and the random / Sobol / grid samplers built on them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from azure.ai.ml import sweep as az
from scipy.stats import qmc

from submit.emulator.samplers import GridSampler, RandomSampler, SobolSampler
from submit.spec.space import (
    Choice,
    LogNormal,
    LogUniform,
    Normal,
    QLogUniform,
    QNormal,
    QUniform,
    Randint,
    SearchSpace,
    Uniform,
    render_value,
)


def test_uniform_maps_the_unit_interval_onto_its_bounds():
    d = Uniform(2.0, 4.0)
    assert [d.from_unit([u]) for u in (0.0, 0.5, 1.0)] == [2.0, 3.0, 4.0]


def test_loguniform_bounds_are_natural_log_exponents():
    d = LogUniform(-6, -1)
    assert d.from_unit([0.0]) == pytest.approx(math.exp(-6))
    assert d.from_unit([1.0]) == pytest.approx(math.exp(-1))


def test_logbase_changes_the_base_of_log_distributions():
    assert LogUniform(-3, -1).from_unit([0.0], logbase=10) == pytest.approx(1e-3)
    assert LogNormal(2, 0).from_unit([0.3], logbase=10) == pytest.approx(100)


def test_quniform_rounds_to_its_lattice_and_may_leave_the_bounds():
    # the official SDK sample QUniform(0.05, 0.75, q=1) can only give 0 or 1
    d = QUniform(0.05, 0.75, q=1)
    values = {d.from_unit([u]) for u in np.linspace(0, 1, 50)}
    assert values == {0, 1}
    assert all(isinstance(v, int) for v in values)


def test_quniform_with_a_float_q_stays_on_the_float_lattice():
    d = QUniform(0, 1, q=0.1)
    values = [d.from_unit([u]) for u in np.linspace(0, 1, 37)]
    assert all(abs(v * 10 - round(v * 10)) < 1e-9 for v in values)
    assert all(isinstance(v, float) for v in values)


def test_qloguniform_quantizes_after_exponentiating():
    assert QLogUniform(0, 3, q=5).from_unit([1.0]) == 20  # e^3 = 20.09 -> 20


def test_normal_uses_the_inverse_cdf():
    d = Normal(10, 2)
    assert d.from_unit([0.5]) == pytest.approx(10)
    assert d.from_unit([0.8413447460685429]) == pytest.approx(12)
    assert math.isfinite(d.from_unit([0.0])) and math.isfinite(d.from_unit([1.0]))
    assert QNormal(0, 1, q=0.5).from_unit([0.8413447460685429]) == 1.0


def test_randint_upper_is_exclusive():
    d = Randint(3)
    assert {d.from_unit([u]) for u in np.linspace(0, 1, 30)} == {0, 1, 2}


def test_nested_choice_resolves_only_the_chosen_option():
    d = Choice([{"kind": "a", "x": Uniform(0, 10)}, {"kind": "b", "y": Randint(4)}])
    assert d.n_dims() == 3
    assert d.from_unit([0.1, 0.5, 0.9]) == {"kind": "a", "x": 5.0}
    assert d.from_unit([0.9, 0.5, 0.9]) == {"kind": "b", "y": 3}


def test_grid_is_the_cartesian_product_in_key_order():
    space = SearchSpace({"a": Choice([1, 2]), "b": Choice(["x", "y", "z"])})
    assert space.grid() == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
        {"a": 2, "b": "z"},
    ]
    assert space.grid_size() == 6
    assert SearchSpace({"a": Uniform(0, 1)}).grid() is None


def test_to_azure_builds_the_sdk_objects():
    space = SearchSpace({"lr": LogUniform(-6, -1), "d": Choice([{"k": QUniform(1, 5, q=1)}])})
    azure = space.to_azure()
    assert isinstance(azure["lr"], az.LogUniform) and azure["lr"].min_value == -6
    assert isinstance(azure["d"], az.Choice) and isinstance(azure["d"].values[0]["k"], az.QUniform)


def test_rendered_values():
    assert render_value(0.5) == "0.5"
    assert render_value("gbdt") == "gbdt"
    assert render_value({"kind": "a", "x": 1}) == '{"kind": "a", "x": 1}'


SPACE = SearchSpace({"lr": LogUniform(-6, -1), "depth": Choice([3, 5, 7]), "n": Randint(100), "m": Normal(0, 1)})


@pytest.mark.parametrize("cls", [RandomSampler, SobolSampler])
def test_same_seed_same_values(cls):
    a = [cls(SPACE, seed=7).suggest(i, []) for i in range(8)]
    b = [cls(SPACE, seed=7).suggest(i, []) for i in range(8)]
    c = [cls(SPACE, seed=8).suggest(i, []) for i in range(8)]
    assert a == b and a != c


@pytest.mark.parametrize("cls", [RandomSampler, SobolSampler])
def test_trial_i_gets_the_same_values_whatever_order_it_is_asked_in(cls):
    # a resumed sweep asks for trial 5 first; it must get what an uninterrupted sweep drew
    fresh = cls(SPACE, seed=3)
    in_order = [fresh.suggest(i, []) for i in range(6)]
    resumed = cls(SPACE, seed=3)
    assert resumed.suggest(5, []) == in_order[5]
    assert resumed.suggest(4, []) == in_order[4]


def test_samples_stay_in_their_domain():
    sampler = RandomSampler(SPACE, seed=0)
    for i in range(200):
        p = sampler.suggest(i, [])
        assert math.exp(-6) <= p["lr"] <= math.exp(-1)
        assert p["depth"] in (3, 5, 7)
        assert 0 <= p["n"] < 100 and isinstance(p["n"], int)


def test_sobol_fills_the_unit_cube_better_than_random():
    space = SearchSpace({f"x{i}": Uniform(0, 1) for i in range(4)})
    n = 64
    sobol, random = [], []
    for seed in range(5):
        s, r = SobolSampler(space, seed=seed), RandomSampler(space, seed=seed)
        sobol.append(qmc.discrepancy(np.array([list(s.suggest(i, []).values()) for i in range(n)])))
        random.append(qmc.discrepancy(np.array([list(r.suggest(i, []).values()) for i in range(n)])))
    assert max(sobol) < min(random)


def test_grid_sampler_runs_each_combination_once_then_stops():
    space = SearchSpace({"a": Choice([1, 2]), "b": Choice(["x", "y", "z"])})
    sampler = GridSampler(space)
    seen = [sampler.suggest(i, []) for i in range(10)]
    assert seen[6:] == [None] * 4
    assert len({tuple(p.items()) for p in seen[:6]}) == 6
