"""Everything `sweep` does is a Python call that returns data and prints nothing (the CLI is a shell over it)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

import submit
from emulator_helpers import shell_spec, sqlite_uri, write_spec
from submit.monitor import LocalSweeps

SPEC = shell_spec(
    "python quadratic.py ${{search_space.x}} ${{search_space.k}}",
    sampling="grid",
    space='x: {type: choice, values: [0.3, 0.9]}\nk: {type: choice, values: ["b"]}',
    limits="{max_total_trials: 2, max_concurrent_trials: 2}",
    extra="compute: azureml:cpu-cluster\nexperiment_name: api\n",
)


@pytest.mark.slow
def test_validate_build_and_run_locally_return_data_and_print_nothing(tmp_path, capfd):
    path = write_spec(tmp_path, SPEC, scripts=("quadratic.py",))
    uri = sqlite_uri(tmp_path)
    capfd.readouterr()

    spec = submit.load_spec(path)
    assert isinstance(spec, submit.SweepSpec)
    assert (spec.objective.goal, spec.objective.primary_metric, spec.trial_count()) == ("maximize", "accuracy", 2)

    job = submit.to_azure_job(spec)
    assert (job.objective.goal, job.objective.primary_metric) == ("maximize", "accuracy")
    assert job.limits.max_total_trials == 2 and job.experiment_name == "api"
    dumped = yaml.safe_load(submit.job_yaml(spec))
    assert dumped["type"] == "sweep" and dumped["compute"] == "azureml:cpu-cluster"
    assert dumped["search_space"]["x"] == {"type": "choice", "values": [0.3, 0.9]}

    result = submit.run_local(spec, tracking_uri=uri, name="api", max_concurrent=2)
    assert result.status == "completed"
    assert sorted((t.name, t.params["x"], t.status) for t in result.trials) == [
        ("api_0", 0.3, "completed"),
        ("api_1", 0.9, "completed"),
    ]
    assert result.best.name == "api_0" and result.best.best == pytest.approx(1.0)
    assert result.to_dict()["best"]["trial"] == "api_0"
    # the one model: what `sweep status` reads from the store, with the facts of this run beside it
    status = LocalSweeps(uri).status("api").to_dict(histories=True)
    assert result.to_dict(histories=True) == {**status, **result.run.to_dict()}
    assert result.run.message == "" and result.run.elapsed > 0 and result.run.concurrency == 2

    assert capfd.readouterr() == ("", "")


def test_a_bad_spec_is_an_exception_with_the_problems_located_not_a_message_printed(tmp_path, capfd):
    path = write_spec(tmp_path, SPEC.replace("type: choice, values: [0.3, 0.9]", "type: choise, values: [0.3, 0.9]"))
    capfd.readouterr()
    with pytest.raises(submit.SpecError) as raised:
        submit.load_spec(path)
    [problem] = raised.value.problems
    assert problem.where.startswith(f"{path}:") and problem.path == "search_space.x.type"
    assert "choice" in str(raised.value)  # the did-you-mean
    assert isinstance(raised.value, submit.UserError)
    assert capfd.readouterr() == ("", "")


def test_importing_the_package_loads_neither_azure_ml_nor_mlflow_nor_the_cli():
    code = (
        "import sys, submit; submit.load_spec; "
        "print(sorted(m for m in ('azure.ai.ml', 'mlflow', 'typer', 'rich') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_the_public_names_the_readme_shows_resolve_from_their_packages():
    # README, "The same from Python": each name reached as written there, through the packages' lazy faces
    from submit import cloud
    from submit.monitor import LocalSweeps
    from submit.report import write_report

    assert (cloud.connect, cloud.find_workspace, cloud.submit, cloud.wait_for) == (
        submit.azure.connect,
        submit.azure.find_workspace,
        submit.azure.submit,
        submit.azure.wait_for,
    )
    assert LocalSweeps.__module__ == "submit.monitor.local" and write_report.__module__ == "submit.report.page"
    from submit.pipeline import load_pipeline

    assert load_pipeline.__module__ == "submit.pipeline.load" and "run_pipeline_local" in submit.__all__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        submit.spec.nope  # noqa: B018 - a face refuses a name it does not export, as a module does


def test_a_keyword_that_is_not_an_option_is_refused_naming_the_options(tmp_path):
    path = write_spec(tmp_path, SPEC, scripts=("quadratic.py",))
    store = tmp_path / "never.db"

    with pytest.raises(TypeError) as raised:
        submit.run_local(submit.load_spec(path), tracking_uri=f"sqlite:///{store}", max_concurent=2)

    message = str(raised.value)
    assert "unexpected option 'max_concurent' (did you mean `max_concurrent`?)" in message
    assert "the options are: inputs, max_concurrent, tracking_uri, name, resume" in message
    assert not store.exists()  # refused before the store was made


def test_keywords_win_over_the_options_object_given_with_them():
    from submit.emulator.options import LocalOptions, with_options

    base = LocalOptions(name="base", max_concurrent=4, keep_work=True)
    merged = with_options(base, name="mine", max_concurrent=None)

    assert (merged.name, merged.max_concurrent, merged.keep_work) == ("mine", None, True)
    assert with_options() == LocalOptions()
