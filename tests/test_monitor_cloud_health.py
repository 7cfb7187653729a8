# ruff: noqa: F811
"""Progress and health of an Azure ML sweep, through the real MLClient over the recorded REST API: the children
listing read page by page (continuation tokens), a child azure-ai-ml cannot parse counted and named, a listing
shorter than the sweep's own tags flagged, and the parent's `_aml_system_*` tags driving the progress."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from rich.console import Console

from submit.cli.monitor_render import render_status
from submit.monitor.cloud import CloudSweeps
from submit.monitor.health import flags, status_dict
from submit.monitor.progress import progress_of

# the stand-in tracking server is test_monitor_cloud's fixture: imported, pytest finds it here, and the tests' own
# parameter of that name is what ruff would call a redefinition (F811)
from test_monitor_cloud import a_sweep, client

STARTED_AGO = timedelta(minutes=5)  # the sweep's age when it is read: well inside its 30-minute budget


def troubled_cloud_sweep(rest, tmp_path, tracking: str) -> str:
    """The sweep of test_monitor_cloud (completed, canceled, failed, running children) with a fifth child whose
    `properties` is not an object (azure-ai-ml raises JobParsingError and lists it as None), and the budget in the
    parent's `_aml_system_*` tags, as the service sets them (different from the spec's limits, so the tags decide)."""
    name = a_sweep(rest, tmp_path, tracking)
    job = rest.jobs[name]
    # created STARTED_AGO before now, not before the module was imported: a run that is slow to reach this test
    # (32 minutes on a loaded machine) would otherwise find the sweep past its timeout
    started = datetime.now(timezone.utc) - STARTED_AGO
    job["systemData"] = {"createdAt": started.isoformat().replace("+00:00", "Z"), "createdBy": "test"}
    job["properties"]["tags"].update(
        {
            "_aml_system_max_total_jobs": "6",
            "_aml_system_max_concurrent_jobs": "3",
            "_aml_system_max_duration_minutes": "30",
            "_aml_system_all_jobs_generated": "false",
            "_aml_system_cancellation_requested": "false",
            f"{name}_4": json.dumps({"--lr": 0.005, "--opt": "sgd"}),
        }
    )
    bad = dict(rest.children[name][0], runId=f"{name}_4", displayName=f"{name}_4", status="Completed")
    bad["properties"] = ["not", "an", "object"]
    rest.children[name].append(bad)
    return name


def test_every_page_is_read_and_the_child_that_fails_to_parse_is_counted_and_named(rest, tmp_path, tracking_server):
    name = troubled_cloud_sweep(rest, tmp_path, tracking_server)
    rest.page_size = 2  # 5 children: three pages, each reached by the previous page's continuation token
    rest.requests.clear()
    summary = CloudSweeps(client(rest), tracking_uri=tracking_server).status(name)

    pages = rest.requests_to("GET", rf"/runs/{name}/children$")
    assert [p.query.get("$continuationtoken") for p in pages] == [None, "2", "4"]
    assert sorted(t.name for t in summary.trials) == [f"{name}_{i}" for i in range(4)]
    assert summary.unparsed_children == [f"{name}_4 (Completed)"]  # by the page's own runId and status
    assert any(f"{name}_4" in w for w in summary.warnings)
    [unreadable] = [f for f in flags(summary) if f.kind == "unreadable_trials"]
    assert unreadable.trials == [f"{name}_4 (Completed)"]
    body = status_dict(summary)
    assert body["unparsed_children"] == [f"{name}_4 (Completed)"]
    assert "unreadable_trials" in {f["kind"] for f in body["flags"]}
    assert "listing_cut" not in {f["kind"] for f in body["flags"]}  # the bad child was listed: nothing is missing


def test_the_system_tags_drive_the_progress(rest, tmp_path, tracking_server):
    name = troubled_cloud_sweep(rest, tmp_path, tracking_server)
    summary = CloudSweeps(client(rest), tracking_uri=tracking_server).status(name)
    now = time.time()
    p = progress_of(summary, now)
    assert summary.limits.max_total_trials == 4  # the spec said 4; the service's tag says 6
    assert (p.planned, p.planned_from, p.max_concurrent, p.timeout_s) == (6, "_aml_system_max_total_jobs", 3, 1800)
    assert (p.done, p.running, p.trials_left) == (3, 1, 3)
    created = datetime.fromisoformat(rest.jobs[name]["systemData"]["createdAt"].replace("Z", "+00:00"))
    assert p.elapsed_s == pytest.approx(now - created.timestamp(), abs=1e-3) and p.left_s == 1800 - p.elapsed_s
    assert p.eta_s is not None and p.basis.startswith("about ") and "3 trials left at a median of" in p.basis
    out = Console(file=io.StringIO(), width=120)
    render_status(summary, out)
    text = out.file.getvalue()
    assert "progress: 3 of 6 (_aml_system_max_total_jobs) trials done; 1 running of 3 at a time" in text
    assert "of timeout 30.0 min" in text and "estimate: about " in text
    assert (
        "flag unreadable_trials (U): 1 trial(s) listed by Azure could not be read" in text
        and f"[{name}_4 (Completed)]" in text
    )


def test_a_children_listing_shorter_than_the_sweeps_tags_is_flagged_as_cut(rest, tmp_path, tracking_server):
    name = a_sweep(rest, tmp_path, tracking_server, status="Completed")
    del rest.children[name][3]  # the listing stops before a trial the sweep's tags name
    summary = CloudSweeps(client(rest), tracking_uri=tracking_server).status(name)
    [cut] = [f for f in flags(summary) if f.kind == "listing_cut"]
    assert "Azure's children listing (RunHistory) gave 3 trials but the sweep's tags name 4" in cut.message
    assert f"not listed: {name}_3" in cut.message
    # all_jobs_generated: the listed children are the whole sweep
    rest.jobs[name]["properties"]["tags"]["_aml_system_all_jobs_generated"] = "true"
    again = CloudSweeps(client(rest), tracking_uri=tracking_server).status(name)
    assert progress_of(again).planned == 3 and progress_of(again).planned_from == "generated"
