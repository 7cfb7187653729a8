"""Support vector machine (scikit-learn SVC with Platt-scaled probabilities), fitted once.

Probabilities come from ``CalibratedClassifierCV(SVC(), method="sigmoid", ensemble=False)``, scikit-learn's
replacement for the deprecated ``SVC(probability=True)`` (the same Platt scaling on cross-validated decision values).

    python train_svm.py --dataset wine --C 3 --kernel rbf --gamma scale
"""

import trainlib


def gamma(text):
    return text if text in ("scale", "auto") else float(text)


def add_arguments(p):
    p.add_argument("--C", type=float, default=1.0, help="inverse regularization strength")
    p.add_argument("--kernel", default="rbf", choices=["linear", "poly", "rbf", "sigmoid"])
    p.add_argument("--gamma", type=gamma, default="scale", help="kernel coefficient: scale, auto or a number")
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
