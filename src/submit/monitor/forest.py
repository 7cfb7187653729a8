"""A random forest regressor in numpy, for the importance ranking (``monitor.importance``).

Why not scikit-learn's: importing ``sklearn.ensemble`` costs 1.2 s of CPU (scipy.stats and pandas come with it,
through ``sklearn.utils.fixes``), most of what `sweep refine` took on a 24-trial sweep, where fitting the forest to
a few dozen trials takes milliseconds. The algorithm is scikit-learn's ``RandomForestRegressor`` with
``max_features=1.0`` (its default for regression), so the method the report states is the one it ran:

- each tree is fitted to a bootstrap sample of the trials, given as weights (how many times a trial was drawn);
  trials not drawn take no part in its splits;
- a node is split where the weighted sum of squared errors falls most, at the midpoint between two consecutive
  distinct values of a parameter, the trial going left when its value is at or below the threshold; a split must
  leave ``min_samples_leaf`` drawn trials on each side (trials, not weights, as scikit-learn counts them); a node
  whose values are all equal is a leaf;
- a leaf predicts the weighted mean of its trials; the forest, the mean of its trees.

One difference on purpose: scikit-learn reads parameters as float32 and takes values within 1e-7 of each other as
equal, so a log-uniform learning rate between 1e-8 and 1e-6 would be one constant column to it; here any two distinct
values can be split.

tests/test_forest.py checks that one tree predicts what scikit-learn's ``DecisionTreeRegressor`` fitted to the same
weights predicts. The forest's random draws are numpy's, not scikit-learn's, so its numbers differ from
scikit-learn's by the chance of the bootstrap; the test checks that the rankings agree where the data are clear.

>>> import numpy as np
>>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
>>> tree = fit_tree(X, np.array([1.0, 1.0, 1.0, 5.0, 5.0, 5.0]), np.ones(6), min_samples_leaf=2)
>>> tree.predict(np.array([[0.5], [4.5]])).tolist()
[1.0, 5.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_FLAT = np.finfo(float).eps  # a node whose weighted variance is at most this is a leaf (scikit-learn's EPSILON)


@dataclass(frozen=True)
class Tree:
    """A fitted tree as arrays indexed by node (node 0 the root); a leaf has ``feature`` -1 and no children."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def predict(self, X: np.ndarray) -> np.ndarray:
        node = np.zeros(len(X), dtype=np.intp)
        rows = np.arange(len(X))
        while True:
            inner = self.feature[node] >= 0
            if not inner.any():
                return self.value[node]
            at = node[inner]
            goes_left = X[rows[inner], self.feature[at]] <= self.threshold[at]
            node[inner] = np.where(goes_left, self.left[at], self.right[at])


def fit_tree(
    X: np.ndarray, y: np.ndarray, weight: np.ndarray, *, min_samples_leaf: int, rng: np.random.Generator | None = None
) -> Tree:
    """A regression tree grown to its leaves on the rows of ``X`` whose ``weight`` is positive.

    Where parameters tie for the best split (they part the trials alike, as a choice and the range it goes with may),
    the first in a random order of the parameters drawn at each node from ``rng`` takes it, as in scikit-learn: over
    a forest the importance is shared among them, not given to the first column. Without ``rng``, columns in order.
    """
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []

    def new_node(rows: np.ndarray) -> int:
        w, v = weight[rows], y[rows]
        feature.append(-1)
        threshold.append(0.0)
        left.append(-1)
        right.append(-1)
        value.append(float(np.dot(w, v) / w.sum()))
        return len(value) - 1

    root = np.flatnonzero(weight > 0)
    pending = [(new_node(root), root)]
    while pending:
        node, rows = pending.pop()
        columns = rng.permutation(X.shape[1]) if rng is not None else np.arange(X.shape[1])
        split = _best_split(X[rows][:, columns], y[rows], weight[rows], min_samples_leaf)
        if split is None:
            continue
        column, cut = int(columns[split[0]]), split[1]
        goes_left = X[rows, column] <= cut
        feature[node], threshold[node] = column, cut
        for side, part in ((left, rows[goes_left]), (right, rows[~goes_left])):
            side[node] = new_node(part)
            pending.append((side[node], part))
    return Tree(
        np.array(feature, dtype=np.intp),
        np.array(threshold),
        np.array(left, dtype=np.intp),
        np.array(right, dtype=np.intp),
        np.array(value),
    )


def _best_split(X: np.ndarray, y: np.ndarray, w: np.ndarray, min_leaf: int) -> tuple[int, float] | None:
    """(column, threshold) of the split that lowers the node's weighted squared error most, or None (a leaf)."""
    n = len(y)
    total_w, total_wy = w.sum(), np.dot(w, y)
    if n < 2 * min_leaf or np.dot(w, y * y) / total_w - (total_wy / total_w) ** 2 <= _FLAT:
        return None
    order = np.argsort(X, axis=0, kind="stable")
    xs = np.take_along_axis(X, order, axis=0)
    ws, wys = w[order], (w * y)[order]
    # left side = the first k+1 sorted rows; the split sits between sorted rows k and k+1
    w_left = np.cumsum(ws, axis=0)[:-1]
    wy_left = np.cumsum(wys, axis=0)[:-1]
    w_right, wy_right = total_w - w_left, total_wy - wy_left
    # minimising the squared error is maximising sum_left^2/w_left + sum_right^2/w_right (scikit-learn's proxy)
    proxy = wy_left**2 / w_left + wy_right**2 / w_right
    k = np.arange(n - 1)[:, None]
    valid = (xs[1:] > xs[:-1]) & (k + 1 >= min_leaf) & (n - k - 1 >= min_leaf)
    if not valid.any():
        return None
    proxy = np.where(valid, proxy, -np.inf)
    # the first best: the first column reaching it, in that column the lowest position (scikit-learn's scan)
    column, k_best = divmod(int(np.argmax(proxy.T)), n - 1)
    cut = xs[k_best, column] / 2.0 + xs[k_best + 1, column] / 2.0
    if cut == xs[k_best + 1, column]:  # two neighbouring floats: the midpoint rounds up to the right one
        cut = xs[k_best, column]
    return column, float(cut)


class Forest:
    """``n_trees`` trees, each on a bootstrap sample of the rows, drawn from ``numpy.random.default_rng(seed)``."""

    def __init__(self, X: np.ndarray, y: np.ndarray, *, n_trees: int = 100, min_samples_leaf: int = 2, seed: int = 0):
        rng = np.random.default_rng(seed)
        n = len(y)
        self.trees = [
            fit_tree(
                X,
                y,
                np.bincount(rng.integers(0, n, n), minlength=n).astype(float),
                min_samples_leaf=min_samples_leaf,
                rng=rng,
            )
            for _ in range(n_trees)
        ]

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.mean([tree.predict(X) for tree in self.trees], axis=0)


def r2(y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The coefficient of determination of each row of ``predicted`` against ``y`` (scikit-learn's ``r2_score``;
    0 when ``y`` is constant)."""
    spread = float(np.sum((y - y.mean()) ** 2))
    residual = np.sum((np.atleast_2d(predicted) - y) ** 2, axis=1)
    return 1.0 - residual / spread if spread > 0 else np.zeros(len(residual))


def permutation_importance(
    forest: Forest, X: np.ndarray, y: np.ndarray, *, repeats: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Per column: the mean and standard deviation, over ``repeats`` shuffles of that column alone, of the drop in
    the forest's R^2 (scikit-learn's ``inspection.permutation_importance`` with its default scorer)."""
    rng = np.random.default_rng(seed)
    n, columns = X.shape
    shuffled = np.tile(X, (columns * repeats, 1)).reshape(columns, repeats, n, columns)
    for column in range(columns):
        for r in range(repeats):
            shuffled[column, r, :, column] = X[rng.permutation(n), column]
    # one pass of the trees over every shuffled copy at once
    predicted = forest.predict(np.vstack([X, shuffled.reshape(-1, columns)]))
    scores = r2(y, predicted.reshape(-1, n))
    drops = (scores[0] - scores[1:]).reshape(columns, repeats)
    return drops.mean(axis=1), drops.std(axis=1)
