"""Linear classifier trained by stochastic gradient descent (scikit-learn SGDClassifier), one epoch at a time with
``partial_fit``; the validation metrics are logged after every epoch (step = epoch).

    python train_sgd.py --dataset breast_cancer --loss log_loss --alpha 0.0001 --penalty elasticnet --epochs 20
"""

import trainlib


def add_arguments(p):
    p.add_argument(
        "--loss", default="log_loss", choices=["log_loss", "modified_huber"], help="losses that give probabilities"
    )
    p.add_argument("--penalty", default="l2", choices=["l2", "l1", "elasticnet"])
    p.add_argument("--alpha", type=float, default=1e-4, help="regularization strength")
    p.add_argument("--l1-ratio", type=float, default=0.15, help="elasticnet mixing")
    p.add_argument("--learning-rate", default="optimal", choices=["optimal", "constant", "invscaling", "adaptive"])
    p.add_argument("--eta0", type=float, default=0.01, help="initial learning rate (not used by optimal)")
    p.add_argument("--epochs", type=trainlib.whole, default=20, help="passes over the training data")


def build(args, data, threads):
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(
        loss=args.loss,
        penalty=args.penalty,
        alpha=args.alpha,
        l1_ratio=args.l1_ratio,
        learning_rate=args.learning_rate,
        eta0=args.eta0,
        max_iter=args.epochs,
        tol=None,
        random_state=args.seed,
    )


MODEL = trainlib.Model("sgd", __doc__, add_arguments, build, trainlib.fit_by_epoch, scale=True)

if __name__ == "__main__":
    trainlib.main(MODEL)
