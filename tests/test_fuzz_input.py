"""Generated broken input, each answered with a clear refusal (exit code 2) and never a traceback or a hang.

Specs are mutated from Azure's own sweep shapes (tests/fixtures/official) with a fixed seed, so a failure is
reproducible: its case number and text are in the message. Most cases drive the library (``parse_spec`` and what a
run or a dry run does with an accepted spec before contacting anything); a sample drives the real CLI in-process,
and a few a real ``python -m submit`` process. Each case must end within ``HANG`` seconds: a ceiling that catches a
hang (a case that never ends), not a speed claim a loaded machine could miss; each case takes milliseconds on an idle
2-core machine, the whole file ~10 s.
"""

from __future__ import annotations

import copy
import math
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from submit import SpecError, UserError, parse_spec
from submit.cli import app
from submit.emulator.inputs import resolve_inputs
from submit.emulator.samplers import make_sampler
from submit.emulator.workarea import sweep_name
from submit.spec.grammar import parse_command

SEED = 20_15
HANG = 60.0  # seconds
OFFICIAL = Path(__file__).parent / "fixtures" / "official"
SEEDS = {p.name: p.read_text() for p in sorted(OFFICIAL.glob("*.yaml"))}

# values a careless user (or a hostile one) puts where something else belongs
ODD_VALUES = [
    None, "", " ", "x", "λ-ü", "${{search_space.nope}}", "{search_space.x}", "$[[", "a" * 5000, -1, 0, 1, 2.5, 10**30,
    -(10**30), math.nan, math.inf, -math.inf, True, False, [], {}, [1, "a", None], {"type": "zzz"}, {"type": "choice"},
    {"type": "uniform", "min_value": "a", "max_value": []}, {"type": "choice", "values": [[1], {"k": {"type": "x"}}]},
    [[[[[[[[[[1]]]]]]]]]], {"a": {"b": {"c": {"d": None}}}}, "azureml:", "azureml:x:1", "../../etc/passwd", "\x00",
]  # fmt: skip
TEXT_INSERTS = [
    ":",
    "[",
    "{",
    "'",
    '"',
    "&a",
    "*a",
    "!!python/object:os.system",
    "\t",
    "%",
    "- ",
    "? ",
    "|",
    ">",
    "---",
]


def key_paths(node, path=()):
    """Every key path of the loaded YAML, mappings and sequences alike."""
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield from key_paths(v, path + (k,))


def _set(data, path, value):
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _delete(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


def mutate_data(rng: random.Random, text: str) -> str:
    """One to three structural changes: a value replaced, a key deleted, a key misspelt."""
    data = yaml.safe_load(text)
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in key_paths(data) if p]
        if not paths:
            break
        path = rng.choice(paths)
        action = rng.random()
        if action < 0.55:
            _set(data, path, copy.deepcopy(rng.choice(ODD_VALUES)))
        elif action < 0.8:
            _delete(data, path)
        elif isinstance(path[-1], str) and len(path[-1]) > 1:
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            key = path[-1]
            i = rng.randrange(len(key))
            parent[key[:i] + key[i + 1 :]] = parent.pop(key)  # a letter dropped: `min_vaue`
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def mutate_text(rng: random.Random, text: str) -> str:
    """A change to the text itself: truncated, a line dropped or re-indented, a YAML token inserted."""
    lines = text.splitlines(keepends=True)
    action = rng.random()
    if action < 0.25:
        return text[: rng.randrange(len(text))]
    i = rng.randrange(len(lines))
    if action < 0.45:
        del lines[i]
    elif action < 0.65:
        lines[i] = " " * rng.choice([1, 3, 8]) + lines[i]
    else:
        pos = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:pos] + rng.choice(TEXT_INSERTS) + lines[i][pos:]
    return "".join(lines)


def random_set(rng: random.Random, text: str) -> str:
    """A ``--set`` a user might type: an existing key (or one past it) and a value read as YAML."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    paths = [p for p in key_paths(data) if p] if isinstance(data, dict) else [("limits",)]
    path = list(rng.choice(paths))
    if rng.random() < 0.4:
        path.append(rng.choice(["x", 0, 7, "values", "type", ""]))
    key = ".".join(str(p) for p in path)
    value = rng.choice(
        ["1", "-1", "0", "x", "[1, 2", "{a: 1}", ".nan", ".inf", "", "null", "[]", "'", "a=b", "!!int x"]
    )
    return f"{key}={value}" if rng.random() < 0.95 else key  # now and then no `=` at all


def cases(n: int, seed: int = SEED) -> list[tuple[str, str, list[str]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name, text = rng.choice(list(SEEDS.items()))
        kind = rng.random()
        if kind < 0.5:
            text = mutate_data(rng, text)
        elif kind < 0.8:
            text = mutate_text(rng, text)
        overrides = [random_set(rng, text)] if kind >= 0.7 else []
        out.append((name, text, overrides))
    return out


def exercise(text: str, overrides: list[str]) -> str:
    """What a run or a dry run does with the spec before any trial starts or Azure is contacted; "refused"/"ok"."""
    try:
        spec = parse_spec(text, source="fuzz.yaml", path=OFFICIAL / "fuzz.yaml", overrides=overrides)
    except SpecError as e:
        assert e.problems, "a SpecError with no problem"
        for problem in e.problems:
            assert problem.where.startswith(("fuzz.yaml", "--set")), problem.format()
            assert problem.message and "\n" not in problem.message, problem.format()
        return "refused"
    from submit.azure.job import job_yaml  # what --dry-run prints; builds the azure-ai-ml job offline

    assert yaml.safe_load(job_yaml(spec))["type"] == "sweep"
    sweep_name(spec, name=None, resume=None)
    try:
        inputs = resolve_inputs(spec, None)
    except UserError:  # a remote input with no local stand-in: refused in one line, before the store opens
        inputs = {}
    sampler = make_sampler(spec)
    for index in range(3):
        params = sampler.suggest(index, [])
        if params is None:
            break
        parse_command(spec.trial.command).render({"search_space": params, "inputs": inputs, "outputs": {}})
    return "ok"


def test_fuzz_generated_specs_and_set_values_are_refused_cleanly_by_the_library():
    outcomes = {"ok": 0, "refused": 0}
    for i, (name, text, overrides) in enumerate(cases(400)):
        start = time.monotonic()
        try:
            outcomes[exercise(text, overrides)] += 1
        except Exception as e:  # anything but a SpecError is a bug: say which case, reproducibly
            raise AssertionError(f"case {i} (from {name}, --set {overrides}): {type(e).__name__}: {e}\n{text}") from e
        assert time.monotonic() - start < HANG, f"case {i} took {time.monotonic() - start:.1f} s:\n{text}"
    # the generator reaches both sides: mutations that stay valid and ones that break the spec
    assert outcomes["refused"] > 250 and outcomes["ok"] > 20, outcomes


def cli_cases(seed: int = SEED + 1) -> list[list[str]]:
    """Whole command lines: broken specs, and a valid spec with broken --set, --input, --name values."""
    rng = random.Random(seed)
    hello = str(OFFICIAL / "hello_sweep.yaml")
    data_inputs = str(OFFICIAL / "data_inputs.yaml")
    lines = []
    for _, text, overrides in cases(40, seed):
        if _quiet_outcome(text, overrides) == "refused":
            lines.append(["validate", "SPEC", *(a for o in overrides for a in ("--set", o))])
            lines[-1].append(text)
    bad_names = ["../victim", "../../x", "x'y", "a/b", "", " ", "-x", "a" * 300, "λ", "x;rm", "$(id)", ".", ".."]
    for bad in bad_names:
        lines.append(["submit", hello, "--local", rng.choice(["--name", "--resume"]), bad])
    bad_inputs = ["nope", "=x", "iris_csv", "iris_csv=", "iris_csv=/no/such/file", "nope=x", "iris_csv=\x01", "a=b=c"]
    for bad in bad_inputs:
        lines.append(["submit", data_inputs, "--local", "--input", bad])
    for _ in range(10):  # a dry run builds the Azure job from what --set made of the spec, and contacts nothing
        lines.append(["submit", hello, "--dry-run", "--set", random_set(rng, SEEDS["hello_sweep.yaml"])])
    return lines


def _quiet_outcome(text: str, overrides: list[str]) -> str:
    try:
        parse_spec(text, source="x", path=OFFICIAL / "x.yaml", overrides=overrides)
    except SpecError:
        return "refused"
    return "ok"


def test_fuzz_the_cli_answers_broken_specs_and_options_with_exit_code_2_and_no_traceback(tmp_path):
    runner = CliRunner()
    store = f"sqlite:///{tmp_path / 'never.db'}"
    ran = 0
    for args in cli_cases():
        if args[0] == "validate":
            *args, text = args
            spec = tmp_path / "spec.yaml"
            spec.write_text(text)
            args = [str(spec) if a == "SPEC" else a for a in args]
        elif "--local" in args:
            args = [*args, "--tracking-uri", store]
        start = time.monotonic()
        result = runner.invoke(app, args)
        took = time.monotonic() - start
        output = result.stdout + result.stderr
        assert took < HANG, (args, took)
        if "--dry-run" in args and result.exit_code == 0:  # the --set kept the spec valid: the job YAML, whole
            assert yaml.safe_load(result.stdout)["type"] == "sweep"
            continue
        assert result.exit_code == 2, (args, output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.stderr.strip() and "Traceback" not in output, (args, output)
        ran += 1
    assert ran >= 40
    assert not (tmp_path / "never.db").exists()  # every refusal came before the store was opened


@pytest.mark.parametrize(
    "args",
    [
        ["validate", str(OFFICIAL / "hello_sweep.yaml"), "--set", "search_space.B.values.0.k=1"],
        ["submit", str(OFFICIAL / "hello_sweep.yaml"), "--dry-run", "--set", "limits.max_total_trials=.inf"],
        ["submit", str(OFFICIAL / "hello_sweep.yaml"), "--local", "--name", "../victim"],
    ],
    ids=["set-inside-a-scalar", "dry-run-inf", "local-name-path"],
)
def test_fuzz_sample_through_a_real_process(args):
    done = subprocess.run([sys.executable, "-m", "submit", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert len([line for line in done.stderr.splitlines() if not line.startswith("  hint:")]) == 1, done.stderr


# What the first fuzz runs found, kept as plain cases so they stay covered whatever the generator draws.
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("outputs.model.type={a: 1}", "--set: outputs.model.type: expected one of uri_file, uri_folder"),
        ("outputs.model.mode=[1]", "--set: outputs.model.mode: expected one of mount, upload, rw_mount, direct"),
        ('trial.code="a\\0b"', "--set: trial.code: expected a path, found 'a\\x00b' with a NUL character"),
        ("sampling_algorithm={type: random, logbase: 0}", "--set: sampling_algorithm.logbase: expected a positive"),
        ("description=!!int x", "--set: description: not valid YAML: invalid literal for int()"),
        ("description=" + "[" * 5000, "--set: description: nested deeper than 100 levels"),
    ],
)
def test_fuzz_findings_are_one_line_each(change, expected):
    text = SEEDS["outputs.yaml"].replace(
        "max_value: 0.1", "max_value: 0.1\n  n: {type: loguniform, min_value: -3, max_value: -1}"
    )
    with pytest.raises(SpecError) as e:
        parse_spec(text, source="fuzz.yaml", path=OFFICIAL / "fuzz.yaml", overrides=[change])
    assert len(e.value.problems) == 1 and str(e.value).startswith(expected), str(e.value)


# --tracking-uri: a store that cannot be opened is the user's environment (exit code 1) or bad input (2), in one line.
# the store-path cases (`sqlite:////proc/x/s.db`, a server that does not answer) are tested beside their fixes.
BAD_STORES = ["nosuch://x", "::::", "sqlite:///"]  # an unknown scheme, not a URI, no file name


def test_fuzz_a_store_that_cannot_be_opened_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    runner = CliRunner()
    hello = str(OFFICIAL / "hello_sweep.yaml")
    monkeypatch.chdir(tmp_path)  # the working folder, not a module attribute: a relative store would land here
    for uri in BAD_STORES:
        start = time.monotonic()
        result = runner.invoke(app, ["submit", hello, "--local", "--name", "fz", "--tracking-uri", uri])
        assert time.monotonic() - start < HANG, uri  # MLflow's own retries (minutes) must not be waited out
        assert result.exit_code in (1, 2), (uri, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), (uri, result.exception)
        assert "Traceback" not in result.output and result.stdout == "", (uri, result.output)
        assert len([x for x in result.stderr.splitlines() if not x.startswith("  hint:")]) == 1, result.stderr
    assert not (tmp_path / ".sweep").exists()  # refused before any trial folder was made
