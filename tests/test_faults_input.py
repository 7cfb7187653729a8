"""Issue 15, the input half: hostile or careless input gets one line, exit code 2, no traceback, and no shell code runs.

Each test names the item of issue 15 it answers. The fuzz test lives in tests/test_fuzz_input.py.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from emulator_helpers import shell_spec, spec_from, sqlite_uri
from submit import parse_spec
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
