"""sweep: validate, submit and locally emulate Azure ML hyperparameter sweep jobs."""

from .errors import SpecError, UserError
from .spec import SweepSpec, load_spec, parse_spec


def run_local(spec, **kwargs):
    """Run a sweep on this machine under the emulator (see ``submit.emulator.scheduler.run_local``)."""
    from .emulator import run_local as _run_local  # lazy: importing `submit` must not pull in MLflow

    return _run_local(spec, **kwargs)


__all__ = ["SpecError", "UserError", "SweepSpec", "load_spec", "parse_spec", "run_local"]
