"""The builder: spec -> command()(distributions).sweep() gives the job `az ml job create -f spec.yaml` would send.

Parity: for every spec in sweep_specs/ and every official-format fixture, the REST body of our sweep node equals
``load_job(spec)._to_rest_object()`` field by field, apart from the fields ``_normalize`` names, each for a reason:

1. ``properties.trial.codeId`` and a data input's ``uri`` when they are local paths: load_job keeps them relative to
   the YAML's folder, the spec resolves them against it; we compare both resolved. At submission both are uploaded
   and replaced by asset ids (tests/test_azure_submit.py shows the two PUT bodies are then identical).
2. ``properties.earlyTermination.slackFactor`` / ``slackAmount`` equal to 0: the sweep node turns a zero slack into
   None (so only the slack set is sent), the YAML path sends 0; the service reads 0 as unset (docs/semantics.md, "Azure SDK facts").
3. ``properties.samplingAlgorithm`` when the spec omits ``sampling_algorithm``: load_job sends none, while
   ``.sweep()`` always sends one; we send Random, the SDK's and sweep's default (the docs call the key required).
4. ``properties.trial.environmentId`` for an inline environment: before submission it is an unregistered
   Environment entity on both sides, compared by its YAML form (image, conda file, generated name and version).
"""

from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

import pytest
import yaml
from azure.ai.ml import load_job
from azure.ai.ml.sweep import (
    BanditPolicy,
    BayesianSamplingAlgorithm,
    GridSamplingAlgorithm,
    MedianStoppingPolicy,
    RandomSamplingAlgorithm,
    TruncationSelectionPolicy,
)
from typer.testing import CliRunner

from _azure_util import OFFICIAL, differences, drop_zero_slacks, parity_specs, plain
from submit.azure.job import job_yaml, rest_body, to_azure_job
from submit.cli import app
from submit.spec.load import load_spec

logging.getLogger("azure").setLevel(logging.ERROR)


def _resolve_local(value: str, base: Path) -> str:
    if "://" in value or value.startswith("azureml:") or ":" in value.split("/")[0]:
        return value
    return str((base / value).resolve())


def _normalize(body: dict, base: Path, *, sampling_given: bool) -> dict:
    body = plain(body)
    props = body["properties"]
    trial = props["trial"]
    if trial.get("codeId"):
        trial["codeId"] = _resolve_local(trial["codeId"], base)  # 1
    for value in (props.get("inputs") or {}).values():
        if value.get("jobInputType") != "literal" and value.get("uri"):
            value["uri"] = _resolve_local(value["uri"], base)  # 1
    drop_zero_slacks(body)  # 2
    if not sampling_given:
        props.pop("samplingAlgorithm", None)  # 3
    return body


def _bodies(path: Path) -> tuple[dict, dict]:
    spec = load_spec(path)
    given = "sampling_algorithm" in spec.data
    ours = _normalize(rest_body(to_azure_job(spec)), path.parent, sampling_given=given)
    theirs = _normalize(load_job(path)._to_rest_object().as_dict(), path.parent, sampling_given=given)
    return ours, theirs


@pytest.mark.parametrize("path", parity_specs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_builder_sends_what_load_job_sends(path):
    ours, theirs = _bodies(path)
    assert differences(ours, theirs) == []


def test_at_least_fifteen_official_fixtures():
    assert len(list(OFFICIAL.glob("*.yaml"))) >= 15


def _walk_distributions(node, found: set[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and (
            "values" in node or "mu" in node or "min_value" in node or "upper" in node
        ):
            found.add(node["type"].lower())
        for value in node.values():
            _walk_distributions(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_distributions(value, found)


def test_fixtures_cover_every_form_of_the_spec():
    """The parity claim covers what the fixtures hold; this keeps them holding every form the issue lists."""
    seen: set[str] = set()
    for path in OFFICIAL.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        _walk_distributions(data["search_space"], seen)
        sampling = data.get("sampling_algorithm")
        if isinstance(sampling, str):
            seen.add(f"sampler string {sampling.lower()}")
        elif isinstance(sampling, dict):
            seen.add(f"sampler object {sampling['type']}")
            if sampling.get("rule") == "sobol" and "seed" in sampling:
                seen.add("sobol with seed")
            if "logbase" in sampling:
                seen.add("logbase e" if sampling["logbase"] == "e" else "logbase number")
        if data.get("early_termination"):
            seen.add(f"policy {data['early_termination']['type'].lower()}")
        for value in (data.get("inputs") or {}).values():
            if isinstance(value, dict) and "value" in value:
                seen.add("literal value form")
            elif isinstance(value, dict):
                seen.add("remote data input" if ":" in value["path"] else "local data input")
                if value["path"].startswith(("https://", "wasbs://", "abfss://")):
                    seen.add(f"{value['path'].split('://')[0]} URL input")
                if "/providers/Microsoft.MachineLearningServices/" in value["path"]:
                    seen.add("ARM id input")
            else:
                seen.add("literal input")
        if data.get("outputs"):
            seen.add("outputs")
        if any(isinstance(v, dict) for d in data["search_space"].values() for v in d.get("values", [])):
            seen.add("nested choice")
        trial = data["trial"]
        if isinstance(trial["environment"], dict) and "conda_file" in trial["environment"]:
            seen.add("inline environment with conda file")
        for key in ("environment_variables", "resources", "distribution"):
            if trial.get(key):
                seen.add(key)
        if any(0 < data["limits"].get(k, 0) < 60 for k in ("timeout", "trial_timeout")):
            seen.add("timeout under 60 s")
    expected = {
        "choice",
        "uniform",
        "loguniform",
        "quniform",
        "qloguniform",
        "normal",
        "lognormal",
        "qnormal",
        "qlognormal",
        "randint",
        "sampler string random",
        "sampler string grid",
        "sampler string bayesian",
        "sampler object random",
        "sampler object grid",
        "sampler object bayesian",
        "sobol with seed",
        "logbase e",
        "logbase number",
        "policy bandit",
        "policy median_stopping",
        "policy truncation_selection",
        "literal input",
        "literal value form",
        "local data input",
        "https URL input",
        "wasbs URL input",
        "abfss URL input",
        "ARM id input",
        "remote data input",
        "outputs",
        "nested choice",
        "inline environment with conda file",
        "environment_variables",
        "resources",
        "distribution",
        "timeout under 60 s",
    }
    assert expected - seen == set()


def test_sampling_algorithms_and_policies_are_sdk_objects():
    """Objects, not names: the builder's string policies break (docs/semantics.md, "Azure SDK facts")."""
    cases = {
        "sobol_seed.yaml": (RandomSamplingAlgorithm, None),
        "grid_string.yaml": (GridSamplingAlgorithm, None),
        "bayesian_object.yaml": (BayesianSamplingAlgorithm, None),
        "bandit_slack_factor.yaml": (RandomSamplingAlgorithm, BanditPolicy),
        "median_stopping.yaml": (RandomSamplingAlgorithm, MedianStoppingPolicy),
        "truncation_selection.yaml": (RandomSamplingAlgorithm, TruncationSelectionPolicy),
    }
    for name, (sampler, policy) in cases.items():
        sweep = to_azure_job(load_spec(OFFICIAL / name))
        assert isinstance(sweep.sampling_algorithm, sampler), name
        assert policy is None and sweep.early_termination is None or isinstance(sweep.early_termination, policy), name
    sobol = to_azure_job(load_spec(OFFICIAL / "sobol_seed.yaml")).sampling_algorithm
    assert (sobol.rule, sobol.seed, sobol.logbase) == ("sobol", 123, "e")
    median = to_azure_job(load_spec(OFFICIAL / "median_stopping.yaml")).early_termination
    assert (median.evaluation_interval, median.delay_evaluation) == (1, 5)


def test_names_set_on_the_sweep_node_survive():
    """Calling a command node drops experiment_name and description (docs/semantics.md, "Azure SDK facts"); the sweep node keeps them."""
    props = rest_body(to_azure_job(load_spec(OFFICIAL / "identity_tags.yaml")))["properties"]
    assert props["experimentName"] == "identity-sweep"
    assert props["description"] == "Runs as the submitting user."
    assert props["displayName"] == "identity sweep"
    assert props["tags"] == {"project": "sweep", "stage": "test"}
    assert props["identity"] == {"identityType": "UserIdentity"}
    assert to_azure_job(load_spec(OFFICIAL / "identity_tags.yaml"))._to_job().name == "sweep-identity-1"


def test_search_space_references_are_inputs_in_the_node_and_search_space_in_the_job():
    sweep = to_azure_job(load_spec(OFFICIAL / "truncation_selection.yaml"))
    assert "${{inputs.lr}}" in sweep.trial.command and "{search_space" not in sweep.trial.command
    command = rest_body(sweep)["properties"]["trial"]["command"]
    assert command == (
        "python main.py --lr ${{search_space.lr}} --conv_size ${{search_space.conv_size}}"
        " --dropout_rate ${{search_space.dropout_rate}}"
    )
    # search-space keys are not sent as job inputs
    assert "lr" not in (rest_body(sweep)["properties"]["inputs"] or {})


def test_sub_minute_timeouts_are_sent_as_azure_floors_them():
    limits = rest_body(to_azure_job(load_spec(OFFICIAL / "truncation_selection.yaml")))["properties"]["limits"]
    assert (limits["timeout"], limits["trialTimeout"]) == ("PT1M", "PT1M")  # 5 s and 30 s in the spec


def test_search_space_wire_format():
    space = rest_body(to_azure_job(load_spec(OFFICIAL / "all_distributions.yaml")))["properties"]["searchSpace"]
    assert space["b"] == ["quniform", [2, 32, 2]]
    assert space["h"] == ["randint", [10]]
    assert space["i"] == ["choice", [[1, 2.5, "three"]]]
    assert math.isclose(space["e"][1][1], 0.5)


@pytest.mark.parametrize("name", ["inline_environment.yaml", "data_inputs.yaml", "nested_choice.yaml", "outputs.yaml"])
def test_dry_run_yaml_is_the_job(tmp_path, name):
    """The printed YAML loads back (as `az ml job create -f` would) into the same REST body."""
    spec = load_spec(OFFICIAL / name)
    printed = tmp_path / "job.yaml"
    printed.write_text(job_yaml(spec))
    ours = _normalize(rest_body(to_azure_job(spec)), OFFICIAL, sampling_given=True)
    again = _normalize(load_job(printed)._to_rest_object().as_dict(), tmp_path, sampling_given=True)
    assert differences(again, ours) == []


def test_dry_run_yaml_keeps_remote_paths_as_given(tmp_path):
    """A URL or ARM id is printed as written, not as `azureml:https://...` (which `az ml job create` cannot parse)."""
    spec = load_spec(OFFICIAL / "data_inputs.yaml")
    printed = yaml.safe_load(job_yaml(spec))["inputs"]
    raw = yaml.safe_load((OFFICIAL / "data_inputs.yaml").read_text())["inputs"]
    for name in ("iris_https", "iris_wasbs", "lake_abfss", "registered", "registered_azureml", "test_url", "table"):
        assert printed[name]["path"] == raw[name]["path"], name
    assert printed["training_data"]["path"] == str(OFFICIAL / "data")  # a local folder, resolved
    assert printed["seed"] == 42


@pytest.fixture
def no_contact(monkeypatch):
    """Any network connection or subprocess (the az CLI credential) fails the test."""
    import socket
    import subprocess

    def refuse(*args, **kwargs):
        raise AssertionError(f"contacted something: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    for var in ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME"):
        monkeypatch.delenv(var, raising=False)


def test_dry_run_prints_every_spec_and_contacts_nothing(no_contact, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config.json to find, no workspace configured
    specs = [str(OFFICIAL / "hello_sweep.yaml"), str(OFFICIAL / "sobol_seed.yaml")]
    result = CliRunner().invoke(app, ["submit", *specs, "--dry-run"])
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["experiment_name"] if "experiment_name" in d else None for d in docs] == ["hello-sweep-example", None]
    assert docs[0]["type"] == "sweep" and docs[0]["trial"]["command"].startswith("python main.py --A ${{inputs.A}}")
    assert docs[1]["sampling_algorithm"] == {"type": "random", "rule": "sobol", "seed": 123, "logbase": "e"}


def test_dry_run_json_lists_the_jobs(no_contact):
    result = CliRunner().invoke(app, ["submit", str(OFFICIAL / "grid_string.yaml"), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    import json

    [job] = json.loads(result.stdout)
    assert job["spec"].endswith("grid_string.yaml") and job["name"] == "grid-string-test"
    assert job["job"]["sampling_algorithm"] == {"type": "grid"}  # the SDK writes the object form of `grid`


def test_managed_identity_is_sent_as_load_job_sends_it(tmp_path):
    shutil.copytree(OFFICIAL / "src", tmp_path / "src")
    text = (OFFICIAL / "identity_tags.yaml").read_text()
    path = tmp_path / "managed.yaml"
    path.write_text(text.replace("type: user_identity", "type: managed\n  client_id: abc\n  object_id: def"))
    ours, theirs = _bodies(path)
    assert ours["properties"]["identity"] == {"identityType": "Managed", "clientId": "abc", "objectId": "def"}
    assert differences(ours, theirs) == []


def test_managed_identity_msi_resource_id_becomes_the_resource_id(tmp_path):
    # load_job itself fails on msi_resource_id (it passes the YAML key to ManagedIdentityConfiguration, which calls it
    # resource_id); the REST field it belongs to is resourceId
    shutil.copytree(OFFICIAL / "src", tmp_path / "src")
    text = (OFFICIAL / "identity_tags.yaml").read_text()
    path = tmp_path / "msi.yaml"
    path.write_text(text.replace("type: user_identity", "type: managed\n  msi_resource_id: /subscriptions/s/id"))
    identity = rest_body(to_azure_job(load_spec(path)))["properties"]["identity"]
    assert identity == {"identityType": "Managed", "resourceId": "/subscriptions/s/id"}
