"""Logs `acc` and `loss` where the spec expects `accuracy`."""

from rest_log import log_metric

log_metric("acc", 0.9)
log_metric("loss", 0.3)
