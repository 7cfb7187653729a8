"""Logistic regression (scikit-learn), fitted --iters-per-step solver iterations at a time (warm-started, so the
model keeps its coefficients from one step to the next); the validation metrics are logged after each step (step i
= i+1 steps of iterations), until --max-iter iterations are done or the fit has converged: the solver stopped inside
a step, or a whole step moved no coefficient by more than the solver's tolerance (relative to the largest, sag's
own test). For sag and saga an iteration is one pass over the training data; each step starts their gradient
memory anew, so the model is close to, not bit-equal with, one uninterrupted fit. liblinear cannot continue a fit:
it fits once and logs at step 0.

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
    p.add_argument("--max-iter", type=trainlib.whole, default=500, help="solver iterations in all")
    p.add_argument(
        "--iters-per-step",
        type=trainlib.whole,
        default=10,
        help="solver iterations between two loggings of the validation metrics",
    )
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


def fit(args, model, X, y, X_val, y_val, progress):
    """Warm-started steps of at most --iters-per-step iterations, each logged, until converged or --max-iter."""
    import numpy as np

    if args.solver == "liblinear" or args.iters_per_step >= args.max_iter:
        model.fit(X, y)
        progress.probabilities(0, model.predict_proba(X_val))
        return model
    if args.iters_per_step < 1:
        raise ValueError(f"--iters-per-step {args.iters_per_step}: expected at least 1")
    done, step, before = 0, 0, None
    while done < args.max_iter:
        chunk = min(args.iters_per_step, args.max_iter - done)
        model.set_params(warm_start=True, max_iter=chunk)
        model.fit(X, y)
        ran = int(max(model.n_iter_))
        done += ran
        progress.probabilities(step, model.predict_proba(X_val))
        step += 1
        weights = np.concatenate([model.coef_.ravel(), model.intercept_])
        if ran < chunk or _still(before, weights, model.tol):
            break
        before = weights
    model.set_params(warm_start=False, max_iter=args.max_iter)  # the model as the flags describe it
    return model


def _still(before, after, tol) -> bool:
    """No coefficient moved by more than ``tol`` times the largest one over a whole step."""
    import numpy as np

    if before is None:
        return False
    return float(np.max(np.abs(after - before))) <= tol * max(float(np.max(np.abs(after))), 1e-12)


MODEL = trainlib.Model("logistic_regression", __doc__, add_arguments, build, fit, scale=True)

if __name__ == "__main__":
    trainlib.main(MODEL)
