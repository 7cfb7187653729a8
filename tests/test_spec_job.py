"""The job's Azure settings validated at the door (compute, identity, resources, queue settings, distribution,
services, properties), with the same file:line, key path, found/expected and did-you-mean as the rest of the spec."""

from __future__ import annotations

import doctest
import subprocess
import sys

import pytest

from submit import SpecError, load_spec
from submit.spec.model import Identity, QueueSettings, Resources, Service, TrainingDistribution
from submit.spec.validate.sweep import check_azure
from test_spec import BASE, errors_of, folder, write  # noqa: F401  (folder is a fixture)

BAD_SETTINGS = [
    (
        "trial.resources={instance_cont: 2}",
        ["trial.resources.instance_cont: unknown key", "did you mean `instance_count`?"],
    ),
    ("resources={instance_type: Standard_D2, shm_sise: 2g}", ["resources.shm_sise: unknown key", "`shm_size`"]),
    ("trial.resources={instance_count: two}", ["trial.resources.instance_count: expected an integer, found a string"]),
    ("trial.resources={instance_count: 0}", ["trial.resources.instance_count: must be >= 1, found 0"]),
    ("trial.resources={shm_size: 4GB}", ["trial.resources.shm_size: expected <number><unit>", "shm_size: 2g"]),
    ("trial.resources={locations: westeurope}", ["trial.resources.locations: expected a list of strings"]),
    (
        "queue_settings={job_tier: 3}",
        ["queue_settings.job_tier: expected one of spot, basic, standard, premium, null, found int 3"],
    ),
    ("queue_settings={job_tier: spott}", ["queue_settings.job_tier: unknown job_tier 'spott'", "did you mean `spot`?"]),
    ("trial.queue_settings={priority: urgent}", ["trial.queue_settings.priority: unknown priority 'urgent'", "low"]),
    ("queue_settings={tier: spot}", ["queue_settings.tier: unknown key", "did you mean `job_tier`?"]),
    ("queue_settings=spot", ["queue_settings: expected a mapping of queue settings, found a string"]),
    (
        "trial.distribution={type: pytorc}",
        ["trial.distribution.type: unknown distribution type 'pytorc'", "did you mean `pytorch`?"],
    ),
    (
        "trial.distribution={type: pytorch, worker_count: 2}",
        ["trial.distribution.worker_count: unknown key", "allowed: type, process_count_per_instance"],
    ),
    ("trial.distribution={process_count_per_instance: 2}", ["trial.distribution.type: missing required key"]),
    (
        "identity={type: user_identy}",
        ["identity.type: unknown identity type 'user_identy'", "did you mean `user_identity`?"],
    ),
    ("identity={type: aml_token, client_id: abc}", ["identity.client_id: unknown key"]),
    ("identity={type: managed, clientid: abc}", ["identity.clientid: unknown key", "did you mean `client_id`?"]),
    ("identity=user_identity", ["identity: expected a mapping of identity settings, found a string"]),
    ("services={tb: {type: tensor_board, port: high}}", ["services.tb.port: expected an integer, found a string"]),
    ("properties=[a, b]", ["properties: expected a mapping of property names to values, found a list"]),
    ("compute=[cpu]", ["compute: expected a string, found a list"]),
]


@pytest.mark.parametrize("override,expected", BAD_SETTINGS, ids=[o for o, _ in BAD_SETTINGS])
def test_bad_job_settings_are_reported_with_their_key_path(folder, override, expected):  # noqa: F811
    message = errors_of(write(folder, BASE), [override])
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_a_misspelt_resources_key_names_its_line(folder):  # noqa: F811
    text = BASE.replace("  environment:", "  resources:\n    instance_cout: 2\n  environment:")
    path = write(folder, text)
    assert f"{path}:6: trial.resources.instance_cout: unknown key\n  hint: did you mean `instance_count`?" in errors_of(
        path
    )


def test_a_wrong_queue_settings_type_names_its_line(folder):  # noqa: F811
    path = write(folder, BASE + "queue_settings:\n  job_tier: [spot]\n")
    message = errors_of(path)
    assert f"{path}:16: queue_settings.job_tier: expected one of spot, basic, standard, premium, null" in message


def test_compute_local_loads_for_a_local_run_and_is_refused_for_azure_with_its_line(folder):  # noqa: F811
    path = write(folder, BASE + "compute: local\n")
    spec = load_spec(path)  # `sweep submit --local` runs it: the emulator needs no cluster
    with pytest.raises(SpecError) as e:
        check_azure(spec)
    assert str(e.value) == (
        f"{path}:15: compute: local: Azure ML runs no sweep on local compute; run it here with `sweep submit --local`,"
        " or name a cluster\n  hint: compute: azureml:cpu-cluster"
    )
    check_azure(load_spec(path, ["compute=azureml:cpu-cluster"]))  # a cluster passes


def test_compute_local_from_set_is_located_at_the_option(folder):  # noqa: F811
    with pytest.raises(SpecError, match=r"^--set: compute: local: Azure ML runs no sweep"):
        check_azure(load_spec(write(folder, BASE), ["compute=azureml:local"]))


def test_valid_settings_become_the_model(folder):  # noqa: F811
    overrides = [
        "trial.resources={instance_count: 2, shm_size: 4g, docker_args: [--ipc=host]}",
        "trial.distribution={type: PyTorch, process_count_per_instance: 4}",
        "queue_settings={job_tier: Spot, priority: low}",
        "identity={type: managed, client_id: abc}",
        "services={my_ssh: {type: ssh, ssh_public_keys: ssh-rsa AAAA, nodes: all}}",
        "properties={_azureml.ComputeTargetType: amlcompute}",
    ]
    spec = load_spec(write(folder, BASE), overrides)
    assert spec.trial.resources == Resources(instance_count=2, shm_size="4g", docker_args=["--ipc=host"])
    assert spec.trial.distribution == TrainingDistribution(type="pytorch", process_count_per_instance=4)
    assert spec.queue_settings == QueueSettings(job_tier="spot", priority="low")
    assert spec.identity == Identity(type="managed", client_id="abc")
    assert spec.services == {"my_ssh": Service(type="ssh", ssh_public_keys="ssh-rsa AAAA", nodes="all")}
    assert spec.properties == {"_azureml.ComputeTargetType": "amlcompute"}
    # what the SDK does not send for a sweep (load_job neither) is said, not dropped without a word
    assert any(w.startswith("--set: services: accepted, but Azure ML's SDK does not send it") for w in spec.warnings)
    # resources of a trial and the sweep's queue settings are sent
    assert not any(w.startswith(("--set: trial.resources:", "--set: queue_settings:")) for w in spec.warnings)


def test_a_misspelt_service_type_is_said_not_refused_as_load_job_takes_any_string(folder):  # noqa: F811
    spec = load_spec(write(folder, BASE), ["services={my_ssh: {type: shh, nodes: all}}"])
    assert spec.services == {"my_ssh": Service(nodes="all")}  # the SDK sends it without a type
    assert "--set: services.my_ssh.type: 'shh' names no service type" in "\n".join(spec.warnings)
    assert "did you mean `ssh`?" in "\n".join(spec.warnings)


def test_importing_submit_loads_neither_azure_mlflow_nor_scipy():
    code = "import sys, submit; print(sorted(m for m in ('azure.ai.ml', 'mlflow', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "module",
    [
        "submit.spec.grammar",
        "submit.spec.load",
        "submit.spec.overrides",
        "submit.spec.validate.checker",
        "submit.envcheck.curated",
    ],
)
def test_doctests_of_the_spec_modules_run(module):
    result = doctest.testmod(__import__(module, fromlist=["_"]))
    assert result.attempted > 0 and result.failed == 0
