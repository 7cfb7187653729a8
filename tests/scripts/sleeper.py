"""Logs one value, then sleeps (for timeouts, cancels and Ctrl-C)."""

import sys
import time

import mlflow

mlflow.log_metric("accuracy", float(sys.argv[2]) if len(sys.argv) > 2 else 0.5)
print("sleeping", sys.argv[1], flush=True)
time.sleep(float(sys.argv[1]))
