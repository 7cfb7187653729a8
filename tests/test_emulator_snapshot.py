"""A trial's copy of the code: Azure's upload rule (.amlignore, else .gitignore, per file, last pattern wins), checked
against azure-ai-ml's own ``get_ignore_file``, plus what is never copied (the sweep's store, secrets, old outputs)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from azure.ai.ml._utils._asset_utils import get_ignore_file, get_upload_files_from_folder

from emulator_helpers import shell_spec, spec_from, stored_sweep
from submit.emulator import run_local
from submit.emulator.snapshot import snapshot

TREE = (
    "train.py",
    "lib/util.py",
    "data/big.csv",
    "data/keep.csv",
    "data/sub/deep.csv",
    "notes.tmp",
    "lib/notes.tmp",
    "build/out.bin",
    "docs/readme.md",
)
NEVER = (
    ".env",
    ".env.local",
    "certs/server.pem",
    "deploy.key",
    "id_rsa",
    ".azureml/config.json",
    "node_modules/left-pad/index.js",
    "outputs/model.pkl",
    "logs/old.log",
    ".git/HEAD",
    "lib/__pycache__/util.cpython-311.pyc",
    ".sweep/old/x",
    "mlruns/0/meta.yaml",
)


def make_tree(root: Path, files) -> None:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)


def copied(dest: Path) -> set[str]:
    return {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file() or p.is_symlink()}


def azure_uploads(root: Path) -> set[str]:
    """What azure-ai-ml's code upload sends from ``root``: the SDK's own functions, not a copy of them."""
    files = get_upload_files_from_folder(root, ignore_file=get_ignore_file(root))
    return {Path(local).relative_to(root.resolve()).as_posix() for local, _ in files}


def test_the_snapshot_leaves_out_what_azures_upload_leaves_out(tmp_path):
    for ignore_name, other in ((".amlignore", ".gitignore"), (".gitignore", None)):
        root = tmp_path / ignore_name.strip(".") / "code"
        make_tree(root, TREE)
        (root / ignore_name).write_text("# data stays home\ndata/\n!data/keep.csv\n*.tmp\n/build\n\n")
        if other:  # .amlignore wins: the .gitignore beside it is not read at all
            (root / other).write_text("train.py\n")
        dest = snapshot(str(root), tmp_path / ignore_name.strip(".") / "dest")
        assert copied(dest) == azure_uploads(root), ignore_name
        assert "data/keep.csv" in copied(dest) and "data/big.csv" not in copied(dest)  # the file rule, as Azure
        assert "train.py" in copied(dest) and "lib/notes.tmp" not in copied(dest)


def test_the_snapshot_never_copies_the_store_secrets_or_old_outputs(tmp_path):
    root = tmp_path / "code"
    make_tree(root, TREE + NEVER)
    (root / "outputs_of_mine").mkdir()
    (root / "outputs_of_mine" / "kept.txt").write_text("only a root outputs/ is Azure's")
    db = root / "experiments.db"  # the sweep's store, not named mlflow.db, live with its WAL files
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("create table t (x)")
    (root / "experiments.db-wal").write_text("")
    os.symlink("train.py", root / "link.py")
    dest = snapshot(str(root), tmp_path / "dest", store_db=db)
    got = copied(dest)
    assert got == set(TREE) | {"outputs_of_mine/kept.txt", "link.py"}
    assert os.readlink(dest / "link.py") == "train.py"  # a link stays a link
    assert (root / "data" / "big.csv").exists()  # the code folder is read, never changed


def test_a_sweep_whose_store_lives_in_its_code_folder_does_not_copy_it(tmp_path):
    spec = spec_from(
        tmp_path,
        shell_spec(
            "ls -a > ../listing.txt; : ${{search_space.x}}",
            sampling="grid",
            space="x: {type: choice, values: [1]}",
            limits="{max_total_trials: 1}",
        ),
    )
    (tmp_path / "src" / ".gitignore").write_text("data/\n")
    make_tree(tmp_path / "src", ("train.py", "data/huge.csv", ".env"))
    uri = f"sqlite:///{tmp_path / 'src' / 'runs.db'}"
    result = run_local(spec, tracking_uri=uri, name="inside")
    assert result.status == "completed"
    listing = (tmp_path / "src" / ".sweep" / "inside" / "inside_0" / "listing.txt").read_text().split()
    assert sorted(listing) == [
        ".",
        "..",
        ".gitignore",
        "outputs",
        "train.py",
    ]  # ./outputs: made for each trial, as on Azure
    assert stored_sweep(uri, "inside").statuses() == {"inside_0": "FINISHED"}
