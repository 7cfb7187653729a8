"""The local emulator of the Azure ML sweep service: samplers, policies, scheduler, trials, tracking."""

from ..errors import UserError


def run_local_cli(specs, **kwargs) -> int:
    raise UserError("sweep submit --local: the local emulator is not built yet")
