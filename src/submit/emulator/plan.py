"""Every trial a local sweep will run, before it runs: its index, its parameters and its rendered command.

Grid, and random or Sobol with a seed, are pure functions of (seed, trial index) (``samplers/base.py``), so the plan
is exactly what ``sweep submit --local`` then runs. Without a seed a run draws fresh values: the plan is one draw, and
only a lock file (``plan_lock.py``) makes a run repeat it. A Bayesian sweep's later trials depend on the results, so
only its start (a scrambled Sobol design) is planned; Azure's Bayesian sampling takes no seed, so that start too is one
draw. Values are the emulator's: Azure's own random generator is not public (docs/semantics.md).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..spec.grammar import parse_command
from ..spec.model import SweepSpec
from .inputs import resolve_inputs
from .samplers import BayesianSampler, Observation, make_sampler

# keys that name, describe or bound a sweep but do not change what any trial runs: a lock stays valid across them,
# so the same plan can be run under another name, or split over runs with other limits
UNHASHED_KEYS = ("limits", "name", "display_name", "experiment_name", "description", "tags")


@dataclass(frozen=True)
class PlannedTrial:
    index: int
    params: dict[str, Any]
    command: str  # trial.command with this trial's values; outputs, made per trial at run time, stay as written

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "params": self.params, "command": self.command}


@dataclass(frozen=True)
class Plan:
    spec: str | None
    spec_hash: str
    sampler: str  # e.g. "random (seed 7)"
    total: int  # trials the sweep runs; more than len(trials) for a Bayesian sweep
    trials: tuple[PlannedTrial, ...]
    exact: bool  # every run of the spec draws these same values (grid, or random / Sobol with a seed)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "spec_hash": self.spec_hash,
            "sampler": self.sampler,
            "total_trials": self.total,
            "exact": self.exact,
            "notes": list(self.notes),
            "trials": [t.to_dict() for t in self.trials],
        }


def spec_hash(spec: SweepSpec) -> str:
    """A digest of what decides the trials' values and commands: the spec as loaded (after ``--set``), but for
    ``UNHASHED_KEYS``."""
    kept = {k: v for k, v in spec.data.items() if k not in UNHASHED_KEYS}
    text = json.dumps(kept, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan(spec: SweepSpec, *, inputs: Mapping[str, str] | Sequence[str] | None = None, lockable: bool = True) -> Plan:
    """The trials ``run_local(spec)`` runs, in order; ``inputs`` as for ``run_local`` (a remote input without a local
    stand-in is shown as its URI). ``lockable=False`` for a pipeline's sweep step, which runs without a lock file:
    its notes then point to the seed alone."""
    sampler = make_sampler(spec)
    total = spec.trial_count()
    count, notes = total, []
    label = spec.sampling.label + (f" (seed {spec.sampling.seed})" if spec.sampling.seed is not None else "")
    exact = spec.sampling.label == "grid" or spec.sampling.seed is not None
    if isinstance(sampler, BayesianSampler):
        count, exact = min(sampler.n_initial, total), False
        notes.append(
            f"bayesian: trials 0 to {count - 1} are its start, a scrambled Sobol design; the other {total - count} "
            "are proposed from the results and cannot be planned. Azure's Bayesian sampling takes no seed, so each run "
            "draws its own start: this is one draw"
        )
    elif not exact:
        exactly = (
            "`--lock FILE` then `sweep submit --local --lock FILE` runs exactly these, or set sampling_algorithm.seed"
            if lockable
            else "set the step's sampling_algorithm.seed to run exactly these"
        )
        notes.append(f"no seed: each run draws fresh values, so these are one draw; {exactly}")
    values, remote = _input_values(spec, inputs)
    if remote:
        notes.append(
            "remote inputs shown as their URI (" + ", ".join(remote) + "); `--input NAME=PATH` gives the local stand-in"
        )
    command = parse_command(spec.trial.command)
    trials: list[PlannedTrial] = []
    for index in range(count):
        # earlier trials are in flight when trial `index` starts: the Bayesian start skips points already taken
        seen = [Observation(dict(t.params), None, "running") for t in trials]
        params = sampler.suggest(index, seen)
        if params is None:
            break
        params = {k: _plain(v) for k, v in params.items()}
        rendered = command.render({"search_space": params, "inputs": values, "outputs": {}})
        trials.append(PlannedTrial(index, params, rendered))
    return Plan(
        str(spec.path) if spec.path else None, spec_hash(spec), label, total, tuple(trials), exact, tuple(notes)
    )


def first_values(spec: SweepSpec) -> dict[str, Any]:
    """Trial 0's parameters, as the spec's sampler gives them to the first trial of a sweep."""
    return {k: _plain(v) for k, v in make_sampler(spec).suggest(0, []).items()}


def _input_values(spec: SweepSpec, given) -> tuple[dict[str, Any], list[str]]:
    """What a trial sees for each input, as ``run_local`` resolves it; a remote input nobody stood in for keeps its URI
    (a plan runs nothing, so it need not refuse)."""
    named = set(given) if isinstance(given, Mapping) else {str(g).split("=", 1)[0].strip() for g in given or ()}
    remote = [k for k, inp in spec.inputs.items() if inp.is_remote and k not in named]
    shown = {k: dataclasses.replace(spec.inputs[k], type="literal", value=spec.inputs[k].path) for k in remote}
    return resolve_inputs(dataclasses.replace(spec, inputs={**spec.inputs, **shown}), given), remote


def _plain(value: Any) -> Any:
    """A sampled value as plain Python (a numpy scalar becomes its float or int), so it writes to YAML and JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.item() if hasattr(value, "item") else value
