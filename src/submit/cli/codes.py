"""The exit codes of `sweep`, in one table, and how each outcome and each kind of error maps to one.

The library raises typed errors (``submit.errors``) and returns statuses; only this module turns them into codes.
The README's "Exit codes" section is this table.
"""

from __future__ import annotations

from ..errors import AzureError, UserError

SUCCESS = 0
FAILED = 1  # the work ran and failed: a local sweep failed, a waited-for cloud sweep did not complete
AZURE = 1  # Azure ML refused (the job, the credentials, the workspace) or could not be reached; the message says which
BAD_INPUT = 2  # a bad spec, options that clash, an input that is not there; nothing was run or sent
INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it); a local sweep is resumable

TABLE = (
    (SUCCESS, "success: the specs are valid, the jobs submitted, the sweep completed (or was canceled)"),
    (FAILED, "the sweep failed (locally, or in Azure ML under --wait)"),
    (AZURE, "Azure ML refused the job, the credentials or the workspace, or could not be reached"),
    (BAD_INPUT, "bad input: a spec, options that clash, a missing input; nothing ran"),
    (INTERRUPTED, "interrupted (Ctrl-C); a local sweep can be resumed with --resume"),
)

# most specific first: an AzureError is a UserError too
_BY_ERROR: tuple[tuple[type[BaseException], int], ...] = ((AzureError, AZURE), (UserError, BAD_INPUT))

# how a local sweep ended (SweepResult.status); a canceled sweep did what it was asked
_BY_SWEEP_STATUS = {"completed": SUCCESS, "canceled": SUCCESS, "failed": FAILED, "interrupted": INTERRUPTED}


def for_error(error: BaseException) -> int:
    """The code for an error the library raised: its kind decides, not its message."""
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    return next((code for kind, code in _BY_ERROR if isinstance(error, kind)), FAILED)


def for_sweep(status: str) -> int:
    """The code for a local sweep that ended with ``status``."""
    return _BY_SWEEP_STATUS.get(status, FAILED)


def for_cloud_sweep(status: str) -> int:
    """The code for a cloud sweep followed with --wait until it ended with Azure ML's ``status``."""
    return SUCCESS if status == "Completed" else FAILED
