"""sweep: validate, submit and locally emulate Azure ML hyperparameter sweep jobs.

The library returns data and prints nothing; the `sweep` command (``submit.cli``) is a shell over it::

    spec = submit.load_spec("sweep_specs/quickstart.yaml")   # SweepSpec, or SpecError naming every problem
    job = submit.to_azure_job(spec)                            # the azure-ai-ml sweep node
    print(submit.job_yaml(spec))                               # what `sweep submit --dry-run` prints
    result = submit.run_local(spec, max_concurrent=2)          # SweepResult of a sweep run here

Cloud submission is ``submit.cloud`` (``connect``, ``submit``, ``wait_for``): the module ``submit.azure.client``.

The features are packages, each with a small public face: ``spec`` (the sweep as data, and its validation),
``azure``, ``emulator``, ``envcheck``, ``preflight``, ``monitor``, ``report``, ``followup`` and ``cli``.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

from .errors import AzureError, AzureUnreachable, OptionError, SpecError, UserError


def lazy_exports(package: str, homes: dict[str, str]):
    """A package's module ``__getattr__`` (PEP 562) that imports each public name from its module on first use.

    ``homes`` maps a name to the module (relative to ``package``) that defines it; ``"module:"`` names the module
    itself. Faces are lazy because ``sweep --help`` must not import MLflow, azure-ai-ml or even YAML.
    """

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = homes[name].partition(":")
        loaded = import_module(f".{module}", package)
        value = loaded if homes[name].endswith(":") else getattr(loaded, attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


def run_local(spec, options=None, **kwargs):
    """Run a sweep on this machine under the emulator; a ``SweepResult`` (see ``submit.emulator.scheduler.run_local``)."""
    from .emulator import run_local as _run_local

    return _run_local(spec, options, **kwargs)


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
    "to_azure_job",
]
