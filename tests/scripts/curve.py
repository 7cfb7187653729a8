"""A learning curve at a constant level: 3 values quickly, then a slow tail (a policy has time to cancel it)."""

import sys
import time

import mlflow

level = float(sys.argv[1])
for i in range(3):
    mlflow.log_metric("accuracy", level, step=i)
for i in range(3, 8):
    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 4)
    mlflow.log_metric("accuracy", level, step=i)
