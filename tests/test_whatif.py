"""`sweep whatif`: real sweeps of tests/scripts/boosting_curve.py, one without a policy and one under the Bandit
setting of tests/test_policies_e2e.py (slack_factor 0.1, evaluation_interval 1, delay_evaluation 5), replayed.

The grid is chosen so that which trials the policy cancels, and where, does not hang on the two trials of a batch
racing each other: the two fast learners (rate 0.3) stay within 5 % of each other, so neither cancels the other
whoever logs first, and every slow learner starts after a fast one ended, so its pool at interval 5 always holds a
fast learner's values. Every expected number is re-derived from the store, never from the replay's own data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from emulator_helpers import copy_scripts, sqlite_uri, stored_sweep
from monitor_helpers import Trial, synth_sweep
from submit import cli, load_spec
from submit.emulator import run_local
from submit.monitor import LocalSweeps, MonitorInputError
from submit.monitor.whatif import parse_setting, what_if

pytestmark = pytest.mark.slow  # the module's two real sweeps (its fixture) take a minute and more on a loaded machine

ROUNDS = 30
BANDIT = "bandit slack_factor=0.1 evaluation_interval=1 delay_evaluation=5"


def curve_spec(folder: Path, policy: str | None) -> Path:
    """Six trials on a grid, two at a time: two fast learners first, then four slow ones."""
    copy_scripts(folder / "src", ("boosting_curve.py",))
    spec = folder / "spec.yaml"
    spec.write_text(f"""\
type: sweep
trial:
  code: src
  command: >-
    python boosting_curve.py --rate ${{{{search_space.rate}}}} --floor ${{{{search_space.floor}}}}
    --rounds {ROUNDS} --seconds 0.03
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
sampling_algorithm: grid
search_space:
  rate: {{type: choice, values: [0.3, 0.01, 0.1]}}
  floor: {{type: choice, values: [0.2, 0.21]}}
objective: {{goal: minimize, primary_metric: val_log_loss}}
{f"early_termination: {policy}" if policy else ""}
limits: {{max_total_trials: 6, max_concurrent_trials: 2}}
""")
    return spec


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    """One store: `free` (no policy) and `live` (the Bandit setting), both run for real."""
    folder = tmp_path_factory.mktemp("whatif")
    uri = sqlite_uri(folder)
    free = curve_spec(folder / "free", None)
    live = curve_spec(folder / "live", "{type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 5}")
    run_local(load_spec(free), tracking_uri=uri, name="free")
    run_local(load_spec(live), tracking_uri=uri, name="live")
    return uri


def stored_cancels(uri: str, sweep: str) -> dict[int, tuple[int, str]]:
    """Trial index -> (interval, reason) of every trial the live policy canceled, from the store's tags."""
    stored = stored_sweep(uri, sweep)
    cancels = {}
    for run in stored.children.values():
        if run.info.status == "KILLED":
            reason = run.data.tags["sweep.cancel_reason"]
            interval = int(re.search(r" at interval (\d+)", reason).group(1))
            cancels[int(run.data.tags["sweep.trial_index"])] = (interval, reason)
    return cancels


def points(uri: str, sweep: str) -> dict[str, tuple[list, object]]:
    """Each trial's primary-metric points in logged order and its run info, read with MlflowClient."""
    client = MlflowClient(tracking_uri=uri)
    out = {}
    for name, run in stored_sweep(uri, sweep).children.items():
        history = client.get_metric_history(run.info.run_id, "val_log_loss")
        out[name] = (sorted(history, key=lambda m: (m.timestamp, m.step)), run.info)
    return out


def test_replaying_a_policy_free_sweep_cancels_what_the_live_policy_canceled(sweeps):
    live = stored_cancels(sweeps, "live")
    assert sorted(live) == [2, 3, 4, 5]  # the slow learners, each at its first due interval
    [setting] = what_if(LocalSweeps(sweeps).status("free"), [parse_setting(BANDIT)]).settings
    assert setting.exact and not setting.beyond_record and not setting.uncertain
    replayed = {c.index: (c.interval, c.reason) for c in setting.cancels}
    assert replayed == live  # same trials, same intervals, and the same reasons word for word
    assert all(c.step == c.interval - 1 for c in setting.cancels)  # the script logs step r for its value r + 1


def test_the_run_after_cancel_is_the_recorded_seconds_after_each_cancel(sweeps):
    [setting] = what_if(LocalSweeps(sweeps).status("free"), [parse_setting(BANDIT)]).settings
    recorded = points(sweeps, "free")
    expected = 0.0
    for c in setting.cancels:
        history, info = recorded[c.trial]
        at = history[c.interval - 1].timestamp / 1000
        assert c.after_cancel_seconds == pytest.approx(info.end_time / 1000 - at)
        assert c.after_seconds == pytest.approx(at - info.start_time / 1000)
        expected += info.end_time / 1000 - at
    total = sum((info.end_time - info.start_time) / 1000 for _, info in recorded.values())
    assert setting.savings.after_cancel_seconds == pytest.approx(expected)
    assert setting.recorded_seconds - setting.seconds[0] == pytest.approx(expected)  # exact: what the setting cuts
    assert setting.recorded_seconds == pytest.approx(total)
    # the best trial (rate 0.3, floor 0.2: the lowest loss) is never canceled: it survives, no loss
    best = min(recorded, key=lambda n: min(m.value for m in recorded[n][0]))
    assert setting.recorded_best == setting.best == best and setting.best_survives
    assert setting.loss == (0.0, 0.0)


def test_a_live_policy_sweep_replayed_under_its_own_setting_cancels_the_same_trials(sweeps):
    [setting] = what_if(LocalSweeps(sweeps).status("live"), [parse_setting(BANDIT)]).settings
    assert setting.exact  # every trial the record cut short is canceled again within its values
    assert {c.index: (c.interval, c.reason) for c in setting.cancels} == stored_cancels(sweeps, "live")


def test_its_own_policy_replayed_gives_the_numbers_sweep_status_gives_under_the_same_names(sweeps):
    summary = LocalSweeps(sweeps).status("live")
    [setting] = what_if(summary, [parse_setting(BANDIT)]).settings
    live = summary.savings
    assert live.canceled == len(setting.cancels) == 4
    assert setting.savings.avoided_seconds == pytest.approx(live.avoided_seconds)
    assert setting.savings.after_cancel_seconds == pytest.approx(live.after_cancel_seconds)
    recorded = points(sweeps, "live")
    after = 0.0
    for c in setting.cancels:
        history, info = recorded[c.trial]
        after += (info.end_time - history[c.interval - 1].timestamp) / 1000
    assert live.after_cancel_seconds == pytest.approx(after)  # measured on the store, at the value judged
    status = CliRunner().invoke(cli.app, ["status", "live", "--tracking-uri", sweeps, "--local", "--json"])
    whatif = CliRunner().invoke(
        cli.app, ["whatif", "live", "--tracking-uri", sweeps, "--local", "-p", BANDIT, "--json"]
    )
    compute, [replayed] = json.loads(status.stdout)["compute"], json.loads(whatif.stdout)["settings"]
    for key in ("avoided_seconds_estimate", "after_cancel_seconds"):
        assert replayed[key] == compute[key]
    text = CliRunner().invoke(cli.app, ["status", "live", "--tracking-uri", sweeps, "--local"]).stdout
    told = CliRunner().invoke(cli.app, ["whatif", "live", "--tracking-uri", sweeps, "--local", "-p", BANDIT]).stdout
    avoided = f"avoided (estimate): {live.avoided_seconds:.1f} "
    after = f"run after cancel (measured): {live.after_cancel_seconds:.1f} "
    assert avoided in text and avoided in told and after in text and after in told


def test_a_looser_setting_names_the_trials_it_would_let_run_past_their_record_and_bounds_the_rest(sweeps):
    recorded = points(sweeps, "live")
    canceled = {n for n, (_, info) in recorded.items() if info.status == "KILLED"}
    short = {n for n in canceled if len(recorded[n][0]) < 10}  # delay 10: judged only those with 10 values
    run = CliRunner().invoke(
        cli.app,
        ["whatif", "live", "--tracking-uri", sweeps, "--local", "--json"]
        + [
            "--policy",
            "bandit slack_factor=5 evaluation_interval=1",
            "--policy",
            "bandit slack_factor=0.1,delay_evaluation=10",
        ],
    )
    assert run.exit_code == 0, run.output
    never, later = json.loads(run.stdout)["settings"]
    # slack 5: the bar is 6 x the best, no loss here reaches it; every canceled trial would have run on
    assert never["cancels"] == [] and set(never["beyond_record"]) == canceled and not never["exact"]
    seconds = sum((info.end_time - info.start_time) / 1000 for _, info in recorded.values())
    # at most: a trial judged among values the record lacks may have been canceled there (the first such value)
    unknown = {u["trial"]: u for u in never["uncertain"]}
    assert set(unknown) >= canceled
    most = 0.0
    for name, u in unknown.items():
        history, info = recorded[name]
        if u["from_interval"] <= len(history):
            at = history[u["from_interval"] - 1].timestamp / 1000
            assert u["after_s"] == pytest.approx(at - info.start_time / 1000, abs=1e-3)
            most += info.end_time / 1000 - at
        else:  # judged among no unknown value before its record ended: it ran at least as recorded
            assert u["from_interval"] == len(history) + 1
    assert never["seconds"] == [pytest.approx(seconds - most, abs=1e-3), None]
    assert never["best"]["possible"] is None  # unknown values could beat the recorded best
    assert set(later["beyond_record"]) == short
    assert {c["trial"] for c in later["cancels"]} == canceled - short
    assert all(c["interval"] == 10 for c in later["cancels"])
    assert later["exact"] == (not short)


def test_the_text_names_each_cancel_and_fits_80_columns(sweeps):
    run = CliRunner().invoke(cli.app, ["whatif", "free", "--tracking-uri", sweeps, "--local", "-p", BANDIT])
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    assert lines[:2] == [
        "what if: sweep free (local), 6 trials",
        "objective: minimize val_log_loss; recorded policy: none",
    ]
    for i in (2, 3, 4, 5):
        at = next(
            n for n, x in enumerate(lines) if re.match(rf"  cancels free_{i} at interval 5 \(step 4, [\d.]+ s in\)$", x)
        )
        assert re.match(r"    run after cancel \(measured\): [\d.]+ s; avoided \(estimate\): [\d.]+ s$", lines[at + 1])
    assert any(re.match(r"  run after cancel \(measured\): [\d.]+ s of [\d.]+ recorded$", x) for x in lines)
    assert any(re.match(r"  avoided \(estimate\): [\d.]+ s$", x) for x in lines)
    assert "  best: free_0 (0.2" in run.stdout and "survives" in run.stdout
    assert max(len(x) for x in lines) <= 80


def test_settings_for_each_policy_and_their_options(tmp_path):
    uri = sqlite_uri(tmp_path)
    trials = [Trial({"x": i}, v) for i, v in enumerate([[0.5, 0.6, 0.8], [0.5, 0.7, 0.9], [0.1, 0.2, 0.3]])]
    synth_sweep(uri, "s", trials, concurrency=1)
    report = what_if(
        LocalSweeps(uri).status("s"),
        [
            parse_setting("median_stopping evaluation_interval=1"),
            parse_setting("truncation_selection truncation_percentage=50 delay_evaluation=2"),
            parse_setting("bandit slack_amount=0.05 evaluation_interval=3"),
        ],
    )
    median, truncation, bandit = report.settings
    # one at a time: s_2 at 1 has 0.1 against running averages 0.5, 0.5 and its own 0.1: median 0.5
    assert [(c.trial, c.interval) for c in median.cancels] == [("s_2", 1)]
    # s_0 ran alone (never judged against another); s_1's 0.7 at 2 beats s_0's 0.6; s_2's 0.2 at 2 is among the
    # floor(3 * 50 / 100) = 1 worst of 3: both others are better
    assert [(c.trial, c.interval) for c in truncation.cancels] == [("s_2", 2)]
    # judged only at 3: s_2's best 0.3 < 0.9 - 0.05; s_1's 0.9 is the best
    assert [(c.trial, c.interval) for c in bandit.cancels] == [("s_2", 3)]
    # what was typed, and the one setting left out as it applies
    assert bandit.setting == "bandit slack_amount=0.05 evaluation_interval=3"
    assert bandit.defaults == {"delay_evaluation": 0}


def test_the_best_trial_canceled_before_its_best_value_is_the_loss(tmp_path):
    uri = sqlite_uri(tmp_path)
    # the late bloomer is behind at interval 2 and best at 3
    synth_sweep(uri, "s", [Trial({"x": 0}, [0.5, 0.6, 0.7]), Trial({"x": 1}, [0.2, 0.3, 0.95])], concurrency=1)
    [w] = what_if(LocalSweeps(uri).status("s"), [parse_setting("bandit slack_factor=0.1 delay_evaluation=2")]).settings
    assert [(c.trial, c.interval) for c in w.cancels] == [("s_1", 2)]
    assert w.recorded_best == "s_1" and not w.best_survives and w.best == "s_0"
    assert w.loss == (pytest.approx(0.25), pytest.approx(0.25))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["whatif", "nope", "-p", BANDIT], "no sweep named 'nope' in the local store"),
        (["whatif", "s", "-p", "bandit slack_facor=0.1"], "slack_facor: unknown option (did you mean `slack_factor`?)"),
        (
            ["whatif", "s", "-p", "bandt slack_factor=0.1"],
            "unknown early-termination policy 'bandt' (did you mean `bandit`?)",
        ),
        (["whatif", "s", "-p", "median_stopping delay_evaluation"], "expected NAME=VALUE, found 'delay_evaluation'"),
        (["whatif", "s"], "give at least one setting"),
        (["whatif", "s", "-p", BANDIT], "sweep s has no recorded values of its primary metric 'accuracy'"),
        (["diff", "s", "nope"], "no sweep named 'nope' in the local store"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_code_2(tmp_path, args, message):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "s", [Trial({"x": 0}, []), Trial({"x": 1}, [], status="failed")])
    run = CliRunner().invoke(cli.app, [*args, "--tracking-uri", uri, "--local"])
    assert run.exit_code == 2, run.output
    assert message in run.output and "Traceback" not in run.output
    assert len(run.output.strip().splitlines()) <= 2  # the line, and at most a hint


def test_a_setting_that_is_not_a_policy_is_refused_by_the_library_too():
    with pytest.raises(MonitorInputError, match=r"truncation_percentage: must be an integer from 1 to 99, found 150"):
        parse_setting("truncation_selection truncation_percentage=150")
    with pytest.raises(MonitorInputError, match=r"Bandit needs one of slack_factor or slack_amount \(> 0\) \(e.g."):
        parse_setting("bandit")


def whatif_text(uri: str, sweep: str, *settings: str) -> tuple[list[str], str]:
    """`sweep whatif` at 80 columns: its lines, and its text with each wrapped line joined to the one it continues."""
    run = CliRunner().invoke(cli.app, ["whatif", sweep, "--tracking-uri", uri, "--local", *settings])
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    assert max(len(x) for x in lines) <= 80, run.stdout
    return lines, re.sub(r"\n {4,}", " ", run.stdout)


def test_a_setting_reads_as_typed_and_names_azures_defaults_not_zeros(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "s", [Trial({"x": i}, [0.1 * i, 0.2 * i]) for i in range(4)], concurrency=1)
    lines, text = whatif_text(uri, "s", "-p", "median_stopping", "-p", "bandit slack_factor=0.1 delay_evaluation=2")
    assert "median_stopping (defaults: evaluation_interval=1, delay_evaluation=0)" in lines
    assert "bandit slack_factor=0.1 delay_evaluation=2 (defaults: evaluation_interval=1)" in lines
    assert "=0 " not in text and "evaluation_interval=0" not in text  # no zero the user did not type


def test_trials_that_logged_too_few_values_to_be_judged_are_said_plainly(tmp_path):
    uri = sqlite_uri(tmp_path)  # the quickstart's shape: each trial logs its metric once
    synth_sweep(uri, "once", [Trial({"x": i}, [v]) for i, v in enumerate([0.9, 0.5, 0.95, 0.3])], concurrency=2)
    _, text = whatif_text(uri, "once", "-p", "bandit slack_factor=0.1 evaluation_interval=1 delay_evaluation=5")
    assert (
        "  cancels nothing: no trial logged enough values to be judged (it first judges a trial at its 5th value, "
        "and no trial logged more than 1 value)"
    ) in text


def test_an_uncertain_cancel_is_not_also_of_unknown_fate_and_each_line_is_a_plain_answer(tmp_path):
    uri = sqlite_uri(tmp_path)
    # s_0 was stopped by the recorded policy after 2 values: a looser setting lets it run on, values unknown; s_1 is
    # canceled at interval 4 alongside those unknown values, s_2 is judged alongside them and its fate is unknown
    trials = [Trial({"x": 0}, [0.9, 0.9], status="canceled", by_policy=True)]
    trials += [Trial({"x": 1}, [0.1] * 5), Trial({"x": 2}, [0.8] * 5)]
    synth_sweep(uri, "mixed", trials, concurrency=3, policy="bandit")
    lines, text = whatif_text(uri, "mixed", "-p", "bandit slack_factor=0.1 delay_evaluation=4")
    assert (
        "  cancels mixed_1 at interval 4 (step 3, 6.7 s in) (uncertain: judged alongside values the record lacks)"
        in (text)
    )
    assert "  would let run past their record: mixed_0 (stopped early in the record" in text
    unknown = next(x for x in text.splitlines() if x.startswith("  fate unknown:"))
    assert unknown.startswith("  fate unknown: mixed_2: judged alongside the values the trials let run past")
    assert "mixed_1" not in unknown  # listed once: among the cancels
    assert "  best: mixed_0 (0.9) survives, though trials let run past their record could log a better value" in text
    assert "certainly kept" not in text and "possible unbounded" not in text


# --- sweep diff: the local sweeps above, and a cloud copy of one served by the recording REST API --------------------

CLOUD_SPEC = """\
type: sweep
experiment_name: whatif-cloud
trial:
  code: src
  command: python boosting_curve.py --rate ${{search_space.rate}} --floor ${{search_space.floor}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:33
compute: azureml:cpu-cluster
sampling_algorithm: grid
search_space:
  rate: {type: choice, values: [0.3, 0.01, 0.1]}
  floor: {type: choice, values: [0.2, 0.21]}
objective: {goal: minimize, primary_metric: val_log_loss}
early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 5}
limits: {max_total_trials: 6, max_concurrent_trials: 2}
"""
AZURE_STATUS = {"completed": "Completed", "canceled": "Canceled", "failed": "Failed"}


def cloud_copy(rest, folder: Path, tracking: str, local) -> str:
    """The local sweep `local` as Azure would hold it: the job submitted as `sweep submit` does, its trials as
    RunHistory children and MLflow runs on the stand-in tracking server. Trial 4 sampled another rate, and a canceled
    trial's history stops at its cancel (interval 5), as the service stops a trial there."""
    from mlflow.entities import Metric

    from emulator_helpers import write_spec
    from submit.azure.client import submit_job
    from test_monitor_cloud import client

    copy_scripts(folder / "src", ("boosting_curve.py",))
    name = submit_job(client(rest), load_spec(write_spec(folder, CLOUD_SPEC))).name
    resource = rest.jobs[name]
    resource["properties"]["status"] = "Completed"
    mlflow = MlflowClient(tracking_uri=tracking)
    exp = mlflow.get_experiment_by_name("whatif-cloud")
    exp_id = exp.experiment_id if exp else mlflow.create_experiment("whatif-cloud")
    children = []
    for trial in local.by_index():
        child = f"{name}_{trial.index}"
        params = dict(trial.params, rate=0.5) if trial.index == 4 else trial.params
        resource["properties"]["tags"][child] = json.dumps({f"--{k}": v for k, v in params.items()})
        history = trial.history[:5] if trial.status == "canceled" else trial.history
        start = int(trial.started * 1000)
        run = mlflow.create_run(exp_id, run_name=child, tags={"mlflow.parentRunId": name}, start_time=start)
        metrics = [Metric("val_log_loss", p.value, int(p.timestamp * 1000), p.step) for p in history]
        mlflow.log_batch(run.info.run_id, metrics=metrics)
        end = {"completed": "FINISHED", "canceled": "KILLED", "failed": "FAILED"}[trial.status]
        mlflow.set_terminated(run.info.run_id, end, end_time=int(trial.ended * 1000))
        children.append(
            {
                "runId": child,
                "parentRunId": name,
                "rootRunId": name,
                "experimentId": "5e0c1f5a-0000-4000-8000-0000000000e1",
                "status": AZURE_STATUS[trial.status],
                "displayName": child,
                "createdUtc": "2026-11-30T10:00:00.000Z",
                "startTimeUtc": "2026-11-30T10:00:05.000Z",
                "tags": {"_aml_system_ComputeTargetStatus": "{}"},
                "properties": {"azureml.runsource": "hyperdrive"},
                "compute": {"target": "cpu-cluster", "vmSize": "STANDARD_DS3_V2"},
                "runTypeV2": {"orchestrator": "Execution", "traits": ["hyperdrive"]},
            }
        )
    rest.children[name] = children
    return name


def test_diff_of_a_local_sweep_and_its_cloud_run(sweeps, rest, tmp_path, tracking_server):
    import io
    import statistics

    from rich.console import Console

    from submit.cli.analysis_render import render_diff
    from submit.monitor.cloud import CloudSweeps
    from submit.monitor.diff import diff_sweeps
    from test_monitor_cloud import client

    local = LocalSweeps(sweeps).status("live")
    name = cloud_copy(rest, tmp_path, tracking_server, local)
    cloud = CloudSweeps(client(rest), tracking_uri=tracking_server).status(name)
    d = diff_sweeps(local, cloud)

    counts = {s: sum(t.status == s for t in local.trials) for s in ("completed", "canceled")}
    assert counts == {"completed": 2, "canceled": 4}
    assert {k: v for k, v in d.a.counts.items() if v} == counts == {k: v for k, v in d.b.counts.items() if v}
    assert (d.a.where, d.b.where, d.b.status, d.b.policy) == ("local", "cloud", "completed", "bandit")
    recorded = points(sweeps, "live")
    best = min(recorded, key=lambda n: min(m.value for m in recorded[n][0]))
    assert d.a.best == best and d.b.best == f"{name}_{best.rsplit('_', 1)[1]}" and d.a.best_value == d.b.best_value
    # each side's distribution: every trial's best value, from what each store holds
    mine = [min(m.value for m in h) for h, _ in recorded.values()]
    theirs = [min(m.value for m in (h[:5] if i.status == "KILLED" else h)) for h, i in recorded.values()]
    for side, values in ((d.a, mine), (d.b, theirs)):
        q25, median, q75 = statistics.quantiles(values, n=4, method="inclusive")
        assert side.quantiles == pytest.approx(
            {"min": min(values), "q25": q25, "median": median, "q75": q75, "max": max(values)}
        )
    assert sum(d.histogram_a) == sum(d.histogram_b) == 6
    # the parameters: the same grid, trial by trial, except the rate trial 4 sampled in the cloud
    assert d.compared == 6 and d.same_params == 5
    [where] = d.differences
    assert (where.index, where.keys, where.a["rate"], where.b["rate"]) == (4, ("rate",), 0.1, 0.5)
    # cancels by interval: the emulator's from its reasons; Azure records none, so the values it logged
    assert d.a.cancels == {5: 4} == d.b.cancels

    console = Console(file=io.StringIO(), width=80, highlight=False)
    render_diff(d, console)
    text = console.file.getvalue()
    assert "  trial 4: rate 0.1 vs 0.5" in text and "parameters: 5 of 6 paired trials the same" in text
    assert re.search(r"^cancels +4 at 5 +4 at 5$", text, re.M)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_diff_of_two_local_runs_of_one_grid_finds_the_same_parameters(sweeps):
    run = CliRunner().invoke(cli.app, ["diff", "free", "live", "--tracking-uri", sweeps, "--local", "--json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["params"] == {"compared": 6, "same": 6, "identical": True, "differences": []}
    assert data["a"]["counts"]["completed"] == 6 and data["b"]["counts"]["canceled"] == 4
    assert data["a"]["cancels_by_interval"] == {} and data["b"]["cancels_by_interval"] == {"5": 4}
    text = CliRunner().invoke(cli.app, ["diff", "free", "live", "--tracking-uri", sweeps, "--local"])
    assert "parameters: the same in all 6 trials, in order" in text.stdout


class Process:
    """The judge's view of a trial's process: it is told to cancel, and says whether it was."""

    cancel_reason = None

    def cancel(self, reason: str) -> None:
        self.cancel_reason = reason


def test_the_live_judge_counts_a_trial_it_canceled_with_its_values_up_to_its_cancel_only():
    from submit.emulator.judge import PolicyJudge
    from submit.emulator.live import LiveTrial
    from submit.emulator.policies import TruncationSelectionPolicy

    judge = PolicyJudge(TruncationSelectionPolicy(truncation_percentage=50, evaluation_interval=1), "maximize")
    a = LiveTrial(0, "a", "ra", {}, status="completed", history=[0.5, 0.5, 0.5])
    b = LiveTrial(1, "b", "rb", {})
    judge.start(b)  # as the scheduler starts a trial: before its first value
    b.history = [0.1]
    assert judge.judge([a, b], b, Process()).interval == 1  # the worst of 2 at interval 1
    b.history = [0.1, 0.1, 0.1]  # logged while the cancel reached it
    c = LiveTrial(2, "c", "rc", {})
    judge.start(c)
    c.history = [0.3, 0.3]
    # at 2, b's second value is not counted: the pool is a and c, and c is the 1 worst of 2 (counted, b would be)
    cancel = judge.judge([a, b, c], c, Process())
    assert cancel.interval == 2 and "among the 1 worst of 2 trials" in cancel.reason
    assert judge.pools["c"] == ["a", "c"]
