"""Multi-layer perceptron (scikit-learn MLPClassifier), trained one epoch at a time with ``partial_fit``; the
validation metrics are logged after every epoch (step = epoch).

    python train_mlp.py --dataset digits --hidden-layer-sizes 64,32 --learning-rate-init 0.003 --epochs 30
"""

import trainlib


def layers(text):
    try:
        sizes = tuple(int(s) for s in str(text).replace(" ", "").split(",") if s)
    except ValueError:
        raise ValueError(text) from None
    if not sizes or min(sizes) < 1:
        raise ValueError(text)
    return sizes


def add_arguments(p):
    p.add_argument(
        "--hidden-layer-sizes", type=layers, default=(64,), help="comma-separated units per hidden layer, e.g. 64,32"
    )
    p.add_argument("--activation", default="relu", choices=["identity", "logistic", "tanh", "relu"])
    p.add_argument("--solver", default="adam", choices=["adam", "sgd"])
    p.add_argument("--alpha", type=float, default=1e-4, help="L2 penalty")
    p.add_argument("--learning-rate-init", type=float, default=1e-3)
    p.add_argument("--batch-size", type=trainlib.whole, default=32)
    p.add_argument("--momentum", type=float, default=0.9, help="sgd solver only")
    p.add_argument("--epochs", type=trainlib.whole, default=30, help="passes over the training data")


def build(args, data, threads):
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=args.hidden_layer_sizes,
        activation=args.activation,
        solver=args.solver,
        alpha=args.alpha,
        learning_rate_init=args.learning_rate_init,
        batch_size=args.batch_size,
        momentum=args.momentum,
        max_iter=args.epochs,
        random_state=args.seed,
    )


MODEL = trainlib.Model("mlp", __doc__, add_arguments, build, trainlib.fit_by_epoch, scale=True)

if __name__ == "__main__":
    trainlib.main(MODEL)
