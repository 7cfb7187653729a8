"""Logs `accuracy` = 1 - (x - 0.3)^2 - (k != "b") / 10: best at x = 0.3, k = b."""

import sys

from rest_log import log_metric

x, k = float(sys.argv[1]), sys.argv[2]
log_metric("accuracy", 1 - (x - 0.3) ** 2 - (k != "b") / 10)
