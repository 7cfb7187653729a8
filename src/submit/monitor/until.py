"""`sweep watch --until` and `--notify`, as data: when watching may stop, and the one POST that says so.

``Until.parse("done" | "best-improves" | "N-trials")``; ``met(summary)`` is asked at every look. ``done`` is met
when the sweep ends; ``best-improves`` when the best value is better than the one the first look saw (with no best
at the first look, when there is one); ``N-trials`` when N trials have ended (completed, failed or canceled). A
sweep that ends stops the watch whatever was awaited: nothing more can happen.

``notify(url, body)`` POSTs the body as JSON once and returns None, or the reason it failed in one line: a failed
notice is reported, and the exit code still follows the sweep's state. ``notify_url(url)`` checks the URL before the
watch starts: http or https with a host, nothing else (urllib would read ``file:///etc/passwd`` as a "response").
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from ..spec.objective import better
from .record import MonitorInputError, SweepSummary

NOTIFY_SCHEMES = ("http", "https")
NOTIFY_TIMEOUT_S = 10.0  # a hook that does not answer in this time is reported as failed; the watch is over anyway


@dataclass
class Until:
    kind: str  # done | best-improves | trials
    trials: int | None = None
    _baseline: list = field(default_factory=list)  # the best value of the first look (a list: "not seen yet")

    @classmethod
    def parse(cls, text: str) -> Until:
        if text in ("done", "best-improves"):
            return cls(text)
        m = re.fullmatch(r"(\d+)-trials?", text)
        if m and int(m.group(1)) > 0:
            return cls("trials", int(m.group(1)))
        raise MonitorInputError(
            f"--until {text}: expected done, best-improves or N-trials (e.g. 10-trials: until 10 trials ended)"
        )

    def met(self, summary: SweepSummary) -> bool:
        if self.kind == "done":
            return False  # the watch ends with the sweep
        if self.kind == "trials":
            return len(summary.ended_trials) >= (self.trials or 0)
        best = summary.best.best if summary.best is not None else None
        if not self._baseline:
            self._baseline.append(best)
            return False
        return best is not None and better(best, self._baseline[0], summary.goal)

    def describe(self) -> str:
        return f"{self.trials} trials ended" if self.kind == "trials" else self.kind


def notify_url(url: str) -> str:
    """``url`` if it is an http(s) URL with a host; else ``MonitorInputError`` naming ``--notify``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in NOTIFY_SCHEMES or not parts.hostname:
        raise MonitorInputError(
            f"--notify {url!r}: expected an http:// or https:// URL with a host, e.g. https://hooks.example.com/x"
        )
    return url


def notify(url: str, body: dict[str, Any], timeout: float = NOTIFY_TIMEOUT_S) -> str | None:
    """POST ``body`` as JSON to ``url``; None when the server answered 2xx, else why not, in one line."""
    try:
        notify_url(url)
    except MonitorInputError as e:
        return str(e)
    data = json.dumps(body, default=str).encode()
    try:
        request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            if 200 <= answer.status < 300:
                return None
            return f"{url} answered HTTP {answer.status}"
    except urllib.error.HTTPError as e:
        return f"{url} answered HTTP {e.code} {e.reason}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        return f"{url} could not be reached ({reason})"
