"""`sweep plan` lists exactly the trials `sweep submit --local` runs; a lock file makes a run repeat or split a plan.

Every claim is checked against the store a real local sweep wrote: the child runs' names (the trial indices) and the
parameters the emulator logged, as strings, as the trial saw them.
"""

from __future__ import annotations

import itertools
import json

import pytest
import yaml
from typer.testing import CliRunner

from emulator_helpers import shell_spec, spec_from, sqlite_uri, stored_sweep, write_spec
from submit import load_spec
from submit.cli import app
from submit.emulator.plan import plan
from submit.emulator.plan_lock import read_lock
from submit.errors import InputError
from submit.spec.space import render_value

runner = CliRunner()
SPACE = 'a: {type: uniform, min_value: 0, max_value: 1}\nk: {type: choice, values: ["x y", "z"]}\nn: {type: randint, upper: 50}'
ECHO = "echo ${{search_space.a}} ${{search_space.k}} ${{search_space.n}}"


def random_spec(tmp_path, sampling="{type: random, seed: 5}", trials=5):
    limits = f"{{max_total_trials: {trials}, max_concurrent_trials: 2}}"
    return write_spec(tmp_path, shell_spec(ECHO, sampling=sampling, limits=limits, space=SPACE))


def invoke(args):
    result = runner.invoke(app, args)
    assert "Traceback" not in result.output, result.output
    return result


def stored_params(uri, sweep):
    stored = stored_sweep(uri, sweep)  # the sampled values, where the sweep service keeps them: the parent's tags
    return {name: {k: render_value(v) for k, v in stored.values(name).items()} for name in stored.children}


def as_stored(params):
    return {k: render_value(v) for k, v in params.items()}


def test_plan_of_a_seeded_random_sweep_is_what_submit_local_then_runs(tmp_path):
    spec = random_spec(tmp_path)
    planned = invoke(["plan", str(spec), "--json"])
    assert planned.exit_code == 0, planned.output
    body = json.loads(planned.stdout)
    assert body["exact"] and body["sampler"] == "random (seed 5)" and len(body["trials"]) == 5
    assert [t["index"] for t in body["trials"]] == list(range(5))
    first = body["trials"][0]
    assert first["command"] == f"echo {first['params']['a']} {_quoted(first['params']['k'])} {first['params']['n']}"

    uri = sqlite_uri(tmp_path)
    ran = invoke(["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "seeded"])
    assert ran.exit_code == 0, ran.output
    stored = stored_params(uri, "seeded")
    assert stored == {f"seeded_{t['index']}": as_stored(t["params"]) for t in body["trials"]}
    assert len({json.dumps(p, sort_keys=True) for p in stored.values()}) == 5  # five different points, not one


def test_a_lock_of_an_unseeded_sweep_runs_exactly_its_trials_and_a_subset_keeps_their_indices(tmp_path):
    spec = random_spec(tmp_path, sampling="random", trials=4)
    lock = tmp_path / "plan.lock.yaml"
    written = invoke(["plan", str(spec), "--lock", str(lock)])
    assert written.exit_code == 0, written.output
    assert "no seed: each run draws fresh values" in written.stdout and f"lock written to {lock}" in written.stdout
    body = yaml.safe_load(lock.read_text())
    assert body["spec"] == "spec.yaml"  # relative to the lock: the pair moves together
    uri = sqlite_uri(tmp_path)

    whole = invoke(["submit", str(spec), "--local", "--lock", str(lock), "--tracking-uri", uri, "--name", "whole"])
    assert whole.exit_code == 0, whole.output
    assert stored_params(uri, "whole") == {f"whole_{t['index']}": as_stored(t["params"]) for t in body["trials"]}

    # the second half of the plan, in another run: trials 3 and 1, under their planned indices
    body["trials"] = [body["trials"][3], body["trials"][1]]
    lock.write_text(yaml.safe_dump(body))
    half = invoke(["submit", str(spec), "--local", "--lock", str(lock), "--tracking-uri", uri, "--name", "half"])
    assert half.exit_code == 0, half.output
    assert stored_params(uri, "half") == {f"half_{t['index']}": as_stored(t["params"]) for t in body["trials"]}
    assert half.stdout.index("started half_3") < half.stdout.index("started half_1")  # in the lock's order


def test_a_lock_made_from_another_spec_is_refused_in_one_line_and_nothing_runs(tmp_path):
    spec = random_spec(tmp_path)
    lock = tmp_path / "plan.json"
    assert invoke(["plan", str(spec), "--lock", str(lock)]).exit_code == 0
    assert json.loads(lock.read_text())["spec_hash"].startswith("sha256:")
    store = tmp_path / "never.db"
    args = ["submit", str(spec), "--local", "--lock", str(lock), "--tracking-uri", f"sqlite:///{store}"]
    refused = invoke([*args, "--set", "search_space.a.max_value=2"])
    assert refused.exit_code == 2
    [line] = [x for x in refused.stderr.strip().splitlines() if not x.startswith("warning ")]  # validate's warnings
    assert line.startswith(f"--lock {lock}: made from another spec (its hash sha256:") and "sweep plan" in line
    assert not store.exists()
    # limits and names are not part of what a trial runs: the lock still holds
    assert read_lock(lock, load_spec(spec, ["limits.max_total_trials=2", "name=other"])).trials


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2", "not a lock file (not valid json"),
        ('{"format": "sweep-lock/1"}', "not a lock file written by `sweep plan --lock`"),
    ],
)
def test_a_file_that_is_not_a_lock_is_refused_with_what_is_wrong(tmp_path, text, expected):
    spec = load_spec(random_spec(tmp_path))
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match="^--lock .*bad.json: ") as caught:
        read_lock(path, spec)
    assert expected in str(caught.value)
    with pytest.raises(InputError, match="no such file"):
        read_lock(tmp_path / "missing.yaml", spec)


def test_a_hand_edited_lock_naming_an_unknown_parameter_is_refused_with_a_did_you_mean(tmp_path):
    spec = load_spec(random_spec(tmp_path))
    lock = tmp_path / "lock.yaml"
    invoke(["plan", str(spec.path), "--lock", str(lock)])
    body = yaml.safe_load(lock.read_text())
    body["trials"][1]["params"]["kk"] = body["trials"][1]["params"].pop("k")
    lock.write_text(yaml.safe_dump(body))
    with pytest.raises(InputError, match=r"trials\[1\]: `kk` is not a search-space parameter; did you mean `k`\?"):
        read_lock(lock, spec)


def test_a_grid_plan_is_the_product_in_key_order_up_to_max_total_trials(tmp_path):
    space = 'a: {type: choice, values: [1, 2, 3]}\nb: {type: choice, values: ["x", "y"]}'
    echo = "echo ${{search_space.a}} ${{search_space.b}}"
    spec = spec_from(tmp_path, shell_spec(echo, sampling="grid", limits="{max_total_trials: 4}", space=space))
    planned = plan(spec)
    assert planned.exact and planned.total == 4
    assert [tuple(t.params.values()) for t in planned.trials] == list(itertools.product([1, 2, 3], ["x", "y"]))[:4]


def test_a_bayesian_plan_is_its_sobol_start_said_as_such_and_cannot_be_locked(tmp_path):
    space = "a: {type: uniform, min_value: 0, max_value: 1}\nb: {type: choice, values: [1, 2, 3]}"
    echo = "echo ${{search_space.a}} ${{search_space.b}}"
    spec = write_spec(tmp_path, shell_spec(echo, sampling="bayesian", limits="{max_total_trials: 20}", space=space))
    shown = invoke(["plan", str(spec)])
    assert shown.exit_code == 0, shown.output
    assert "5 of 20 trials" in shown.stdout and "trials 0 to 4 are its start, a scrambled Sobol design" in shown.stdout
    refused = invoke(["plan", str(spec), "--lock", str(tmp_path / "b.yaml")])
    assert refused.exit_code == 2 and "a Bayesian sweep proposes its trials from the results" in refused.stderr
    assert not (tmp_path / "b.yaml").exists()


def test_a_remote_input_is_shown_as_its_uri_unless_a_local_stand_in_is_given(tmp_path):
    body = shell_spec(
        "python t.py --data ${{inputs.data}} --a ${{search_space.a}}",
        space="a: {type: choice, values: [1]}",
        limits="{max_total_trials: 1}",
        extra="inputs:\n  data: {type: uri_file, path: azureml:iris:1}\n",
    )
    spec = spec_from(tmp_path, body)
    assert plan(spec).trials[0].command == "python t.py --data azureml:iris:1 --a 1"
    assert any("remote inputs shown as their URI (data)" in n for n in plan(spec).notes)
    local = tmp_path / "iris.csv"
    local.write_text("x\n")
    assert plan(spec, inputs=[f"data={local}"]).trials[0].command == f"python t.py --data {local} --a 1"


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)
