"""Errors a user can act on. The CLI prints their message as it is and exits non-zero, never with a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """A clear, complete message for the user (what went wrong, where, and what to do)."""

    exit_code = 1


@dataclass
class Problem:
    where: str  # "file:line" or "--set"
    path: str  # key path, e.g. "search_space.lr.min_value"
    message: str
    hint: str = ""

    def format(self) -> str:
        head = f"{self.where}: {self.path}: {self.message}" if self.path else f"{self.where}: {self.message}"
        return head + (f"\n  hint: {self.hint}" if self.hint else "")


class SpecError(UserError):
    """One or more problems in a spec; ``str()`` is the complete, user-facing message."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))


class InputError(UserError):
    """Bad input outside a spec file (an option's value, a sweep name, a remote path where a local one is needed)."""

    exit_code = 2
