"""Spec -> ``command(...)(**search_space).sweep(...)``; submit and monitor through ``MLClient``."""

from .errors import UserError


def submit_cli(specs, **kwargs) -> int:
    raise UserError("sweep submit: the Azure submitter is not built yet")
