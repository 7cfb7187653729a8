"""A SQLite store read without MLflow (``monitor.sqlite_read``) reads exactly what ``MlflowClient`` reads, and the
monitoring commands then import no heavy module.

Each comparison reads one real store twice, through the stdlib reader (what `sweep` does) and through the real
``MlflowClient`` (what it did): the two sweeps as data, to the last value, must be the same. The speed itself is in
bench/README.md; here the check is on what was imported, not on a timing.
"""

from __future__ import annotations

import math

from mlflow.tracking import MlflowClient

from emulator_helpers import sqlite_uri
from monitor_helpers import Trial, synth_sweep
from submit.monitor import LocalSweeps
from submit.monitor.export import history_rows, trial_rows
from submit.monitor.sqlite_read import SqliteRuns, _parse_filter
from test_cli_imports import HEAVY, loaded_by


def _both(uri: str) -> tuple[LocalSweeps, LocalSweeps]:
    fast = LocalSweeps(uri)
    assert isinstance(fast.client, SqliteRuns)  # a SQLite store is read without MLflow
    return fast, LocalSweeps(uri, client=MlflowClient(tracking_uri=uri))


def _still(row: dict) -> dict:
    """A listing row without what the clock moves between two reads (a running sweep's elapsed time so far)."""
    progress = {k: v for k, v in (row.get("progress") or {}).items() if k not in ("elapsed_s", "timeout_left_s")}
    return {**row, "progress": progress}


def test_a_real_sweep_reads_the_same_through_sqlite_and_through_mlflow(failing_sweep):
    uri, _ = failing_sweep
    fast, slow = _both(uri)
    for name in ("fails", "empty"):
        a, b = fast.status(name), slow.status(name)
        assert a.to_dict(histories=True) == b.to_dict(histories=True)
        assert trial_rows([a]) == trial_rows([b])
        assert history_rows([(fast, a)]) == history_rows([(slow, b)])  # every metric of every trial
    assert [_still(r.to_dict()) for r in fast.list()] == [_still(r.to_dict()) for r in slow.list()]
    assert fast.names() == slow.names()
    assert fast.parent("nothing") is None and slow.parent("nothing") is None


def test_infinities_nan_and_an_and_in_a_name_read_the_same(tmp_path):
    uri = sqlite_uri(tmp_path)
    name = "a and b"
    trials = [
        Trial({"x": 1}, [0.5, math.inf]),
        Trial({"x": 2}, [0.4, math.nan]),
        Trial({"x": 3}, [-math.inf]),
        Trial({"x": 4}, [0.7, 0.8], other={"loss": math.nan}),
        Trial({"x": 5}, [], "failed", exit_code=3),
    ]
    synth_sweep(uri, name, trials)
    synth_sweep(uri, "a", [Trial({"x": 9}, [0.1])])  # a name the first one starts with
    synth_sweep(uri, "it's", [Trial({"x": 9}, [0.2])])  # a quote (MLflow's own filter finds no such name)
    fast, slow = _both(uri)
    a, b = fast.status(name), slow.status(name)
    assert len(a.trials) == 5
    assert repr(a.to_dict(histories=True)) == repr(b.to_dict(histories=True))  # repr: nan == nan there
    assert repr(history_rows([(fast, a)])) == repr(history_rows([(slow, b)]))
    assert fast.status("a").trials[0].best == 0.1
    assert fast.status("it's").trials[0].best == 0.2


def test_a_filter_the_reader_does_not_know_goes_to_mlflow(failing_sweep):
    uri, _ = failing_sweep
    fast, slow = _both(uri)
    experiments = fast._experiments()
    odd = "attributes.status = 'FINISHED'"
    assert _parse_filter(odd) is None
    assert {r.info.run_id for r in fast.client.search_runs(experiments, odd)} == {
        r.info.run_id for r in slow.client.search_runs(experiments, odd)
    }
    assert _parse_filter("tags.`a` = 'x and y' and tags.`b` = 'it\\'s'") == [("a", "x and y"), ("b", "it's")]


def test_status_export_best_and_list_import_no_heavy_module(failing_sweep, tmp_path):
    uri, _ = failing_sweep
    for args in (
        ("status", "fails"),
        ("export", "fails", "--histories", "-o", str(tmp_path / "out.csv")),
        ("best", "fails"),
        ("list", "--local"),
        ("list",),  # no workspace here: no config.json is looked for through azure-ai-ml
    ):
        code, modules = loaded_by(*args, "--tracking-uri", uri)
        assert code in (0, None), args
        heavy = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]
        assert heavy == [], (args, heavy[:10])


def test_a_store_in_a_folder_named_with_question_mark_and_hash_is_read_without_mlflow_and_nothing_is_made(tmp_path):
    # SQLite's file: URI reads "?" as its query and "#" as its fragment: unquoted, the reader opened (and created)
    # tmp_path/"a" instead of the store, found no tables, and left the store to MLflow (whose own URL parsing
    # cannot open such a path either: the store is written in a plain folder, then the folder renamed)
    plain = tmp_path / "plain"
    plain.mkdir()
    synth_sweep(sqlite_uri(plain), "odd", [Trial({"x": 1}, [0.5])])
    expected = LocalSweeps(sqlite_uri(plain), client=MlflowClient(tracking_uri=sqlite_uri(plain))).status("odd")
    odd = plain.rename(tmp_path / "a?b#c")
    fast = LocalSweeps(sqlite_uri(odd))
    assert isinstance(fast.client, SqliteRuns)
    read = fast.status("odd").to_dict(histories=True)
    where = ("location", "ui_command")  # the store's path, which the rename changed
    assert {k: v for k, v in read.items() if k not in where} == {
        k: v for k, v in expected.to_dict(histories=True).items() if k not in where
    }
    assert [p.name for p in tmp_path.iterdir()] == ["a?b#c"]
