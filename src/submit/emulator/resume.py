"""A sweep's state in the store: its parent run opened (new, or reopened on ``--resume``) and its earlier trials read.

On resume, trials that ended count as they are (completed, failed, canceled, with their values); trials that never
finished (interrupted by Ctrl-C, or left RUNNING by an emulator that died) are re-run under a new child run, and the
interrupted run is tagged as superseded by it. Random, Sobol and grid draw from the trial index alone, so a re-run
gets the parameters the interrupted trial had.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError, UserError
from ..spec.load import read_spec_text
from ..spec.model import SweepSpec
from ..spec.objective import best_of
from .live import INTERRUPTED, LiveTrial
from .tags import (
    TAG_CANCEL,
    TAG_DESCRIPTION,
    TAG_EXIT,
    TAG_GOAL,
    TAG_INDEX,
    TAG_LIMITS,
    TAG_LOGBASE,
    TAG_OVERRIDES,
    TAG_PARENT,
    TAG_POLICY,
    TAG_POLICY_SETTINGS,
    TAG_PRIMARY,
    TAG_SAMPLING,
    TAG_SPACE,
    TAG_SPEC,
    TAG_SPEC_TEXT,
    TAG_STATE,
    TAG_SUPERSEDED,
)
from .tracking import RunInfo, Store

SPEC_TEXT_MAX = 8000  # MLflow's MAX_TAG_VAL_LENGTH


@dataclass
class Previous:
    """What a resumed sweep starts from."""

    trials: list[LiveTrial] = field(default_factory=list)  # the trials that ended, as they ended
    rerun: list[int] = field(default_factory=list)  # indices of trials that never finished, to run again
    superseded: dict[int, str] = field(default_factory=dict)  # index of a trial to re-run -> its interrupted run


def open_sweep(
    store: Store, spec: SweepSpec, name: str, *, resume: bool, parent_run: str | None = None
) -> tuple[str, str]:
    """(experiment id, parent run id) of the sweep ``name``: a new parent run, or the interrupted one reopened; with
    ``parent_run`` (a pipeline's run) the sweep's run is its child, as Azure makes a pipeline's sweep step."""
    space_tag = json.dumps(spec.search_space.to_yaml(), sort_keys=True, default=str)[:5000]
    if resume:
        return _reopen(store, name, space_tag)
    experiment_id = store.experiment_id(spec.experiment_name or Path.cwd().name or "Default")
    if store.find_sweep(name) is not None:
        raise UserError(
            f"a sweep named `{name}` already exists in {store.uri}\n"
            f"  hint: --resume {name} continues it; --name gives a new sweep another name"
        )
    tags = {
        TAG_PRIMARY: spec.objective.primary_metric,
        TAG_GOAL: spec.objective.goal,
        TAG_SPACE: space_tag,
        TAG_SAMPLING: spec.sampling.label,
    }
    if parent_run is not None:
        tags[TAG_PARENT] = parent_run
    tags[TAG_LIMITS] = json.dumps(spec.limits.recorded().to_dict())
    if spec.sampling.logbase is not None:
        tags[TAG_LOGBASE] = str(spec.sampling.logbase)
    if spec.policy is not None:
        tags[TAG_POLICY] = spec.policy.type
        tags[TAG_POLICY_SETTINGS] = json.dumps(spec.policy.settings())  # the monitor's health flags read it
    if spec.path:
        tags[TAG_SPEC] = str(spec.path)
        text = _spec_text(spec.path)
        if text is not None:
            tags[TAG_SPEC_TEXT] = text
    if spec.overrides:
        tags[TAG_OVERRIDES] = json.dumps(list(spec.overrides))  # refine applies them to the text (followup.original)
    if spec.display_name:
        tags[TAG_DESCRIPTION] = spec.description or spec.display_name
    return experiment_id, store.start_sweep(experiment_id, name, tags)


def _spec_text(path: Path) -> str | None:
    """The spec file as written, for `sweep refine` to start from even after the file changed or moved; a spec
    longer than an MLflow tag holds (8,000 characters) is left to its path."""
    try:
        text = read_spec_text(path)
    except SpecError:
        return None
    return text if len(text) <= SPEC_TEXT_MAX else None


def check_resumable(store: Store, name: str) -> tuple[str, RunInfo]:
    """(experiment id, parent run) of the sweep ``name`` when it can be resumed: interrupted, or left running by an
    emulator that died (the caller holds, or is about to take, its lock); ``UserError`` otherwise. Reads only."""
    found = store.find_sweep(name)
    if found is None:
        raise UserError(f"--resume {name}: no sweep of that name in {store.uri}")
    state = found[1].tags.get(TAG_STATE)
    if state not in (INTERRUPTED, "running"):
        raise UserError(f"--resume {name}: the sweep already ended ({state}); there is nothing to resume")
    return found


def _reopen(store: Store, name: str, space_tag: str) -> tuple[str, str]:
    experiment_id, parent = check_resumable(store, name)
    if parent.tags.get(TAG_SPACE) not in (None, space_tag):
        raise UserError(
            f"--resume {name}: the spec's search space differs from the one the sweep started with; "
            "resume it with the same spec"
        )
    store.reopen_sweep(parent.run_id)
    return experiment_id, parent.run_id


def load_previous(store: Store, experiment_id: str, parent_run_id: str, metric: str, goal: str) -> Previous:
    """The trials of a resumed sweep: ended ones as they are; those that never finished marked to re-run."""
    previous = Previous()
    trials = store.trials_of(experiment_id, parent_run_id)
    values = store.hyperparameters(parent_run_id, [info.name for info in trials])
    for info in trials:
        if TAG_SUPERSEDED in info.tags or TAG_INDEX not in info.tags:
            continue
        index = int(info.tags[TAG_INDEX])
        status = _status_of(info)
        if status is None:  # interrupted, or left RUNNING by an emulator that died
            if info.status == "RUNNING":
                store.end_trial(info.run_id, "KILLED", {TAG_CANCEL: INTERRUPTED}, None)
            previous.rerun.append(index)
            previous.superseded[index] = info.run_id
            continue
        trial = LiveTrial(
            index=index,
            name=info.name,
            run_id=info.run_id,
            params=values.get(info.name, {}),
            status=status,
            cancel_reason=info.tags.get(TAG_CANCEL),
            exit_code=_exit_code(info),
        )
        trial.history = store.history(info.run_id, metric)
        trial.best = best_of(trial.history, goal)
        previous.trials.append(trial)
    previous.rerun = sorted(set(previous.rerun))
    return previous


def _status_of(info: RunInfo) -> str | None:
    if info.status == "RUNNING" or info.tags.get(TAG_CANCEL) == INTERRUPTED:
        return None
    return {"FINISHED": "completed", "FAILED": "failed", "KILLED": "canceled"}.get(info.status, "failed")


def _exit_code(info: RunInfo) -> int | None:
    text = info.tags.get(TAG_EXIT, "")
    return int(text) if text.lstrip("-").isdigit() else None
