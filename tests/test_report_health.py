"""The report's facts table carries the health flags of `sweep status`, each with its trials; a clean sweep says so."""

from __future__ import annotations

import math

from emulator_helpers import sqlite_uri
from monitor_helpers import Trial, synth_sweep
from submit.monitor import LocalSweeps
from submit.report.page import render_report


def test_the_report_lists_each_flag_with_its_trials_and_a_clean_sweep_has_none(tmp_path):
    uri = sqlite_uri(tmp_path)
    synth_sweep(uri, "bad", [Trial({"x": 1}, [0.5]), Trial({"x": 2}, [math.nan]), Trial({"x": 3}, [], "failed")])
    synth_sweep(uri, "good", [Trial({"x": 1}, [0.5]), Trial({"x": 2}, [0.6])])
    sweeps = LocalSweeps(uri)
    page = render_report([sweeps.status("bad")])
    assert "<th>flag non_finite</th><td>1 trial(s) logged NaN or infinity as accuracy [bad_1]</td>" in page
    assert "<th>flag failure_rate</th><td>1 of 3 ended trials failed" in page and "[bad_2]" in page
    assert "<th>health</th>" not in page
    clean = render_report([sweeps.status("good")])
    assert "<th>health</th><td>no flags</td>" in clean and "<th>flag " not in clean
