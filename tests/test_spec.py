"""Spec loading and validation: every rule of docs/semantics.md "What `sweep validate` checks", each with the message a user reads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from submit import SpecError, load_spec, parse_spec
from submit.spec.space import Choice, LogUniform, Normal, QUniform, Uniform

BASE = """\
type: sweep
trial:
  code: src
  command: python main.py --lr ${{search_space.lr}} --depth ${{search_space.depth}}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: random
search_space:
  lr: {type: uniform, min_value: 0.01, max_value: 0.9}
  depth: {type: choice, values: [3, 5, 7]}
objective:
  goal: maximize
  primary_metric: accuracy
limits:
  max_total_trials: 4
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    return tmp_path


def write(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def errors_of(path: Path, overrides=()) -> str:
    with pytest.raises(SpecError) as e:
        load_spec(path, overrides)
    return str(e.value)


# (override, expected fragments of the message) -- one bad spec each
BAD_OVERRIDES = [
    (
        "search_space.lr.type=unifrom",
        ["search_space.lr.type", "unknown distribution `unifrom`", "did you mean `uniform`"],
    ),
    ("search_space.lr.type=log_uniform", ["did you mean `loguniform`"]),
    ("sampling_algorithm=grid", ["search_space.lr.type", "grid sampling needs `choice`, found `uniform`"]),
    ("sampling_algorithm=bayesian", None),  # valid: uniform + choice; see the next two
    ("search_space.lr={type: loguniform, min_value: -5, max_value: -1}", None),
    (
        "search_space.lr.min_value=0.9",
        ["search_space.lr.max_value", "min_value must be below max_value, found 0.9 >= 0.9"],
    ),
    ("search_space.q={type: quniform, min_value: 5, max_value: 1, q: 1}", ["search_space.q.max_value", "5 >= 1"]),
    ("search_space.n={type: normal, mu: 0, sigma: -1}", ["search_space.n.sigma", "sigma must be >= 0, found -1"]),
    ("search_space.depth.values=[]", ["search_space.depth.values", "at least one value"]),
    ("search_space.r={type: randint, upper: 0}", ["search_space.r.upper", "positive integer, found 0"]),
    ("search_space.r={type: randint, upper: 2.5}", ["search_space.r.upper", "expected an integer, found float 2.5"]),
    (
        "search_space.q={type: quniform, min_value: 0, max_value: 9, q: 0}",
        ["search_space.q.q", "q must be > 0, found 0"],
    ),
    ("search_space.depth.values=[true, false]", ["search_space.depth.values[0]", "found True", 'quote it ("true")']),
    (
        "search_space.lr={type: uniform, min: 0, max_value: 1}",
        [
            "search_space.lr.min",
            "unknown key for `uniform`",
            "did you mean `min_value`",
            "search_space.lr.min_value: missing required key",
        ],
    ),
    (
        "search_space.lr={type: uniform, min_value: low, max_value: 1}",
        ["search_space.lr.min_value", "expected a number, found a string 'low'"],
    ),
    ("search_space.lr=0.1", ["search_space.lr", "expected a distribution", "found float"]),
    (
        "early_termination={type: bandit, slack_factor: 0.1, slack_amount: 0.2}",
        ["exactly one of slack_factor and slack_amount, found both"],
    ),
    ("early_termination={type: bandit, evaluation_interval: 1}", ["Bandit needs one of slack_factor or slack_amount"]),
    (
        "early_termination={type: truncation_selection, truncation_percentage: 0}",
        ["early_termination.truncation_percentage", "from 1 to 99, found 0"],
    ),
    ("early_termination={type: truncation_selection, truncation_percentage: 100}", ["from 1 to 99, found 100"]),
    (
        "early_termination={type: truncation_selection}",
        ["early_termination.truncation_percentage: missing required key"],
    ),
    (
        "early_termination={type: median_stoping}",
        ["unknown early-termination policy 'median_stoping'", "did you mean `median_stopping`"],
    ),
    ("early_termination=bandit", ["expected a mapping such as `{type: bandit, evaluation_interval: 1}`"]),
    (
        "early_termination={type: truncation_selection, truncation_percentage: 20, exclude_finished_jobs: true}",
        ["exclude_finished_jobs", "only in v1 HyperDrive"],
    ),
    (
        "early_termination={type: median_stopping, delay_evaluation: -1}",
        ["early_termination.delay_evaluation", "must be >= 0, found -1"],
    ),
    ("limits.max_total_trials=0", ["limits.max_total_trials", "from 1 to 1000", "found 0"]),
    ("limits.max_total_trials=5000", ["limits.max_total_trials", "found 5000"]),
    ("limits.max_concurrent_trials=0", ["limits.max_concurrent_trials", "found 0"]),
    ("limits.timeout=1h", ["limits.timeout", "expected an integer, found a string '1h'", "silently drops non-integer"]),
    ("limits.max_trials=3", ["limits.max_trials", "unknown key", "did you mean `max_total_trials`"]),
    (
        "objective.goal=max",
        ["objective.goal", "expected `minimize` or `maximize`, found 'max'", "did you mean `maximize`"],
    ),
    ("objective.primary_metric=", ["objective.primary_metric"]),
    ("sampling_algorithm=sobol", ["unknown sampling algorithm `sobol`", "{type: random, rule: sobol, seed: 1}"]),
    (
        "sampling_algorithm={type: random, rule: halton}",
        ["sampling_algorithm.rule", "expected `random` or `sobol`, found 'halton'"],
    ),
    ("sampling_algorithm={type: random, seed: abc}", ["sampling_algorithm.seed", "expected an integer"]),
    ("sampling_algorithm={type: grid, seed: 1}", ["sampling_algorithm.seed", "unknown key for `grid` sampling"]),
    ("sampling_algorithm={type: random, logbase: -2}", ["sampling_algorithm.logbase", "positive number"]),
    (
        "trial.command=python x.py --lr ${{search_space.lrr}}",
        ["trial.command", "`${{search_space.lrr}}` names no search-space parameter", "did you mean `lr`"],
    ),
    (
        "trial.command=python x.py --data ${{inputs.data}}",
        ["`${{inputs.data}}` names no input", "add it under `inputs:`"],
    ),
    ("trial.command=python x.py --out ${{outputs.model}}", ["`${{outputs.model}}` names no output"]),
    ("trial.compute=azureml:cpu", ["trial.compute", "unknown key", "compute is a top-level key"]),
    ("trial.inputs={a: 1}", ["trial.inputs", "inputs is a top-level key"]),
    ("trial.code=nowhere", ["trial.code", "no such folder"]),
    ("trial.command=", ["trial.command", "expected the command line that runs a trial, found an empty string"]),
    (
        "trial.environment={conda_file: env.yml}",
        ["trial.environment", "needs `image`", "trial.environment.conda_file", "no such file"],
    ),
    ("type=sweep_job", ["type", "expected `sweep`, found `sweep_job`"]),
    ("experiement_name=x", ["experiement_name", "unknown key", "did you mean `experiment_name`"]),
    (
        "inputs={data: {type: uri_fle, path: x.csv}}",
        ["inputs.data.type", "unknown input type 'uri_fle'", "did you mean `uri_file`"],
    ),
    ("inputs={data: {type: uri_file, path: missing.csv}}", ["inputs.data.path", "no such file or folder"]),
    (
        "inputs={data: {type: uri_file, path: https://x/y.csv, mode: mount}}",
        ["inputs.data.mode", "unknown mode 'mount'", "hint: did you mean"],
    ),
    (
        "search_space.lr-rate={type: uniform, min_value: 0, max_value: 1}",
        ["search_space.lr-rate", "letters, digits and underscores"],
    ),
    ("name=my sweep", ["name", "letters, digits"]),
]


@pytest.mark.parametrize("override,expected", BAD_OVERRIDES, ids=[o for o, _ in BAD_OVERRIDES])
def test_bad_spec_is_reported_with_its_key_path(folder, override, expected):
    path = write(folder, BASE)
    if expected is None:
        load_spec(path, [override])  # the control cases load
        return
    message = errors_of(path, [override])
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert "Traceback" not in message


def test_at_least_thirty_distinct_bad_specs_are_covered():
    assert sum(1 for _, expected in BAD_OVERRIDES if expected) >= 30


def test_error_names_the_file_and_line_of_the_key(folder):
    path = write(folder, BASE.replace("max_value: 0.9}", "max_value: 0.9}\n  extra: {type: unifrom, values: [1]}"))
    message = errors_of(path)
    assert f"{path}:9: search_space.extra.type: unknown distribution `unifrom`" in message
    assert "hint: did you mean `uniform`?" in message


def test_every_problem_of_a_file_is_reported_at_once(folder):
    text = BASE.replace("goal: maximize", "goal: maximise").replace("max_total_trials: 4", "max_total_trials: 0")
    text = text.replace("min_value: 0.01", "min_value: 5")
    message = errors_of(write(folder, text))
    assert (
        "objective.goal" in message and "limits.max_total_trials" in message and "search_space.lr.max_value" in message
    )
    assert f"{folder / 'spec.yaml'}:11: objective.goal" in message
    assert f"{folder / 'spec.yaml'}:14: limits.max_total_trials" in message


def test_bayesian_rejects_loguniform_and_early_termination(folder):
    text = BASE.replace("sampling_algorithm: random", "sampling_algorithm: bayesian")
    text = text.replace("{type: uniform, min_value: 0.01", "{type: loguniform, min_value: -5")
    text += "early_termination: {type: median_stopping, evaluation_interval: 1}\n"
    message = errors_of(write(folder, text))
    assert (
        "search_space.lr.type: bayesian sampling supports choice, uniform and quniform only, found `loguniform`"
        in message
    )
    assert "early_termination: bayesian sampling does not support early termination" in message


def test_grid_rejects_nested_choice(folder):
    text = BASE.replace("sampling_algorithm: random", "sampling_algorithm: grid").replace(
        "lr: {type: uniform, min_value: 0.01, max_value: 0.9}",
        "lr: {type: choice, values: [{a: {type: uniform, min_value: 0, max_value: 1}}]}",
    )
    assert "grid sampling needs plain choice values" in errors_of(write(folder, text))


@pytest.mark.parametrize(
    "content,expected",
    [
        ("type: sweep\ntrial: [unclosed\n", ":3: not valid YAML"),
        ("- type: sweep\n- trial: x\n", "expected a mapping (a sweep job with type: sweep), found a list"),
        ("", "the file is empty"),
        ("just a string", "found a string"),
    ],
)
def test_files_that_are_not_specs(folder, content, expected):
    message = errors_of(write(folder, content))
    assert expected in message


def test_missing_file_suggests_the_near_name(folder):
    write(folder, BASE, "sweep.yaml")
    message = errors_of(folder / "sweeep.yaml")
    assert "no such file" in message and "did you mean `sweep.yaml`" in message


def test_missing_required_sections(folder):
    message = errors_of(write(folder, "type: sweep\nsampling_algorithm: random\n"))
    for key in ("trial", "search_space", "objective", "limits"):
        assert f"{key}: missing required key" in message


def test_warnings_for_what_azure_accepts_but_users_rarely_mean(folder):
    text = BASE.replace(
        "{type: uniform, min_value: 0.01, max_value: 0.9}", "{type: loguniform, min_value: 0.001, max_value: 0.1}"
    )
    text = text.replace("max_total_trials: 4", "max_total_trials: 4\n  timeout: 30")
    text = text.replace("search_space:\n", "search_space:\n  unused: {type: choice, values: [1]}\n")
    spec = load_spec(write(folder, text))
    warnings = "\n".join(spec.warnings)
    assert "natural-log exponents" in warnings and "min_value: -6.908, max_value: -2.303" in warnings
    assert "search_space.unused: not used in trial.command" in warnings
    assert "limits.timeout: 30 s: Azure raises timeouts under 60 s to 60 s" in warnings


def test_bayesian_advice(folder):
    text = BASE.replace("sampling_algorithm: random", "sampling_algorithm: bayesian")
    spec = load_spec(write(folder, text))
    assert any("Azure recommends at least 20 per parameter (40)" in w for w in spec.warnings)


def test_missing_sampling_algorithm_warns_and_means_random(folder):
    spec = load_spec(write(folder, BASE.replace("sampling_algorithm: random\n", "")))
    assert spec.sampling.type == "random" and not spec.sampling.given
    assert any("sampling_algorithm: missing" in w for w in spec.warnings)


def test_official_lightgbm_example_loads(folder):
    # Azure/azureml-examples cli/jobs/single-step/lightgbm/iris/job-sweep.yml, as published
    text = """\
    $schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
    type: sweep
    trial:
      code: src
      command: >-
        python main.py
        --iris-csv ${{inputs.iris_csv}}
        --learning-rate ${{search_space.learning_rate}}
        --boosting ${{search_space.boosting}}
      environment: azureml:AzureML-lightgbm-3.3@latest
    inputs:
      iris_csv:
        type: uri_file
        path: https://azuremlexamples.blob.core.windows.net/datasets/iris.csv
    compute: azureml:cpu-cluster
    sampling_algorithm: random
    search_space:
      learning_rate: {type: uniform, min_value: 0.01, max_value: 0.9}
      boosting: {type: choice, values: ["gbdt", "dart"]}
    objective:
      goal: minimize
      primary_metric: test-multi_logloss
    limits:
      max_total_trials: 20
      max_concurrent_trials: 10
      timeout: 7200
    display_name: lightgbm-iris-sweep-example
    experiment_name: lightgbm-iris-sweep-example
    description: Run a hyperparameter sweep job for LightGBM on Iris dataset.
    """
    spec = load_spec(write(folder, text))
    assert spec.inputs["iris_csv"].is_remote and spec.inputs["iris_csv"].type == "uri_file"
    assert spec.trial.code == str((folder / "src").resolve())
    assert spec.limits.concurrency == 10 and spec.limits.timeout == 7200
    assert spec.objective.goal == "minimize" and spec.experiment_name == "lightgbm-iris-sweep-example"
    assert spec.warnings == []


def test_hello_sweep_literal_input_and_legacy_braces(folder):
    text = """\
    type: sweep
    trial:
      command: python hello-sweep.py --A {inputs.A} --B ${{search_space.B}} --C ${{search_space.C}}
      code: src
      environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
    inputs:
      A: 0.5
    sampling_algorithm: random
    search_space:
      B: {type: choice, values: ["hello", "world", "hello_world"]}
      C: {type: uniform, min_value: 0.1, max_value: 1.0}
    objective: {goal: minimize, primary_metric: random_metric}
    limits: {max_total_trials: 4, max_concurrent_trials: 2, timeout: 3600}
    """
    spec = load_spec(write(folder, text))
    assert spec.inputs["A"].type == "literal" and spec.inputs["A"].value == 0.5
    assert spec.references("inputs") == ["A"]
    assert any("single-brace" in w for w in spec.warnings)


def test_nested_choice_of_mappings_parses_into_distributions(folder):
    text = BASE.replace(
        "depth: {type: choice, values: [3, 5, 7]}",
        "depth:\n    type: choice\n    values:\n      - {kind: a, x: {type: uniform, min_value: 0, max_value: 1}}\n      - {kind: b, y: {type: randint, upper: 5}}",
    )
    spec = load_spec(write(folder, text))
    depth = spec.search_space["depth"]
    assert isinstance(depth, Choice) and isinstance(depth.values[0]["x"], Uniform)
    assert depth.n_dims() == 3


def test_nested_distribution_problems_point_inside_the_option(folder):
    text = BASE.replace(
        "depth: {type: choice, values: [3, 5, 7]}",
        "depth:\n    type: choice\n    values:\n      - {kind: a, x: {type: uniform, min_value: 2, max_value: 1}}",
    )
    assert "search_space.depth.values[0].x.max_value: min_value must be below max_value" in errors_of(
        write(folder, text)
    )


def test_set_overrides_any_key_and_types_values_as_yaml(folder):
    spec = load_spec(
        write(folder, BASE),
        ["limits.max_total_trials=7", "search_space.depth.values=[1, 2]", "sampling_algorithm={type: random, seed: 3}"],
    )
    assert spec.limits.max_total_trials == 7
    assert spec.search_space["depth"].values == [1, 2]
    assert spec.sampling.seed == 3


def test_set_errors_say_they_come_from_the_option(folder):
    message = errors_of(write(folder, BASE), ["limits.max_total_trials=0"])
    assert message.startswith("--set: limits.max_total_trials")
    with pytest.raises(SpecError, match="expected KEY.PATH=VALUE"):
        load_spec(write(folder, BASE), ["limits.max_total_trials"])


def test_distribution_objects_carry_the_yaml_values(folder):
    text = BASE + "  timeout: 600\n"
    text = text.replace(
        "search_space:\n",
        "search_space:\n  a: {type: loguniform, min_value: -3, max_value: -1}\n  b: {type: quniform, min_value: 1, max_value: 9, q: 2}\n  c: {type: normal, mu: 1, sigma: 2}\n",
    )
    spec = parse_spec(textwrap.dedent(text).replace("code: src", "code: " + str(folder / "src")), source="inline")
    assert isinstance(spec.search_space["a"], LogUniform) and spec.search_space["a"].min_value == -3
    assert isinstance(spec.search_space["b"], QUniform) and spec.search_space["b"].q == 2
    assert isinstance(spec.search_space["c"], Normal) and spec.search_space["c"].sigma == 2
    assert list(spec.search_space) == ["a", "b", "c", "lr", "depth"]


def test_optional_segment_may_name_an_input_that_is_not_given(folder):
    # Azure's `$[[...]]` segment is dropped when its input is absent; plain shell brackets are not optional
    optional = "python main.py --lr ${{search_space.lr}} --depth ${{search_space.depth}} $[[--extra ${{inputs.extra}}]]"
    load_spec(write(folder, BASE), [f"trial.command={optional}"])
    shell_test = "[ -n ${{inputs.extra}} ] && python main.py --lr ${{search_space.lr}} --depth ${{search_space.depth}}"
    assert "`${{inputs.extra}}` names no input" in errors_of(write(folder, BASE), [f"trial.command={shell_test}"])
