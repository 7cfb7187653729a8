"""Every spelling of every enumerated key: `sweep validate` accepts it exactly when azure-ai-ml's `load_job` does.

The SDK's schema reads some keys through ``camel_to_snake`` (``MedianStopping``, ``AMLToken``) and the others only
lower-cased (``PyTorch``, ``URI_FOLDER``); ``load_job`` itself is the oracle here, on one tmp spec per spelling, and
the accepted spelling must reach the model, the --dry-run YAML and the local emulator as the SDK's own name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from submit import load_spec
from submit.cli import app
from submit.emulator.policies import MedianStoppingPolicy, make_policy
from test_spec import BASE

REMOTE = "azureml://datastores/workspaceblobstore/paths/data/"
CHOICES_ONLY = BASE.replace("{type: uniform, min_value: 0.01, max_value: 0.9}", "{type: choice, values: [0.1, 0.2]}")
DISTRIBUTION_PARAMS = {
    "choice": "values: [1, 2]",
    "uniform": "min_value: 0.1, max_value: 0.9",
    "loguniform": "min_value: -3, max_value: -1",
    "quniform": "min_value: 1, max_value: 9, q: 2",
    "qloguniform": "min_value: 0, max_value: 3, q: 1",
    "normal": "mu: 0, sigma: 1",
    "lognormal": "mu: 0, sigma: 1",
    "qnormal": "mu: 0, sigma: 1, q: 1",
    "qlognormal": "mu: 0, sigma: 1, q: 1",
    "randint": "upper: 5",
}
POLICY_SETTINGS = {"bandit": ", slack_factor: 0.1", "truncation_selection": ", truncation_percentage: 20"}
INPUT_MODES = {
    "uri_folder": ("ro_mount", "download", "direct"),
    "uri_file": ("ro_mount", "download", "direct"),
    "mltable": ("ro_mount", "download", "direct", "eval_mount", "eval_download"),
    "custom_model": ("ro_mount", "download", "direct"),
    "mlflow_model": ("ro_mount", "download", "direct"),
    "triton_model": ("ro_mount", "download", "direct"),
}


def _spec(key: str, name: str, word: str) -> str:
    """A spec that differs from the valid base only in ``key``, spelt ``word`` (``name`` is the SDK's name)."""
    word = f"'{word}'"  # quoted: `null` is the job tier's name, not YAML's null
    if key == "type":
        return BASE.replace("type: sweep", f"type: {word}")
    if key == "sampling_algorithm":
        return CHOICES_ONLY.replace("sampling_algorithm: random", f"sampling_algorithm: {word}")
    if key == "sampling_algorithm.type":
        return CHOICES_ONLY.replace("sampling_algorithm: random", f"sampling_algorithm: {{type: {word}}}")
    if key == "sampling_algorithm.rule":
        return BASE.replace("sampling_algorithm: random", f"sampling_algorithm: {{type: random, rule: {word}}}")
    if key == "objective.goal":
        return BASE.replace("goal: maximize", f"goal: {word}")
    if key == "early_termination.type":
        return BASE + f"early_termination: {{type: {word}{POLICY_SETTINGS.get(name, '')}}}\n"
    if key == "identity.type":
        return BASE + f"identity: {{type: {word}}}\n"
    if key == "search_space.type":
        return BASE.replace(
            "depth: {type: choice, values: [3, 5, 7]}", f"depth: {{type: {word}, {DISTRIBUTION_PARAMS[name]}}}"
        )
    if key == "trial.distribution.type":
        return BASE.replace("  environment:", f"  distribution: {{type: {word}}}\n  environment:")
    if key in ("queue_settings.job_tier", "queue_settings.priority"):
        return BASE + f"queue_settings: {{{key.split('.')[1]}: {word}}}\n"
    if key == "inputs.type":
        return BASE + f"inputs:\n  data: {{type: {word}, path: '{REMOTE}'}}\n"
    if key.startswith("inputs.mode."):
        return BASE + f"inputs:\n  data: {{type: {key.split('.')[2]}, path: '{REMOTE}', mode: {word}}}\n"
    if key == "outputs.type":
        return BASE + f"outputs:\n  model: {{type: {word}}}\n"
    if key == "outputs.mode":
        return BASE + f"outputs:\n  model: {{type: uri_folder, mode: {word}}}\n"
    if key == "services.type":
        return BASE + f"services:\n  svc: {{type: {word}}}\n"
    raise AssertionError(key)


ENUMS: dict[str, tuple[str, ...]] = {
    "type": ("sweep",),
    "sampling_algorithm": ("random", "grid", "bayesian"),
    "sampling_algorithm.type": ("random", "grid", "bayesian"),
    "sampling_algorithm.rule": ("random", "sobol"),
    "objective.goal": ("minimize", "maximize"),
    "early_termination.type": ("bandit", "median_stopping", "truncation_selection"),
    "identity.type": ("managed", "managed_identity", "user_identity", "aml_token"),
    "search_space.type": tuple(DISTRIBUTION_PARAMS),
    "trial.distribution.type": ("pytorch", "mpi", "tensorflow", "ray"),
    "queue_settings.job_tier": ("spot", "basic", "standard", "premium", "null"),
    "queue_settings.priority": ("low", "medium", "high"),
    "inputs.type": tuple(INPUT_MODES),
    **{f"inputs.mode.{kind}": modes for kind, modes in INPUT_MODES.items()},
    "outputs.type": ("uri_folder", "uri_file", "mltable", "custom_model", "mlflow_model", "triton_model"),
    "outputs.mode": ("mount", "upload", "rw_mount", "direct"),
    "services.type": ("jupyter_lab", "ssh", "tensor_board", "vs_code"),
}
# the spellings people write for Azure's names: its docs' and studio's PascalCase, acronyms kept whole
AZURE_SPELLINGS = {
    "aml_token": ("AMLToken", "AmlToken", "AMLTOKEN"),
    "user_identity": ("UserIdentity", "userIdentity"),
    "managed_identity": ("ManagedIdentity",),
    "pytorch": ("PyTorch",),
    "tensorflow": ("TensorFlow",),
    "mpi": ("MPI", "Mpi"),
    "mltable": ("MLTable",),
    "uri_folder": ("UriFolder", "URIFolder"),
    "mlflow_model": ("MLflowModel", "MlflowModel"),
    "loguniform": ("LogUniform",),
    "randint": ("RandInt",),
    "tensor_board": ("TensorBoard",),
    "vs_code": ("VSCode",),
    "jupyter_lab": ("JupyterLab",),
}


def spellings(name: str) -> list[str]:
    """The ways a person may write ``name``: cases, CamelCase, separators, and a near miss."""
    parts = name.split("_")
    pascal = "".join(p.capitalize() for p in parts)
    written = [
        name,
        name.upper(),
        name.capitalize(),
        pascal,
        pascal[0].lower() + pascal[1:],
        "_".join(p.capitalize() for p in parts),
        name.replace("_", ""),
        name.replace("_", "-"),
        name[:-1],
        *AZURE_SPELLINGS.get(name, ()),
    ]
    return list(dict.fromkeys(written))


CASES = [(key, name, word) for key, names in ENUMS.items() for name in names for word in spellings(name)]
# a name of one key given to another: an input's mode that is another type's, or an output's
EVERY_MODE = ("ro_mount", "rw_mount", "download", "direct", "eval_mount", "eval_download", "mount", "upload")
CASES += [(f"inputs.mode.{kind}", m, m) for kind, modes in INPUT_MODES.items() for m in EVERY_MODE if m not in modes]


def _load_job_accepts(path: Path) -> bool:
    from azure.ai.ml import load_job

    try:
        load_job(path)
    except Exception:  # noqa: BLE001  (any refusal of the SDK's: ValidationError, ValidationException, ...)
        return False
    return True


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[tuple, tuple[bool, bool]]:
    """For each case: (load_job accepts it, `sweep validate` accepts it), validate run once on all the files."""
    folder = tmp_path_factory.mktemp("spellings")
    (folder / "src").mkdir()
    files = {}
    for i, case in enumerate(CASES):
        files[case] = folder / f"case{i}.yaml"
        files[case].write_text(_spec(*case))
    cwd = os.getcwd()
    os.chdir(folder)  # short relative names: validate's "ok <file>" lines stay within 80 columns
    try:
        result = CliRunner().invoke(app, ["validate", "--skip-env-check", *(path.name for path in files.values())])
    finally:
        os.chdir(cwd)
    # validate names each refused file at the start of its problems' lines, and exits 2 when there is one
    refused = set(re.findall(r"^(case\d+\.yaml):", result.stderr, re.MULTILINE))
    assert result.exit_code == (2 if refused else 0), result.output
    return {case: (_load_job_accepts(path), path.name not in refused) for case, path in files.items()}


def test_every_canonical_name_is_accepted_by_both(verdicts):
    refused = [
        case
        for case, (sdk, ours) in verdicts.items()
        if case[1] == case[2] and case[1] in ENUMS[case[0]] and not (sdk and ours)
    ]
    assert not refused, refused


def test_validate_accepts_a_spelling_exactly_when_load_job_does(verdicts):
    differ = [
        (key, word, "load_job" if sdk else "validate")
        for (key, _, word), (sdk, ours) in verdicts.items()
        if sdk != ours
    ]
    assert not differ, f"accepted by one only: {differ}"


def test_the_walk_holds_both_answers_for_the_camel_cased_keys(verdicts):
    """The walk is worth something only if both answers occur: CamelCase accepted, a mangled word refused."""
    assert verdicts[("early_termination.type", "median_stopping", "MedianStopping")] == (True, True)
    assert verdicts[("identity.type", "aml_token", "AMLToken")] == (True, True)
    assert verdicts[("early_termination.type", "median_stopping", "Median_Stopping")] == (False, False)
    assert verdicts[("trial.distribution.type", "pytorch", "PyTorch")] == (True, True)
    assert verdicts[("inputs.type", "uri_folder", "URI_FOLDER")] == (True, True)


def test_a_mode_of_another_input_type_is_refused_with_the_modes_of_this_one(tmp_path):
    (tmp_path / "src").mkdir()
    path = tmp_path / "spec.yaml"
    path.write_text(_spec("inputs.mode.uri_folder", "eval_mount", "EVAL_MOUNT"))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "inputs.data.mode: eval_mount is no mode of a uri_folder input" in result.stderr
    assert "one of: ro_mount, download, direct" in result.stderr


def test_a_refused_spelling_says_what_it_meant(tmp_path):
    (tmp_path / "src").mkdir()
    path = tmp_path / "spec.yaml"
    path.write_text(_spec("early_termination.type", "median_stopping", "Median_Stopping"))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "early_termination.type: unknown early-termination policy 'Median_Stopping'" in result.stderr
    assert "did you mean `median_stopping`?" in result.stderr


def test_the_sdk_name_reaches_the_model_the_dry_run_and_the_emulator(tmp_path):
    (tmp_path / "src").mkdir()
    path = tmp_path / "spec.yaml"
    text = (
        BASE.replace("goal: maximize", "goal: Maximize")
        + "early_termination: {type: MedianStopping}\nidentity: {type: AMLToken}\n"
        + f"inputs:\n  data: {{type: URI_FOLDER, path: '{REMOTE}', mode: RO_MOUNT}}\n"
    )
    path.write_text(text)
    spec = load_spec(path)
    assert (spec.policy.type, spec.objective.goal, spec.identity.type) == ("median_stopping", "maximize", "aml_token")
    assert (spec.inputs["data"].type, spec.inputs["data"].mode) == ("uri_folder", "ro_mount")
    assert isinstance(make_policy(spec.policy), MedianStoppingPolicy)  # what `sweep submit --local` judges with
    result = CliRunner().invoke(app, ["submit", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    for line in ("type: median_stopping", "goal: maximize", "type: aml_token", "mode: ro_mount", "type: uri_folder"):
        assert line in result.stdout, result.stdout


def test_the_body_sent_for_camel_case_spellings_is_the_one_load_job_sends(tmp_path):
    from test_azure_builder import _bodies, differences

    (tmp_path / "src").mkdir()
    path = tmp_path / "spec.yaml"
    path.write_text(
        BASE.replace("goal: maximize", "goal: Maximize").replace(
            "sampling_algorithm: random", "sampling_algorithm: Random"
        )
        + "early_termination: {type: MedianStopping, delay_evaluation: 2}\nidentity: {type: AMLToken}\n"
        + f"inputs:\n  data: {{type: URI_FOLDER, path: '{REMOTE}', mode: RO_MOUNT}}\n"
    )
    ours, theirs = _bodies(path)
    assert differences(ours, theirs) == []
    props = ours["properties"]
    assert (
        props["earlyTermination"]["policyType"] == "MedianStopping" and props["identity"]["identityType"] == "AMLToken"
    )


@pytest.mark.parametrize(
    ("key", "name", "word", "hint"),
    [
        ("identity.type", "aml_token", "AMLTokn", "did you mean `aml_token`?"),
        (
            "early_termination.type",
            "truncation_selection",
            "TruncationSelecton",
            "did you mean `truncation_selection`?",
        ),
        ("inputs.type", "uri_folder", "URI_FOLDR", "did you mean `uri_folder`?"),
    ],
)
def test_a_misspelt_camel_case_name_gets_the_snake_case_it_meant(tmp_path, key, name, word, hint):
    (tmp_path / "src").mkdir()
    path = tmp_path / "spec.yaml"
    path.write_text(_spec(key, name, word))
    result = CliRunner().invoke(app, ["validate", "--skip-env-check", str(path)])
    assert result.exit_code == 2, result.output
    assert hint in result.stderr
