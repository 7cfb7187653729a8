"""mlflow.autolog() with scikit-learn on iris: the metric names are autolog's."""

import sys

import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

mlflow.autolog(log_models=False, log_datasets=False, silent=True)
X, y = load_iris(return_X_y=True)
LogisticRegression(C=float(sys.argv[1]), max_iter=200).fit(X, y)
