"""Logistic regression (scikit-learn), fitted once; logs the validation metrics at step 0 and the final metrics.

python train_logreg.py --dataset breast_cancer --C 0.5 --l1-ratio 0.5 --solver saga
"""

import trainlib


def add_arguments(p):
    p.add_argument("--C", type=float, default=1.0, help="inverse regularization strength")
    p.add_argument(
        "--l1-ratio", type=float, default=0.0, help="0 = L2, 1 = L1, between = elastic net (needs --solver saga)"
    )
    p.add_argument(
        "--solver", default="lbfgs", choices=["lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"]
    )
    p.add_argument("--max-iter", type=trainlib.whole, default=500)
    p.add_argument("--class-weight", default="none", choices=["none", "balanced"])


def build(args, data, threads):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=args.C,
        l1_ratio=args.l1_ratio,
        solver=args.solver,
        max_iter=args.max_iter,
        class_weight=None if args.class_weight == "none" else args.class_weight,
        random_state=args.seed,
    )


MODEL = trainlib.Model("logistic_regression", __doc__, add_arguments, build, scale=True)

if __name__ == "__main__":
    trainlib.main(MODEL)
