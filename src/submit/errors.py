"""Errors a user can act on, by kind. The library raises them; the CLI prints the message and maps the kind to an
exit code (``submit.cli.codes``), never showing a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """A clear, complete message for the user (what went wrong, where, and what to do): bad input of some kind."""


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

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))


class OptionError(UserError):
    """Options that cannot go together, or an option the chosen way of running does not use."""


class AzureError(UserError):
    """Azure ML cannot take the work: it refused the job or the credentials, the workspace is not there or not
    named, or the service could not be reached (``AzureUnreachable``)."""


class NoWorkspace(AzureError):
    """No workspace was named: no options, no environment variables, no config.json."""


class AzureUnreachable(AzureError):
    """No request got an answer: no network route or proxy, or no credentials to sign one with."""


class StoreUnusable(UserError):
    """The tracking store cannot be opened or created: a folder that cannot be written, a server that does not
    answer. The machine's problem, not the spec's."""


def key_path(path: tuple) -> str:
    """``("search_space", "lr", "values", 0)`` -> ``search_space.lr.values[0]``, as a ``Problem.path`` reads."""
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


class InputError(UserError):
    """Bad input outside a spec file (an option's value, a sweep name, a remote path where a local one is needed)."""


class EnvBuildError(UserError):
    """`--isolated` cannot build the trial's environment: the resolver's or installer's error, in one block. The
    machine's or the environment's problem, found before any trial started."""
