"""What `--local` refuses before it touches the store or the disk: a sweep name that is not a job name, remote code.

A sweep's name becomes a folder under the store's `.sweep/`; `--name ../victim` once made the emulator delete
`victim_0/code` beside the store. Every name must follow Azure's job-name rule, and every folder stay inside.
"""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from emulator_helpers import shell_spec, sqlite_uri, write_spec
from submit import cli, load_spec
from submit.cli import codes
from submit.emulator import run_local
from submit.emulator.workarea import MARKER, WorkArea
from submit.errors import InputError

SPEC = shell_spec("echo ${{search_space.s}}", space="s: {type: choice, values: [1]}", limits="{max_total_trials: 1}")


def refused(res) -> str:
    """The one line a refused command printed (exit code 2, bad input; no traceback, nothing on stdout)."""
    assert res.exit_code == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr and not res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def no_sweep_in(uri: str) -> bool:
    client = MlflowClient(tracking_uri=uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    return not experiments or not client.search_runs(experiments, max_results=1)


@pytest.mark.parametrize("flag", ["--name", "--resume"])
def test_a_name_climbing_out_of_the_work_folder_is_refused_and_the_victim_is_untouched(tmp_path, flag):
    spec = write_spec(tmp_path, SPEC)
    store = tmp_path / "d"
    store.mkdir()
    uri = sqlite_uri(store)
    for victim in (store / "victim", store / "victim_0" / "code"):  # what ../victim and its trial ../victim_0 reach
        victim.mkdir(parents=True)
        (victim / "precious.txt").write_text("mine\n")

    line = refused(
        CliRunner().invoke(cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, flag, "../victim"])
    )

    assert line.startswith(f"{flag}: `../victim` is not a valid job name")
    assert (store / "victim" / "precious.txt").read_text() == "mine\n"
    assert (store / "victim_0" / "code" / "precious.txt").read_text() == "mine\n"
    assert not (store / ".sweep").exists() and no_sweep_in(uri)


def test_a_name_with_a_quote_is_refused(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    uri = sqlite_uri(tmp_path)
    line = refused(
        CliRunner().invoke(cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "x'y"])
    )
    assert line.startswith("--name: `x'y` is not a valid job name: a letter or digit first")
    assert not (tmp_path / ".sweep").exists() and no_sweep_in(uri)


def test_the_library_refuses_a_bad_name_with_an_input_error(tmp_path):
    spec = load_spec(write_spec(tmp_path, SPEC))
    with pytest.raises(InputError, match="not a valid job name") as caught:
        run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="a/b")
    assert codes.for_error(caught.value) == codes.BAD_INPUT and "\n" not in str(caught.value)
    assert not (tmp_path / ".sweep").exists()


@pytest.mark.parametrize(
    "code",
    [
        "wasbs://code@account.blob.core.windows.net/src",
        "https://example.com/src.zip",
        "azureml:my-training-code:1",
        "azureml://registries/azureml/codes/train/versions/1",
    ],
)
def test_a_remote_code_folder_is_refused_with_one_line_asking_for_a_local_folder(tmp_path, code):
    spec = write_spec(tmp_path, SPEC.replace("code: src", f"code: {code}"))
    uri = sqlite_uri(tmp_path)

    line = refused(CliRunner().invoke(cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri]))

    assert line == (
        f"{spec}: trial.code: `{code}` is not a local folder; --local runs the code from a local folder, "
        "so give `code:` a local path (e.g. code: ./src)"
    )
    assert not (tmp_path / ".sweep").exists() and no_sweep_in(uri)


def test_every_folder_built_from_a_name_stays_inside_the_work_folder(tmp_path):
    area = WorkArea(tmp_path, "s")
    assert area.folder == (tmp_path / ".sweep" / "s").resolve()
    with pytest.raises(InputError, match="outside the sweep's work folder"):
        area.inside(area.folder / ".." / ".." / "elsewhere")
    with pytest.raises(InputError, match="outside the sweep's work folder"):
        WorkArea(tmp_path, "..")
    (tmp_path / "outside").mkdir()
    (area.folder).mkdir(parents=True)
    (area.folder / "s_0").symlink_to(tmp_path / "outside")  # a link out of the work folder is not followed
    with pytest.raises(InputError, match="outside the sweep's work folder"):
        area.trial_folder("s_0", "run")


def test_a_code_folder_the_emulator_did_not_make_is_never_deleted(tmp_path):
    area = WorkArea(tmp_path, "s")
    code = area.folder / "s_0" / "code"
    code.mkdir(parents=True)
    (code / "keep.txt").write_text("mine\n")
    with pytest.raises(InputError, match="exists and was not made by sweep"):
        area.trial_folder("s_0", "run-1")
    assert (code / "keep.txt").read_text() == "mine\n"

    (area.folder / "s_0" / MARKER).write_text("run-0\n")  # a folder of an earlier run of this trial: ours to renew
    folder = area.trial_folder("s_0", "run-1")
    assert not code.exists() and (folder / MARKER).read_text() == "run-1\n"
