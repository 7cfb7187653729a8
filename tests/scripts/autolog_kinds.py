"""mlflow.autolog() with scikit-learn on iris, given a value of each kind a sweep samples.

`--C` comes from an integer choice and is read as a float, so autolog logs `2.0` where the command said `2`: the
spelling clash that once failed autolog, when the emulator logged the sampled values as the run's params.
"""

import argparse

import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float)  # an int choice
parser.add_argument("--tol", type=float)  # a float choice
parser.add_argument("--intercept_scaling", type=float)  # a quniform
parser.add_argument("--solver")  # a string choice
args = parser.parse_args()

mlflow.autolog(log_models=False, log_datasets=False, silent=True)
X, y = load_iris(return_X_y=True)
LogisticRegression(max_iter=300, **vars(args)).fit(X, y)
