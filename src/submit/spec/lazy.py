"""Lazy package faces (PEP 562): a public name is imported from its module on first use.

Every feature package's ``__init__`` uses it, so importing ``submit.<feature>`` for one light name does not pull in
its heavy modules: ``sweep --help`` must not import MLflow, azure-ai-ml or even YAML (tests/test_cli_imports.py).
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any


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
