"""Lock files: a plan written down (`sweep plan SPEC --lock FILE`) and read back to run exactly those trials
(`sweep submit SPEC --local --lock FILE`, through ``samplers.LockSampler``).

A lock holds each trial's index, parameters and rendered command, and the hash of the spec it was made from
(``plan.spec_hash``); a lock made from another spec is refused. YAML, or JSON when the file name ends in ``.json``.
Removing trials from a lock runs the rest, under their planned indices: that is how a plan is split over runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, SpecError
from ..spec.load import read_spec_text
from ..spec.model import SweepSpec
from ..spec.names import did_you_mean
from .plan import Plan, spec_hash
from .samplers import LockSampler

FORMAT = "sweep-lock/1"
_HEADER = (
    "# Made by `sweep plan`; `sweep submit SPEC --local --lock FILE` runs exactly these trials.\n"
    "# Delete trials to run a subset; any other change to the spec (limits and names aside) makes it refuse the lock.\n"
)


@dataclass(frozen=True)
class Lock:
    path: Path
    spec_hash: str
    trials: tuple[tuple[int, dict[str, Any]], ...]  # (index, params), in the order to run them

    def sampler(self, spec: SweepSpec) -> LockSampler:
        return LockSampler(spec.search_space, self.trials)


def write_lock(plan: Plan, path: str | Path) -> Path:
    """Write ``plan`` to ``path``; refuses a plan that does not fix its trials' values (a Bayesian sweep's)."""
    path = Path(path)
    if plan.sampler.startswith("bayesian"):
        raise InputError(
            f"--lock {path}: a Bayesian sweep proposes its trials from the results of earlier ones, so no lock can "
            "hold them; `sweep plan` shows its start"
        )
    if not path.parent.is_dir():
        raise InputError(f"--lock {path}: no folder {path.parent}")
    body = {
        "format": FORMAT,
        "spec": os.path.relpath(plan.spec, path.parent.resolve()) if plan.spec else None,  # movable with its spec
        "spec_hash": plan.spec_hash,
        "sampler": plan.sampler,
        "trials": [t.to_dict() for t in plan.trials],
    }
    if path.suffix.lower() == ".json":
        text = json.dumps(body, indent=2) + "\n"
    else:
        text = _HEADER + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(text, encoding="utf-8")
    return path


def read_lock(path: str | Path, spec: SweepSpec) -> Lock:
    """The lock at ``path``, checked against ``spec``: one ``InputError`` line for each way it can be wrong."""
    path = Path(path)
    where = f"--lock {path}"
    if not path.exists():
        raise InputError(f"{where}: no such file; `sweep plan SPEC --lock {path}` writes one")
    try:
        text = read_spec_text(path, "a lock file")  # bounded: a FIFO or a device would block
    except SpecError as e:
        raise InputError(f"{where}: {e.problems[0].message}") from None
    try:
        body = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise InputError(f"{where}: not a lock file (not valid {path.suffix.lstrip('.') or 'YAML'}: {e})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT or not isinstance(body.get("trials"), list):
        raise InputError(f"{where}: not a lock file written by `sweep plan --lock` (format {FORMAT})")
    if spec.sampling.label == "bayesian":
        raise InputError(f"{where}: a Bayesian sweep cannot run from a lock (it proposes trials from results)")
    ours = spec_hash(spec)
    if body.get("spec_hash") != ours:
        raise InputError(
            f"{where}: made from another spec (its hash {str(body.get('spec_hash'))[:19]}, this spec's {ours[:19]}); "
            "run `sweep plan SPEC --lock FILE` again for this spec"
        )
    trials = tuple(_trial(item, i, spec, where) for i, item in enumerate(body["trials"]))
    if not trials:
        raise InputError(f"{where}: holds no trials; there is nothing to run")
    indices = [index for index, _ in trials]
    repeated = sorted({i for i in indices if indices.count(i) > 1})
    if repeated:
        raise InputError(f"{where}: trial index {repeated[0]} appears more than once")
    return Lock(path, ours, trials)


def _trial(item: Any, position: int, spec: SweepSpec, where: str) -> tuple[int, dict[str, Any]]:
    at = f"{where}: trials[{position}]"
    if not isinstance(item, dict) or not isinstance(item.get("params"), dict):
        raise InputError(f"{at}: expected a mapping with `index` and `params`")
    index = item.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise InputError(f"{at}: index must be an integer >= 0, found {index!r}")
    params = item["params"]
    for name in params:
        if name not in spec.search_space:
            hint = did_you_mean(name, spec.search_space)
            raise InputError(f"{at}: `{name}` is not a search-space parameter" + (f"; {hint}" if hint else ""))
    missing = [name for name in spec.search_space if name not in params]
    if missing:
        raise InputError(f"{at}: no value for " + ", ".join(f"`{m}`" for m in missing))
    return index, dict(params)
