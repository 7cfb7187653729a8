"""Gradient boosting (scikit-learn GradientBoostingClassifier), one stage at a time; the validation metrics are
logged after every stage (step = stage index).

    python train_gb.py --dataset breast_cancer --n-estimators 100 --learning-rate 0.1 --max-depth 3 --subsample 0.8
"""

import numpy as np
import trainlib


def add_arguments(p):
    p.add_argument("--n-estimators", type=trainlib.whole, default=100, help="boosting stages")
    p.add_argument("--learning-rate", type=float, default=0.1)
    p.add_argument("--max-depth", type=trainlib.whole, default=3)
    p.add_argument("--min-samples-split", type=trainlib.whole, default=2)
    p.add_argument("--min-samples-leaf", type=trainlib.whole, default=1)
    p.add_argument("--subsample", type=float, default=1.0, help="fraction of rows per stage (< 1: stochastic boosting)")
    p.add_argument("--max-features", type=float, default=1.0, help="fraction of features per split")


def build(args, data, threads):
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(
        n_estimators=args.n_estimators,
        learning_rate=args.learning_rate,
        max_depth=args.max_depth,
        min_samples_split=args.min_samples_split,
        min_samples_leaf=args.min_samples_leaf,
        subsample=args.subsample,
        max_features=args.max_features,
        random_state=args.seed,
    )


def fit(args, gb, X, y, X_val, y_val, progress):
    # warm start adds one stage per fit; a seeded RandomState object (not an int, which would re-seed every call
    # and give every stage the same subsample) keeps the stages' subsamples as a single fit would draw them
    gb.set_params(warm_start=True, random_state=np.random.RandomState(args.seed))
    for stage in range(args.n_estimators):
        gb.set_params(n_estimators=stage + 1).fit(X, y)
        progress.probabilities(stage, gb.predict_proba(X_val))
    return gb.set_params(warm_start=False, random_state=args.seed)


MODEL = trainlib.Model("gradient_boosting", __doc__, add_arguments, build, fit)

if __name__ == "__main__":
    trainlib.main(MODEL)
