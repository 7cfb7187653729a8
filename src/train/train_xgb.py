"""XGBoost (``hist`` trees, the scikit-learn API); the validation metrics are logged after every boosting round
(step = round) by a training callback, from the metrics XGBoost evaluates on the validation split anyway.

    python train_xgb.py --dataset breast_cancer --n-estimators 200 --learning-rate 0.1 --max-depth 4 --subsample 0.8

Threads: ``nthread`` is OMP_NUM_THREADS when set (the local emulator sets it to share cores among concurrent
trials), else every core.
"""

import trainlib

# XGBoost's evaluation metric -> (the name we log, how to turn its value into ours)
RENAMED = {
    "logloss": ("val_log_loss", lambda v: v),
    "mlogloss": ("val_log_loss", lambda v: v),
    "error": ("val_accuracy", lambda v: 1.0 - v),
    "merror": ("val_accuracy", lambda v: 1.0 - v),
    "auc": ("val_roc_auc", lambda v: v),
}


def eval_metrics(binary):
    return ["logloss", "error", "auc"] if binary else ["mlogloss", "merror", "auc"]


def add_arguments(p):
    p.add_argument("--n-estimators", type=trainlib.whole, default=100, help="boosting rounds")
    p.add_argument("--learning-rate", type=float, default=0.3, help="eta")
    p.add_argument("--max-depth", type=trainlib.whole, default=6)
    p.add_argument("--min-child-weight", type=float, default=1.0)
    p.add_argument("--subsample", type=float, default=1.0)
    p.add_argument("--colsample-bytree", type=float, default=1.0)
    p.add_argument("--gamma", type=float, default=0.0, help="minimum loss reduction to split")
    p.add_argument("--reg-lambda", type=float, default=1.0, help="L2 regularization")
    p.add_argument("--reg-alpha", type=float, default=0.0, help="L1 regularization")
    p.add_argument("--max-bin", type=trainlib.whole, default=256)


def build(args, data, threads):
    from xgboost import XGBClassifier

    return XGBClassifier(
        n_estimators=args.n_estimators,
        learning_rate=args.learning_rate,
        max_depth=args.max_depth,
        min_child_weight=args.min_child_weight,
        subsample=args.subsample,
        colsample_bytree=args.colsample_bytree,
        gamma=args.gamma,
        reg_lambda=args.reg_lambda,
        reg_alpha=args.reg_alpha,
        max_bin=args.max_bin,
        tree_method="hist",
        eval_metric=eval_metrics(data.binary),
        n_jobs=threads,
        random_state=args.seed,
    )


def iteration_metrics(data):
    return [RENAMED[m][0] for m in eval_metrics(data.binary)]


def logging_callback(report):
    """An XGBoost callback calling ``report(round, metrics)`` after every round with our names for its metrics."""
    from xgboost.callback import TrainingCallback

    class LogEveryRound(TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            latest = {}
            for name, history in evals_log["validation_0"].items():
                ours, convert = RENAMED[name]
                latest[ours] = convert(float(history[-1]))
            report(epoch, latest)
            return False  # never stop training here: stopping is the sweep policy's call

    return LogEveryRound()


def fit(args, xgb, X, y, X_val, y_val, progress):
    xgb.set_params(callbacks=[logging_callback(progress.metrics)])
    xgb.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
    # the callback holds the metric stream, which must not be saved with the model; set as an attribute, because
    # set_params on a fitted XGBClassifier pushes every parameter to the booster, where the list-valued eval_metric
    # is then rejected at the next predict
    xgb.callbacks = None
    return xgb


MODEL = trainlib.Model("xgboost", __doc__, add_arguments, build, fit, iteration_metrics=iteration_metrics)

if __name__ == "__main__":
    trainlib.main(MODEL)
