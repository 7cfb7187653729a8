"""Logs `acc` and `loss` where the spec expects `accuracy`."""

import mlflow

mlflow.log_metric("acc", 0.9)
mlflow.log_metric("loss", 0.3)
