"""Issue 15, the input half: hostile or careless input gets one line, exit code 2, no traceback, and no shell code runs.

Each test names the item of issue 15 it answers. The fuzz test lives in tests/test_fuzz_input.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from emulator_helpers import shell_spec, spec_from, sqlite_uri
from submit import SpecError, parse_spec
from submit.command import parse_command
from submit.emulator import run_local

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


# item 2 -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("place", list(PLACES))
def test_item2_a_value_reaches_the_script_as_written_whatever_quotes_surround_its_reference(tmp_path, place):
    command = parse_command(f"printf '[%s]\\n' {place}")
    for value in HOSTILE:
        line = command.render({"search_space": {"v": value}})
        done = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True, check=True)
        assert done.stdout == "[" + PLACES[place].format(value) + "]\n", (line, value)
    assert not (tmp_path / "PWNED").exists()


def test_item2_a_sweep_passes_quoted_hostile_choices_through_literally(tmp_path):
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
    result = run_local(spec, tracking_uri=sqlite_uri(tmp_path), name="quotes")

    assert sorted(t.status for t in result.trials) == ["completed"] * 4
    seen = {(tmp_path / ".sweep" / "quotes" / t.name / "code" / "args.txt").read_text() for t in result.trials}
    assert seen == {f"{v}|{v}|{v}" for v in values}
    assert not list(tmp_path.rglob("PWNED"))


def test_item2_validate_warns_where_azure_raw_substitution_would_split_or_expand_a_value():
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


# item 6 -----------------------------------------------------------------------------------------------------------

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


def test_item6_ten_thousand_nested_brackets_are_refused_in_one_line(tmp_path):
    line, _ = refused_by_cli(tmp_path, "[" * 10_000)
    assert line == f"{tmp_path / 'spec.yaml'}:1: nested deeper than 100 levels; a sweep spec needs about 10"


def test_item6_an_alias_bomb_is_refused_without_expanding_it(tmp_path):
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
def test_item6_other_hostile_yaml_gets_one_line(text, message):
    with pytest.raises(SpecError) as e:
        parse_spec(text)
    assert len(e.value.problems) == 1 and message in str(e.value), str(e.value)
