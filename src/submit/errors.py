"""Errors a user can act on. The CLI prints their message as it is and exits non-zero, never with a traceback."""


class UserError(Exception):
    """A clear, complete message for the user (what went wrong, where, and what to do)."""

    exit_code = 1
