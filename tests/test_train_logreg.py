"""The logistic regression script logs its validation metrics over the solver's iterations, as the quickstart's
early-termination policies and the report's curves need, and stops logging when the solver has converged."""

from __future__ import annotations

import importlib
import sys

from train_runs import TRAIN


class Recorded:
    """What ``fit`` hands a ``trainlib.Progress``: the steps and the probabilities, kept instead of streamed."""

    def __init__(self):
        self.steps: list[int] = []

    def probabilities(self, step, proba):
        assert proba.shape[1] == 2
        self.steps.append(step)


def fitted(*flags: str):
    """``fit`` of the script as a trial runs it (same flags, split and preprocessing), in this process."""
    if str(TRAIN) not in sys.path:
        sys.path.insert(0, str(TRAIN))  # src/train is uploaded code, not a package
    trainlib, train_logreg = importlib.import_module("trainlib"), importlib.import_module("train_logreg")
    args = trainlib.parser(train_logreg.MODEL).parse_args(["--dataset", "breast_cancer", *flags])
    data = trainlib.load_data(args.dataset, None, None)
    parts = trainlib.split(data, args.test_size, args.val_size, args.seed)
    prep = trainlib.make_preprocessor(data.X, scale=True, max_categories=20, source="breast_cancer")
    X, X_val = prep.fit_transform(parts.X_train), prep.transform(parts.X_val)
    recorded = Recorded()
    model = train_logreg.fit(args, train_logreg.build(args, data, 1), X, parts.y_train, X_val, parts.y_val, recorded)
    return model, recorded.steps


def test_saga_logs_after_every_step_of_iterations_until_max_iter():
    model, steps = fitted("--solver", "saga", "--C", "20", "--max-iter", "25", "--iters-per-step", "10")

    assert steps == [0, 1, 2]  # 10 + 10 + 5 iterations, none converged
    assert model.get_params()["max_iter"] == 25 and model.get_params()["warm_start"] is False


def test_a_converged_solver_stops_logging():
    _, steps = fitted("--solver", "saga", "--C", "0.02", "--max-iter", "300", "--iters-per-step", "10")

    assert 1 < len(steps) < 30 and steps == list(range(len(steps)))  # strong regularization: done well before 300


def test_liblinear_cannot_continue_a_fit_and_logs_once():
    _, steps = fitted("--solver", "liblinear", "--max-iter", "100")

    assert steps == [0]
