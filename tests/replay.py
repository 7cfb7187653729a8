"""Real Azure ML traffic replayed under the real MLClient: an azure-core transport that answers each request with the
recorded response of the same method and path, and fails the test on any request no recording answers.

The recordings are azure-ai-ml's own e2e test recordings (the Azure SDK team's test-proxy format: RequestUri,
RequestMethod, RequestBody, StatusCode, ResponseHeaders, ResponseBody), trimmed copies in tests/fixtures/recordings
(SOURCE.md there names each file's origin, commit and licence, and what was left out).

A request and a recorded entry are the same when their method and normalized path are: the host is left out (the
recordings say ``Sanitized.azure.com``; the SDK asks ``management.azure.com`` and the workspace's regional host),
and so is the query (api-version, hashes); the subscription, resource group, workspace and region, which the
recordings sanitize to zeros, become placeholders, as does a code asset's sanitized name. Entries of one path answer
in the order they were recorded (a long-running operation's polls); the last one answers any further asks.

What a flow needs and no recording holds is given by the test with ``write``, named and counted apart from the
recorded answers, so a test says which of its answers are written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from azure.core.pipeline._tools import is_rest

from _azure_util import InMemoryTransport, Recorded, _json_response

RECORDINGS = Path(__file__).resolve().parent / "fixtures" / "recordings"

_PLACEHOLDERS = (
    (re.compile(r"/subscriptions/[^/]+", re.I), "/subscriptions/{subscription}"),
    (re.compile(r"/resourceGroups/[^/]+", re.I), "/resourceGroups/{resource_group}"),
    (re.compile(r"/workspaces/[^/]+", re.I), "/workspaces/{workspace}"),
    (re.compile(r"/locations/[^/]+", re.I), "/locations/{region}"),
    (re.compile(r"/codes/[^/]+/versions$"), "/codes/{code}/versions"),  # the listing by hash: a sanitized name
)


def route(method: str, url: str) -> tuple[str, str]:
    """(METHOD, path) with the host, the query and the sanitized scope left out: what a request is matched by."""
    path = unquote(urlsplit(url).path).rstrip("/")
    for pattern, placeholder in _PLACEHOLDERS:
        path = pattern.sub(placeholder, path)
    return method.upper(), path


@dataclass
class Entry:
    """One recorded request and the service's answer."""

    method: str
    uri: str
    request_body: Any
    status: int
    headers: dict
    body: Any

    @property
    def route(self) -> tuple[str, str]:
        return route(self.method, self.uri)


@dataclass
class Recording:
    name: str
    source: dict
    entries: list[Entry]
    variables: dict = field(default_factory=dict)

    def find(self, method: str, pattern: str) -> list[Entry]:
        return [e for e in self.entries if e.method == method and re.search(pattern, route(e.method, e.uri)[1])]


def load(name: str) -> Recording:
    """A recording of tests/fixtures/recordings by its file name (without .json)."""
    data = json.loads((RECORDINGS / f"{name}.json").read_text())
    entries = [
        Entry(
            e["RequestMethod"],
            e["RequestUri"],
            e.get("RequestBody"),
            e["StatusCode"],
            e.get("ResponseHeaders") or {},
            e.get("ResponseBody"),
        )
        for e in data["Entries"]
    ]
    return Recording(name, data.get("Source", {}), entries, data.get("Variables", {}))


class Unrecorded(BaseException):
    """A request no recording (and no written answer) answers: our code asked what the SDK's own flow did not.

    A ``BaseException``, so that no ``except Exception`` on the way (the SDK's, ours) turns it into a message a test
    could mistake for the behaviour it checks."""


class ReplayTransport(InMemoryTransport):
    """The recorded Azure ML REST conversation as the MLClient's HTTP transport.

    ``requests`` keeps what was asked (``Recorded``: method, url, headers, JSON body); ``served`` which entry answered
    each (a recording's name and index, or ``written:<why>``); ``slept`` the waits azure-core's pollers asked for,
    which replay does not spend (the recorded polls already happened).
    """

    def __init__(self, *recordings: Recording):
        self.recordings = recordings
        self.requests: list[Recorded] = []
        self.served: list[str] = []
        self.misses: list[str] = []
        self.slept: list[float] = []
        self._queues: dict[tuple[str, str], list[tuple[str, Entry]]] = {}
        self._asked: dict[tuple[str, str], int] = {}
        self._written: dict[tuple[str, str], tuple[str, int, Any]] = {}
        self._aliases: dict[tuple[str, str], tuple[tuple[str, str], str, int | None]] = {}
        for rec in recordings:
            for i, entry in enumerate(rec.entries):
                self._queues.setdefault(entry.route, []).append((f"{rec.name}#{i}", entry))

    # what a test adds, each with its reason -------------------------------------------------------------------

    def write(self, method: str, url_or_path: str, status: int, body: Any, *, why: str) -> None:
        """Answer a call no recording holds with a written response; ``why`` says which call and why it is needed."""
        self._written[route(method, url_or_path)] = (why, status, body)

    def answer_as(
        self, method: str, path: str, recorded_method: str, recorded_path: str, *, why: str, status: int | None = None
    ) -> None:
        """Answer ``method path`` with the recorded answer to another request (e.g. a job's GET with its recorded
        PUT's response, the same resource as the service holds it; ``status`` 200 then, for the PUT's 201)."""
        self._aliases[route(method, path)] = (route(recorded_method, recorded_path), why, status)

    # azure-core's transport ------------------------------------------------------------------------------------

    def sleep(self, duration):
        self.slept.append(duration)

    def send(self, request, **kwargs):
        content = request.content if is_rest(request) else request.body
        if isinstance(content, (bytes, bytearray)):
            content = content.decode()
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = content
        self.requests.append(Recorded(request.method, request.url, dict(request.headers), body))
        key = route(request.method, request.url)
        label, status = "", None
        if key in self._aliases:
            key, why, status = self._aliases[key]
            label = f" (as {key[0]} {key[1]}: {why})"
        if key in self._queues:
            queue = self._queues[key]
            n = self._asked.get(key, 0)
            self._asked[key] = n + 1
            source, entry = queue[min(n, len(queue) - 1)]
            self.served.append(source + label)
            return self._response(request, status or entry.status, entry.body, entry.headers)
        if key in self._written:
            why, status, payload = self._written[key]
            self.served.append(f"written: {why}")
            return _json_response(request, status, payload)
        miss = f"{request.method} {key[1]} (asked as {request.url})"
        self.misses.append(miss)
        raise Unrecorded(f"no recording answers {miss}")

    @staticmethod
    def _response(request, status: int, body: Any, headers: dict):
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        if isinstance(body, str):  # a body recorded as text (the cancel's literal "null"): sent as it was
            response = _json_response(request, status, None, extra)
            response_bytes = body.encode()
            internal = getattr(response, "internal_response", None)
            if internal is not None:
                internal._content = response_bytes
            if hasattr(response, "_content"):
                response._content = response_bytes
            return response
        return _json_response(request, status, body, extra)

    def used(self, recording: Recording) -> list[int]:
        """The indexes of ``recording``'s entries that answered a request."""
        prefix = f"{recording.name}#"
        return sorted({int(s[len(prefix) :].split(" ", 1)[0]) for s in self.served if s.startswith(prefix)})
