"""sweep: validate, submit and locally emulate Azure ML hyperparameter sweep jobs.

The library returns data and prints nothing; the `sweep` command (``submit.cli``) is a shell over it::

    spec = submit.load_spec("sweep_specs/quickstart.yaml")   # SweepSpec, or SpecError naming every problem
    job = submit.to_azure_job(spec)                            # the azure-ai-ml sweep node
    print(submit.job_yaml(spec))                               # what `sweep submit --dry-run` prints
    result = submit.run_local(spec, max_concurrent=2)          # SweepResult of a sweep run here

Cloud submission is ``submit.cloud`` (``connect``, ``submit``, ``wait_for``).
"""

from .errors import AzureError, AzureUnreachable, OptionError, SpecError, UserError

# importing `submit` must not pull in azure-ai-ml or MLflow, nor the spec machinery `sweep --help` never uses (YAML,
# the model, the checks): these are imported on first use
_LAZY = {
    "to_azure_job": "azure",
    "job_yaml": "azure",
    "load_spec": "load",
    "parse_spec": "load",
    "SweepSpec": "model",
}


def run_local(spec, options=None, **kwargs):
    """Run a sweep on this machine under the emulator; a ``SweepResult`` (see ``submit.emulator.scheduler.run_local``)."""
    from .emulator import run_local as _run_local

    return _run_local(spec, options, **kwargs)


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AzureError",
    "AzureUnreachable",
    "OptionError",
    "SpecError",
    "UserError",
    "SweepSpec",
    "job_yaml",
    "load_spec",
    "parse_spec",
    "run_local",
    "to_azure_job",
]
