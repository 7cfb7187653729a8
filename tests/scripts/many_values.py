"""Logs 300 values of the primary metric, one call each (store contention under concurrent trials)."""

import sys

import mlflow

offset = float(sys.argv[1])
for i in range(300):
    mlflow.log_metric("accuracy", offset + i / 1000, step=i)
