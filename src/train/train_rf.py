"""Random forest (scikit-learn), grown in steps of --trees-per-step trees; the validation metrics are logged after
each step (step i = i+1 steps of trees), so early-termination policies can stop a weak forest early.

    python train_rf.py --dataset digits --n-estimators 200 --max-features sqrt --min-samples-leaf 2
"""

import numpy as np
import trainlib


def max_features(text):
    if text in ("sqrt", "log2"):
        return text
    value = float(text)
    return int(value) if value.is_integer() and value > 1 else value


def add_arguments(p):
    p.add_argument("--n-estimators", type=trainlib.whole, default=100, help="trees in the forest")
    p.add_argument(
        "--trees-per-step",
        type=trainlib.whole,
        default=10,
        help="trees added between two loggings of the validation metrics",
    )
    p.add_argument("--max-depth", type=trainlib.whole, default=0, help="0 = unlimited")
    p.add_argument("--min-samples-split", type=trainlib.whole, default=2)
    p.add_argument("--min-samples-leaf", type=trainlib.whole, default=1)
    p.add_argument("--max-features", type=max_features, default="sqrt", help="sqrt, log2, a fraction or a count")
    p.add_argument("--criterion", default="gini", choices=["gini", "entropy", "log_loss"])
    p.add_argument("--bootstrap", type=trainlib.whole, default=1, choices=[0, 1])
    p.add_argument("--class-weight", default="none", choices=["none", "balanced", "balanced_subsample"])


def build(args, data, threads):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(
        n_estimators=args.n_estimators,
        max_depth=args.max_depth or None,
        min_samples_split=args.min_samples_split,
        min_samples_leaf=args.min_samples_leaf,
        max_features=args.max_features,
        criterion=args.criterion,
        bootstrap=bool(args.bootstrap),
        class_weight=None if args.class_weight == "none" else args.class_weight,
        n_jobs=threads,
        random_state=args.seed,
    )


def fit(args, forest, X, y, X_val, y_val, progress):
    if args.trees_per_step < 1:
        raise trainlib.UserError(f"--trees-per-step {args.trees_per_step}: expected at least 1")
    forest.set_params(warm_start=True)
    total, grown = args.n_estimators, 0
    proba_sum = np.zeros((len(X_val), len(np.unique(y))))
    for step, n in enumerate(range(min(args.trees_per_step, total), total + args.trees_per_step, args.trees_per_step)):
        n = min(n, total)
        forest.set_params(n_estimators=n).fit(X, y)
        # a forest's probability is the mean of its trees': add the new trees' share instead of re-predicting all
        for tree in forest.estimators_[grown:n]:
            proba_sum += tree.predict_proba(X_val)
        grown = n
        progress.probabilities(step, proba_sum / grown)
        if n == total:
            break
    return forest.set_params(warm_start=False)


MODEL = trainlib.Model("random_forest", __doc__, add_arguments, build, fit)

if __name__ == "__main__":
    trainlib.main(MODEL)
