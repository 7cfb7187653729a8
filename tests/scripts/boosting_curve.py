"""Mimics src/train/train_xgb.py's logging for fast policy tests: a validation log loss after every boosting round.

The curve falls from 0.69 towards ``--floor`` at ``--rate`` per round, ``--seconds`` apart, so a trial with a low
learning rate is visibly worse from its first rounds, as a real XGBoost trial is.
"""

import argparse
import math
import time

from rest_log import log_metric

p = argparse.ArgumentParser()
p.add_argument("--rate", type=float, required=True)
p.add_argument("--floor", type=float, default=0.2)
p.add_argument("--rounds", type=int, default=30)
p.add_argument("--seconds", type=float, default=0.05)
p.add_argument("--accuracy", action="store_true", help="log val_accuracy = 1 - loss instead (a metric to maximize)")
args = p.parse_args()

for r in range(args.rounds):
    time.sleep(args.seconds)
    loss = args.floor + (0.69 - args.floor) * math.exp(-args.rate * (r + 1))
    if args.accuracy:
        log_metric("val_accuracy", 1 - loss, step=r)
    else:
        log_metric("val_log_loss", loss, step=r)
