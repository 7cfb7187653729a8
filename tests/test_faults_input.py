"""Hostile or careless input gets one line, exit code 2, no traceback, and no shell code runs.

The fuzz test lives in tests/test_fuzz_input.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from emulator_helpers import shell_spec, spec_from, sqlite_uri, write_spec
from submit import SpecError, parse_spec
from submit.cli import app
from submit.emulator import LocalOptions, run_local
from submit.spec.grammar import parse_command

SPEC = """\
type: sweep
trial:
  command: {command}
  environment: azureml:sklearn@latest
search_space:
  v: {space}
sampling_algorithm: random
objective: {{goal: maximize, primary_metric: accuracy}}
limits: {{max_total_trials: 4}}
"""
HOSTILE = ["a b", "it's", 'x"y', "$(touch PWNED)", "`touch PWNED`", "'; touch PWNED; '", "back\\slash $HOME", ""]
# a reference bare, in single quotes, in double quotes, inside a word, in a command substitution inside double quotes
PLACES = {
    "${{search_space.v}}": "{}",
    "'${{search_space.v}}'": "{}",
    '"${{search_space.v}}"': "{}",
    '"--v=${{search_space.v}}!"': "--v={}!",
    "--v='${{search_space.v}}'": "--v={}",
    "\"$(printf '%s' '${{search_space.v}}')\"": "{}",
    '"$(printf %s "${{search_space.v}}")"': "{}",
}


def spec_text(command: str, space: str = '{type: choice, values: ["a"]}') -> str:
    return SPEC.format(command=json.dumps(command), space=space)


# values reach the trial as written, whatever the quoting ------------------------------------------------------


@pytest.mark.parametrize("place", list(PLACES))
def test_a_value_reaches_the_script_as_written_whatever_quotes_surround_its_reference(tmp_path, place):
    command = parse_command(f"printf '[%s]\\n' {place}")
    for value in HOSTILE:
        line = command.render({"search_space": {"v": value}})
        done = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True, check=True)
        assert done.stdout == "[" + PLACES[place].format(value) + "]\n", (line, value)
    assert not (tmp_path / "PWNED").exists()


def test_a_sweep_passes_quoted_hostile_choices_through_literally(tmp_path):
    values = ["a b", "it's", "$(touch PWNED)", "`touch PWNED`"]
    spec = spec_from(
        tmp_path,
        shell_spec(
            "printf '%s|%s|%s' ${{search_space.v}} '${{search_space.v}}' \"${{search_space.v}}\" > args.txt",
            space=f"v: {{type: choice, values: {json.dumps(values)}}}",
            limits="{max_total_trials: 4, max_concurrent_trials: 2}",
            sampling="grid",
        ),
    )
    # --keep-work: what each trial wrote into its working folder stays there
    result = run_local(spec, LocalOptions(keep_work=True), tracking_uri=sqlite_uri(tmp_path), name="quotes")

    assert sorted(t.status for t in result.trials) == ["completed"] * 4
    seen = {(tmp_path / ".sweep" / "quotes" / t.name / "code" / "args.txt").read_text() for t in result.trials}
    assert seen == {f"{v}|{v}|{v}" for v in values}
    assert not list(tmp_path.rglob("PWNED"))


def test_validate_warns_where_azure_raw_substitution_would_split_or_expand_a_value():
    values = '["a b", "it\'s", "$(id)", "plain"]'
    bare = parse_spec(spec_text("python t.py ${{search_space.v}}", f"{{type: choice, values: {values}}}"))
    single = parse_spec(spec_text("python t.py '${{search_space.v}}'", f"{{type: choice, values: {values}}}"))
    double = parse_spec(spec_text('python t.py "${{search_space.v}}"', f"{{type: choice, values: {values}}}"))

    def flagged(spec):
        return [w.split(": ")[1] for w in spec.warnings if "Azure substitutes the raw text" in w]

    assert flagged(bare) == ["search_space.v.values[0]", "search_space.v.values[1]", "search_space.v.values[2]"]
    assert flagged(single) == ["search_space.v.values[1]"]  # only `'` ends single quotes
    assert flagged(double) == ["search_space.v.values[2]"]  # only `$`, backticks, `"`, `\` act in double quotes
    assert "<spec>:6: search_space.v.values[0]: 'a b': Azure substitutes the raw text" in bare.warnings[0]
    assert "splits it at its spaces" in bare.warnings[0]


# hostile YAML ----------------------------------------------------------------------------------------------------

ALIAS_BOMB = "".join(
    f"{k}: &{k} [{', '.join([f'*{p}'] * 9 if p else ['x'] * 9)}]\n"
    for p, k in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def refused_by_cli(tmp_path, text: str, *args: str) -> tuple[str, float]:
    """Run the real `sweep validate` on ``text``; returns its one stderr line and the peak memory of the process (MB)."""
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    # the peak resident size of this process alone (VmHWM: ru_maxrss would carry pytest's own over the exec)
    probe = (
        "import re, sys, runpy; sys.argv = ['sweep', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('submit', run_name='__main__')\n"
        "finally:\n    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "    print('PEAK', int(hwm) // 1024, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "validate", str(path), *args], capture_output=True, text=True, timeout=60
    )
    *lines, rss = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    return lines[0], int(rss.split()[1])


def test_ten_thousand_nested_brackets_are_refused_in_one_line(tmp_path):
    line, _ = refused_by_cli(tmp_path, "[" * 10_000)
    assert line == f"{tmp_path / 'spec.yaml'}:1: nested deeper than 100 levels; a sweep spec needs about 10"


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path):
    assert len(ALIAS_BOMB) < 400  # 9 levels of 9 aliases: 387,420,489 leaves once expanded
    line, peak_mb = refused_by_cli(tmp_path, ALIAS_BOMB)
    assert line == (
        f"{tmp_path / 'spec.yaml'}:6: YAML aliases expand to more than 100,000 nodes beyond those written "
        "(an alias bomb?)"
    )
    assert peak_mb < 100  # the interpreter and the CLI's imports take ~40 MB; expanding the bomb needs gigabytes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [*a]\n", "1: a YAML alias refers to a node that contains it"),
        (
            "a0: &a0 {k: 1}\n" + "".join(f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}\n" for i in range(1, 30)),
            "16: YAML aliases",
        ),
        ("".join(f"a{i}: &a{i} [[[[[[[[[[*a{i - 1}]]]]]]]]]]\n" if i else "a0: &a0 [1]\n" for i in range(20)), "once"),
        ("x: !!int abc\n", "not valid YAML: invalid literal for int()"),
        ("x: !!python/object:os.system ls\n", "1: not valid YAML: could not determine a constructor"),
    ],
    ids=["recursive-alias", "merge-key-bomb", "deep-through-aliases", "bad-int-tag", "python-tag"],
)
def test_other_hostile_yaml_gets_one_line(text, message):
    with pytest.raises(SpecError) as e:
        parse_spec(text)
    assert len(e.value.problems) == 1 and message in str(e.value), str(e.value)


# --set, non-finite numbers, loguniform bounds and limits, through the real CLI -----------------------------------

runner = CliRunner()


def validate_cli(tmp_path, text: str, *args: str):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return runner.invoke(app, ["validate", str(path), *args]), path


def one_line(tmp_path, text: str, *args: str) -> str:
    """The one problem `sweep validate` reports (exit code 2, no traceback), without the file name."""
    result, path = validate_cli(tmp_path, text, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    [line] = [x for x in result.stderr.strip().splitlines() if not x.startswith("  hint:")]
    return line.replace(str(path), "F")


def test_set_inside_a_scalar_choice_value_is_one_line_naming_set(tmp_path):
    text = spec_text("python t.py ${{search_space.v}}", "{type: choice, values: [3, 5]}")
    line = one_line(tmp_path, text, "--set", "search_space.v.values.0.k=1")
    assert (
        line
        == "--set: search_space.v.values[0].k: cannot set `k` inside search_space.v.values[0]: it is 3, not a mapping or a list"
    )
    line = one_line(tmp_path, text, "--set", "search_space.v.values.x=1")
    assert (
        line
        == "--set: search_space.v.values.x: search_space.v.values is a list: expected an index from 0 to 1, found `x`"
    )
    line = one_line(tmp_path, text, "--set", "search_space.v.values.7.k=1")
    assert (
        line
        == "--set: search_space.v.values[7].k: search_space.v.values has 2 item(s): index 7 is out of range (from 0 to 1)"
    )


@pytest.mark.parametrize(
    ("space", "expected"),
    [
        (
            "{type: uniform, min_value: .nan, max_value: 1}",
            "F:6: search_space.v.min_value: expected a finite number, found .nan",
        ),
        (
            "{type: uniform, min_value: 0, max_value: .inf}",
            "F:6: search_space.v.max_value: expected a finite number, found .inf",
        ),
        ("{type: normal, mu: -.inf, sigma: 1}", "F:6: search_space.v.mu: expected a finite number, found -.inf"),
        ("{type: choice, values: [1, .NaN]}", "F:6: search_space.v.values[1]: expected a finite number, found nan"),
    ],
)
def test_nan_and_infinite_numbers_are_refused(tmp_path, space, expected):
    assert one_line(tmp_path, spec_text("python t.py ${{search_space.v}}", space)) == expected


@pytest.mark.parametrize(
    ("bounds", "logbase", "warned"),
    [
        (
            "min_value: 1, max_value: 100",
            None,
            "e^1..e^100 = 2.718..2.688e+43; for 1..100 write min_value: 0, max_value: 4.605",
        ),
        (
            "min_value: 0.001, max_value: 0.1",
            None,
            "e^0.001..e^0.1 = 1.001..1.105; for 0.001..0.1 write min_value: -6.908",
        ),
        ("min_value: -40, max_value: -2", None, "e^-40..e^-2 = 4.248e-18..0.1353"),
        ("min_value: 1, max_value: 8", 10, "exponents of logbase 10: this samples 10^1..10^8 = 10..1e+08"),
        ("min_value: -7, max_value: -1", None, None),  # 9e-4..0.37: a learning rate
        ("min_value: -4, max_value: 9", None, None),  # 0.018..8103: a regularisation strength
        ("min_value: 1, max_value: 3", 10, None),  # 10..1000 with logbase 10
    ],
)
def test_loguniform_bounds_that_look_like_values_are_warned(tmp_path, bounds, logbase, warned):
    text = spec_text("python t.py ${{search_space.v}}", f"{{type: loguniform, {bounds}}}")
    if logbase:
        text = text.replace("sampling_algorithm: random", f"sampling_algorithm: {{type: random, logbase: {logbase}}}")
    result, _ = validate_cli(tmp_path, text)
    assert result.exit_code == 0, result.output
    found = [w for w in result.stderr.splitlines() if "loguniform bounds are" in w]
    if warned is None:
        assert found == []
    else:
        assert len(found) == 1 and ":6: search_space.v: loguniform bounds are" in found[0] and warned in found[0]


def test_a_trial_count_that_is_not_a_number_gets_a_hint_about_trials_not_seconds(tmp_path):
    text = spec_text("python t.py ${{search_space.v}}").replace("max_total_trials: 4", "max_total_trials: five")
    result, _ = validate_cli(tmp_path, text)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        f"{tmp_path / 'spec.yaml'}:9: limits.max_total_trials: expected an integer, found a string 'five'",
        "  hint: a number of trials as an integer from 1 to 1000, e.g. 20",
    ]


def test_a_problem_inside_what_set_created_is_blamed_on_set(tmp_path):
    text = spec_text("python t.py ${{search_space.v}}")
    assert one_line(tmp_path, text, "--set", "objective.goal.x=1") == (
        "--set: objective.goal: expected `minimize` or `maximize`, found {'x': 1}"
    )
    assert one_line(tmp_path, text, "--set", "limits.max_total_trials=0") == (
        "--set: limits.max_total_trials: must be from 1 to 1000 (Azure's limit), found 0"
    )


# warnings shown wherever the spec is used -----------------------------------------------------------------------


def test_dry_run_shows_the_warnings_validate_prints_on_stderr_and_keeps_stdout_yaml(tmp_path):
    text = spec_text("python t.py ${{search_space.v}}", "{type: loguniform, min_value: 1, max_value: 100}")
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    validated = runner.invoke(app, ["validate", str(path)])
    dry = runner.invoke(app, ["submit", str(path), "--dry-run"])

    assert dry.exit_code == 0, dry.output
    warnings = [line for line in validated.stderr.splitlines() if line.startswith("warning ")]
    assert len(warnings) == 1 and "loguniform bounds are natural-log exponents" in warnings[0]
    assert [line for line in dry.stderr.splitlines() if line.startswith("warning ")] == warnings
    assert yaml.safe_load(dry.stdout)["type"] == "sweep"


def test_a_local_run_shows_the_warnings_before_it_runs(tmp_path):
    path = write_spec(
        tmp_path,
        shell_spec(
            "true ${{search_space.used}}",
            space="used: {type: choice, values: ['[red]a b']}\nunused: {type: choice, values: [1]}",
            limits="{max_total_trials: 1}",
        ),
    )
    result = runner.invoke(app, ["submit", str(path), "--local", "--tracking-uri", sqlite_uri(tmp_path)])

    assert result.exit_code == 0, result.output
    assert f"warning {path}:10: search_space.unused: not used in trial.command" in result.stderr
    # the user's text printed as written, not read as markup
    assert f"warning {path}:9: search_space.used.values[0]: '[red]a b': Azure substitutes the raw text" in result.stderr


def test_the_remote_input_hint_suggests_a_local_path_named_after_the_asset(tmp_path):
    text = (
        spec_text("python t.py ${{search_space.v}} ${{inputs.data}}")
        + "inputs:\n  data: {type: uri_folder, path: azureml:mydata:1}\n"
    )
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["submit", str(path), "--local", "--tracking-uri", sqlite_uri(tmp_path)])

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        f"{path}: inputs.data: `azureml:mydata:1` is remote; the local emulator does not download data",
        "  hint: pass a local copy: --input data=./data/mydata",
    ]
