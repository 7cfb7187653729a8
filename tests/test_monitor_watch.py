"""`sweep watch --until` and `--notify`: a local HTTP server started by the test receives the `status --json` body
once; a failed POST is one line and leaves the exit code to the sweep's state."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from typer.testing import CliRunner

from emulator_helpers import sqlite_uri
from monitor_helpers import Trial, synth_sweep
from submit.cli import app
from submit.monitor import LocalSweeps, MonitorInputError, SweepSummary, TrialRecord
from submit.monitor.health import status_dict
from submit.monitor.record import MetricPoint
from submit.monitor.until import Until

NO_WORKSPACE = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_RESOURCE_GROUP": "", "AZUREML_WORKSPACE_NAME": ""}


def sweep(*args: str):
    return CliRunner().invoke(app, list(args), env=NO_WORKSPACE)


@pytest.fixture
def hook():
    """A local HTTP server in a thread that records every POST it receives (path, content type, JSON body)."""
    received: list[tuple[str, str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sweep-done", received
    server.shutdown()
    server.server_close()


def test_notify_posts_the_status_json_body_once_when_the_sweep_has_ended(failing_sweep, hook):
    uri, _ = failing_sweep
    url, received = hook
    run = sweep("watch", "fails", "--tracking-uri", uri, "--interval", "0.1", "--notify", url)
    assert run.exit_code == 0, run.output  # the sweep completed
    assert len(received) == 1
    path, kind, body = received[0]
    assert path == "/sweep-done" and kind == "application/json"
    status = json.loads(sweep("status", "fails", "--tracking-uri", uri, "--json").stdout)
    ignore = ("progress",)  # its elapsed time is the same for an ended sweep; the rest is the same body
    assert {k: v for k, v in body.items() if k not in ignore} == {k: v for k, v in status.items() if k not in ignore}
    assert body["progress"]["done"] == 4 and {f["kind"] for f in body["flags"]} == {"failure_rate", "state_disagrees"}
    assert f"notified {url}" in run.output


def test_until_n_trials_stops_watching_a_running_sweep_and_notifies(tmp_path, hook):
    uri = sqlite_uri(tmp_path)
    running = [Trial({"x": 0}, [0.1]), Trial({"x": 1}, [0.2]), Trial({"x": 2}, [0.3], status="running")]
    synth_sweep(uri, "live", running, state="running", limits={"max_total_trials": 6, "max_concurrent_trials": 2})
    url, received = hook
    run = sweep("watch", "live", "--tracking-uri", uri, "--until", "2-trials", "--notify", url, "--timeout", "30")
    assert run.exit_code == 0, run.output  # the awaited moment came; the sweep still runs
    assert "2 trials ended: stopped watching; the sweep is running" in run.output
    assert "progress: 2 of 6 (max_total_trials) trials done; 1 running of 2 at a time" in run.output
    [(_, _, body)] = received
    assert body["status"] == "running" and body["progress"]["done"] == 2 and body["progress"]["planned"] == 6


def test_a_failed_post_is_one_line_and_the_exit_code_follows_the_sweep(failing_sweep):
    uri, _ = failing_sweep
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = sweep("watch", "fails", "--tracking-uri", uri, "--notify", f"http://127.0.0.1:{port}/x", "--json")
    assert run.exit_code == 0
    lines = [ln for ln in run.output.splitlines() if ln.startswith("notify failed")]
    assert lines == [f"notify failed: http://127.0.0.1:{port}/x could not be reached ([Errno 111] Connection refused)"]
    assert "Traceback" not in run.output
    assert json.loads(run.stdout.splitlines()[-1])["event"] == "end"


def test_until_rejects_what_it_cannot_wait_for(failing_sweep):
    uri, _ = failing_sweep
    run = sweep("watch", "fails", "--tracking-uri", uri, "--until", "forever")
    assert run.exit_code == 2
    assert "--until forever: expected done, best-improves or N-trials" in run.output and "Traceback" not in run.output
    with pytest.raises(MonitorInputError):
        Until.parse("0-trials")


def _with_best(values: list[float]) -> SweepSummary:
    trials = [
        TrialRecord(f"s_{i}", f"r{i}", i, "completed", {}, [MetricPoint(0, v, float(i))]) for i, v in enumerate(values)
    ]
    return SweepSummary("s", "local", "x", "running", "loss", "minimize", trials)


def test_best_improves_waits_for_a_best_better_than_the_first_look():
    until = Until.parse("best-improves")
    assert not until.met(_with_best([0.5]))  # the first look sets the bar
    assert not until.met(_with_best([0.5, 0.7]))  # worse, to minimize
    assert until.met(_with_best([0.5, 0.7, 0.4]))
    fresh = Until.parse("best-improves")
    assert not fresh.met(_with_best([])) and fresh.met(_with_best([0.9]))  # no best at first: the first one counts


def test_the_watch_body_is_status_dict(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "done", [Trial({"x": 0}, [0.1])])
    body = status_dict(LocalSweeps(uri).status("done"))
    assert set(body) >= {"name", "status", "trials", "progress", "flags"} and body["flags"] == []
