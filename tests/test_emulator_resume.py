"""Ctrl-C and --resume: a sweep interrupted and resumed ends where an uninterrupted one would, nothing left RUNNING."""

from __future__ import annotations

import json
import signal

import pytest
from mlflow.tracking import MlflowClient

from cli_process import cli, finish, wait_for
from emulator_helpers import shell_spec, sqlite_uri, stored_sweep, write_spec
from submit import load_spec
from submit.emulator import run_local

pytestmark = pytest.mark.slow  # a sweep interrupted, resumed and run again uninterrupted


def finished_trials(client: MlflowClient, name: str) -> int:
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(
        experiments, filter_string=f"tags.`sweep.name` = '{name}' and attributes.status = 'FINISHED'"
    )
    return sum("mlflow.parentRunId" in r.data.tags for r in runs)


def test_sigint_then_resume_gives_the_values_of_an_uninterrupted_sweep(tmp_path):
    spec_path = write_spec(
        tmp_path,
        shell_spec(
            "echo ${{search_space.x}} ${{search_space.k}}; sleep 1",
            sampling="{type: random, seed: 11}",
            limits="{max_total_trials: 6, max_concurrent_trials: 2}",
            space='x: {type: uniform, min_value: 0, max_value: 1}\nk: {type: choice, values: ["a", "b", "c"]}',
        ),
    )
    uri = sqlite_uri(tmp_path)
    client = MlflowClient(tracking_uri=uri)
    proc = cli("submit", str(spec_path), "--local", "--tracking-uri", uri, "--name", "r")
    try:  # interrupt mid-sweep: once some trial has ended, not before
        wait_for(lambda: finished_trials(client, "r") > 0, "a trial to finish", proc=proc)
        proc.send_signal(signal.SIGINT)
        _, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert f"resume with: sweep submit {spec_path} --local --tracking-uri {uri} --resume r" in err
    interrupted = stored_sweep(uri, "r")
    assert "RUNNING" not in [r.info.status for r in interrupted.runs] and interrupted.parent.info.status == "KILLED"
    assert interrupted.parent.data.tags["sweep.state"] == "interrupted"
    assert sum(s == "FINISHED" for s in interrupted.statuses().values()) < 6  # the interrupt did cut the sweep short

    spec = load_spec(spec_path)
    resumed = run_local(spec, tracking_uri=uri, resume="r")
    never_interrupted = run_local(spec, tracking_uri=uri, name="u")

    def sampled(result):
        return sorted(json.dumps(t.params, sort_keys=True) for t in result.trials)

    assert resumed.status == "completed" and resumed.count("completed") == 6
    assert sampled(resumed) == sampled(never_interrupted)
    assert sorted(t.name for t in resumed.trials) == [f"r_{i}" for i in range(6)]  # numbering continued, no gaps
    after = stored_sweep(uri, "r")
    assert "RUNNING" not in [r.info.status for r in after.runs] and after.parent.info.status == "FINISHED"
    assert sorted(after.children) == [f"r_{i}" for i in range(6)]
    stored_values = [json.dumps(after.values(name), sort_keys=True) for name in after.children]
    assert sorted(stored_values) == sampled(never_interrupted)
