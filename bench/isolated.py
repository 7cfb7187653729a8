"""What `--isolated` costs: building the trial's environment (numpy + mlflow-skinny) cold and starting on it warm,
against the plain way of making the same environment (`python -m venv` + `pip install`) in the same run.

    PYTHONPATH=src python bench/isolated.py            # 3 interleaved repetitions
    PYTHONPATH=src python bench/isolated.py --reps 5

Arms, interleaved in each repetition, each in a fresh folder: *uv cold* (``build_env`` with an empty environment
cache and an empty uv cache: everything downloaded), *uv cached* (empty environment cache, uv's download cache kept
from the cold arm: a new environment on a machine that built one before), *warm* (``build_env`` again on the cached
environment: what every later `--isolated` run pays), and *pip* (``python -m venv`` + ``pip install`` of the same
two packages, pip's cache off). Prints one JSON line on stdout and a Markdown table on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA = "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip=25.1\n  - pip: [numpy, mlflow-skinny]\n"
SPEC = """type: sweep
trial: {code: code, command: "python t.py ${{search_space.x}}", environment: {image: "i:1", conda_file: conda.yaml}}
search_space: {x: {type: choice, values: [1]}}
sampling_algorithm: grid
objective: {goal: maximize, primary_metric: acc}
limits: {max_total_trials: 1}
"""
BUILD = """
import sys, time
from pathlib import Path
from submit.envcheck.build import build_env
from submit.spec.load import load_spec
t = time.perf_counter()
built = build_env(load_spec(sys.argv[1]), cache=Path(sys.argv[2]))
print(time.perf_counter() - t, built.reused)
"""


def build(folder: Path, cache: Path, uv_cache: Path) -> float:
    env = {**os.environ, "UV_CACHE_DIR": str(uv_cache), "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", BUILD, str(folder / "spec.yaml"), str(cache)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return float(out.stdout.split()[0])


def pip_peer(folder: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(folder / "pipenv")], check=True)
    pip = folder / "pipenv" / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "--no-cache-dir", "numpy", "mlflow-skinny"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    runs = {"uv_cold": [], "uv_cached": [], "warm": [], "pip": []}
    for _ in range(args.reps):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "code").mkdir()
            (folder / "conda.yaml").write_text(CONDA)
            (folder / "spec.yaml").write_text(SPEC)
            runs["uv_cold"].append(build(folder, folder / "envs1", folder / "uvcache"))
            runs["uv_cached"].append(build(folder, folder / "envs2", folder / "uvcache"))
            runs["warm"].append(build(folder, folder / "envs2", folder / "uvcache"))
            runs["pip"].append(pip_peer(folder))
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratio = statistics.median(c / p for c, p in zip(runs["uv_cold"], runs["pip"], strict=True))
    print(json.dumps({"runs": runs, "medians": med, "uv_cold_over_pip": ratio}))
    print(
        f"| uv cold {med['uv_cold']:.1f} s | uv, download cache kept {med['uv_cached']:.1f} s | warm start "
        f"{med['warm'] * 1000:.0f} ms | venv + pip {med['pip']:.1f} s | uv cold / pip {ratio:.2f} |",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
