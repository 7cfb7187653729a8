"""How a training script may log its metric, for the preflight tests: `--style every` logs `accuracy` at each of
`--values` epochs, `end` once after the last one, `nan` a NaN at each epoch."""

import argparse
import time

import mlflow

p = argparse.ArgumentParser()
p.add_argument("--style", choices=["every", "end", "nan"], required=True)
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--values", type=int, default=6)
p.add_argument("--seconds", type=float, default=0.05)
args = p.parse_args()

accuracy = 0.5
for epoch in range(args.values):
    time.sleep(args.seconds)
    accuracy += args.lr * (1 - accuracy)
    if args.style == "every":
        mlflow.log_metric("accuracy", accuracy, step=epoch)
    elif args.style == "nan":
        mlflow.log_metric("accuracy", float("nan"), step=epoch)
    mlflow.log_metric("train_loss", 1 - accuracy, step=epoch)
if args.style == "end":
    mlflow.log_metric("accuracy", accuracy)
