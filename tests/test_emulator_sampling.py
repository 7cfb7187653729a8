"""Which parameters the emulator's trials run with: grid once each, random and Sobol reproducible from their seed."""

from __future__ import annotations

import itertools
import json

import pytest

from emulator_helpers import shell_spec, spec_from, sqlite_uri, stored_sweep
from submit.emulator import run_local

ECHO = "echo ${{search_space.a}} ${{search_space.b}}"


def test_grid_of_six_with_max_total_trials_ten_runs_each_combination_once(tmp_path):
    spec = spec_from(
        tmp_path,
        shell_spec(
            ECHO,
            sampling="grid",
            limits="{max_total_trials: 10, max_concurrent_trials: 2}",
            space='a: {type: choice, values: [1, 2, 3]}\nb: {type: choice, values: ["x", "y"]}',
        ),
    )
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="g")

    stored = stored_sweep(sqlite_uri(tmp_path), "g")
    assert sorted(stored.children) == [f"g_{i}" for i in range(6)]
    combos = [(stored.values(n)["a"], stored.values(n)["b"]) for n in stored.children]
    assert sorted(combos) == sorted(itertools.product([1, 2, 3], ["x", "y"]))
    # the spec's key order, first key outermost, as docs/semantics.md "Sampling" says
    assert [tuple(t.params.values()) for t in sorted(result.trials, key=lambda t: t.index)] == list(
        itertools.product([1, 2, 3], ["x", "y"])
    )


@pytest.mark.parametrize("sampling", ["{type: random, seed: 7}", "{type: random, rule: sobol, seed: 7}"])
def test_the_same_seed_gives_the_same_values_twice(tmp_path, sampling):
    spec = spec_from(
        tmp_path,
        shell_spec(
            ECHO,
            sampling=sampling,
            limits="{max_total_trials: 4, max_concurrent_trials: 2}",
            space="a: {type: uniform, min_value: 0, max_value: 1}\nb: {type: loguniform, min_value: -5, max_value: 0}",
        ),
    )
    uri = sqlite_uri(tmp_path)
    first = run_local(spec, tracking_uri=uri, name="one")
    second = run_local(spec, tracking_uri=uri, name="two")

    def values(result):
        return [json.dumps(t.params, sort_keys=True) for t in sorted(result.trials, key=lambda t: t.index)]

    assert values(first) == values(second)
    assert len(set(values(first))) == 4  # and they are four different points
    one, two = stored_sweep(uri, "one"), stored_sweep(uri, "two")
    assert [one.values(f"one_{i}") for i in range(4)] == [two.values(f"two_{i}") for i in range(4)]
