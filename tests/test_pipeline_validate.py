"""Pipeline jobs with sweep steps, validated: the official pipeline and ours load into the model with their steps in
dependency order, and every check has a bad pipeline here that trips it, at its file:line, key path and message.

The bad pipelines are ours (tests/fixtures/pipelines) with one edit each, copied to a temporary folder with their
component files, so a problem in a component file is reported at that file's line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from _azure_util import OFFICIAL, PIPELINE_FIXTURES
from pipeline_helpers import edited, line_of
from submit.cli import app
from submit.errors import SpecError
from submit.pipeline import load_pipeline
from submit.pipeline.declared import Binding

OFFICIAL_PIPELINE = (
    OFFICIAL / "azureml-examples/cli/jobs/pipelines-with-components/pipeline_with_hyperparameter_sweep/pipeline.yml"
)


def problems_of(path: Path):
    with pytest.raises(SpecError) as refused:
        load_pipeline(path)
    return refused.value.problems


# ---------------------------------------------------------------------------------------------------------------
# what loads


def test_the_official_pipeline_loads_with_its_sweep_step_first():
    pipeline = load_pipeline(OFFICIAL_PIPELINE)

    assert pipeline.order == ("sweep_step", "predict_step")
    assert pipeline.settings.default_compute == "cpu-cluster"
    sweep, predict = pipeline.steps["sweep_step"], pipeline.steps["predict_step"]
    assert sweep.type == "sweep" and Path(sweep.component.source).name == "train.yml"
    assert list(sweep.sweep.search_space) == ["c_value", "kernel", "coef0"]
    assert sweep.sweep.objective.primary_metric == "training_f1_score"
    assert (
        sweep.component.inputs["c_value"].type == "number" and sweep.component.outputs["model_output"] == "mlflow_model"
    )
    assert predict.inputs["model"] == Binding("jobs", "model_output", "sweep_step")
    assert predict.depends_on == ("sweep_step",)
    assert pipeline.warnings == [] and pipeline.azure_problems == ()


def test_our_three_steps_load_in_dependency_order():
    pipeline = load_pipeline(PIPELINE_FIXTURES / "three_steps.yml")

    assert pipeline.order == ("prepare", "tune", "evaluate")
    assert pipeline.steps["evaluate"].depends_on == ("tune", "prepare")
    assert pipeline.steps["evaluate"].outputs["report"] == Binding("outputs", "final_report")
    assert pipeline.steps["tune"].inputs["kernel"].value == "linear"
    assert pipeline.settings.continue_on_step_failure is False
    assert [s.name for s in pipeline.sweep_steps()] == ["tune"]


def test_inline_steps_load_as_their_own_components():
    pipeline = load_pipeline(PIPELINE_FIXTURES / "inline_steps.yml")

    say, tune = pipeline.steps["say"], pipeline.steps["tune"]
    assert say.component.source == "inline" and say.component.trial.command.startswith("python say.py")
    assert tune.component.source == "inline" and set(tune.component.inputs) == {"said", "lr"}
    assert pipeline.order == ("say", "tune")


def test_a_registered_component_is_taken_as_named(tmp_path):
    path = edited(tmp_path, {"trial: ./components/train.yml": "trial: azureml:train:3"})
    pipeline = load_pipeline(path)
    assert pipeline.steps["tune"].component.registered == "azureml:train:3"


def test_the_validate_command_prints_each_step(tmp_path):
    result = CliRunner().invoke(app, ["validate", str(PIPELINE_FIXTURES / "three_steps.yml")])

    assert result.exit_code == 0, result.output
    assert "(pipeline, 3 steps)" in result.output
    assert "tune" in result.output and "sweep after prepare: components/train.yml" in result.output
    assert "loguniform(-6, -1)" in result.output and "maximize accuracy" in result.output


# ---------------------------------------------------------------------------------------------------------------
# each check, tripped: (edits, the file the problem is in, the text on its line, key path, message, hint)

CASES = {
    "no-such-pipeline-input": (
        {"rows: ${{parent.inputs.rows}}": "rows: ${{parent.inputs.row}}"},
        "three_steps.yml",
        "rows: ${{parent.inputs.row}}",
        "jobs.prepare.inputs.rows",
        "`${{parent.inputs.row}}` names no pipeline input",
        "did you mean `rows`?",
    ),
    "no-such-step": (
        {
            "data: ${{parent.jobs.prepare.outputs.data}}\n      kernel": "data: ${{parent.jobs.prepar.outputs.data}}\n      kernel"
        },
        "three_steps.yml",
        "data: ${{parent.jobs.prepar.outputs.data}}",
        "jobs.tune.inputs.data",
        "`${{parent.jobs.prepar.outputs.data}}` names no step",
        "did you mean `prepare`?",
    ),
    "no-such-step-output": (
        {"${{parent.jobs.tune.outputs.model}}": "${{parent.jobs.tune.outputs.modle}}"},
        "three_steps.yml",
        "model: ${{parent.jobs.tune.outputs.modle}}",
        "jobs.evaluate.inputs.model",
        "`${{parent.jobs.tune.outputs.modle}}`: step `tune` has no output `modle`",
        "did you mean `model`?",
    ),
    "no-such-pipeline-output": (
        {"${{parent.outputs.final_report}}": "${{parent.outputs.final_reprot}}"},
        "three_steps.yml",
        "report: ${{parent.outputs.final_reprot}}",
        "jobs.evaluate.outputs.report",
        "`${{parent.outputs.final_reprot}}` names no pipeline output",
        "did you mean `final_report`?",
    ),
    "not-a-binding": (
        {"rows: ${{parent.inputs.rows}}": "rows: ${{parent.input.rows}}"},
        "three_steps.yml",
        "rows: ${{parent.input.rows}}",
        "jobs.prepare.inputs.rows",
        "`${{parent.input.rows}}` is not a binding Azure ML resolves here",
        "write ${{parent.inputs.<name>}}",
    ),
    "cycle": (
        {"rows: ${{parent.inputs.rows}}": "rows: ${{parent.jobs.evaluate.outputs.report}}"},
        "three_steps.yml",
        "  prepare:",
        "jobs.prepare",
        "a dependency cycle: prepare -> evaluate -> tune -> prepare",
        "a step can only take outputs of steps that do not need its own",
    ),
    "swept-key-not-an-input": (
        {"      depth:\n        type: choice": "      dept:\n        type: choice"},
        "three_steps.yml",
        "dept:",
        "jobs.tune.search_space.dept",
        "not an input of the component train.yml",
        "did you mean `depth`?",
    ),
    "input-without-value": (
        {"      data: ${{parent.jobs.prepare.outputs.data}}\n      kernel": "      kernel"},
        "three_steps.yml",
        "    inputs:\n      kernel: linear",
        "jobs.tune.inputs",
        "`data` (uri_folder) of the component train.yml gets no value: it has no default and the step neither sets "
        "nor sweeps it",
        "inputs: {data: ${{parent.inputs.data}}}, or a value",
    ),
    "integer-swept-with-uniform": (
        {
            "depth:\n        type: choice\n        values: [2, 3, 4]": "depth:\n        type: uniform\n        min_value: 2\n        max_value: 6"
        },
        "three_steps.yml",
        "type: uniform",
        "jobs.tune.search_space.depth.type",
        "`depth` is an input of type `integer` in the trial; `uniform` samples non-integer values",
        "use `randint`, `quniform` with q: 1, or `choice` of integers",
    ),
    "integer-swept-with-float-choices": (
        {"values: [2, 3, 4]": "values: [2, 3.5]"},
        "three_steps.yml",
        "type: choice",
        "jobs.tune.search_space.depth.type",
        "`depth` is an input of type `integer` in the trial; choice value 3.5 is not one",
        "make the input `type: number`",
    ),
    "swept-and-set": (
        {"      depth:\n": "      kernel:\n        type: choice\n        values: [rbf, linear]\n      depth:\n"},
        "three_steps.yml",
        "kernel: linear",
        "jobs.tune.inputs.kernel",
        "`kernel` is both set here and swept in search_space; give it one way",
        "",
    ),
    "fixed-value-of-another-type": (
        {"rows: ${{parent.inputs.rows}}": "rows: many"},
        "three_steps.yml",
        "rows: many",
        "jobs.prepare.inputs.rows",
        "`rows` is an input of type `integer` in the component prepare.yml; 'many' is not one",
        "a value of type integer",
    ),
    "pipeline-type-spelt-otherwise": (
        {"type: pipeline": "type: Pipeline"},
        "three_steps.yml",
        "type: Pipeline",
        "type",
        "expected `pipeline`, found 'Pipeline'",
        "type: pipeline",
    ),
    "search-range-from-a-binding": (
        {"min_value: -6": "min_value: ${{parent.inputs.rows}}"},
        "three_steps.yml",
        "min_value: ${{parent.inputs.rows}}",
        "jobs.tune.search_space.lr.min_value",
        "a search range cannot come from a binding; azure-ai-ml sends the text as it is and Azure ML does not resolve "
        "it there (https://github.com/Azure/azureml-examples/issues/3457, open)",
        "--set jobs.tune.search_space.lr.min_value=<value>",
    ),
    "standalone-rule-grid": (
        {"sampling_algorithm: random": "sampling_algorithm: grid"},
        "three_steps.yml",
        "type: loguniform",
        "jobs.tune.search_space.lr.type",
        "grid sampling needs `choice`, found `loguniform`",
        "",
    ),
    "standalone-rule-empty-search-space": (
        {"    search_space:\n      lr:": "    search_space: {}\n    unused:\n      lr:"},
        "three_steps.yml",
        "search_space: {}",
        "jobs.tune.search_space",
        "is empty; a sweep needs at least one parameter",
        "",
    ),
    "standalone-rule-misspelt-key": (
        {"    objective:\n      goal": "    objectiv:\n      goal"},
        "three_steps.yml",
        "objectiv:",
        "jobs.tune.objectiv",
        "unknown key for a `sweep` step",
        "did you mean `objective`?",
    ),
    "step-input-not-a-component-input": (
        {"kernel: linear": "kernal: linear"},
        "three_steps.yml",
        "kernal: linear",
        "jobs.tune.inputs.kernal",
        "not an input of the component train.yml",
        "did you mean `kernel`?",
    ),
    "no-such-component-file": (
        {"trial: ./components/train.yml": "trial: ./components/trian.yml"},
        "three_steps.yml",
        "trial: ./components/trian.yml",
        "jobs.tune.trial",
        "no such component file",
        "did you mean `train.yml`?",
    ),
    "component-command-names-no-input": (
        {"--kernel ${{inputs.kernel}}": "--kernel ${{inputs.kernal}}"},
        "components/train.yml",
        "command: >-",
        "command",
        "`${{inputs.kernal}}` names no input",
        "did you mean `kernel`?",
    ),
    "component-input-type": (
        {"type: number": "type: nuber"},
        "components/train.yml",
        "type: nuber",
        "inputs.lr.type",
        "unknown input type 'nuber'",
        "did you mean `number`?",
    ),
    "component-default-of-another-type": (
        {"default: 40": "default: forty"},
        "components/prepare.yml",
        "default: forty",
        "inputs.rows.default",
        "expected an integer for an input of type `integer`, found a string 'forty'",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_check_reports_its_file_line_key_path_and_message(case, tmp_path):
    edits, file, on_line, key, message, hint = CASES[case]
    path = edited(tmp_path, edits, file)
    located = path.parent / file

    problems = problems_of(path)

    found = [p for p in problems if p.path == key and message in p.message]
    assert found, "\n".join(p.format() for p in problems)
    assert found[0].where == f"{located}:{line_of(located, on_line)}"
    assert hint in found[0].hint


def test_a_range_from_a_binding_is_one_problem_not_two(tmp_path):
    path = edited(tmp_path, {"min_value: -6": "min_value: ${{parent.inputs.rows}}"})
    [problem] = problems_of(path)
    assert "search range cannot come from a binding" in problem.message


def test_a_component_two_steps_use_is_reported_once(tmp_path):
    path = edited(tmp_path, {"component: ./components/evaluate.yml": "component: ./components/prepare.yml"})
    shared = path.parent / "components" / "prepare.yml"
    shared.write_text(shared.read_text().replace("${{inputs.rows}}", "${{inputs.row}}"))

    problems = problems_of(path)

    assert len([p for p in problems if "`${{inputs.row}}` names no input" in p.message]) == 1


# ---------------------------------------------------------------------------------------------------------------
# the Azure traps that load: a warning, and what Azure alone refuses


def test_trial_timeout_in_a_sweep_step_is_a_warning_with_its_source(tmp_path):
    path = edited(tmp_path, {"      timeout: 600\n": "      timeout: 600\n      trial_timeout: 120\n"})
    pipeline = load_pipeline(path)

    [warning] = pipeline.warnings
    assert warning.startswith(f"{path}:{line_of(path, 'trial_timeout: 120')}: jobs.tune.limits.trial_timeout: ")
    assert "Azure ML was seen not to apply it in a pipeline" in warning
    assert "https://github.com/Azure/azure-sdk-for-python/issues/39549" in warning

    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output  # a warning does not fail
    assert f"warning {warning}" in result.output


def test_a_seed_in_a_sweep_step_is_refused_for_azure_with_its_source(tmp_path):
    path = edited(tmp_path, {"sampling_algorithm: random": "sampling_algorithm: {type: random, seed: 7}"})
    pipeline = load_pipeline(path)  # a local run would take it

    [problem] = pipeline.azure_problems
    assert problem.where == f"{path}:{line_of(path, 'sampling_algorithm:')}"
    assert problem.path == "jobs.tune.sampling_algorithm"
    assert "here for its seed" in problem.message and "issues/33703" in problem.message
    assert problem.hint.startswith("sampling_algorithm: random")

    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:{problem.where.rsplit(':', 1)[1]}: jobs.tune.sampling_algorithm: Azure ML refuses" in result.output


def test_a_swept_input_the_components_command_never_uses_is_a_warning(tmp_path):
    path = edited(tmp_path, {"--depth ${{inputs.depth}}": "--depth 3"}, "components/train.yml")
    pipeline = load_pipeline(path)

    [warning] = pipeline.warnings
    assert warning == (
        f"{path}:{line_of(path, 'depth:')}: jobs.tune.search_space.depth: the component train.yml's command never "
        "uses `${{inputs.depth}}`: the swept value reaches no argument"
    )


# ---------------------------------------------------------------------------------------------------------------
# the CLI: every problem in one message, exit 2; what does not take a pipeline yet says so in one line


def test_validate_lists_the_problems_of_the_pipeline_and_its_components_with_exit_2(tmp_path):
    path = edited(tmp_path, {"rows: ${{parent.inputs.rows}}": "rows: ${{parent.inputs.row}}"})
    component = path.parent / "components" / "train.yml"
    component.write_text(component.read_text().replace("${{inputs.kernel}}", "${{inputs.kernal}}"))

    result = CliRunner().invoke(app, ["validate", str(path)])

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path}:{line_of(path, 'rows: ${{parent.inputs.row}}')}: jobs.prepare.inputs.rows:" in result.output
    assert f"{component}:{line_of(component, 'command: >-')}: command: `${{{{inputs.kernal}}}}` names no input" in (
        result.output
    )


def test_submit_preflight_of_a_pipeline_says_what_takes_it_in_one_line():
    result = CliRunner().invoke(app, ["submit", str(OFFICIAL_PIPELINE), "--preflight"])

    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.endswith(
        "pipeline.yml:4: type: a pipeline job (jobs.sweep_step): `sweep validate [--preflight]`, `sweep plan` and "
        "`sweep submit [--dry-run | --local]` take it; `submit --preflight` and `--continue` do not (run `sweep "
        "validate --preflight` first)"
    )


def test_preflight_of_the_official_pipeline_runs_its_sweep_steps_trial_and_asks_for_its_remote_input():
    result = CliRunner().invoke(app, ["validate", "--preflight", str(OFFICIAL_PIPELINE)])

    assert result.exit_code == 2
    assert "preflight: running trial 0 of " in result.output  # the sweep step's first trial, as a sweep's
    assert "inputs.data: `wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv` is remote" in result.output
    assert "hint: pass a local copy: --input data=" in result.output


def test_submit_local_asks_for_a_local_copy_of_the_remote_input_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["submit", str(OFFICIAL_PIPELINE), "--local", "--tracking-uri", str(tmp_path)])

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-2:] == [  # after the environment check's warnings
        f"{OFFICIAL_PIPELINE.resolve()}: jobs.sweep_step.inputs.data: "
        "`wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv` is remote; the local emulator does not "
        "download data",
        "  hint: pass a local copy: --input sweep_step.data=./data/iris.csv",
    ]
    assert not list(tmp_path.iterdir())  # refused before the store or a work folder was made


@pytest.mark.parametrize(
    "args, line",
    [
        (("--input", "dta=x.csv"), "--input dta: the pipeline has no input `dta`\n  hint: did you mean `data`?"),
        (("--input", "data=no/such.csv"), "--input data=no/such.csv: no such file or folder"),
        (("--isolated",), "--isolated is for a sweep spec; a pipeline runs here without it (drop --isolated)"),
    ],
    ids=["unknown-input", "missing-file", "isolated"],
)
def test_submit_local_refuses_what_a_pipeline_cannot_take_in_one_line(args, line, tmp_path):
    command = ["submit", str(OFFICIAL_PIPELINE), "--local", "--skip-env-check", "--tracking-uri", str(tmp_path)]
    result = CliRunner().invoke(app, [*command, *args])

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert line in result.output
    assert not list(tmp_path.iterdir())


MALFORMED = {
    "jobs-a-list": ("jobs: [a, b]", "jobs: expected a mapping of step names to steps, found a list"),
    "no-jobs": ("description: none", "jobs: missing required key"),
    "step-a-string": ("jobs:\n  a: hello", "jobs.a: expected a mapping of step settings"),
    "tags-a-list": (
        "tags: [1]\njobs:\n  a: {type: command, component: ./components/prepare.yml}",
        "tags: expected a mapping",
    ),
    "another-step-type": (
        "jobs:\n  a: {type: parallel}",
        "jobs.a.type: a `parallel` step; sweep takes `command` and `sweep` steps",
    ),
    "component-a-list": ("jobs:\n  a: {type: command, component: [1]}", "jobs.a.component: expected a component file"),
    "sweep-step-bare": ("jobs:\n  a: {type: sweep}", "jobs.a.trial: missing required key"),
    "component-not-yaml": (
        "jobs:\n  a: {type: command, component: ./src/prepare.py}\n  b: {type: sweep}",
        "src/prepare.py:1: not valid YAML",  # and the pipeline's own problems still listed:
    ),
    "component-a-folder": (
        "jobs:\n  a: {type: command, component: ./components}",
        "jobs.a.component: no such component file",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_pipeline_is_a_located_message_and_exit_2(case, tmp_path):
    body, expected = MALFORMED[case]
    folder = tmp_path / "pipelines"
    shutil.copytree(PIPELINE_FIXTURES, folder)
    path = folder / "bad.yml"
    path.write_text(f"type: pipeline\n{body}\n")

    result = CliRunner().invoke(app, ["validate", str(path)])

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert expected in result.output
    assert case != "component-not-yaml" or "bad.yml:4: jobs.b.trial: missing required key" in result.output
    lines = [line for line in result.output.splitlines() if not line.startswith("  hint: ")]
    assert lines and all(line.startswith(str(folder)) for line in lines), result.output  # each at its file:line


# ---------------------------------------------------------------------------------------------------------------
# the environment check, as a standalone sweep's, for each step's component


def test_the_environment_check_reads_each_components_code_against_its_environment():
    result = CliRunner().invoke(app, ["validate", str(OFFICIAL_PIPELINE)])

    assert result.exit_code == 0, result.output
    for script in ("train-src/train.py:5", "predict-src/predict.py:5"):  # `import mlflow` in each component's code
        assert f"{script}: `import mlflow`: curated AzureML-sklearn-1.5 has mlflow-skinny only as a dependency" in (
            result.output
        )
    assert "note jobs.sweep_step: curated AzureML-sklearn-1.5 declares Python 3.10" in result.output


def test_an_environment_problem_refuses_the_pipeline_at_the_components_line(tmp_path):
    inline = "environment:\n  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n  conda_file: ../conda.yml"
    path = edited(
        tmp_path, {"environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33": inline}, "components/train.yml"
    )
    (path.parent / "conda.yml").write_text(
        "channels: [conda-forge]\ndependencies:\n  - python=3.10\n  - pip:\n    - scikit-learn==1.5.0\n"
    )
    component = path.parent / "components" / "train.yml"

    result = CliRunner().invoke(app, ["validate", str(path)])

    assert result.exit_code == 2, result.output
    logs = path.parent / "src" / "rest_log.py"  # the component's own code: train.py logs with it
    assert f"src/rest_log.py:{line_of(logs, 'import mlflow')}: `import mlflow`: no package of" in result.output
    image = line_of(component, "image: mcr")
    assert (
        f"{component}:{image}: environment.image: `mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04` has no tag"
        in (result.output)
    )
    assert result.output.rstrip().endswith("--skip-env-check skips the check for one run")
    assert CliRunner().invoke(app, ["validate", str(path), "--skip-env-check"]).exit_code == 0
