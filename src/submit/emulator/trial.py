"""One trial: its command line, its environment and its process (its copy of the code: ``snapshot``).

As on Azure ML, each trial runs ``trial.command`` in its own copy of the ``code`` folder (so scripts writing relative
paths do not collide), with the sampled values substituted for ``${{search_space.k}}`` and exported as
``AZUREML_SWEEP_<k>``. The emulator adds what Azure's MLflow integration provides: ``MLFLOW_TRACKING_URI``,
``MLFLOW_EXPERIMENT_ID`` and ``MLFLOW_RUN_ID`` of the child run it created, so an unmodified script (plain
``mlflow.log_metric``, ``mlflow.start_run()`` or ``mlflow.autolog()``) logs into that child run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..spec.grammar import parse_command
from ..spec.space import render_value
from .processes import shell_argv, signal_group

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
LOG_NAME = "std_log.txt"  # Azure's name for a command job's user log (user_logs/std_log.txt)

# What a trial takes from the emulator's environment: what a process needs to run here (the paths, the user, the
# locale, the temp folder, this Python and its virtual environment, the proxy and certificates to reach the network,
# the GPUs chosen) and MLflow's own settings for the store it logs into. Nothing else: a trial on Azure compute sees
# its image's variables and the job's, never the submitter's shell (AZURE_CLIENT_SECRET, tokens, cloud keys).
PASSED_VARS = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TMP",
    "TEMP",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "CUDA_VISIBLE_DEVICES",
    "SYSTEMROOT",  # Windows cannot start Python without it
    "COMSPEC",
    "PATHEXT",
)
PASSED_PREFIXES = ("LC_", "MLFLOW_")
# set by the emulator for the trial's child run; never taken from the shell, nor from --env
OURS = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_TRACKING_URI")


def passed_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The part of ``base`` (the emulator's environment) a trial gets: ``PASSED_VARS``, ``LC_*``, ``MLFLOW_*``."""
    return {
        k: v
        for k, v in base.items()
        if (k in PASSED_VARS or k.startswith(PASSED_PREFIXES)) and k not in OURS and k != "PYTEST_CURRENT_TEST"
    }


def render_command(template: str, values: Mapping[str, Mapping[str, Any]]) -> str:
    """Substitute ``${{kind.name}}`` (and the legacy ``{kind.name}``) with shell-quoted values.

    ``values`` maps "search_space", "inputs" and "outputs" to name -> value. An optional segment
    ``$[[--flag ${{inputs.x}}]]`` is kept (without its brackets) when its inputs are given, and dropped otherwise.
    """
    return parse_command(template).render(values)


def trial_env(
    *,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    spec_env: Mapping[str, str],
    tracking_uri: str,
    experiment_id: str,
    run_id: str,
    threads: int,
    base: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The trial's environment: ``passed_environment(base)`` (``base``: os.environ), the thread counts, the
    ``AZUREML_SWEEP_*`` values, the spec's ``environment_variables``, then ``extra`` (what the user passes on purpose,
    ``--env``), then the child run's ``MLFLOW_*``. PYTEST_CURRENT_TEST is never passed: MLflow turns on test-only
    checks when it sees it."""
    env = passed_environment(os.environ if base is None else base)
    # environment: not emulated; trials use this interpreter, so `python` in the command must resolve to it
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    for var in THREAD_VARS:
        env[var] = str(threads)
    for kind in (outputs, inputs, params):  # Azure: "inputs, outputs, and parameters ... prefix AZUREML_SWEEP_"
        for name, value in kind.items():
            if value is not None:
                env[f"AZUREML_SWEEP_{name}"] = render_value(value)
    env.update({str(k): str(v) for k, v in spec_env.items()})  # the spec's settings win, thread counts included
    env.update({str(k): str(v) for k, v in (extra or {}).items() if k not in OURS})
    env["MLFLOW_TRACKING_URI"] = tracking_uri
    env["MLFLOW_EXPERIMENT_ID"] = experiment_id
    env["MLFLOW_RUN_ID"] = run_id
    env["PYTHONUNBUFFERED"] = "1"  # the log file shows progress as it happens, and the tail survives a kill
    return env


class TrialProcess:
    """The trial's process group: started, watched, canceled (SIGTERM, then SIGKILL after ``grace`` seconds)."""

    def __init__(
        self,
        command: str,
        *,
        cwd: Path,
        env: Mapping[str, str],
        log_file: Path,
        grace: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.command, self.cwd, self.env, self.log_file, self.grace = command, cwd, dict(env), log_file, grace
        self.clock = clock
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.cancel_reason: str | None = None
        self._kill_at: float | None = None

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        argv, preexec = shell_argv(self.command)
        with open(self.log_file, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: Ctrl-C reaches the scheduler, which cancels it
                preexec_fn=preexec,  # ... and it dies with the emulator (processes.py)
            )
        self.started = self.clock()

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def cancel(self, reason: str) -> None:
        if self.cancel_reason is not None or self.returncode is not None:
            return
        self.cancel_reason = reason
        self._signal(signal.SIGTERM)
        self._kill_at = self.clock() + self.grace

    def escalate(self, now: float | None = None) -> None:
        """SIGKILL a canceled trial that outlived its grace period."""
        if (
            self._kill_at is not None
            and (self.clock() if now is None else now) >= self._kill_at
            and self.returncode is None
        ):
            self._signal(signal.SIGKILL)
            self._kill_at = None

    def kill_now(self) -> None:
        if self.returncode is None:
            self._signal(signal.SIGKILL)

    def kill_group(self) -> None:
        """SIGKILL what is left of the trial's process group once its shell exited (Azure removes the container)."""
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        signal_group(self.proc.pid, sig)

    def log_tail(self, lines: int = 20) -> str:
        return log_tail(self.log_file, lines)


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])
