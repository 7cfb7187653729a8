"""The exit codes of `sweep`, in one table, and how each outcome and each kind of error maps to one.

The library raises typed errors (``submit.errors``) and returns statuses; only this module turns them into codes.
The README's "Exit codes" section is this table.
"""

from __future__ import annotations

from ..errors import AzureError, EnvBuildError, StoreUnusable, UserError

SUCCESS = 0
FAILED = 1  # the work ran and did not complete: a sweep failed or hit its timeout, a waited-for cloud sweep likewise
PREFLIGHT = 1  # a preflight trial showed the sweep could not choose a best trial (or would fail); nothing submitted
AZURE = 1  # Azure ML refused (the job, the credentials, the workspace) or could not be reached; the message says which
ENV_BUILD = 1  # --isolated could not build the trial's environment (the resolver's error is shown); no trial ran
STORE = 1  # the tracking store cannot be created or reached (a folder not writable, a server that does not answer)
BAD_INPUT = 2  # a bad spec, options that clash, an input that is not there; nothing was run or sent
INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it); a local sweep is resumable
TERMINATED = 143  # SIGTERM (128 + 15: `kill`, `docker stop`, a CI timeout), handled as Ctrl-C; resumable too

TABLE = (
    (SUCCESS, "success: the specs are valid, the jobs submitted, the sweep completed"),
    (
        FAILED,
        "the sweep failed or hit its timeout (Azure: Failed, Canceled), locally or in Azure ML under --wait; or a preflight trial found a problem",
    ),
    (AZURE, "Azure ML refused the job, the credentials or the workspace, or could not be reached"),
    (STORE, "the MLflow tracking store cannot be created or reached"),
    (ENV_BUILD, "--isolated could not build the trial's environment; no trial ran"),
    (BAD_INPUT, "bad input: a spec, options that clash, a missing input; nothing ran"),
    (INTERRUPTED, "interrupted (Ctrl-C); a local sweep can be resumed with --resume"),
    (TERMINATED, "terminated (SIGTERM); a local sweep can be resumed with --resume"),
)

# most specific first: an AzureError is a UserError too
_BY_ERROR: tuple[tuple[type[BaseException], int], ...] = (
    (AzureError, AZURE),
    (StoreUnusable, STORE),
    (EnvBuildError, ENV_BUILD),
    (UserError, BAD_INPUT),
)

# how a local sweep ended (SweepSummary.status). A sweep stopped by its limits.timeout is "canceled": Azure "cancels the
# sweep job" and shows it Canceled, which `--wait` reports as 1 (for_cloud_sweep); the local run says the same.
_BY_SWEEP_STATUS = {"completed": SUCCESS, "canceled": FAILED, "failed": FAILED, "interrupted": INTERRUPTED}


def for_error(error: BaseException) -> int:
    """The code for an error the library raised: its kind decides, not its message."""
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    return next((code for kind, code in _BY_ERROR if isinstance(error, kind)), FAILED)


def for_sweep(status: str, stopped_by: int | None = None) -> int:
    """The code for a local sweep that ended with ``status``; an interrupted one by 128 + the signal that stopped it."""
    if status == "interrupted" and stopped_by is not None:
        return 128 + stopped_by
    return _BY_SWEEP_STATUS.get(status, FAILED)


def for_cloud_sweep(status: str) -> int:
    """The code for a cloud sweep followed with --wait until it ended with Azure ML's ``status``."""
    return SUCCESS if status == "Completed" else FAILED
