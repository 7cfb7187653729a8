"""What the environment check costs: `sweep validate` on the ready specs with and without it, and the check alone.

    PYTHONPATH=src python bench/envcheck.py            # 5 interleaved repetitions
    PYTHONPATH=src python bench/envcheck.py --reps 3

Arms, interleaved in each repetition: *skip* runs `sweep validate <every ready spec> --skip-env-check` as a
subprocess, *check* the same command with the check; *alone* times ``check_environment`` in process on each ready
spec (src/train against environments/conda.yaml), first in a fresh interpreter (cold: nothing of importlib.metadata
read yet) and then warm. Prints one JSON line on stdout and a Markdown table on stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(str(p) for p in (ROOT / "sweep_specs").glob("*.yaml"))
ALONE = """
import sys, time
from submit.spec.load import load_spec
from submit.envcheck import check_environment
specs = [load_spec(p) for p in sys.argv[1:]]
t = time.perf_counter(); check_environment(specs[0]); cold = time.perf_counter() - t
t = time.perf_counter()
for s in specs: check_environment(s)
print(cold, (time.perf_counter() - t) / len(specs))
"""


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    validate = [sys.executable, "-m", "submit", "validate", *SPECS]
    runs = {"skip": [], "check": [], "cold": [], "warm": []}
    for _ in range(args.reps):
        runs["skip"].append(timed([*validate, "--skip-env-check"]))
        runs["check"].append(timed(validate))
        out = subprocess.run([sys.executable, "-c", ALONE, *SPECS], check=True, capture_output=True, text=True)
        cold, warm = map(float, out.stdout.split())
        runs["cold"].append(cold)
        runs["warm"].append(warm)
    ratios = [c / s for c, s in zip(runs["check"], runs["skip"], strict=True)]
    medians = {k: statistics.median(v) for k, v in runs.items()}
    print(json.dumps({"runs": runs, "medians": medians, "ratio_check_over_skip": statistics.median(ratios)}))
    print(
        f"| {len(SPECS)} specs | validate --skip-env-check {medians['skip']:.2f} s | validate {medians['check']:.2f} s "
        f"| ratio {statistics.median(ratios):.2f} | check alone: first {medians['cold'] * 1000:.0f} ms, "
        f"then {medians['warm'] * 1000:.0f} ms a spec |",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
