"""sweep: validate, submit and locally emulate Azure ML hyperparameter sweep jobs."""

from .spec import SpecError, SweepSpec, load_spec, parse_spec

__all__ = ["SpecError", "SweepSpec", "load_spec", "parse_spec"]
