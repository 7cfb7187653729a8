"""A learning curve at a constant level: 3 values quickly, then a slow tail (a policy has time to cancel it)."""

import sys
import time

from rest_log import log_metric

level = float(sys.argv[1])
for i in range(3):
    log_metric("accuracy", level, step=i)
for i in range(3, 8):
    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 4)
    log_metric("accuracy", level, step=i)
