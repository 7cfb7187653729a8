"""B4: compute saved vs best metric lost by early termination, on an XGBoost sweep; replayed and live.

    PYTHONPATH=src python bench/early_termination.py            # quick: 12 trials x 60 rounds
    PYTHONPATH=src python bench/early_termination.py --trials 16 --rounds 100 --orders 7

1. Record: the sweep runs once through the emulator with NO policy (random sampling, fixed seed, 2 at a time):
   src/train/train_xgb.py on make_classification(20000 x 40), validation log loss logged every boosting round. From
   the store: each trial's start, end, and each value with its timestamp.
2. Replay: an event-driven 2-worker clock re-runs the recorded trials (in the recorded order and in ``--orders - 1``
   seeded shuffles of it) through each arm: the emulator's own policy engine (src/submit/emulator/policies.py) and,
   as peers, Optuna's MedianPruner and SuccessiveHalvingPruner fed the same values. A trial canceled at time t ends at
   t + ``--latency`` (the live emulator's metric-stream and poll delay); values logged until then still count.
3. Live: each policy once more through the real emulator on the same seed (so the same configurations), to check
   the replay: measured trial-seconds vs the replay's prediction for the recorded order.

Reported per arm, medians over the orders: trial-seconds, S = saved share against no policy, the best log loss
reached (best-ever value over all trials, canceled ones included, Azure's rule), L = its relative loss against no
policy, and how often the no-policy best trial survived. Writes bench/results/early_termination.json.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from submit import load_spec, run_local  # noqa: E402
from submit.emulator.policies import (  # noqa: E402
    BanditPolicy,
    MedianStoppingPolicy,
    TruncationSelectionPolicy,
)

METRIC, GOAL = "val_log_loss", "minimize"

# the arms: name -> the spec's early_termination (None: no policy); the live ones are marked
POLICIES = {
    "none": None,
    "bandit sf 0.1 d5": "{type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 5}",
    "bandit sf 0.01 d5": "{type: bandit, slack_factor: 0.01, evaluation_interval: 1, delay_evaluation: 5}",
    "median i1 d5": "{type: median_stopping, evaluation_interval: 1, delay_evaluation: 5}",
    "truncation 20% d5": "{type: truncation_selection, truncation_percentage: 20, evaluation_interval: 1, delay_evaluation: 5}",
    "truncation 50% d5": "{type: truncation_selection, truncation_percentage: 50, evaluation_interval: 1, delay_evaluation: 5}",
}
LIVE = ["bandit sf 0.1 d5", "median i1 d5", "truncation 20% d5"]
OPTUNA = ["optuna MedianPruner d5", "optuna SuccessiveHalving"]


def spec_text(data: Path, trials: int, rounds: int, seed: int, policy: str | None) -> str:
    return f"""\
type: sweep
trial:
  code: {ROOT / "src" / "train"}
  command: >-
    python train_xgb.py --data ${{{{inputs.data}}}} --target y --n-estimators {rounds}
    --learning-rate ${{{{search_space.learning_rate}}}} --max-depth ${{{{search_space.max_depth}}}}
    --subsample ${{{{search_space.subsample}}}} --min-child-weight ${{{{search_space.min_child_weight}}}}
  environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
inputs:
  data: {{type: uri_file, path: {data}}}
sampling_algorithm: {{type: random, seed: {seed}}}
search_space:
  learning_rate: {{type: loguniform, min_value: {math.log(0.005)}, max_value: {math.log(0.5)}}}
  max_depth: {{type: choice, values: [2, 3, 4, 6, 8]}}
  subsample: {{type: uniform, min_value: 0.5, max_value: 1.0}}
  min_child_weight: {{type: choice, values: [1, 5, 20]}}
objective: {{goal: {GOAL}, primary_metric: {METRIC}}}
early_termination: {policy or "null"}
limits: {{max_total_trials: {trials}, max_concurrent_trials: 2}}
"""


@dataclass
class Curve:
    name: str
    params: dict
    offsets: list[float]  # seconds from the trial's start to each value
    values: list[float]
    duration: float  # start to end, seconds
    status: str


def run_sweep(folder: Path, data: Path, args, policy: str | None, name: str):
    spec_path = folder / f"{name}.yaml"
    spec_path.write_text(spec_text(data, args.trials, args.rounds, args.seed, policy))
    uri = f"sqlite:///{folder}/mlflow.db"
    t0 = time.monotonic()
    result = run_local(load_spec(spec_path), tracking_uri=uri, name=name, max_concurrent=2)
    wall = time.monotonic() - t0
    return result, uri, wall


def curves_of(result, uri: str) -> list[Curve]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    curves = []
    for t in sorted(result.trials, key=lambda t: t.index):
        run = client.get_run(t.run_id)
        points = sorted(client.get_metric_history(t.run_id, METRIC), key=lambda m: (m.timestamp, m.step))
        start = run.info.start_time / 1000
        curves.append(
            Curve(
                t.name,
                dict(t.params),
                [m.timestamp / 1000 - start for m in points],
                [m.value for m in points],
                run.info.end_time / 1000 - start,
                t.status,
            )
        )
    return curves


# --- replay ---------------------------------------------------------------------------------------------------


class Ours:
    def __init__(self, policy):
        self.policy, self.histories = policy, {}

    def start(self, j):
        self.histories[j] = []

    def value(self, j, n, v) -> bool:
        self.histories[j].append(v)
        if self.policy is None or not self.policy.due(n):
            return False
        return self.policy.evaluate(j, n, self.histories, GOAL) is not None

    def seen(self, j, n, v):  # a value logged after the cancel decision: in the store, not judged
        self.histories[j].append(v)

    def end(self, j, canceled):
        pass


class OptunaPeer:
    def __init__(self, pruner):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(direction=GOAL, pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
        self.trials, self.last = {}, {}

    def start(self, j):
        self.trials[j] = self.study.ask()

    def value(self, j, n, v) -> bool:
        self.trials[j].report(v, n - 1)
        self.last[j] = v
        return self.trials[j].should_prune()

    def seen(self, j, n, v):
        pass

    def end(self, j, canceled):
        from optuna.trial import TrialState

        if canceled or j not in self.last:
            self.study.tell(self.trials[j], state=TrialState.PRUNED)
        else:
            self.study.tell(self.trials[j], self.last[j])


def make_arm(name: str):
    import optuna

    if name == "optuna MedianPruner d5":
        return OptunaPeer(
            optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=4)
        )  # from step 4 = the 5th value, as delay 5
    if name == "optuna SuccessiveHalving":
        return OptunaPeer(optuna.pruners.SuccessiveHalvingPruner())
    if POLICIES[name] is None:
        return Ours(None)
    import yaml

    settings = yaml.safe_load(POLICIES[name])
    kind = {
        "bandit": BanditPolicy,
        "median_stopping": MedianStoppingPolicy,
        "truncation_selection": TruncationSelectionPolicy,
    }
    return Ours(kind[settings.pop("type")](**settings))


def replay(curves: list[Curve], arm, workers: int = 2, latency: float = 0.5) -> dict:
    """Event-driven: trials start in ``curves`` order as workers free up; values arrive at their recorded offsets."""
    events: list = []  # (time, seq, kind, trial, k)
    seq = 0
    start, end, version, canceled = {}, {}, {}, set()
    pending = list(range(len(curves)))

    def push(t, kind, j, k=0):
        nonlocal seq
        heapq.heappush(events, (t, seq, kind, j, k))
        seq += 1

    def launch(j, t):
        start[j], version[j] = t, 0
        arm.start(j)
        for k, off in enumerate(curves[j].offsets):
            push(t + off, "value", j, k)
        push(t + curves[j].duration, "end", j, 0)

    for _ in range(min(workers, len(pending))):
        launch(pending.pop(0), 0.0)
    logged: dict[int, list[float]] = {j: [] for j in range(len(curves))}
    while events:
        t, _, kind, j, k = heapq.heappop(events)
        if j in end:
            continue
        if kind == "value":
            v = curves[j].values[k]
            logged[j].append(v)
            if j in canceled:
                arm.seen(j, k + 1, v)
            elif arm.value(j, k + 1, v):
                canceled.add(j)
                if t + latency < start[j] + curves[j].duration:
                    version[j] += 1
                    push(t + latency, "end", j, version[j])
        elif k == version[j]:
            end[j] = t
            arm.end(j, j in canceled)
            if pending:
                launch(pending.pop(0), t)
    best = {j: min(h) for j, h in logged.items() if h}
    top = min(best, key=best.get)
    return {
        "trial_seconds": sum(end[j] - start[j] for j in end),
        "wall": max(end.values()),
        "best": best[top],
        "best_trial": curves[top].name,
        "canceled": len(canceled),
    }


# --- the run ----------------------------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trials", type=int, default=12)
    p.add_argument("--rounds", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--orders", type=int, default=5, help="replays: the recorded order and seeded shuffles of it")
    p.add_argument(
        "--latency", type=float, default=0.5, help="replay: seconds from a cancel decision to the trial's end"
    )
    p.add_argument("--no-live", action="store_true")
    p.add_argument(
        "--curves", help="replay the recorded run of an earlier output JSON instead of recording (with --no-live)"
    )
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "early_termination.json"))
    args = p.parse_args()

    import pandas as pd
    from sklearn.datasets import make_classification

    folder = Path(tempfile.mkdtemp(prefix="b4_"))
    X, y = make_classification(20000, 40, n_informative=12, flip_y=0.05, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["y"] = y
    data = folder / "data.csv"
    frame.to_csv(data, index=False, float_format="%.5f")

    if args.curves:
        earlier = json.loads(Path(args.curves).read_text())["recorded"]
        curves, record_wall = [Curve(**c) for c in earlier["curves"]], earlier["wall"]
    else:
        print(f"recording {args.trials} trials x {args.rounds} rounds, no policy, seed {args.seed} ...", flush=True)
        recorded, uri, record_wall = run_sweep(folder, data, args, None, "record")
        curves = curves_of(recorded, uri)
    measured_none = sum(c.duration for c in curves)

    arms = list(POLICIES) + OPTUNA
    orders = [list(range(len(curves)))]
    rng = random.Random(args.seed)
    for _ in range(args.orders - 1):
        order = list(range(len(curves)))
        rng.shuffle(order)
        orders.append(order)
    replays = {a: [replay([curves[i] for i in o], make_arm(a), latency=args.latency) for o in orders] for a in arms}

    live = {}
    if not args.no_live:
        for name in LIVE:
            print(f"live: {name} ...", flush=True)
            result, luri, wall = run_sweep(
                folder, data, args, POLICIES[name], name.replace(" ", "_").replace("%", "pct").replace(".", "")
            )
            live[name] = {
                "trial_seconds": result.savings.trial_seconds,
                "avoided_estimate": result.savings.avoided_seconds,
                "wall": wall,
                "best": result.best.best,
                "canceled": result.count("canceled"),
                "replay_trial_seconds": replays[name][0]["trial_seconds"],
                "replay_canceled": replays[name][0]["canceled"],
            }

    none_best = statistics.median(r["best"] for r in replays["none"])
    none_ts = statistics.median(r["trial_seconds"] for r in replays["none"])
    none_top = replays["none"][0]["best_trial"]
    rows = []
    for a in arms:
        rs = replays[a]
        ts = statistics.median(r["trial_seconds"] for r in rs)
        best = statistics.median(r["best"] for r in rs)
        rows.append(
            {
                "arm": a,
                "trial_seconds": round(ts, 1),
                "saved": round(statistics.median(1 - r["trial_seconds"] / none_ts for r in rs), 4),
                "best": round(best, 5),
                "loss": round(statistics.median((r["best"] - none_best) / none_best for r in rs), 4),
                "best_survived": sum(r["best_trial"] == none_top for r in rs) / len(rs),
                "canceled": statistics.median(r["canceled"] for r in rs),
            }
        )
    optuna_median = next(r for r in rows if r["arm"] == "optuna MedianPruner d5")

    print()
    print(
        f"B4 replay: {len(curves)} trials x {args.rounds} rounds, 2 workers, medians over {len(orders)} orders; "
        f"no-policy trial-seconds {none_ts:.1f}, best {METRIC} {none_best:.5f}"
    )
    print(
        "| arm | trial-s | saved S | best val_log_loss | loss L | no-policy best kept | canceled | S / S(Optuna median) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = r["saved"] / optuna_median["saved"] if optuna_median["saved"] else float("nan")
        print(
            f"| {r['arm']} | {r['trial_seconds']} | {r['saved']:.1%} | {r['best']:.5f} | {r['loss']:+.2%} | "
            f"{r['best_survived']:.0%} | {r['canceled']:g} | {ratio:.2f} |"
        )
    if live:
        print()
        print(f"live, same seed (recorded no-policy run: {measured_none:.1f} trial-s, wall {record_wall:.1f} s)")
        print(
            "| policy | trial-s live | trial-s replay | live / replay | saved S live | avoided (summary estimate) | best live | canceled live / replay |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in live.items():
            print(
                f"| {name} | {r['trial_seconds']:.1f} | {r['replay_trial_seconds']:.1f} | "
                f"{r['trial_seconds'] / r['replay_trial_seconds']:.2f} | {1 - r['trial_seconds'] / measured_none:.1%} | "
                f"{r['avoided_estimate']:.1f} | {r['best']:.5f} | {r['canceled']} / {r['replay_canceled']} |"
            )

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sha = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    out.write_text(
        json.dumps(
            {
                "bench": "B4",
                "args": vars(args),
                "git": sha,
                "machine": platform.platform(),
                "python": platform.python_version(),
                "recorded": {
                    "trial_seconds": measured_none,
                    "wall": record_wall,
                    "curves": [c.__dict__ for c in curves],
                },
                "replay": rows,
                "live": live,
            },
            indent=1,
            default=str,
        )
    )
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
