"""Support vector machine (scikit-learn SVC with Platt-scaled probabilities), fitted once.

Probabilities come from ``CalibratedClassifierCV(SVC(), method="sigmoid", ensemble=False)``, scikit-learn's
replacement for the deprecated ``SVC(probability=True)`` (the same Platt scaling on cross-validated decision values).

    python train_svm.py --dataset wine --C 3 --kernel rbf --gamma scale
    python train_svm.py --dataset digits --log10-C 2 --log10-gamma -3.5

``--log10-C`` and ``--log10-gamma`` take the exponents instead: a search over a log scale with a sampler that has no
log distributions (Azure's Bayesian sampling takes choice, uniform and quniform only). The run's params then hold
both the exponent and the value it gives.
"""

import argparse

import trainlib


def gamma(text):
    return text if text in ("scale", "auto") else float(text)


class PowerOf10(argparse.Action):
    """``--log10-X E``: keeps E as ``log10_X`` and sets ``X`` to 10**E."""

    def __call__(self, parser, namespace, value, option_string=None):
        setattr(namespace, self.dest, value)
        setattr(namespace, self.dest.removeprefix("log10_"), 10.0**value)


def add_arguments(p):
    c = p.add_mutually_exclusive_group()
    c.add_argument("--C", type=float, default=1.0, help="inverse regularization strength")
    c.add_argument("--log10-C", type=float, action=PowerOf10, help="C as a power of 10: C = 10**value")
    p.add_argument("--kernel", default="rbf", choices=["linear", "poly", "rbf", "sigmoid"])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--gamma", type=gamma, default="scale", help="kernel coefficient: scale, auto or a number")
    g.add_argument("--log10-gamma", type=float, action=PowerOf10, help="gamma as a power of 10: gamma = 10**value")
    p.add_argument("--degree", type=trainlib.whole, default=3, help="degree of the poly kernel")
    p.add_argument("--coef0", type=float, default=0.0, help="independent term of the poly and sigmoid kernels")
    p.add_argument("--class-weight", default="none", choices=["none", "balanced"])


def build(args, data, threads):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    svc = SVC(
        C=args.C,
        kernel=args.kernel,
        gamma=args.gamma,
        degree=args.degree,
        coef0=args.coef0,
        class_weight=None if args.class_weight == "none" else args.class_weight,
        random_state=args.seed,
    )
    return CalibratedClassifierCV(svc, method="sigmoid", ensemble=False)


MODEL = trainlib.Model("svm", __doc__, add_arguments, build, scale=True)

if __name__ == "__main__":
    trainlib.main(MODEL)
