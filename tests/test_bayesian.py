"""The Bayesian sampler: stays in the space, is seedable, spreads concurrent proposals, learns, and reads its history."""

from __future__ import annotations

import math

import numpy as np
import pytest

from submit.emulator.samplers import BayesianSampler, Observation, RandomSampler
from submit.spec.space import Choice, LogUniform, QUniform, SearchSpace, Uniform

MIXED = SearchSpace(
    {
        "lr": Uniform(-2.0, 3.0),
        "depth": QUniform(2, 12, 2),
        "frac": QUniform(0.05, 0.95, 0.1),
        "width": Choice([16, 64, 256]),
        "booster": Choice(["gbtree", "dart", "gblinear"]),
    }
)


def _mixed_loss(p):
    return (
        (p["lr"] - 0.5) ** 2
        + abs(p["depth"] - 6) / 4
        + p["frac"]
        + {16: 1, 64: 0, 256: 0.5}[p["width"]]
        + (0 if p["booster"] == "dart" else 1)
    )


def _run(sampler, loss, n, goal="minimize"):
    observations = []
    for i in range(n):
        params = sampler.suggest(i, observations)
        value = loss(params)
        observations.append(Observation(params, value if goal == "minimize" else -value, "completed"))
    return observations


def _on_lattice(value, dist):
    k = value / dist.q
    return abs(k - round(k)) < 1e-9 and round(dist.min_value / dist.q) <= round(k) <= round(dist.max_value / dist.q)


def test_proposals_stay_in_the_space_through_the_design_and_the_model_phase():
    observations = _run(BayesianSampler(MIXED, seed=0, goal="minimize"), _mixed_loss, 25)
    for obs in observations:
        p = obs.params
        assert -2.0 <= p["lr"] <= 3.0
        assert isinstance(p["depth"], int) and _on_lattice(p["depth"], MIXED["depth"])
        assert _on_lattice(p["frac"], MIXED["frac"])
        assert p["width"] in (16, 64, 256) and type(p["width"]) is int
        assert p["booster"] in ("gbtree", "dart", "gblinear")
    assert len({o.params["booster"] for o in observations}) == 3  # one-hot options are all explored


def test_the_same_seed_gives_the_same_proposals_and_another_seed_does_not():
    def proposals(seed):
        return [o.params for o in _run(BayesianSampler(MIXED, seed=seed, goal="minimize"), _mixed_loss, 12)]

    assert proposals(7) == proposals(7)
    assert proposals(7) != proposals(8)


def test_three_pending_trials_and_the_next_proposal_are_all_different():
    space = SearchSpace({"n": QUniform(0, 6, 1), "kind": Choice(["a", "b"])})  # 14 points: repeats are easy to hit
    sampler = BayesianSampler(space, seed=1, goal="minimize")
    finished = _run(sampler, lambda p: (p["n"] - 3) ** 2 + (p["kind"] == "b"), 6)
    running: list[Observation] = []
    for i in range(6, 10):
        params = sampler.suggest(i, finished + running)
        running.append(Observation(params, None, "running"))
    keys = [tuple(o.params.values()) for o in finished + running]
    assert len(set(keys)) == len(keys)


def test_concurrent_proposals_in_a_continuous_space_spread_out():
    space = SearchSpace({"x": Uniform(0.0, 1.0)})
    sampler = BayesianSampler(space, seed=2, goal="minimize")
    finished = _run(sampler, lambda p: (p["x"] - 0.3) ** 2, 10)
    running = []
    for i in range(10, 13):
        running.append(Observation(sampler.suggest(i, finished + running), None, "running"))
    xs = sorted(o.params["x"] for o in running)
    assert min(np.diff(xs)) > 1e-3  # the constant liar moves each next proposal off the pending ones


@pytest.mark.slow
@pytest.mark.parametrize("goal", ["minimize", "maximize"])
def test_on_a_quadratic_the_15th_proposal_is_closer_to_the_optimum_than_random_search(goal):
    space, optimum = SearchSpace({"x": Uniform(-5.0, 5.0)}), 1.3

    def fifteenth(sampler):
        return _run(sampler, lambda p: (p["x"] - optimum) ** 2, 15, goal=goal)[14].params["x"]

    # _run reports -loss when maximizing, so a sampler that ignored the goal would run away from the optimum
    ours = [abs(fifteenth(BayesianSampler(space, seed=s, goal=goal)) - optimum) for s in range(5)]
    rand = [abs(fifteenth(RandomSampler(space, seed=s, goal=goal)) - optimum) for s in range(5)]
    assert np.mean(ours) < np.mean(rand)
    assert np.median(ours) < 0.1  # EI may still spend a trial exploring an edge, but not typically


def test_failed_trials_and_trials_without_the_metric_do_not_poison_the_model():
    space = SearchSpace({"x": Uniform(-5.0, 5.0)})
    history = [Observation({"x": x}, (x - 1.0) ** 2, "completed") for x in np.linspace(-5, 5, 9)]
    history += [Observation({"x": x}, None, "failed") for x in (-4.5, -4.2, 4.4)]
    history += [Observation({"x": 3.3}, None, "completed"), Observation({"x": 2.2}, math.nan, "completed")]
    history += [Observation({"x": -3.3}, math.inf, "completed")]
    proposal = BayesianSampler(space, seed=0, goal="minimize").suggest(len(history), history)
    assert abs(proposal["x"] - 1.0) < 0.75  # no NaN crash, no pull toward the failures, still near the optimum


def test_a_canceled_trial_counts_with_its_best_value_so_far():
    space = SearchSpace({"x": Uniform(-5.0, 5.0)})
    far = [Observation({"x": x}, (x - 2.0) ** 2, "completed") for x in (-5.0, -4.0, -3.0, -2.5, 4.8, 5.0)]
    canceled = [Observation({"x": x}, (x - 2.0) ** 2, "canceled") for x in (1.6, 2.5)]
    proposal = BayesianSampler(space, seed=0, goal="minimize").suggest(8, far + canceled)
    assert 1.0 < proposal["x"] < 3.0


def test_a_resumed_sampler_learns_from_the_history_it_is_given():
    space = SearchSpace({"x": Uniform(-5.0, 5.0)})
    history = _run(BayesianSampler(space, seed=3, goal="minimize"), lambda p: (p["x"] - 1.3) ** 2, 12)
    fresh = BayesianSampler(space, seed=3, goal="minimize")  # a new process after --resume: only the store's history
    assert abs(fresh.suggest(12, history)["x"] - 1.3) < 0.3


def test_values_read_back_from_the_store_as_strings_count_as_the_values_themselves():
    space = SearchSpace(
        {"x": Uniform(0.0, 1.0), "n": Choice([1, 2, 3]), "k": QUniform(0, 10, 1), "c": Choice(["a", "b"])}
    )
    points = [
        (0.1, 1, 0, "a"),
        (0.9, 3, 10, "b"),
        (0.5, 2, 4, "a"),
        (0.3, 2, 6, "b"),
        (0.7, 1, 2, "a"),
        (0.2, 3, 8, "b"),
    ]

    def history(as_text):
        return [
            Observation(
                {k: (str(v) if as_text else v) for k, v in zip("xnkc", p, strict=False)},
                (p[0] - 0.4) ** 2 + abs(p[1] - 2) + abs(p[2] - 5) / 10,
                "completed",
            )
            for p in points
        ]

    def proposal(h):
        return BayesianSampler(space, seed=0, goal="minimize", n_initial=2).suggest(len(h), h)

    # MLflow gives params back as text; a value it failed to match would be dropped as "not in this space"
    assert proposal(history(as_text=True)) == proposal(history(as_text=False))
    assert all(BayesianSampler(space)._encode(o.params) is not None for o in history(as_text=True))


def test_a_finite_space_is_covered_before_anything_repeats():
    space = SearchSpace({"a": Choice([1, 2, 3]), "b": Choice(["x", "y"])})
    observations = _run(BayesianSampler(space, seed=0, goal="minimize"), lambda p: p["a"] + (p["b"] == "y"), 6)
    assert len({tuple(o.params.values()) for o in observations}) == 6


def test_distributions_outside_the_bayesian_contract_are_refused():
    with pytest.raises(ValueError, match="choice, uniform and quniform only"):
        BayesianSampler(SearchSpace({"lr": LogUniform(-6, -1)}))


@pytest.mark.slow
def test_a_bayesian_sweep_runs_through_the_emulator(tmp_path):
    from emulator_helpers import shell_spec, spec_from, sqlite_uri, stored_sweep
    from submit.emulator import run_local

    # 6 trials: 5 from the Sobol start (2 parameters), then one the GP proposes while another trial still runs
    spec = spec_from(
        tmp_path,
        shell_spec(
            "python quadratic.py ${{search_space.x}} ${{search_space.k}}",
            sampling="bayesian",
            space='x: {type: uniform, min_value: 0, max_value: 1}\nk: {type: choice, values: ["a", "b", "c"]}',
            limits="{max_total_trials: 6, max_concurrent_trials: 2}",
        ),
        scripts=("quadratic.py",),
    )
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="bo")

    assert [t.status for t in result.trials] == ["completed"] * 6
    stored = stored_sweep(sqlite_uri(tmp_path), "bo")
    children = stored.children
    points = {(stored.values(n)["x"], stored.values(n)["k"]) for n in children}
    assert len(points) == 6 and all(0 <= float(x) <= 1 and k in "abc" for x, k in points)
    assert all("accuracy" in r.data.metrics for r in children.values())
