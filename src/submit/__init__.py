"""sweep: validate, submit and locally emulate Azure ML hyperparameter sweep jobs.

Importing ``submit`` loads neither azure-ai-ml, MLflow nor scipy: ``to_azure_job``, ``job_yaml`` and ``run_local``
import what they need when called.
"""

from .errors import SpecError, UserError
from .load import load_spec, parse_spec
from .model import SweepSpec


def run_local(spec, **kwargs):
    """Run a sweep on this machine under the emulator (see ``submit.emulator.scheduler.run_local``)."""
    from .emulator import run_local as _run_local  # lazy: importing `submit` must not pull in MLflow

    return _run_local(spec, **kwargs)


def to_azure_job(spec: SweepSpec):
    """The spec as an azure-ai-ml sweep node, ready for ``ml_client.jobs.create_or_update`` (see ``submit.azure``)."""
    from .azure import to_azure_job as _to_azure_job  # lazy: importing `submit` must not pull in azure-ai-ml

    return _to_azure_job(spec)


def job_yaml(spec: SweepSpec) -> str:
    """The exact job as sweep job YAML, what ``sweep submit --dry-run`` prints (see ``submit.azure``)."""
    from .azure import job_yaml as _job_yaml

    return _job_yaml(spec)


__all__ = ["SpecError", "UserError", "SweepSpec", "load_spec", "parse_spec", "run_local", "to_azure_job", "job_yaml"]
