"""`sweep submit SPEC --continue ID`: what a continuation submits, through the real MLClient over
the recorded REST API for a cloud sweep, and through the CLI for a local one."""

from __future__ import annotations

import io
import itertools
import json

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from _azure_util import WORKSPACE, submit_specs
from emulator_helpers import write_spec
from monitor_helpers import FAILING
from submit.azure.client import submit_job
from submit.cli import app
from submit.cli.continue_command import continued
from submit.errors import InputError
from submit.followup.continuation import boxes, continue_sweep
from submit.monitor import MonitorInputError
from submit.monitor.cloud import CloudSweeps
from submit.monitor.find import Places
from submit.spec.load import load_spec
from test_azure_submit import job_puts
from test_monitor_cloud import SPEC, client

# the session's `mlflow server` (conftest.py, a workspace's tracking server) or the session's failing local sweep
pytestmark = pytest.mark.slow

GRID = """\
type: sweep
experiment_name: monitor-cloud
trial:
  code: src
  command: python train.py --lr ${{search_space.lr}} --opt ${{search_space.opt}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33
compute: azureml:cpu-cluster
sampling_algorithm: grid
search_space:
  lr: {type: choice, values: [0.1, 0.2, 0.3]}
  opt: {type: choice, values: [adam, sgd]}
objective: {goal: maximize, primary_metric: accuracy}
limits: {max_total_trials: 6, max_concurrent_trials: 4}
"""

# what the grid sweep did: the last point never ran (the sweep was canceled before it)
GRID_TRIALS = [
    ("Completed", {"lr": 0.1, "opt": "adam"}),
    ("Failed", {"lr": 0.1, "opt": "sgd"}),
    ("Canceled", {"lr": 0.2, "opt": "adam"}),
    ("Completed", {"lr": 0.2, "opt": "sgd"}),
    ("Completed", {"lr": 0.3, "opt": "adam"}),
]
MISSING = {(0.1, "sgd"), (0.2, "adam"), (0.3, "sgd")}


def a_spec(folder, body):
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "train.py").write_text("print('train')\n")
    return load_spec(write_spec(folder, body))


def cloud_sweep(rest, folder, body, trials, status="Canceled") -> str:
    """A sweep submitted as `sweep submit` does, with ``trials`` as its RunHistory children and parent tags."""
    name = submit_job(client(rest), a_spec(folder, body)).name
    job = rest.jobs[name]["properties"]
    job["status"] = status
    rest.children[name] = []
    for i, (state, params) in enumerate(trials):
        job["tags"][f"{name}_{i}"] = json.dumps({f"--{k}": v for k, v in params.items()})
        rest.children[name].append({"runId": f"{name}_{i}", "parentRunId": name, "status": state, "tags": {}})
    return name


def cloud_places(rest, tracking) -> Places:
    return Places(None, lambda: CloudSweeps(client(rest), tracking_uri=tracking), "cloud")


def consoles():
    out, err = io.StringIO(), io.StringIO()
    return out, err, Console(file=out, soft_wrap=True), Console(file=err, soft_wrap=True)


def covered(put) -> list[tuple]:
    space = put.body["properties"]["searchSpace"]
    assert all(kind == "choice" for kind, _ in space.values())
    return list(itertools.product(*(values[0] for _, values in space.values())))


def test_boxes_cut_the_missing_points_into_disjoint_rectangles():
    assert boxes(["a", "b"], [[1, "x"], [1, "y"], [2, "x"], [2, "y"]]) == [[[1, 2], ["x", "y"]]]  # the whole grid
    assert boxes(["a", "b"], [[1, "y"], [2, "x"], [3, "y"]]) == [[[1, 3], ["y"]], [[2], ["x"]]]
    points = [[a, b, c] for a in (1, 2) for b in "xy" for c in (True, False) if (a, b) != (1, "x")]
    cut = boxes(["a", "b", "c"], points)
    cells = [p for box in cut for p in itertools.product(*box)]
    assert sorted(cells) == sorted(tuple(p) for p in points) and len(cells) == len(set(cells))
    assert len(cut) == 2  # a=1 with b=y, and a=2 with both


def test_continue_a_grid_submits_exactly_the_points_it_did_not_complete(rest, tmp_path, tracking_server):
    name = cloud_sweep(rest, tmp_path / "first", GRID, GRID_TRIALS)
    spec = a_spec(tmp_path / "again", GRID)
    out, err, out_c, err_c = consoles()
    specs = continued([spec], name, where=cloud_places(rest, tracking_server), out=out_c, err=err_c)
    rest.requests.clear()

    code, _, submit_err = submit_specs(rest, specs)

    assert code == 0, submit_err
    puts = job_puts(rest)
    assert len(puts) == 2  # {0.1, 0.3} x {sgd} and {0.2} x {adam}: two grid sweeps
    points = [p for put in puts for p in covered(put)]
    assert sorted(points) == sorted(MISSING) and len(points) == len(set(points))
    for put in puts:
        props = put.body["properties"]
        assert props["samplingAlgorithm"] == {"samplingAlgorithmType": "Grid"}
        assert props["limits"]["maxTotalTrials"] == len(covered(put))
        assert props["tags"]["continues"] == name
        assert props["description"].startswith(f"continues sweep {name}: 3 of 6 grid points left")
        assert "python train.py --lr ${{search_space.lr}} --opt ${{search_space.opt}}" == props["trial"]["command"]
    assert sorted(p.body["properties"]["tags"]["continues_part"] for p in puts) == ["1/2", "2/2"]
    assert err.getvalue().strip() == (
        f"{spec.path}: --continue {name} (cloud): 3 of 6 grid points left (1 failed, 1 canceled, 1 never run); "
        "2 grid sweeps, one per rectangular block"
    )


def test_continue_random_submits_the_budget_left_with_a_new_seed(rest, tmp_path, tracking_server):
    body = SPEC.replace("sampling_algorithm: random", "sampling_algorithm: {type: random, seed: 7}")
    trials = [("Completed", {"lr": 0.01, "opt": "adam"}), ("Failed", {"lr": 0.02, "opt": "sgd"})]
    name = cloud_sweep(rest, tmp_path / "first", body, trials, status="Completed")
    [spec] = continue_sweep(
        a_spec(tmp_path / "again", body),
        CloudSweeps(client(rest), tracking_uri=tracking_server).status(name, histories=False),
    ).specs
    assert spec.limits.max_total_trials == 3 and spec.sampling.seed == 9 and spec.tags["continues"] == name


def test_a_spec_with_another_search_space_is_refused_naming_the_difference(rest, tmp_path, tracking_server):
    name = cloud_sweep(rest, tmp_path / "first", GRID, GRID_TRIALS)
    other = a_spec(tmp_path / "again", GRID.replace("[0.1, 0.2, 0.3]", "[0.1, 0.2, 0.4]"))
    _, _, out_c, err_c = consoles()
    with pytest.raises(InputError) as e:
        continued([other], name, where=cloud_places(rest, tracking_server), out=out_c, err=err_c)
    assert str(e.value) == (
        f"--continue {name}: the spec differs from the sweep's: search_space.lr: the spec has choice "
        f"values=[0.1, 0.2, 0.4], sweep {name} has choice values=[0.1, 0.2, 0.3]"
    )


def test_nothing_left_is_one_line_and_submits_nothing(rest, tmp_path, tracking_server):
    done = [("Completed", {"lr": lr, "opt": o}) for lr in (0.1, 0.2, 0.3) for o in ("adam", "sgd")]
    name = cloud_sweep(rest, tmp_path / "first", GRID, done, status="Completed")
    out, _, out_c, err_c = consoles()
    rest.requests.clear()
    specs = continued(
        [a_spec(tmp_path / "again", GRID)], name, where=cloud_places(rest, tracking_server), out=out_c, err=err_c
    )
    assert specs == [] and not job_puts(rest)
    assert (
        out.getvalue().count("\n") == 1
        and "completed every grid point it had budget for: nothing left" in out.getvalue()
    )


def test_an_unknown_id_names_the_workspace_searched(rest, tmp_path, tracking_server):
    _, _, out_c, err_c = consoles()
    with pytest.raises(MonitorInputError, match=f"no sweep named 'nope' in the workspace {WORKSPACE}"):
        continued([a_spec(tmp_path, GRID)], "nope", where=cloud_places(rest, tracking_server), out=out_c, err=err_c)


def test_dry_run_continue_of_a_local_grid_sweep_prints_the_missing_block(failing_sweep, tmp_path):
    uri, _ = failing_sweep  # `fails`: k=c failed for both x
    path = write_spec(tmp_path, FAILING, ("quadratic.py",))
    result = CliRunner().invoke(app, ["submit", str(path), "--continue", "fails", "--tracking-uri", uri, "--dry-run"])
    assert result.exit_code == 0, result.output
    [job] = list(yaml.safe_load_all(result.stdout))
    assert job["search_space"] == {
        "x": {"type": "choice", "values": [0.1, 0.3]},
        "k": {"type": "choice", "values": ["c"]},
    }
    assert job["limits"]["max_total_trials"] == 2 and job["tags"]["continues"] == "fails"


def test_continue_and_resume_clash_in_one_line(tmp_path):
    path = write_spec(tmp_path, FAILING, ("quadratic.py",))
    result = CliRunner().invoke(app, ["submit", str(path), "--local", "--continue", "a", "--resume", "a"])
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0
    assert "--continue and --resume clash" in result.output
