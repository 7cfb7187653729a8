"""Azure's hello-sweep, unmodified in spirit: plain mlflow.log_metric, no start_run."""

import argparse

import mlflow

p = argparse.ArgumentParser()
p.add_argument("--A", type=float)
p.add_argument("--B", type=str)
p.add_argument("--C", type=float)
args = p.parse_args()
mlflow.set_tag("received_B", args.B)
for step in range(3):
    mlflow.log_metric("accuracy", args.A * args.C + step * 0.01, step=step)
print("B =", repr(args.B))
