"""The environment check as `sweep validate` and `sweep submit` run it: its warnings join the spec's, its notes
are printed, its problems refuse the run with the option that skips it."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..errors import SpecError
from .common import show_warnings

SKIP = "--skip-env-check"
SKIP_HELP = (
    "Skip the offline check of the trial's imports against its environment for this run (it cannot see what a "
    "custom image or a registered environment provides)."
)
SKIP_LINE = (
    f"the environment check reads only what the environment declares; if the image provides it anyway (a custom or "
    f"registered image), {SKIP} skips the check for one run"
)


def check_environments(specs, err: Console, *, skip: bool = False, notes: bool = True) -> None:
    """Check each spec's environment; SpecError (exit 2) for what would fail on Azure, with the way to skip.

    ``notes`` (what the check could not see) are for `sweep validate`; `sweep submit` says only what matters to
    the run, its warnings and refusals.
    """
    if skip:
        return
    from ..envcheck import check_environment  # lazy: `sweep --help` and the monitor commands never need it
    from ..pipeline.declared import Pipeline
    from ..pipeline.environments import check_environments as check_pipeline

    problems = []
    said: set = set()  # version mismatches warned about: once per environment file in one command
    for spec in specs:
        if isinstance(spec, Pipeline):
            report = check_pipeline(spec, versions_said=said)
        else:
            report = check_environment(spec, versions_said=said)
        spec.warnings.extend(report.warnings)
        problems += report.problems
        for note in report.notes if notes else ():
            err.print(Text.assemble(("note", "cyan"), " ", note), highlight=False)
    if problems:
        show_warnings(specs, err)  # as validate shows a spec's warnings before its refusal
        error = SpecError(problems)
        error.args = (f"{error}\n{SKIP_LINE}",)
        raise error
