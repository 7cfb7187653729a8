"""Records what the trial received: argv, its working folder, and the AZUREML_SWEEP_ / thread variables."""

import json
import os
import sys

from rest_log import log_metric

with open("received.json", "w") as f:  # relative: each trial has its own snapshot, so this must not collide
    json.dump(
        {
            "argv": sys.argv[1:],
            "cwd": os.getcwd(),
            "env": {k: v for k, v in os.environ.items() if k.startswith(("AZUREML_SWEEP_", "OMP_", "MLFLOW_"))},
        },
        f,
    )
log_metric("accuracy", float(sys.argv[1]))
