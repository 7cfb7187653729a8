"""One sweep, one model: a real local sweep reads the same in `submit --local`, `status`, `export`, the report and
`whatif`: the same compute total, the same best trial, the same leaderboard, parameters in spec order."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from emulator_helpers import sqlite_uri, write_spec
from submit import cli

pytestmark = pytest.mark.slow  # a real sweep through the CLI, shared by the module's tests

# trial i: grid in spec order (x, then k); accuracy = 1 - (x - 0.3)^2 - (k != "b") / 10
SPEC = """\
type: sweep
trial:
  code: src
  command: python quadratic.py ${{search_space.x}} ${{search_space.k}}
  environment: azureml:AzureML-sklearn-1.0@latest
sampling_algorithm: grid
search_space:
  x: {type: choice, values: [0.9, 0.3]}
  k: {type: choice, values: ["b", "c"]}
objective: {goal: maximize, primary_metric: accuracy}
early_termination: {type: bandit, slack_factor: 0.5, evaluation_interval: 1, delay_evaluation: 5}
limits: {max_total_trials: 4, max_concurrent_trials: 2}
"""
OWN_POLICY = "bandit slack_factor=0.5 evaluation_interval=1 delay_evaluation=5"
EXPECTED_ORDER = ["one_2", "one_3", "one_0", "one_1"]  # 1.0 (0.3, b), 0.9 (0.3, c), 0.64 (0.9, b), 0.54 (0.9, c)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """One real sweep, run once through `sweep submit --local --json`: the store, and what submit said."""
    folder = tmp_path_factory.mktemp("one")
    spec = write_spec(folder, SPEC, scripts=("quadratic.py",))
    uri = sqlite_uri(folder)
    run = CliRunner().invoke(
        cli.app, ["submit", str(spec), "--local", "--tracking-uri", uri, "--name", "one", "--json"]
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    return folder, uri, json.loads(run.stdout), run.stderr


def sweep_cli(*args: str) -> str:
    run = CliRunner().invoke(cli.app, list(args))
    assert run.exit_code == 0, run.stdout + run.stderr
    return run.stdout


def board(text: str) -> list[str]:
    """The trials of a terminal leaderboard, as ranked: its first table's rows (rank, trial index)."""
    start = text.index("best trials by accuracy")
    head = text[start:]
    first = head[: head.index("└")]
    return [f"one_{index}" for _, index in re.findall(r"^│\s*(\d+)\s*│\s*(\d+)\s*│", first, re.M)]


def compute_line(text: str) -> str:
    return re.search(r"^compute: ([\d.]+) trial-seconds run", text, re.M).group(1)


class Cells(HTMLParser):
    """The rows of the report's tables: (table class, [cell texts])."""

    def __init__(self):
        super().__init__()
        self.rows, self.table, self.cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.table.append(dict(attrs).get("class", ""))
        elif tag == "tr":
            self.rows.append((self.table[-1] if self.table else "", []))
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.table:
            self.table.pop()
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1][1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def test_submit_and_status_share_their_keys_with_the_same_values(sweep):
    folder, uri, submitted, _ = sweep
    status = json.loads(sweep_cli("status", "one", "--tracking-uri", uri, "--local", "--json"))
    shared = (set(submitted) & set(status)) - {"status"}
    assert {"best", "trials", "compute", "counts", "objective", "ui_command", "warnings"} <= shared
    for key in shared:
        assert submitted[key] == status[key], key
    assert submitted["status"] == status["status"] == "completed"
    # what only a fresh run knows is there too, under keys of its own
    assert set(submitted) - set(status) == {
        *("message", "tracking_uri", "tracking_server", "experiment_id", "parent_run_id", "concurrency"),
        *("cap_note", "run_warnings", "elapsed_s", "work_dir", "resumed", "stopped_by", "log_tails"),
    }
    assert submitted["message"] == "" and submitted["elapsed_s"] > 0 and submitted["concurrency"] == 2
    assert submitted["tracking_uri"] == status["location"] and submitted["parent_run_id"] == status["run_id"]
    assert submitted["best"]["params"] == {"x": 0.3, "k": "b"}
    assert list(submitted["best"]["params"]) == ["x", "k"]  # the spec's order, not the alphabet's


def test_every_command_shows_the_same_compute_best_trial_and_leaderboard(sweep):
    folder, uri, submitted, submit_text = sweep
    compute = submitted["compute"]["trial_seconds"]
    durations = {t["name"]: t["duration_s"] for t in submitted["trials"]}
    assert compute == pytest.approx(sum(durations.values()), abs=0.01) and compute > 0
    assert submitted["best"]["trial"] == EXPECTED_ORDER[0]

    # the text: submit's end (on stderr under --json) and status, one board and one compute line
    status_text = sweep_cli("status", "one", "--tracking-uri", uri, "--local")
    assert board(submit_text) == board(status_text) == EXPECTED_ORDER
    assert compute_line(submit_text) == compute_line(status_text) == f"{compute:.1f}"
    for text in (submit_text, status_text):
        columns = text[text.index("┃ trial") :].splitlines()[0]
        assert columns.index(" x ") < columns.index(" k ")  # parameters in the spec's order

    # export: every trial, the same durations, the parameters in the spec's order
    exported = folder / "trials.json"
    sweep_cli("export", "one", "--tracking-uri", uri, "--local", "--format", "json", "-o", str(exported))
    table = json.loads(exported.read_text())
    params = [c for c in table["columns"] if c.startswith("param.")]
    assert params == ["param.x", "param.k"]
    rows = {r["trial"]: r for r in table["trials"]}
    assert {n: round(r["duration_s"], 3) for n, r in rows.items()} == durations
    assert sum(r["duration_s"] for r in rows.values()) == pytest.approx(compute, abs=0.01)
    assert sorted(rows, key=lambda n: -rows[n]["best"]) == EXPECTED_ORDER

    # the report's header and leaderboard
    page = folder / "report.html"
    sweep_cli("report", "one", "--tracking-uri", uri, "--local", "-o", str(page))
    cells = Cells()
    cells.feed(page.read_text())
    facts = {row[0]: row[1] for kind, row in cells.rows if kind == "facts" and len(row) == 2}
    assert facts["compute"].startswith(f"{compute:.1f} trial-seconds run")
    assert facts["best trial"].startswith(f"{EXPECTED_ORDER[0]}: accuracy = 1")
    assert facts["best trial"].endswith("(x=0.3, k=b)")
    head, *ranked = [row for kind, row in cells.rows if kind == "board"]
    assert head.index("x") < head.index("k")
    assert [row[1] for row in ranked] == EXPECTED_ORDER

    # whatif with the sweep's own policy: the record it replays is the same sweep, and it changes nothing
    replayed = json.loads(
        sweep_cli("whatif", "one", "--tracking-uri", uri, "--local", "--policy", OWN_POLICY, "--json")
    )
    [own] = replayed["settings"]
    assert own["recorded_seconds"] == pytest.approx(compute, abs=0.01)
    assert own["recorded_best"]["trial"] == own["best"]["trial"] == EXPECTED_ORDER[0]
    assert own["cancels"] == [] and replayed["recorded_policy"] == "bandit"
    # its savings are status's, by the one estimate (monitor.savings.estimate_savings)
    for key in ("after_cancel_seconds", "avoided_seconds_estimate"):
        assert own[key] == submitted["compute"][key]
