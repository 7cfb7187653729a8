"""The official corpus, verbatim: azure-ai-ml's own sweep-job test configs and azureml-examples' CLI sweeps.

Each file is either accepted, and then ``tests/test_azure_builder.py`` (REST body equal to ``load_job``'s on every
field) and ``tests/test_azure_submit.py`` (the PUT through the real MLClient, and the PUT of its ``--dry-run`` YAML)
cover it through ``parity_specs()``, or refused here one by one, for the reason ``_azure_util.REFUSED`` gives: one
that load_job or the service also has. Literal-value inputs and ARM-id inputs, two forms the corpus brought, are
checked here as well.
"""

from __future__ import annotations

import logging

import pytest
from azure.ai.ml import load_job
from mlflow.tracking import MlflowClient

from _azure_util import CORPUS_ROOTS, OFFICIAL, REFUSED, corpus, corpus_key, official_files, parity_specs, refusal
from emulator_helpers import sqlite_uri
from submit.azure.job import rest_body, to_azure_job
from submit.emulator import run_local
from submit.emulator.inputs import resolve_inputs
from submit.errors import InputError, SpecError
from submit.spec.load import load_spec, parse_spec
from submit.spec.validate.sweep import check_azure

logging.getLogger("azure").setLevel(logging.ERROR)

PIPELINE = "azureml-examples/cli/jobs/pipelines-with-components/pipeline_with_hyperparameter_sweep/pipeline.yml"


def test_the_corpus_is_there_with_its_licence_and_every_refusal_names_a_file_of_it():
    files = corpus()
    assert len([p for p in files if p.is_relative_to(OFFICIAL / "azure-ai-ml")]) == 27  # every YAML of sweep_job/
    assert OFFICIAL / "azureml-examples/cli/jobs/single-step/scikit-learn/iris/job-sweep.yml" in files
    assert OFFICIAL / PIPELINE not in files and OFFICIAL / PIPELINE in official_files()
    for root in CORPUS_ROOTS:
        assert (root / "LICENSE").read_text().startswith("MIT License")
    for path in official_files():
        first = path.read_text().splitlines()[:2]
        assert first[0].startswith("# Source: https://github.com/Azure/") and "MIT License" in first[1], path
    assert set(REFUSED) <= {corpus_key(p) for p in files}


def test_accepted_files_are_in_the_parity_tests():
    accepted = [p for p in corpus() if refusal(p) is None]
    assert len(accepted) == 18
    assert set(accepted) <= set(parity_specs())


@pytest.mark.parametrize("key", sorted(REFUSED), ids=lambda k: k.rsplit("/", 1)[1])
def test_refused_for_the_reason_given(key):
    reason = REFUSED[key]
    path = OFFICIAL / key
    with pytest.raises(SpecError) as refused:
        spec = load_spec(path)
        assert reason.stage == "azure", "load_spec accepted it"
        check_azure(spec)
    problems = [p for p in refused.value.problems if reason.message in p.message]
    assert problems, str(refused.value)
    assert problems[0].path == reason.path
    if reason.load_job is not None:
        with pytest.raises(Exception, match=reason.load_job):
            load_job(path)._to_rest_object()
    elif reason.stage == "azure":
        # load_job reads the code asset as the builder sends it; only the submission fails
        theirs = load_job(path)._to_rest_object().as_dict()["properties"]["trial"]["codeId"]
        assert rest_body(to_azure_job(spec))["properties"]["trial"]["codeId"] == theirs


def _with_input(value: str) -> str:
    return f"""
type: sweep
trial: {{command: "echo ${{{{inputs.n}}}} ${{{{search_space.x}}}}", environment: azureml:env@latest}}
inputs:
  n: {value}
search_space: {{x: {{type: choice, values: [1, 2]}}}}
sampling_algorithm: grid
objective: {{goal: maximize, primary_metric: m}}
limits: {{max_total_trials: 2}}
"""


@pytest.mark.parametrize(
    ("value", "expected"), [("{value: 42}", 42), ("{value: 2.0}", 2), ("{value: abc}", "abc"), ("{value: true}", True)]
)
def test_the_literal_value_form_is_what_load_job_reads(value, expected, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(_with_input(value))
    spec = load_spec(path)
    assert spec.inputs["n"].type == "literal" and spec.inputs["n"].value == expected
    ours = rest_body(to_azure_job(spec))["properties"]["inputs"]["n"]
    assert ours == load_job(path)._to_rest_object().as_dict()["properties"]["inputs"]["n"]
    assert ours == {"jobInputType": "literal", "value": str(expected)}


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        ("{value: 1}", "the SDK reads 1 as the boolean True and sends that", "n: 1"),
        ("{value: 0}", "the SDK reads 0 as the boolean False and sends that", "n: 0"),
        ("{value: 0.5}", "the SDK truncates 0.5 to the integer 0", "n: 0.5"),
        ("{value: [1]}", "expected a string, number or boolean, found a list", ""),
        ("{value: 3, type: integer}", "unknown key", "allowed: value"),
    ],
)
def test_a_literal_value_load_job_would_change_is_refused_with_the_plain_form(value, message, hint):
    with pytest.raises(SpecError) as refused:
        parse_spec(_with_input(value), source="spec.yaml")
    [problem] = refused.value.problems
    assert problem.where == "spec.yaml:5" and message in problem.message and problem.hint == hint


def test_an_arm_id_input_is_remote_and_a_local_run_asks_for_a_local_copy(tmp_path):
    spec = load_spec(OFFICIAL / "azure-ai-ml/test_configs/sweep_job/sweep_job_input_types.yml")
    dataset = spec.inputs["test_dataset"]
    assert dataset.is_remote and dataset.type == "uri_folder" and dataset.path.startswith("/subscriptions/")
    with pytest.raises(InputError, match=r"inputs.test_dataset: `/subscriptions/.*` is remote") as refused:
        resolve_inputs(spec, None)
    assert "--input test_dataset=" in str(refused.value)
    local = tmp_path / "data"
    local.mkdir()
    given = {"test_dataset": str(local), "test_url": str(local)}
    assert resolve_inputs(spec, given)["test_dataset"] == str(local.resolve())


@pytest.mark.slow
def test_the_minimal_outputs_config_runs_locally_with_its_files_among_the_artifacts(tmp_path):
    """azure-ai-ml's sweep_job_minimal_outputs.yaml, unmodified but for fewer trials: it writes ./outputs/output.txt
    and a file into its declared output; both end up among the child run's artifacts."""
    path = OFFICIAL / "azure-ai-ml/test_configs/sweep_job/sweep_job_minimal_outputs.yaml"
    uri = sqlite_uri(tmp_path)
    result = run_local(load_spec(path, ["limits.max_total_trials=2"]), tracking_uri=uri, name="minimal")

    assert [t.status for t in result.trials] == ["completed", "completed"]
    assert result.best_trial is not None  # each trial logged `accuracy`
    client = MlflowClient(uri)
    for trial in result.trials:
        folder = tmp_path / "artifacts" / trial.name
        client.download_artifacts(trial.run_id, "", str(folder))
        assert (folder / "outputs" / "output.txt").read_text() == "Hello Default World\n"
        assert (folder / "named-outputs" / "output1" / "output.txt").read_text() == "Hello World\n"
        assert (folder / "user_logs" / "std_log.txt").is_file()
