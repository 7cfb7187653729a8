"""One trial of a sweep built to trip the monitor's health flags: argv[1] says how it misbehaves.

ok: logs `accuracy` 0.8; acc: logs `acc` (the spec says `accuracy`); nan: logs `accuracy` NaN; fail: exits 1.
"""

import sys

mode = sys.argv[1]
if mode == "fail":
    sys.exit(1)

import mlflow  # noqa: E402 - a failing trial need not pay for the import

if mode == "acc":
    mlflow.log_metric("acc", 0.9)
else:
    mlflow.log_metric("accuracy", float("nan") if mode == "nan" else 0.8)
