"""What is given as the store is never damaged: an application's SQLite file, a text file, a half-migrated store and a
store that cannot be written are each refused (or read) by every command without a byte of them changed, and a
refusal creates no file or folder. Checked on the files themselves: their bytes and mtime, and the folder's listing,
before and after each command."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_process import SRC, cli, finish, no_traceback
from emulator_helpers import shell_spec, sqlite_uri, write_spec
from submit import load_spec
from submit.cli import app
from submit.emulator import run_local

NO_WORKSPACE = {"AZURE_SUBSCRIPTION_ID": "", "AZURE_RESOURCE_GROUP": "", "AZUREML_WORKSPACE_NAME": ""}


def sweep(*args: str):
    return CliRunner().invoke(app, list(args), env=NO_WORKSPACE)


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file and folder under ``folder``: a file's bytes and mtime, a folder's presence. SQLite's own -shm (the
    WAL's index, shared memory that every reader of a WAL store updates) is left out."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if key.endswith("-shm"):
            continue
        found[key] = ("dir",) if path.is_dir() else (path.read_bytes(), path.stat().st_mtime_ns)
    return found


def lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def quick_spec(folder: Path) -> Path:
    return write_spec(
        folder,
        shell_spec(
            "echo ${{search_space.x}}",
            sampling="grid",
            space="x: {type: choice, values: [1, 2]}",
            limits="{max_total_trials: 2, max_concurrent_trials: 2}",
        ),
    )


def app_db(path: Path) -> Path:
    """An application's SQLite database: one `users` table with a row."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ann')")
    conn.close()
    return path


def every_command(spec: Path, uri: str) -> list[tuple[str, ...]]:
    """Each command that opens a store, given ``uri``."""
    at = ("--tracking-uri", uri)
    return [
        ("submit", str(spec), "--local", *at),
        ("submit", str(spec), "--local", "--name", "fresh", *at),
        ("submit", str(spec), "--local", "--resume", "s", *at),
        ("submit", str(spec), "--continue", "s", "--dry-run", *at),
        ("list", *at),
        ("status", "s", *at),
        ("status", "s", "--json", *at),
        ("watch", "s", "--timeout", "1", *at),
        ("best", "s", *at),
        ("report", "s", "-o", str(spec.parent / "r.html"), *at),
        ("export", "s", "-o", str(spec.parent / "x.csv"), *at),
        ("cancel", "s", *at),
        ("whatif", "s", "--policy", "bandit slack_factor=0.1", *at),
        ("diff", "s", "t", *at),
        ("refine", "s", *at),
    ]


def test_an_applications_sqlite_database_is_refused_untouched_by_every_command(tmp_path, monkeypatch):
    spec = quick_spec(tmp_path)
    db = app_db(tmp_path / "app.db")
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    for args in every_command(spec, f"sqlite:///{db}"):
        run = sweep(*args)
        shown = f"{args}: {run.output}"
        assert run.exit_code == 2, shown
        assert no_traceback(run.output, "") and "tables: users" in run.output, shown
        assert "not an MLflow tracking store" in lines(run.output)[0], shown
        assert snapshot(tmp_path) == before, shown  # app.db byte-identical, same mtime; nothing created beside it
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall() == [("users",)]


def test_a_text_file_given_as_the_store_is_refused_and_nothing_is_made_beside_it(tmp_path, monkeypatch):
    spec = quick_spec(tmp_path)
    (tmp_path / "notes.txt").write_text("not a database\n")
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    for args in every_command(spec, "sqlite:///notes.txt"):
        run = sweep(*args)
        assert run.exit_code == 2 and "not a SQLite database" in run.output, (args, run.output)
        assert snapshot(tmp_path) == before, (args, run.output)  # no .sweep/ beside it
    assert not (tmp_path / ".sweep").exists()


def test_refusals_of_name_and_resume_create_nothing(tmp_path, monkeypatch):
    spec = quick_spec(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)

    clash = sweep("submit", str(spec), "--local", "--name", "a", "--resume", "b")  # ./mlflow.db: not there yet
    assert clash.exit_code == 2 and lines(clash.output) == [
        "--name and --resume clash: --name starts a new sweep, --resume continues the one it names; give one"
    ], clash.output
    missing = sweep("submit", str(spec), "--local", "--resume", "nope", "--tracking-uri", "sqlite:///sub/new.db")
    assert missing.exit_code == 2, missing.output
    assert lines(missing.output) == [
        f"--resume nope: no sweep of that name in sqlite:///{tmp_path}/sub/new.db: there is no store there yet"
    ]
    assert snapshot(tmp_path) == before  # no mlflow.db, no sub/, no .sweep/

    # an ended sweep: --name with --resume is still the clash, not "already ended"; --resume of an unknown sweep makes
    # no folder for it
    uri = sqlite_uri(tmp_path)
    assert run_local(load_spec(spec), name="good6", tracking_uri=uri).status == "completed"
    before = snapshot(tmp_path)
    clash = sweep("submit", str(spec), "--local", "--name", "a", "--resume", "good6", "--tracking-uri", uri)
    assert clash.exit_code == 2 and "--name and --resume clash" in clash.output, clash.output
    assert "already ended" not in clash.output
    unknown = sweep("submit", str(spec), "--local", "--resume", "nope", "--tracking-uri", uri)
    assert unknown.exit_code == 2 and lines(unknown.output) == [f"--resume nope: no sweep of that name in {uri}"]
    assert not (tmp_path / ".sweep" / "nope").exists()
    assert snapshot(tmp_path) == before


def test_a_store_a_migration_left_half_done_is_refused_with_its_repair_and_left_as_it_is(tmp_path, monkeypatch):
    spec = quick_spec(tmp_path)
    uri = sqlite_uri(tmp_path)
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as conn:  # what a batch migration stopped between its copy and its swap leaves
        conn.execute("CREATE TABLE _alembic_tmp_experiments AS SELECT * FROM experiments")
    conn.close()
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    for args in (("list", "--tracking-uri", uri), ("status", "s", "--tracking-uri", uri), every_command(spec, uri)[0]):
        run = sweep(*args)
        assert run.exit_code == 1 and no_traceback(run.output, ""), (args, run.output)
        [line] = lines(run.output)
        assert "_alembic_tmp_experiments, left by an MLflow schema migration that stopped half way" in line, line
        assert f"sqlite3 {db} 'DROP TABLE _alembic_tmp_experiments'" in line, line
        assert snapshot(tmp_path) == before, args

    # the repair it gives works
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE _alembic_tmp_experiments")
    conn.close()
    again = sweep("list", "--tracking-uri", uri)
    assert again.exit_code == 0, again.output


def read_only(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m submit ARGS`` run in ``folder`` while ``folder`` is a read-only file system (a read-only bind
    mount in a user namespace of its own: nothing outside the command sees it)."""
    script = f'mount --bind -o ro "{folder}" "{folder}" && cd "{folder}" && exec "$0" -m submit "$@"'
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, sys.executable, *args],
        env={**os.environ, **NO_WORKSPACE, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_store_on_a_read_only_file_system_is_read_and_said_to_be_unwritable(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    spec = quick_spec(store)
    result = run_local(load_spec(spec), name="ro", tracking_uri=sqlite_uri(store))
    assert result.status == "completed"
    with sqlite3.connect(store / "mlflow.db") as conn:  # as a store rests once every writer closed it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for leftover in ("mlflow.db-wal", "mlflow.db-shm"):
        (store / leftover).unlink(missing_ok=True)
    before = snapshot(store)

    listed = read_only(store, "list")
    assert listed.returncode == 0 and "ro " in listed.stdout and "completed" in listed.stdout, listed
    status = read_only(store, "status", "ro", "--json")
    assert status.returncode == 0 and '"status": "completed"' in status.stdout, status
    exported = read_only(store, "export", "ro", "-o", str(tmp_path / "ro.csv"))
    assert exported.returncode == 0, exported
    assert len((tmp_path / "ro.csv").read_text().splitlines()) == 3  # a header and the two trials

    ran = read_only(store, "submit", "spec.yaml", "--local", "--name", "more")
    assert ran.returncode == 1 and no_traceback(ran.stdout, ran.stderr), ran
    [line] = lines(ran.stderr)
    assert "is an MLflow store that cannot be written (it is on a read-only file system)" in line, line
    assert "not an MLflow tracking store" not in line
    assert snapshot(store) == before


def unused_port() -> int:
    """A loopback port nothing listens on: bound, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_command_refuses_a_tracking_server_that_refuses_connections_in_one_line(tmp_path, monkeypatch):
    spec = quick_spec(tmp_path)
    monkeypatch.chdir(tmp_path)
    uri = f"http://127.0.0.1:{unused_port()}"
    for args in every_command(spec, uri):
        run = sweep(*args)
        assert run.exit_code == 1 and no_traceback(run.output, ""), (args, run.output)
        assert lines(run.output) == [
            f"no MLflow tracking server answers at {uri} ([Errno 111] Connection refused; waited up to 5 s); "
            "start it, or give another --tracking-uri"
        ], (args, run.output)


@pytest.mark.slow
def test_a_tracking_server_that_never_answers_is_given_up_on_in_one_line(tmp_path):
    spec = quick_spec(tmp_path)
    with socket.create_server(("127.0.0.1", 0), backlog=16) as silent:  # connections queue; nothing ever answers
        uri = f"http://127.0.0.1:{silent.getsockname()[1]}"
        commands = (("status", "x"), ("list",), ("submit", str(spec), "--local"))
        # at once: each waits out the same 5 s probe
        procs = [cli(*args, "--tracking-uri", uri, env=NO_WORKSPACE, cwd=tmp_path) for args in commands]
        for args, proc in zip(commands, procs, strict=True):
            # the timeout is a ceiling for a hang (MLflow's own retries took 247 s), not a speed claim
            code, stdout, stderr = finish(proc, timeout=120)
            ran = subprocess.CompletedProcess(args, code, stdout, stderr)
            assert ran.returncode == 1 and no_traceback(ran.stdout, ran.stderr), (args, ran)
            assert lines(ran.stdout + ran.stderr) == [
                f"no MLflow tracking server answers at {uri} (timed out; waited up to 5 s); start it, or give "
                "another --tracking-uri"
            ], (args, ran)
