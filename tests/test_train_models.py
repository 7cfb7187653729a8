"""The logistic regression script logs its validation metrics over the solver's iterations, as the quickstart's
early-termination policies and the report's curves need, and stops logging when the solver has converged; the SVM
script takes C and gamma as powers of ten, for the Bayesian spec's uniform exponents."""

from __future__ import annotations

import importlib
import sys

import pytest

from train_runs import TRAIN


def scripts(*names: str):
    """The training scripts' modules (src/train is uploaded code, not a package)."""
    if str(TRAIN) not in sys.path:
        sys.path.insert(0, str(TRAIN))
    return [importlib.import_module(name) for name in names]


class Recorded:
    """What ``fit`` hands a ``trainlib.Progress``: the steps and the probabilities, kept instead of streamed."""

    def __init__(self):
        self.steps: list[int] = []

    def probabilities(self, step, proba):
        assert proba.shape[1] == 2
        self.steps.append(step)


def fitted(*flags: str):
    """``fit`` of the script as a trial runs it (same flags, split and preprocessing), in this process."""
    trainlib, train_logreg = scripts("trainlib", "train_logreg")
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


def test_svm_takes_c_and_gamma_as_powers_of_ten():
    trainlib, train_svm = scripts("trainlib", "train_svm")
    parser = trainlib.parser(train_svm.MODEL)
    args = parser.parse_args(["--dataset", "digits", "--log10-C", "2", "--log10-gamma", "-3"])

    svc = train_svm.build(args, trainlib.load_data("digits", None, None), 1).estimator
    assert (svc.C, svc.gamma) == pytest.approx((100.0, 0.001))
    assert (args.log10_C, args.log10_gamma) == (2.0, -3.0)  # the run's params hold the exponent and the value
    with pytest.raises(SystemExit):
        parser.parse_args(["--dataset", "digits", "--C", "1", "--log10-C", "2"])  # one C, not two
