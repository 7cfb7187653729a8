"""Logs `accuracy` = 1 - (x - 0.3)^2 - (k != "b") / 10: best at x = 0.3, k = b."""

import sys

import mlflow

x, k = float(sys.argv[1]), sys.argv[2]
mlflow.log_metric("accuracy", 1 - (x - 0.3) ** 2 - (k != "b") / 10)
