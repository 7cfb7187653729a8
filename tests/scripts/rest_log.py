"""``log_metric`` for the test trials whose subject is the sweep (its sampling, policies, limits, what the monitors and
``refine`` read), not MLflow's client: the request ``mlflow.log_metric`` sends, without importing MLflow.

MLflow's client sends ``POST /api/2.0/mlflow/runs/log-metric`` to the tracking server in ``MLFLOW_TRACKING_URI``, for
the run in ``MLFLOW_RUN_ID`` (the sweep's server and the trial's child run), retrying what it retries. Importing MLflow
costs a trial 1.5 s of CPU, most of what a test trial costs; these trials send the same request for 0.1 s. What
MLflow's client does in a trial is tested by the trials that import it (hello_sweep.py, logs_uri.py, start_run.py,
many_values.py, logging_styles.py, health_modes.py, autolog_*.py, and the training scripts in src/train). Where the
trial does not log through a server (the sweep's server failed; no run given), this is MLflow's own call.
"""

import json
import math
import os
import time
import urllib.error
import urllib.request

RETRIED = {429, 500, 502, 503, 504}  # MLflow's client retries these statuses (mlflow.utils.rest_utils)


def log_metric(key: str, value: float, step: int = 0) -> None:
    uri, run = os.environ.get("MLFLOW_TRACKING_URI", ""), os.environ.get("MLFLOW_RUN_ID")
    if not uri.startswith(("http://", "https://")) or not run:
        import mlflow

        mlflow.log_metric(key, value, step=step)
        return
    body = {"run_id": run, "key": key, "value": _double(value), "timestamp": int(time.time() * 1000), "step": step}
    request = urllib.request.Request(
        f"{uri.rstrip('/')}/api/2.0/mlflow/runs/log-metric",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    for attempt in range(7):
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
            return
        except urllib.error.HTTPError as e:
            if e.code not in RETRIED or attempt == 6:
                raise
        except urllib.error.URLError:
            if attempt == 6:
                raise
        time.sleep(min(2**attempt, 30))


def _double(value: float):
    """A double as protobuf's JSON writes it (what the client sends): NaN and the infinities as strings."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value
