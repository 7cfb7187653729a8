"""Prints the tracking URI it was given, then logs three values of the primary metric through it."""

import os
import sys

import mlflow

print("MLFLOW_TRACKING_URI=" + os.environ["MLFLOW_TRACKING_URI"], flush=True)
for step in range(3):
    mlflow.log_metric("accuracy", float(sys.argv[1]) + step / 10, step=step)
