"""Fails the way user code does: a message, then exit code 1."""

import sys

from rest_log import log_metric

log_metric("accuracy", 0.1)
print("loading data from /nowhere/train.csv", flush=True)
print("FileNotFoundError: /nowhere/train.csv", file=sys.stderr, flush=True)
sys.exit(1)
