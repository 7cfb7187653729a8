"""`sweep refine` on real local sweeps of tests/scripts/refine_target.py, whose optimum is known: x = 0.3, ln y = 0
(beyond the space's max_value -1 for y, so the best trials press against it), k = b; `noise` does not matter."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from emulator_helpers import sqlite_uri, write_spec
from monitor_helpers import Trial, synth_sweep
from submit import load_spec
from submit.cli import app
from submit.emulator import run_local
from submit.emulator import tags as t

# one real 12-trial sweep for the module: each trial imports MLflow, minutes on a machine shared by nine
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

NO_WORKSPACE = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_RESOURCE_GROUP": "", "AZUREML_WORKSPACE_NAME": ""}

SPEC = """\
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
name: broad
experiment_name: refine-test
trial:
  code: src
  # the script logs accuracy; its optimum is x = 0.3, ln y = 0, k = b
  command: >-
    python refine_target.py ${{search_space.x}} ${{search_space.y}} ${{search_space.k}} ${{search_space.noise}}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: {type: random, rule: sobol, seed: 17}
search_space:
  x: {type: uniform, min_value: 0.0, max_value: 1.0}  # a fraction
  y:
    type: loguniform
    min_value: -5
    max_value: -1
  k: {type: choice, values: [a, b, c]}
  noise: {type: choice, values: [red, green, blue]}
objective: {goal: maximize, primary_metric: accuracy}
limits: {max_total_trials: 12, max_concurrent_trials: 2}
"""


def sweep(*args: str):
    return CliRunner().invoke(app, list(args), env=NO_WORKSPACE)


@pytest.fixture(scope="module")
def broad(tmp_path_factory):
    """A finished 12-trial Sobol sweep `broad`, its store, and its spec file."""
    folder = tmp_path_factory.mktemp("refine")
    path = write_spec(folder, SPEC, ("refine_target.py",))
    uri = sqlite_uri(folder)
    result = run_local(load_spec(path), tracking_uri=uri)
    assert result.status == "completed"
    return uri, path


def refined(broad, tmp_path, *options: str) -> tuple[dict, str, str]:
    uri, _ = broad
    out = tmp_path / "next.yaml"
    run = sweep("refine", "broad", "--tracking-uri", uri, "-o", str(out), *options)
    assert run.exit_code == 0, run.output
    text = out.read_text()
    return yaml.safe_load(text), text, run.stderr


def notes(text: str) -> dict[str, str]:
    """Each `# refine:` comment, its wrapped lines joined, by the key on the line below it."""
    found, current = {}, None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# refine: "):
            current = stripped[len("# refine: ") :]
        elif stripped.startswith("#   ") and current is not None:
            current += " " + stripped[4:]
        elif current is not None:
            found[stripped.split(":", 1)[0]] = current
            current = None
    return found


def best_trials(uri: str, top: int = 3) -> list[dict]:
    """The top trials' values, read from the store directly: the parent's `<sweep>_<i>` tags and each run's metric."""
    client = MlflowClient(tracking_uri=uri)
    exps = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(exps, "tags.`sweep.kind` = 'trial'", max_results=100)
    parent = client.search_runs(exps, "tags.`sweep.kind` = 'parent'", max_results=1)[0]
    ranked = sorted(runs, key=lambda r: -r.data.metrics["accuracy"])
    return [json.loads(parent.data.tags[r.info.run_name]) | {"acc": r.data.metrics["accuracy"]} for r in ranked[:top]]


def test_refined_bounds_contain_the_optimum_and_are_narrower(broad, tmp_path):
    data, text, _ = refined(broad, tmp_path)
    x = data["search_space"]["x"]
    assert x["type"] == "uniform" and x["min_value"] <= 0.3 <= x["max_value"]
    assert x["max_value"] - x["min_value"] < 1  # narrower than the old [0, 1]
    tops = best_trials(broad[0])
    assert x["min_value"] <= min(t["x"] for t in tops) and max(t["x"] for t in tops) <= x["max_value"]


def test_the_best_trials_pressing_against_max_value_widen_it(broad, tmp_path):
    data, text, _ = refined(broad, tmp_path)
    y = data["search_space"]["y"]
    assert y["type"] == "loguniform" and y["max_value"] > -1  # beyond the old bound, towards the optimum ln y = 0
    assert y["min_value"] > -5  # and narrowed from below
    assert f"the best trials press against max_value -1: widened to {y['max_value']:.4g};" in notes(text)["y"]


def test_the_choice_that_matters_keeps_its_best_value_and_the_other_is_fixed(broad, tmp_path):
    data, text, _ = refined(broad, tmp_path)
    tops = best_trials(broad[0])
    assert "b" in data["search_space"]["k"]["values"]
    assert set(data["search_space"]["k"]["values"]) == {t["k"] for t in tops}
    noise = data["search_space"]["noise"]
    assert noise == {"type": "choice", "values": [tops[0]["noise"]]}  # fixed at the best trial's value
    assert re.match(r"fixed: importance -?[0-9.e-]+ \(below [0-9.]+: negligible\)", notes(text)["noise"])


def test_the_comments_name_the_numbers_and_the_layout_is_kept(broad, tmp_path):
    data, text, _ = refined(broad, tmp_path)
    tops = best_trials(broad[0])
    low, high = min(t["x"] for t in tops), max(t["x"] for t in tops)
    assert f"the best 3 trials had values {low:.4g}..{high:.4g} (best {tops[0]['x']:.4g}); margin " in notes(text)["x"]
    assert f"(best accuracy {tops[0]['acc']:.4g}, the 3rd {tops[2]['acc']:.4g})" in notes(text)["tags"]
    assert "  # the script logs accuracy; its optimum is x = 0.3, ln y = 0, k = b\n" in text  # untouched lines stay
    assert "$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json\n" in text
    assert data["tags"] == {"refined_from": "broad"} and data["name"] == "broad_refined"
    # no early termination and every parameter now bayesian-friendly? y is loguniform: the sampling stays
    assert data["sampling_algorithm"] == {"type": "random", "rule": "sobol", "seed": 17}
    assert (
        data["trial"]["code"] == "../" + "/".join(Path(broad[1]).parent.parts[-1:]) + "/src"
        or "src" in data["trial"]["code"]
    )


def test_the_written_spec_passes_sweep_validate_and_load_job(broad, tmp_path):
    from azure.ai.ml import load_job

    _, text, _ = refined(broad, tmp_path, "--budget", "8")
    out = tmp_path / "next.yaml"
    run = sweep("validate", str(out))
    assert run.exit_code == 0, run.output
    job = load_job(out)
    assert job.limits.max_total_trials == 8 and set(job.search_space) == {"x", "y", "k", "noise"}
    assert notes(text)["max_total_trials"] == "--budget 8 (was 12)"


def test_keep_leaves_a_range_and_sampling_turns_bayesian_where_it_can(broad, tmp_path):
    data, text, _ = refined(broad, tmp_path, "--keep", "y", "--keep", "x")
    assert data["search_space"]["y"] == {"type": "loguniform", "min_value": -5, "max_value": -1}
    assert data["search_space"]["x"] == {"type": "uniform", "min_value": 0.0, "max_value": 1.0}
    data, text, _ = refined(broad, tmp_path, "--keep", "y", "--sampling", "random")
    assert data["sampling_algorithm"] == "random"


def test_dry_run_prints_the_diff_and_writes_nothing(broad, tmp_path):
    uri, path = broad
    out = tmp_path / "next.yaml"
    run = sweep("refine", "broad", "--tracking-uri", uri, "-o", str(out), "--dry-run")
    assert run.exit_code == 0, run.output
    assert not out.exists()
    assert run.stdout.startswith(f"--- the spec recorded with sweep broad ({path})\n+++ {out}\n")
    assert "-  x: {type: uniform, min_value: 0.0, max_value: 1.0}  # a fraction\n" in run.stdout
    assert re.search(
        r"^\+  x: \{type: uniform, min_value: [0-9.]+, max_value: [0-9.]+\}  # a fraction$", run.stdout, re.M
    )


def test_the_recorded_text_is_used_after_the_file_changed(broad, tmp_path):
    uri, path = broad
    client = MlflowClient(tracking_uri=uri)
    parent = _parent(client, "broad")
    assert parent.data.tags[t.TAG_SPEC_TEXT] == path.read_text()
    assert parent.data.tags[t.TAG_SPEC] == str(path)


def test_a_spec_changed_after_the_sweep_does_not_matter_and_stdout_gets_the_spec(broad, tmp_path):
    uri, path = broad
    before = path.read_text()
    try:
        path.write_text(before.replace("max_value: 1.0}", "max_value: 9.0}"))
        run = sweep("refine", "broad", "--tracking-uri", uri)
    finally:
        path.write_text(before)
    assert run.exit_code == 0, run.output
    assert yaml.safe_load(run.stdout)["search_space"]["x"]["max_value"] < 1  # refined from the recorded text
    assert run.stderr == ""  # stdout holds the spec alone


def test_without_the_recorded_text_the_file_is_read_and_a_change_is_said(broad, tmp_path):
    uri, path = broad
    changed = tmp_path / "spec.yaml"
    (tmp_path / "src").symlink_to(path.parent / "src")
    changed.write_text(path.read_text().replace("max_value: 1.0}", "max_value: 2.0}"))
    trials = [Trial({"x": 0.1 * i, "y": 0.2, "k": "b", "noise": "red"}, [0.1 * i]) for i in range(8)]
    synth_sweep(uri, "old", trials, experiment="refine-test")
    client = MlflowClient(tracking_uri=uri)
    old = _parent(client, "old").info.run_id
    client.set_tag(old, t.TAG_SPEC, str(changed))  # a sweep from before the text was recorded: the path only
    client.set_tag(old, t.TAG_SPACE, _parent(client, "broad").data.tags[t.TAG_SPACE])  # the space it drew from
    out = tmp_path / "next.yaml"
    run = sweep("refine", "old", "--tracking-uri", uri, "-o", str(out))
    assert run.exit_code == 0, run.output
    assert run.stderr.startswith(
        f"warning: {changed} has changed since sweep old ran: its search space is not the one the sweep drew from\n"
        f"wrote {out}: "
    )
    assert "  search_space.x: the best 3 trials had values 0.5..0.7 (best 0.7)" in run.stderr


def test_json_gives_the_changes_with_their_numbers(broad, tmp_path):
    run = sweep("refine", "broad", "--tracking-uri", broad[0], "--json")
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    kinds = {c["key"]: c["kind"] for c in data["changes"]}
    assert kinds["search_space.x"] == "narrowed" and kinds["search_space.y"] == "widened"
    assert kinds["search_space.noise"] == "fixed" and data["best_trials"] == 3 and data["finished_trials"] == 12
    assert data["importance"]["x"] > data["importance"]["noise"]


# bad input ---------------------------------------------------------------------------------------------------


def test_too_few_finished_trials_is_one_line(failing_sweep):
    uri, _ = failing_sweep
    run = sweep("refine", "fails", "--tracking-uri", uri)
    assert run.exit_code == 2
    assert run.stderr.strip() == (
        "fails: 2 finished trial(s) with a value of accuracy; refine needs at least 6 (the best 3 must be at most half "
        "of them)"
    )


def _with_spec(uri: str, name: str, text: str, path: str) -> None:
    client = MlflowClient(tracking_uri=uri)
    parent = _parent(client, name)
    client.set_tag(parent.info.run_id, t.TAG_SPEC_TEXT, text)
    client.set_tag(parent.info.run_id, t.TAG_SPEC, path)


def _parent(client, name: str):
    exps = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(exps, f"tags.`sweep.name` = '{name}' and tags.`sweep.kind` = 'parent'")[0]


def test_a_metric_missing_everywhere_is_one_line(tmp_path):
    uri = sqlite_uri(tmp_path)
    trials = [Trial({"x": 0.1 * i}, [], other={"acc": 0.5}) for i in range(8)]
    synth_sweep(uri, "nometric", trials)
    write_spec(tmp_path, SPEC, ("refine_target.py",))
    _with_spec(uri, "nometric", SPEC, str(tmp_path / "spec.yaml"))
    run = sweep("refine", "nometric", "--tracking-uri", uri)
    assert run.exit_code == 2
    assert "no trial of sweep nometric logged a usable value of its primary metric 'accuracy'" in run.stderr
    assert "did you mean `acc`?" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_sweeps_of_different_spaces_are_not_pooled(broad, tmp_path):
    uri, path = broad
    other = SPEC.replace("max_value: 1.0}", "max_value: 2.0}").replace("name: broad", "name: other")
    trials = [Trial({"x": 0.1 * i, "y": 0.1, "k": "b", "noise": "red"}, [0.1 * i]) for i in range(8)]
    synth_sweep(uri, "other", trials, experiment="refine-test")
    _with_spec(uri, "other", other, str(path))
    run = sweep("refine", "broad", "other", "--tracking-uri", uri)
    assert run.exit_code == 2
    assert run.stderr.strip() == (
        "sweeps broad and other have different search spaces: their trials cannot be pooled; refine them one at a time"
    )


def test_pooled_sweeps_count_every_trial(broad, tmp_path):
    uri, path = broad
    same = SPEC.replace("name: broad", "name: again")
    trials = [Trial({"x": 0.3, "y": 0.36, "k": "b", "noise": "red"}, [0.9]) for _ in range(4)]
    synth_sweep(uri, "again", trials, experiment="refine-test")
    _with_spec(uri, "again", same, str(path))
    run = sweep("refine", "broad", "again", "--tracking-uri", uri, "--json")
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["finished_trials"] == 16 and data["best_trials"] == 4 and data["sweeps"] == ["broad", "again"]
    assert yaml.safe_load(data["spec"])["tags"] == {"refined_from": "broad, again"}


def test_the_spec_the_sweep_ran_is_never_overwritten(broad):
    uri, path = broad
    before = path.read_text()
    run = sweep("refine", "broad", "--tracking-uri", uri, "-o", str(path))
    assert run.exit_code == 2 and path.read_text() == before
    assert run.stderr.strip() == f"-o {path}: that is the spec the sweep ran; write the refined one elsewhere"


def test_an_unknown_keep_and_an_unknown_sampling_are_one_line_each(broad):
    run = sweep("refine", "broad", "--tracking-uri", broad[0], "--keep", "z")
    assert run.exit_code == 2 and run.stderr.startswith(
        "--keep z: no such parameter in the search space (x, y, k, noise)"
    )
    run = sweep("refine", "broad", "--tracking-uri", broad[0], "--sampling", "bayes")
    assert run.exit_code == 2 and "--sampling bayes: expected one of random, sobol, grid, bayesian" in run.stderr
    run = sweep("refine", "broad", "--tracking-uri", broad[0], "--sampling", "grid")
    assert run.exit_code == 2 and run.stderr.startswith("the refined spec would not validate:")
