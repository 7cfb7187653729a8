"""The sweep as data: the spec's model, its loading and validation, the search space and the objective.

``model`` (frozen dataclasses), ``load`` (YAML with a line map), ``space`` (the ten distributions), ``objective`` (the
one place that decides "best"), ``grammar`` (the trial command's ``${{...}}``), ``shell`` (quoting), ``overrides``
(``--set``), ``yaml_read`` (bounded YAML), ``names``; ``validate/`` holds the checker and every rule. The names below
load on first use (``lazy``, which every package face uses): ``sweep --help`` imports none of this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_exports

if TYPE_CHECKING:
    from .load import load_spec, parse_spec
    from .model import SweepSpec
    from .objective import best_of, better, sort_key
    from .space import SearchSpace

__getattr__ = lazy_exports(
    __name__,
    {
        "load_spec": "load",
        "parse_spec": "load",
        "SweepSpec": "model",
        "SearchSpace": "space",
        "best_of": "objective",
        "better": "objective",
        "sort_key": "objective",
    },
)

__all__ = ["SearchSpace", "SweepSpec", "best_of", "better", "load_spec", "parse_spec", "sort_key"]
