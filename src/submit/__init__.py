"""sweep: validate, submit and locally emulate Azure ML hyperparameter sweep jobs.

The library returns data and prints nothing; the `sweep` command (``submit.cli``) is a shell over it::

    spec = submit.load_spec("sweep_specs/quickstart.yaml")   # SweepSpec, or SpecError naming every problem
    job = submit.to_azure_job(spec)                            # the azure-ai-ml sweep node
    print(submit.job_yaml(spec))                               # what `sweep submit --dry-run` prints
    sweep = submit.run_local(spec, max_concurrent=2)           # SweepSummary of a sweep run here, as `status` reads it

Cloud submission is ``submit.cloud`` (``connect``, ``submit``, ``wait_for``): the module ``submit.azure.client``.

The features are packages, each with a small public face: ``spec`` (the sweep as data, and its validation),
``azure``, ``emulator``, ``envcheck``, ``preflight``, ``monitor``, ``report``, ``followup`` and ``cli`` (which
``__main__`` runs); ``errors`` holds the errors a user can act on, by kind.
"""

from __future__ import annotations

from .errors import AzureError, AzureUnreachable, OptionError, SpecError, UserError
from .spec.lazy import lazy_exports


def run_local(spec, options=None, **kwargs):
    """Run a sweep on this machine under the emulator; the sweep as every command reads it: a
    ``monitor.SweepSummary`` whose ``run`` holds what only this run knows (``submit.monitor.fresh``).

    ``options`` is a ``submit.emulator.LocalOptions``; keywords are its fields (``max_concurrent=2``), winning over
    ``options``', and a keyword that is none of them is a TypeError naming them.
    """
    from .monitor.fresh import run_local as _run_local

    return _run_local(spec, options, **kwargs)


def run_pipeline_local(pipeline, options=None, **kwargs):
    """Run a pipeline job (``submit.pipeline.load_pipeline``) on this machine; a ``PipelineRun`` whose sweep steps
    hold their sweep as `sweep status` reads it (see ``submit.pipeline.runner.run_pipeline_local``)."""
    from .monitor.fresh import run_pipeline_local as _run_pipeline_local

    return _run_pipeline_local(pipeline, options, **kwargs)


__getattr__ = lazy_exports(
    __name__,
    {
        "to_azure_job": "azure.job",
        "job_yaml": "azure.job",
        "cloud": "azure.client:",
        "load_spec": "spec.load",
        "parse_spec": "spec.load",
        "SweepSpec": "spec.model",
    },
)

__all__ = [
    "AzureError",
    "AzureUnreachable",
    "OptionError",
    "SpecError",
    "UserError",
    "SweepSpec",
    "cloud",
    "job_yaml",
    "load_spec",
    "parse_spec",
    "run_local",
    "run_pipeline_local",
    "to_azure_job",
]
