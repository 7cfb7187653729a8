"""A command forked from a zygote (warm_process.py) is seen as a fresh `python` would be: the same arguments, folder,
environment, import path, session, output, exit code, atexit handlers and death by signal. Each case runs the same
probe both ways and compares what it reports."""

from __future__ import annotations

import json
import os
import signal
import textwrap

import pytest

from cli_process import wait_for
from warm_process import Zygote, fresh

PROBE = textwrap.dedent(
    """\
    import atexit, json, os, sys
    atexit.register(lambda: print("atexit ran", flush=True))
    print(json.dumps({
        "argv": sys.argv, "cwd": os.getcwd(), "path0": sys.path[0], "name": __name__,
        "var": os.environ.get("PROBE_VAR"), "leads_session": os.getsid(0) == os.getpid(),
        "stdin_tty": sys.stdin.isatty(), "fds": sorted(int(f) for f in os.listdir("/proc/self/fd")),
    }))
    print("to stderr", file=sys.stderr)
    if len(sys.argv) > 1 and sys.argv[1] == "raise":
        raise ValueError("probe")
    if len(sys.argv) > 2 and sys.argv[1] == "wait":
        import signal
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as the CLI sets its own; a worker may ignore it
        open(sys.argv[2], "w").close()
        __import__("time").sleep(120)
    sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0)
    """
)


@pytest.fixture(scope="module")
def zygote():
    started = Zygote(("json", "textwrap"), dict(os.environ))
    yield started
    started.close()


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / "code" / "probe.py"
    path.parent.mkdir()
    path.write_text(PROBE)
    return path


def both(zygote, argv, cwd, new_session=False):
    env = {**os.environ, "PROBE_VAR": "given"}
    ended = []
    for proc in (
        fresh(argv, env=env, cwd=cwd, new_session=new_session),
        zygote.popen(argv, env=env, cwd=cwd, new_session=new_session),
    ):
        out, err = proc.communicate(timeout=60)
        ended.append((proc.returncode, out, err))
    return ended


@pytest.mark.parametrize("new_session", [False, True])
def test_a_script_sees_what_a_fresh_interpreter_sees(zygote, probe, tmp_path, new_session):
    fresh, warm = both(zygote, [str(probe), "3"], tmp_path, new_session)
    assert fresh[0] == warm[0] == 3
    assert fresh[2] == warm[2] == "to stderr\n"
    first, *rest = fresh[1].splitlines()
    assert rest == warm[1].splitlines()[1:] == ["atexit ran"]
    seen_fresh, seen_warm = json.loads(first), json.loads(warm[1].splitlines()[0])
    assert seen_warm == seen_fresh
    assert seen_warm["argv"] == [str(probe), "3"] and seen_warm["path0"] == str(probe.parent)
    assert seen_warm["var"] == "given" and seen_warm["leads_session"] is new_session
    assert seen_warm["fds"] == [0, 1, 2, 3] and seen_warm["name"] == "__main__"  # 3: the listing's own


def test_a_module_run_with_dash_m_sees_its_folder_first(zygote, probe, tmp_path):
    fresh, warm = both(zygote, ["-m", "probe"], probe.parent)
    assert fresh[0] == warm[0] == 0
    seen_fresh, seen_warm = (json.loads(run[1].splitlines()[0]) for run in (fresh, warm))
    assert seen_warm == seen_fresh and seen_warm["path0"] == str(probe.parent)
    assert seen_warm["argv"][0] == str(probe)


def test_an_uncaught_exception_is_a_traceback_and_exit_1(zygote, probe, tmp_path):
    fresh, warm = both(zygote, [str(probe), "raise"], tmp_path)
    assert fresh[0] == warm[0] == 1
    assert warm[2].splitlines()[-1] == fresh[2].splitlines()[-1] == "ValueError: probe"
    assert "Traceback (most recent call last):" in warm[2]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_signal_ends_it_as_it_ends_a_fresh_one(zygote, probe, tmp_path, sig):
    codes = []
    for way in ("fresh", "warm"):
        waits = tmp_path / f"{way}.waits"
        argv = [str(probe), "wait", str(waits)]
        start = fresh if way == "fresh" else zygote.popen
        proc = start(argv, env=dict(os.environ), cwd=tmp_path, new_session=False)
        wait_for(waits.exists, f"the {way} probe to wait", proc=proc)
        os.kill(proc.pid, sig)
        proc.communicate(timeout=60)
        codes.append(proc.returncode)
    assert codes == [-sig, -sig]  # Python ends on an uncaught KeyboardInterrupt by SIGINT, as a shell expects


def test_an_environment_that_a_start_reads_differently_is_started_fresh(zygote):
    assert zygote.takes(dict(os.environ))
    assert not zygote.takes({**os.environ, "PYTHONHASHSEED": "7"})
    assert not zygote.takes({**os.environ, "OMP_NUM_THREADS": "5"})
    assert zygote.takes({**os.environ, "MLFLOW_TRACKING_URI": "sqlite:///x.db"})


def test_a_large_environment_arrives_whole(zygote, tmp_path):
    script = tmp_path / "size.py"
    script.write_text("import os\nprint(len(os.environ['BIG']), os.environ['AFTER'])\n")
    env = {**os.environ, "BIG": "x" * 300_000, "AFTER": "last"}  # several reads of the zygote's socket
    proc = zygote.popen([str(script)], env=env, cwd=tmp_path, new_session=False)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (0, "300000 last\n", "")
