"""Logs `accuracy` = 1 - 4 (x - 0.3)^2 - (ln y)^2 / 16 - 0.5 [k != "b"]: best at x = 0.3, y = 1 (ln y = 0), k = b.

`noise` is taken and ignored: the parameter that does not matter.
"""

import math
import sys

from rest_log import log_metric

x, y, k, _noise = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
log_metric("accuracy", 1 - 4 * (x - 0.3) ** 2 - math.log(y) ** 2 / 16 - 0.5 * (k != "b"))
