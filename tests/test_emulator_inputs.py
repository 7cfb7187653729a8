"""Inputs locally: a remote input needs a local stand-in (--input NAME=PATH), and is refused clearly without one."""

from __future__ import annotations

from typer.testing import CliRunner

from emulator_helpers import shell_spec, sqlite_uri, stored_sweep, write_spec
from submit import cli

REMOTE = shell_spec(
    "wc -l < ${{inputs.iris_csv}} > lines.txt; echo ${{search_space.s}}",
    space="s: {type: choice, values: [1]}",
    limits="{max_total_trials: 1}",
    extra="inputs:\n  iris_csv:\n    type: uri_file\n    path: wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv\n",
)


def test_a_remote_input_runs_on_its_local_stand_in(tmp_path):
    spec = write_spec(tmp_path, REMOTE)
    data = tmp_path / "iris.csv"
    data.write_text("sepal_length,species\n5.1,setosa\n4.9,setosa\n")
    uri = sqlite_uri(tmp_path)
    res = CliRunner().invoke(
        cli.app,
        [
            "submit",
            str(spec),
            "--local",
            "--tracking-uri",
            uri,
            "--name",
            "in",
            "--input",
            f"iris_csv={data}",
            "--keep-work",
        ],
    )

    assert res.exit_code == 0, res.stdout + res.stderr
    assert (tmp_path / ".sweep" / "in" / "in_0" / "code" / "lines.txt").read_text().strip() == "3"
    assert stored_sweep(uri, "in").statuses() == {"in_0": "FINISHED"}


def test_a_remote_input_without_a_stand_in_is_refused_before_any_trial(tmp_path):
    spec = write_spec(tmp_path, REMOTE)
    res = CliRunner().invoke(cli.app, ["submit", str(spec), "--local", "--tracking-uri", sqlite_uri(tmp_path)])

    assert res.exit_code != 0
    assert "inputs.iris_csv: `wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv` is remote" in res.stderr
    assert "hint: pass a local copy: --input iris_csv=./data/iris.csv" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert not (tmp_path / ".sweep").exists()


def test_an_input_name_the_spec_lacks_gets_a_did_you_mean(tmp_path):
    spec = write_spec(tmp_path, REMOTE)
    res = CliRunner().invoke(
        cli.app, ["submit", str(spec), "--local", "--tracking-uri", sqlite_uri(tmp_path), "--input", f"iris={tmp_path}"]
    )

    assert res.exit_code != 0
    assert "--input iris: the spec has no input `iris`" in res.stderr and "did you mean `iris_csv`?" in res.stderr
