"""The benchmark's objectives: scikit-learn models on scikit-learn datasets (cross-validated), Branin and Hartmann-6.

Every objective is a loss to minimise (Bayesmark's convention): 1 - accuracy, log loss, or mean squared error, each the
mean over a fixed 3-fold split, so a task is a deterministic function of its parameters. Spaces use only what Azure's
bayesian sampling accepts (choice, uniform, quniform); log scales are sampled as exponents, as Azure advises.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from submit.spec.space import Choice, QUniform, SearchSpace, Uniform


@dataclass
class Task:
    name: str
    space: SearchSpace
    loss: Callable[[dict[str, Any]], float]


@cache
def _data(name: str):
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    loader = {
        "breast": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
        "wine": datasets.load_wine,
        "iris": datasets.load_iris,
        "diabetes": datasets.load_diabetes,
    }[name]
    X, y = loader(return_X_y=True)
    if name == "digits":  # 600 of 1797 rows: keeps the suite inside its time budget, still 10 classes
        idx = np.random.default_rng(0).permutation(len(X))[:600]
        X, y = X[idx], y[idx]
    return StandardScaler().fit_transform(X), y


def _cv_loss(model, data: str, metric: str) -> float:
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    X, y = _data(data)
    regression = metric == "mse"
    cv = (KFold if regression else StratifiedKFold)(3, shuffle=True, random_state=0)
    scoring = {"mse": "neg_mean_squared_error", "nll": "neg_log_loss", "acc": "accuracy"}[metric]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = float(np.mean(cross_val_score(model, X, y, cv=cv, scoring=scoring)))
    return 1.0 - score if metric == "acc" else -score


_TREE = {
    "max_depth": QUniform(1, 15, 1),
    "min_samples_split": Uniform(0.01, 0.99),
    "min_samples_leaf": Uniform(0.01, 0.49),
    "max_features": Uniform(0.01, 0.99),
    "criterion": Choice(["gini", "entropy"]),
}


def _tree_args(p):
    return dict(
        max_depth=int(p["max_depth"]),
        min_samples_split=p["min_samples_split"],
        min_samples_leaf=p["min_samples_leaf"],
        max_features=p["max_features"],
        random_state=0,
    )


def _dt(data, metric):
    from sklearn.tree import DecisionTreeClassifier

    return lambda p: _cv_loss(DecisionTreeClassifier(criterion=p["criterion"], **_tree_args(p)), data, metric)


def _rf(data, metric):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    if metric == "mse":
        return lambda p: _cv_loss(RandomForestRegressor(n_estimators=10, **_tree_args(p)), data, metric)
    return lambda p: _cv_loss(
        RandomForestClassifier(n_estimators=10, criterion=p["criterion"], **_tree_args(p)), data, metric
    )


def _svm(data, metric):
    from sklearn.svm import SVC

    return lambda p: _cv_loss(
        SVC(C=10 ** p["log10_C"], gamma=10 ** p["log10_gamma"], tol=10 ** p["log10_tol"]), data, metric
    )


def _mlp(data, metric):
    from sklearn.neural_network import MLPClassifier

    return lambda p: _cv_loss(
        MLPClassifier(
            hidden_layer_sizes=(int(p["hidden"]),),
            activation=p["activation"],
            alpha=10 ** p["log10_alpha"],
            learning_rate_init=10 ** p["log10_lr"],
            max_iter=40,
            random_state=0,
        ),
        data,
        metric,
    )


def _lr(data, metric):
    from sklearn.linear_model import LogisticRegression

    return lambda p: _cv_loss(
        LogisticRegression(
            C=10 ** p["log10_C"],
            intercept_scaling=10 ** p["log10_intercept_scaling"],
            penalty=p["penalty"],
            solver="liblinear",
        ),
        data,
        metric,
    )


def _gb(data, metric):
    from sklearn.ensemble import GradientBoostingRegressor

    return lambda p: _cv_loss(
        GradientBoostingRegressor(
            n_estimators=int(p["n_estimators"]),
            learning_rate=10 ** p["log10_lr"],
            max_depth=int(p["max_depth"]),
            subsample=p["subsample"],
            random_state=0,
        ),
        data,
        metric,
    )


def branin(p) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_H_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(p) -> float:
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    return float(-np.sum(_H_ALPHA * np.exp(-np.sum(_H_A * (x - _H_P) ** 2, axis=1))))


def tasks() -> list[Task]:
    tree = SearchSpace(_TREE)
    svm = SearchSpace({"log10_C": Uniform(-1, 3), "log10_gamma": Uniform(-5, -1), "log10_tol": Uniform(-5, -1)})
    mlp = SearchSpace(
        {
            "hidden": QUniform(10, 100, 10),
            "activation": Choice(["relu", "tanh", "logistic"]),
            "log10_alpha": Uniform(-5, 1),
            "log10_lr": Uniform(-4, -0.5),
        }
    )
    lr = SearchSpace(
        {"log10_C": Uniform(-3, 2), "log10_intercept_scaling": Uniform(-2, 2), "penalty": Choice(["l1", "l2"])}
    )
    gb = SearchSpace(
        {
            "n_estimators": QUniform(10, 50, 10),
            "log10_lr": Uniform(-3, 0),
            "max_depth": Choice([1, 2, 3, 4, 5]),
            "subsample": Uniform(0.3, 1.0),
        }
    )
    return [
        Task("DT_breast_nll", tree, _dt("breast", "nll")),
        Task("DT_digits_acc", tree, _dt("digits", "acc")),
        Task("RF_wine_nll", tree, _rf("wine", "nll")),
        Task(
            "RF_diabetes_mse", SearchSpace({k: v for k, v in _TREE.items() if k != "criterion"}), _rf("diabetes", "mse")
        ),
        Task("SVM_digits_acc", svm, _svm("digits", "acc")),
        Task("MLP_iris_nll", mlp, _mlp("iris", "nll")),
        Task("LR_breast_nll", lr, _lr("breast", "nll")),
        Task("GB_diabetes_mse", gb, _gb("diabetes", "mse")),
        Task("Branin", SearchSpace({"x1": Uniform(-5, 10), "x2": Uniform(0, 15)}), branin),
        Task("Hartmann6", SearchSpace({f"x{i}": Uniform(0, 1) for i in range(1, 7)}), hartmann6),
    ]
