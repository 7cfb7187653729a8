"""Faults of the emulator's process, with the real CLI in subprocesses: a second emulator on a running sweep, SIGKILL and
SIGTERM of the emulator, its watchdog killed too, two sweeps creating one new store at once, a store that cannot be
opened. Checked on the store (no run RUNNING, one active run per trial), the process table (no trial process alive)
and the output (one line, the exit code, no traceback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli_process import (
    FIRST_RUN_HANGS,
    alive,
    children_of,
    cli,
    files_under,
    finish,
    kill,
    no_traceback,
    serves_mlflow,
    trial_pids,
    wait_for,
)
from emulator_helpers import shell_spec, sqlite_uri, stored_sweep, write_spec
from submit.emulator.processes import shell_argv


def hanging_spec(folder: Path, trials: int = 2) -> Path:
    return write_spec(
        folder,
        shell_spec(
            FIRST_RUN_HANGS,
            sampling="grid",
            space=f"x: {{type: choice, values: {list(range(trials))}}}",
            limits=f"{{max_total_trials: {trials}, max_concurrent_trials: {trials}}}",
        ),
    )


def local(spec: Path, uri: str, *args: str):
    return cli("submit", str(spec), "--local", "--tracking-uri", uri, *args, cwd=spec.parent)


def superseded(stored) -> list:
    return [r for r in stored.runs if "sweep.superseded_by" in r.data.tags]


@pytest.mark.slow
def test_a_second_emulator_is_refused_and_a_sigkilled_one_takes_its_trials_and_leaves_no_lock(tmp_path):
    spec, uri = hanging_spec(tmp_path), sqlite_uri(tmp_path)
    folder = tmp_path / ".sweep" / "k"
    first = local(spec, uri, "--name", "k")
    pids = wait_for(lambda: trial_pids(folder, 2), "both trials running", proc=first)

    # one sweep, one emulator: --resume (or the same --name) while it runs is refused, and runs nothing
    for flag in ("--resume", "--name"):
        code, out, err = finish(local(spec, uri, flag, "k"))
        assert code == 2, (out, err)
        assert err.strip().count("\n") == 0 and "sweep `k` is already running in another process (pid" in err, err
        assert no_traceback(out, err)
    running = stored_sweep(uri, "k")
    assert sorted(r.info.run_name for r in running.runs) == ["k_0", "k_1"]  # no duplicate trial started

    kill(first, signal.SIGKILL)
    finish(first)
    everyone = pids["leader"] + pids["child"]
    wait_for(lambda: not any(alive(p) for p in everyone), "every trial process dead after the emulator's SIGKILL")
    assert stored_sweep(uri, "k").statuses() == {"k_0": "RUNNING", "k_1": "RUNNING"}  # what a SIGKILL leaves

    code, out, err = finish(local(spec, uri, "--resume", "k"))  # the kernel dropped the dead emulator's lock
    assert code == 0, (out, err)
    after = stored_sweep(uri, "k")
    assert after.statuses() == {"k_0": "FINISHED", "k_1": "FINISHED"}
    assert "RUNNING" not in [r.info.status for r in after.runs]
    assert sorted((r.info.run_name, r.info.status) for r in superseded(after)) == [("k_0", "KILLED"), ("k_1", "KILLED")]
    for old in superseded(after):
        # the superseded run's log is kept in the trial's folder (its run was never closed, so it is nowhere else);
        # the re-run's went to its artifacts and was removed from the folder with the code copy
        trial = folder / old.info.run_name / "user_logs"
        assert (trial / f"std_log.{old.info.run_id}.txt").read_text().strip() == "first run"
        assert not (trial / "std_log.txt").exists() and not (trial.parent / "code").exists()
        assert after.log(old.info.run_name).strip() == "second run"
    assert not list(folder.glob("*/.sweep-pid"))  # settled trials leave no pid record


@pytest.mark.slow
def test_resume_kills_a_trial_process_that_outlived_the_emulator_and_its_watchdog(tmp_path):
    spec, uri = hanging_spec(tmp_path, trials=1), sqlite_uri(tmp_path)
    folder = tmp_path / ".sweep" / "w"
    first = local(spec, uri, "--name", "w")
    pids = wait_for(lambda: trial_pids(folder, 1), "the trial running", proc=first)
    [leader], [child] = pids["leader"], pids["child"]
    [watchdog] = [c for c in children_of(first.pid) if c != leader and not serves_mlflow(c)]
    for pid in (watchdog, first.pid):  # the watchdog first, then the emulator
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda pid=pid: not alive(pid), f"{pid} dead")
    finish(first)
    wait_for(lambda: not alive(leader), "the trial's shell dead by PDEATHSIG")
    assert alive(child)  # its background child is beyond PDEATHSIG and the watchdog is gone: only resume is left

    code, out, err = finish(local(spec, uri, "--resume", "w"))
    assert code == 0, (out, err)
    assert not alive(child)
    after = stored_sweep(uri, "w")
    assert after.statuses() == {"w_0": "FINISHED"}
    [old] = superseded(after)
    assert old.info.status == "KILLED"  # killed before its run was closed: it cannot end FINISHED later
    assert (folder / "w_0" / "user_logs" / f"std_log.{old.info.run_id}.txt").read_text().strip() == "first run"


@pytest.mark.slow
def test_sigterm_is_handled_as_ctrl_c(tmp_path):
    spec, uri = hanging_spec(tmp_path), sqlite_uri(tmp_path)
    folder = tmp_path / ".sweep" / "t"
    first = local(spec, uri, "--name", "t")
    pids = wait_for(lambda: trial_pids(folder, 2), "both trials running", proc=first)
    kill(first, signal.SIGTERM)
    code, out, err = finish(first, timeout=60)  # a ceiling; its bound is the trials' and the server's 5 s graces
    assert code == 143, (out, err)
    assert no_traceback(out, err) and "--resume t" in err
    assert not any(alive(p) for p in pids["leader"] + pids["child"])
    stopped = stored_sweep(uri, "t")
    assert stopped.statuses() == {"t_0": "KILLED", "t_1": "KILLED"}
    assert {r.data.tags["sweep.cancel_reason"] for r in stopped.runs} == {"interrupted"}
    assert stopped.parent.info.status == "KILLED" and stopped.parent.data.tags["sweep.state"] == "interrupted"

    code, out, err = finish(local(spec, uri, "--resume", "t"))
    assert code == 0, (out, err)
    assert stored_sweep(uri, "t").statuses() == {"t_0": "FINISHED", "t_1": "FINISHED"}


@pytest.mark.slow
def test_two_sweeps_creating_one_new_store_at_the_same_moment_both_run(tmp_path):
    spec = write_spec(
        tmp_path,
        shell_spec(
            "true ${{search_space.x}}",
            sampling="grid",
            space="x: {type: choice, values: [1, 2]}",
            limits="{max_total_trials: 2}",
        ),
    )
    uri = f"sqlite:///{tmp_path / 'new.db'}"  # not there yet: both emulators find no store and create it
    procs = [local(spec, uri, "--name", f"s{i}") for i in range(3)]
    results = [finish(p) for p in procs]
    for code, out, err in results:
        assert code == 0 and no_traceback(out, err), (out, err)
        assert "duplicate column" not in err and "database is locked" not in err
    for i in range(3):
        assert stored_sweep(uri, f"s{i}").statuses() == {f"s{i}_0": "FINISHED", f"s{i}_1": "FINISHED"}


@pytest.mark.slow
def test_a_store_that_cannot_be_opened_is_one_line_in_seconds(tmp_path):
    spec = hanging_spec(tmp_path, trials=1)
    for uri, expected, exit_code in (
        ("sqlite:////proc/x/s.db", "cannot create the sweep's work folder /proc/x/.sweep", 1),
        ("http://127.0.0.1:9", "no MLflow tracking server answers at http://127.0.0.1:9", 1),
        ("http://[::1", "--tracking-uri http://[::1: not a URI (Invalid IPv6 URL)", 2),
    ):
        # MLflow's own retries took 4 minutes: half that is a ceiling no loaded machine needs for one refusal
        code, out, err = finish(local(spec, uri), timeout=120)
        assert code == exit_code, (uri, out, err)
        assert err.strip().count("\n") == 0 and expected in err, err
        assert no_traceback(out, err)
    assert files_under(tmp_path) == {"spec.yaml", "src"}  # nothing written: no trial ran, no work folder made


PDEATHSIG = "import ctypes; s = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(s)); print(s.value)"


def test_a_trial_shell_asks_to_die_with_the_emulator_and_refuses_to_run_orphaned(tmp_path):
    argv, preexec = shell_argv(f"{sys.executable} -c '{PDEATHSIG}'")
    done = subprocess.run(argv, preexec_fn=preexec, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, str(int(signal.SIGKILL)))  # PR_GET_PDEATHSIG in the trial

    # the same command line started by another parent: as if the emulator had died before the shell began
    marker = tmp_path / "ran"
    argv, preexec = shell_argv(f"touch {marker}")
    assert preexec is None  # util-linux's setpriv is there (Debian's base system): trials start by vfork
    done = subprocess.run(["/bin/sh", "-c", '"$@"; exit $?', "sh", *argv], timeout=60)
    assert done.returncode == 137 and not marker.exists()
