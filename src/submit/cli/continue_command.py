"""`sweep submit SPEC --continue ID`: read sweep ID (local or cloud), and hand on the sweep(s) that run what it did
not complete (``submit.followup.continuation``); they are then submitted, printed (--dry-run) or run here (--local) as any
spec is."""

from __future__ import annotations

from ..errors import OptionError


def continued(specs, sweep_id: str, *, where, out, err) -> list:
    """The continuation's specs; an empty list when nothing is left (said in one line on ``out``).

    ``where`` is the monitor's ``Places`` (the local store, then the workspace), as `sweep status` finds an ID.
    """
    from ..followup.continuation import continue_sweep
    from ..monitor.find import locate
    from .cloud_submit import quiet_azure_logs

    if len(specs) != 1:
        raise OptionError("--continue continues one sweep: give a single spec with it")
    [spec] = specs
    with quiet_azure_logs():
        source = locate(sweep_id, where)
        summary = source.status(sweep_id, histories=False)
    plan = continue_sweep(spec, summary)
    path = str(spec.path) if spec.path else "<spec>"
    if not plan.specs:
        out.print(f"{path}: --continue {sweep_id}: {plan.note}", markup=False, highlight=False)
        return []
    sweeps = f"{len(plan.specs)} grid sweeps, one per rectangular block" if len(plan.specs) > 1 else "one sweep"
    err.print(f"{path}: --continue {sweep_id} ({summary.where}): {plan.note}; {sweeps}", markup=False, highlight=False)
    return plan.specs
