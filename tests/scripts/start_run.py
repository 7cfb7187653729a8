"""A script that opens its own run with mlflow.start_run()."""

import sys

import mlflow

with mlflow.start_run():
    mlflow.log_metric("accuracy", float(sys.argv[1]))
