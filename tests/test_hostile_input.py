"""The input probe, as a table: bad specs and bad command lines, each answered with exit code 2 and one line that
names where (the spec's file:line, or the flag), never a traceback, and nothing on disk created or changed.

Each case writes its files into a fresh folder, runs one `sweep` command there, and compares a snapshot of the
folder (every entry's kind, mode, bytes and mtime) taken before and after. Most cases run the CLI in-process; those
whose old failure was a hang (a FIFO, /dev/zero) run a real process with a ceiling. No sweep runs, except the one
whose code folder holds symbolic-link loops (its trials must start, and its store serves the `export -o` case).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_process import SRC, cli, finish
from emulator_helpers import spec_from, sqlite_uri, stored_sweep
from submit import UserError
from submit.cli import app
from submit.emulator import run_local
from submit.emulator.snapshot import snapshot

SPEC = """\
type: sweep
trial:
  code: src
  command: python t.py --x ${{search_space.x}}
  environment: azureml:AzureML-sklearn-1.0@latest
search_space:
  x: {type: uniform, min_value: 0, max_value: 1}
sampling_algorithm: random
objective: {goal: maximize, primary_metric: acc}
limits: {max_total_trials: 2}
"""
UNIFORM = "{type: uniform, min_value: 0, max_value: 1}"
HANG = 60  # seconds: a ceiling for a case whose old failure was a hang, not a speed claim


@dataclass(frozen=True)
class Case:
    """``args`` run in a folder prepared by ``setup``; the refusal's first line must start with ``where``."""

    name: str
    args: tuple[str, ...]
    where: str
    setup: Callable[[Path], None] = lambda folder: None
    spec: str | None = SPEC  # written to spec.yaml first, if given
    process: bool = False  # a real `python -m submit`, under a ceiling


def spec_with(old: str, new: str) -> str:
    assert old in SPEC
    return SPEC.replace(old, new)


def _fifo(folder: Path) -> None:
    os.mkfifo(folder / "pipe.yaml")


def _big(folder: Path) -> None:
    (folder / "big.yaml").write_text(SPEC + "# " + "x" * 2_000_000 + "\n")


def _code_loops_to_itself(folder: Path) -> None:
    shutil.rmtree(folder / "src")
    os.symlink("src", folder / "src")


def _readonly(folder: Path) -> None:
    (folder / "ro").mkdir()
    (folder / "ro").chmod(0o555)


SPEC_CASES = [
    Case("nul-byte", ("validate", "spec.yaml"), "spec.yaml:2: not valid YAML", spec=SPEC.replace("trial:", "tri\0al:")),
    Case(
        "duplicate-top-level-key",
        ("validate", "spec.yaml"),
        "spec.yaml:11: the key `type` is written twice in one mapping (lines 1 and 11)",
        spec=SPEC + "type: command\n",
    ),
    Case(
        "duplicate-search-space-key",
        ("plan", "spec.yaml"),
        "spec.yaml:8: the key `x` is written twice in one mapping (lines 7 and 8)",
        spec=spec_with(f"  x: {UNIFORM}\n", f"  x: {UNIFORM}\n  x: {{type: choice, values: [1, 2, 3]}}\n"),
    ),
    Case(
        "duplicate-key-in-a-distribution",
        ("submit", "spec.yaml", "--dry-run"),
        "spec.yaml:7: the key `max_value` is written twice",
        spec=spec_with(UNIFORM, "{type: uniform, min_value: 0, max_value: 1, max_value: 5}"),
    ),
    Case(
        "unclosed-reference",
        ("validate", "spec.yaml"),
        "spec.yaml:4: trial.command: `${{search_space.x` is not a reference",
        spec=spec_with("${{search_space.x}}", "${{search_space.x --y 1"),
    ),
    Case(
        "reference-without-a-name",
        ("validate", "spec.yaml"),
        "spec.yaml:4: trial.command: `${{search_space.}}` is not a reference",
        spec=spec_with("${{search_space.x}}", "${{search_space.x}} ${{search_space.}}"),
    ),
    Case(
        "repeated-choice-values",
        ("plan", "spec.yaml"),
        "spec.yaml:7: search_space.x.values[1]: 1 is listed 3 times (values[0], values[1], values[2])",
        spec=spec_with(UNIFORM, "{type: choice, values: [1, 1, 1]}").replace("random", "grid"),
    ),
    Case(
        "loguniform-exponent-past-a-float",
        ("submit", "spec.yaml", "--local"),
        "spec.yaml:7: search_space.x: loguniform samples e^x and its bounds reach x = 1000",
        spec=spec_with(UNIFORM, "{type: loguniform, min_value: 0, max_value: 1000}"),
    ),
    Case(
        "lognormal-mu-past-a-float",
        ("plan", "spec.yaml"),
        "spec.yaml:7: search_space.x: lognormal samples e^x and mu ± 7.0·sigma reaches",
        spec=spec_with(UNIFORM, "{type: lognormal, mu: 1000, sigma: 1}"),
    ),
    Case(
        "negative-seed-validate",
        ("validate", "spec.yaml"),
        "spec.yaml:8: sampling_algorithm.seed: expected an integer from 0 to 2147483647, found -1",
        spec=spec_with("sampling_algorithm: random", "sampling_algorithm: {type: random, seed: -1}"),
    ),
    Case(
        "negative-seed-plan",
        ("plan", "spec.yaml"),
        "spec.yaml:8: sampling_algorithm.seed: expected an integer from 0 to 2147483647, found -1",
        spec=spec_with("sampling_algorithm: random", "sampling_algorithm: {type: random, seed: -1}"),
    ),
    Case(
        "seed-past-32-bits",
        ("submit", "spec.yaml", "--local"),
        "spec.yaml:8: sampling_algorithm.seed: expected an integer from 0 to 2147483647, found 2147483648",
        spec=spec_with("sampling_algorithm: random", "sampling_algorithm: {type: random, seed: 2147483648}"),
    ),
    Case(
        "code-links-to-itself-validate",
        ("validate", "spec.yaml"),
        "spec.yaml:3: trial.code:",
        setup=_code_loops_to_itself,
    ),
    Case(
        "code-links-to-itself-dry-run",
        ("submit", "spec.yaml", "--dry-run"),
        "spec.yaml:3: trial.code:",
        setup=_code_loops_to_itself,
    ),
    Case("spec-over-a-megabyte", ("validate", "big.yaml"), "big.yaml: larger than 1 MB, expected", setup=_big),
    Case("fifo-validate", ("validate", "pipe.yaml"), "pipe.yaml: is not a regular file", setup=_fifo, process=True),
    Case("fifo-plan", ("plan", "pipe.yaml"), "pipe.yaml: is not a regular file", setup=_fifo, process=True),
    Case(
        "fifo-submit",
        ("submit", "pipe.yaml", "--local"),
        "pipe.yaml: is not a regular file",
        setup=_fifo,
        process=True,
    ),
    Case("dev-zero", ("validate", "/dev/zero"), "/dev/zero: is not a regular file", process=True),
    Case(
        "fifo-lock",
        ("submit", "spec.yaml", "--local", "--lock", "pipe.yaml"),
        "--lock pipe.yaml: is not a regular file",
        setup=_fifo,
        process=True,
    ),
]
FLAG_CASES = [
    Case("limit-not-a-number", ("list", "--limit", "abc"), "--limit: ", spec=None),
    Case("limit-below-one", ("list", "--limit", "0"), "--limit: ", spec=None),
    Case("interval-not-a-number", ("watch", "x", "--interval", "abc"), "--interval: ", spec=None),
    Case("concurrency-not-a-number", ("submit", "spec.yaml", "--local", "--max-concurrent", "x"), "--max-concurrent: "),
    Case("option-misspelt", ("submit", "spec.yaml", "--max-concurent", "2"), "No such option: --max-concurent"),
    Case("notify-not-a-url", ("watch", "x", "--notify", "not a url"), "--notify 'not a url': expected", spec=None),
    Case(
        "notify-a-local-file",
        ("watch", "x", "--notify", "file:///etc/passwd"),
        "--notify 'file:///etc/passwd': expected an http:// or https:// URL",
        spec=None,
    ),
]


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: its kind and mode, and a file's bytes (hashed) and mtime. A SQLite store's
    ``-shm`` file is left out: SQLite rewrites that shared-memory index on every read of a WAL database."""
    seen = {}
    for path in sorted([folder, *folder.rglob("*")]):
        if path.name.endswith("-shm"):
            continue
        st = path.lstat()
        entry: tuple = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
        if stat.S_ISREG(st.st_mode):
            entry += (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns)
        elif stat.S_ISLNK(st.st_mode):
            entry += (os.readlink(path),)
        seen[path.relative_to(folder).as_posix()] = entry
    return seen


def prepared(folder: Path, case: Case) -> None:
    (folder / "src").mkdir()
    (folder / "src" / "t.py").write_text("print('ran')\n")
    if case.spec is not None:
        (folder / "spec.yaml").write_bytes(case.spec.encode())
    case.setup(folder)


def run(case: Case, folder: Path, monkeypatch) -> tuple[int, str, str]:
    """The case's command in ``folder``: in-process, or as a real process under ``HANG``."""
    if case.process:
        done = subprocess.run(
            [sys.executable, "-m", "submit", *case.args],
            cwd=folder,
            env={**os.environ, "PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            timeout=HANG,
        )
        return done.returncode, done.stdout, done.stderr
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(app, list(case.args))
    traceback = "" if result.exception is None or isinstance(result.exception, SystemExit) else repr(result.exception)
    return result.exit_code, result.stdout, result.stderr + traceback


def assert_refused(case: Case, code: int, out: str, err: str) -> None:
    shown = f"{case.name}: exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    assert code == 2, shown
    assert "Traceback" not in err and "Error:" not in err and "╭" not in err, shown
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith(case.where), shown
    assert all(line.startswith("  hint: ") for line in lines[1:]), shown  # one line, and at most its hint


@pytest.mark.parametrize("case", SPEC_CASES + FLAG_CASES, ids=lambda c: c.name)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(tmp_path, monkeypatch, case):
    folder = tmp_path / "work"
    folder.mkdir()
    prepared(folder, case)
    before = tree(folder)
    code, out, err = run(case, folder, monkeypatch)
    assert_refused(case, code, out, err)
    assert tree(folder) == before, f"{case.name} changed the folder"


# the one case that runs a sweep, and the refusal that needs a store with a sweep in it ----------------------------


@pytest.fixture(scope="module")
def looped_sweep(tmp_path_factory):
    """A local sweep whose code folder holds links that loop, lead outside, and a credential folder: it runs."""
    folder = tmp_path_factory.mktemp("looped")
    code = folder / "src"
    code.mkdir()
    (code / "t.py").write_text("import os\nprint(sorted(os.listdir('.')))\n")
    (code / ".aws").mkdir()
    (code / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = x\n")
    (code / ".netrc").write_text("machine example.com password x\n")
    (code / "credentials.json").write_text("{}")
    (folder / "secret.txt").write_text("outside the code folder")
    for name, target in (("self", "self"), ("a", "b"), ("b", "a"), ("up", "../src"), ("out", "../secret.txt")):
        os.symlink(target, code / name)
    os.symlink("t.py", code / "inside.py")
    os.mkfifo(code / "pipe")  # no file to copy: reading it would block the trial's start
    (folder / "spec.yaml").write_text(SPEC)
    uri = sqlite_uri(folder)
    args = ["submit", "spec.yaml", "--local", "--name", "looped", "--keep-work", "--tracking-uri", uri]
    code, out, err = finish(cli(*args, cwd=folder))
    return folder, uri, subprocess.CompletedProcess(args, code, out, err)


def test_a_code_folder_with_link_loops_runs_and_its_copy_follows_no_link_out(looped_sweep):
    folder, uri, done = looped_sweep
    shown = f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0 and "Traceback" not in done.stderr, shown
    copies = sorted((folder / ".sweep" / "looped").glob("looped_*/code"))
    assert len(copies) == 2, shown
    for copy in copies:
        names = sorted(p.name for p in copy.iterdir())
        # the loops, the link out, the FIFO and the credential files are left out; links inside stay relative links
        assert names == ["inside.py", "outputs", "t.py", "up"], names
        assert os.readlink(copy / "inside.py") == "t.py" and os.readlink(copy / "up") == "."


def test_export_into_a_folder_that_cannot_be_written_is_one_line(looped_sweep, monkeypatch):
    folder, uri, _ = looped_sweep
    case = Case("export-unwritable", ("export", "looped", "--tracking-uri", uri, "-o", "/proc/t.csv"), "-o /proc/t.csv")
    before = tree(folder)
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(app, list(case.args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert_refused(case, result.exit_code, result.stdout, result.stderr)
    assert tree(folder) == before


def test_submit_to_azure_warns_of_the_credential_files_its_upload_would_send(tmp_path, monkeypatch):
    (tmp_path / "src" / ".aws").mkdir(parents=True)
    (tmp_path / "src" / ".aws" / "credentials").write_text("[default]\n")
    (tmp_path / "src" / ".netrc").write_text("machine x password y\n")
    (tmp_path / "src" / "t.py").write_text("print('ran')\n")
    (tmp_path / "spec.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["submit", "spec.yaml", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert "trial.code: Azure would upload .aws/, .netrc (credential files" in result.stderr
    (tmp_path / "src" / ".amlignore").write_text(".aws/\n.netrc\n")  # what the warning asks: then it is quiet
    result = CliRunner().invoke(app, ["submit", "spec.yaml", "--dry-run"])
    assert result.exit_code == 0 and "Azure would upload" not in result.stderr, result.stderr


CREDENTIAL_FILES = (
    ".aws/credentials",
    ".azure/msal_token_cache.json",
    ".config/gcloud/application_default_credentials.json",
    "keys/application_default_credentials.json",
    "credentials.json",
    "client_secret_1234.apps.googleusercontent.com.json",
    "service-account-prod.json",
    ".npmrc",
    ".pypirc",
    "pip.conf",
    ".docker/config.json",
    ".git-credentials",
    ".netrc",
    ".pgpass",
    ".kube/config",
    ".terraform.d/credentials.tfrc.json",
    ".databrickscfg",
    ".huggingface/token",
    "deploy/id_ed25519",
    ".gnupg/private-keys-v1.d/x.key",
)


def test_the_trials_copy_leaves_out_every_credential_file_and_keeps_the_code(tmp_path):
    root = tmp_path / "code"
    for rel in CREDENTIAL_FILES + ("train.py", "lib/util.py", ".config/app.toml", "data/config.json"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    dest = snapshot(str(root), tmp_path / "copy")
    copied = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert copied == {"train.py", "lib/util.py", ".config/app.toml", "data/config.json"}


def test_a_trial_whose_code_cannot_be_copied_ends_failed_not_running(tmp_path):
    """The code folder, valid when the spec was loaded, turned into a link to itself before the trials start: the
    copy refuses in one line, and the trial's run, already created, ends FAILED instead of RUNNING for ever."""
    spec = spec_from(tmp_path, SPEC)
    uri = sqlite_uri(tmp_path)

    def code_turns_into_a_loop(kind, result):
        if kind == "start":  # the sweep's run exists, its checks passed, no trial has started
            shutil.rmtree(tmp_path / "src")
            os.symlink("src", tmp_path / "src")

    with pytest.raises(UserError, match="trial.code: .* is no longer a folder"):
        run_local(spec, tracking_uri=uri, name="gone", on_event=code_turns_into_a_loop)
    stored = stored_sweep(uri, "gone")
    assert stored.parent.info.status == "FAILED"
    assert set(stored.statuses().values()) == {"FAILED"}, stored.statuses()
