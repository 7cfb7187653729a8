"""The importance ranking's forest (monitor/forest.py) against scikit-learn's, which it stands in for."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance as sklearn_permutation_importance
from sklearn.metrics import r2_score
from sklearn.tree import DecisionTreeRegressor

from submit.monitor.forest import Forest, fit_tree, permutation_importance, r2


def trials(rng, n: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameters (float32-exact, as scikit-learn's trees read them; the first a 3-level choice) and a noisy metric."""
    X = rng.normal(size=(n, columns)).astype(np.float32).astype(float)
    X[:, 0] = rng.integers(0, 3, n)
    return X, X[:, 0] ** 2 + X[:, -1] + rng.normal(size=n) * 0.3


@pytest.mark.parametrize("seed", range(40))
def test_a_tree_predicts_what_scikit_learns_tree_predicts_on_the_same_bootstrap(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    X, y = trials(rng, n, int(rng.integers(2, 5)))
    drawn = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)  # a bootstrap sample, as weights

    ours = fit_tree(X, y, drawn, min_samples_leaf=2)
    theirs = DecisionTreeRegressor(min_samples_leaf=2, random_state=0).fit(X, y, sample_weight=drawn)

    # on the trials drawn: where two parameters part them alike, either tree may cut at either parameter, and then
    # the points between (the trials not drawn among them) fall on different sides
    inside = drawn > 0
    assert ours.predict(X[inside]) == pytest.approx(theirs.predict(X[inside]))
    unweighted = fit_tree(X, y, np.ones(n), min_samples_leaf=2, rng=rng)
    assert unweighted.predict(X) == pytest.approx(DecisionTreeRegressor(min_samples_leaf=2).fit(X, y).predict(X))


def test_a_leaf_keeps_at_least_min_samples_leaf_trials():
    X = np.arange(7.0)[:, None]
    tree = fit_tree(X, X[:, 0] ** 2, np.ones(7), min_samples_leaf=3)

    leaves = tree.predict(X)
    assert sorted(np.unique(leaves, return_counts=True)[1]) == [3, 4]  # 7 trials: no split leaves fewer than 3 a side


def test_the_forest_ranks_the_parameters_as_scikit_learns_forest_does():
    rng = np.random.default_rng(7)
    X = rng.uniform(size=(40, 4))
    y = 3 * X[:, 2] + X[:, 0] ** 2 + rng.normal(size=40) * 0.05  # column 2 matters most, then 0; 1 and 3 not

    ours, ours_spread = permutation_importance(Forest(X, y, seed=0), X, y, repeats=5, seed=0)
    forest = RandomForestRegressor(n_estimators=100, min_samples_leaf=2, random_state=0).fit(X, y)
    theirs = sklearn_permutation_importance(forest, X, y, n_repeats=5, random_state=0).importances_mean

    assert list(np.argsort(-ours)[:2]) == list(np.argsort(-theirs)[:2]) == [2, 0]
    assert ours[2] == pytest.approx(theirs[2], rel=0.25) and ours[0] == pytest.approx(theirs[0], rel=0.5)
    assert max(ours[1], ours[3]) < 0.05 and max(theirs[1], theirs[3]) < 0.05
    assert all(ours_spread >= 0)


def test_parameters_that_part_the_trials_alike_share_the_importance():
    # x and the kernel separate the same trials: a forest gives neither all of it (the first column would take all)
    rng = np.random.default_rng(5)
    kernel = rng.integers(0, 2, 30).astype(float)
    X = np.column_stack([kernel * 0.5 + 0.2, kernel])
    y = kernel + rng.normal(size=30) * 0.05

    importance, _ = permutation_importance(Forest(X, y, seed=0), X, y, repeats=5, seed=0)

    assert min(importance) > 0.2 * max(importance)


def test_the_forest_is_the_same_for_the_same_seed_and_scores_as_r2_score():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(24, 3))
    y = X[:, 0] + rng.normal(size=24) * 0.1

    first, again = Forest(X, y, seed=0), Forest(X, y, seed=0)
    predicted = first.predict(X)
    assert predicted.tolist() == again.predict(X).tolist()
    assert Forest(X, y, seed=1).predict(X).tolist() != predicted.tolist()
    assert r2(y, predicted)[0] == pytest.approx(r2_score(y, predicted))
    assert r2(y, np.stack([predicted, y])).tolist() == pytest.approx([r2_score(y, predicted), 1.0])
