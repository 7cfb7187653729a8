"""Validation at the door: the loaded YAML of a sweep job -> the model, or every problem found, located.

Every problem of a file is collected and reported together, each with the file and line, the key path, what was
found and what was expected::

    sweep_specs/xgb.yaml:14: search_space.max_depth: grid sampling needs `choice`, found `uniform`
      hint: use `type: choice, values: [3, 5, 7]`, or sampling_algorithm: random

The rules are those of docs/semantics.md "What `sweep validate` checks": the client schema's plus the ones the
service only enforces after submission. The sections live in ``space_rules`` (search space, sampling,
objective, policy, limits), ``trial_rules`` (command, code, environment, inputs, outputs) and ``job_rules``
(compute, identity, resources, queue settings, distribution, services, properties).
"""

from __future__ import annotations

from pathlib import Path

from ...errors import SpecError
from ..grammar import parse_command
from ..model import SweepSpec
from .advice import log_bounds_advice, log_overflow_rules
from .checker import Checker
from .job_rules import identity_of, services_of, settings_of, strings_of, top_strings
from .space_rules import (
    bayesian_advice,
    limits_of,
    objective_of,
    policy_of,
    sampler_rules,
    sampling_of,
    search_space_of,
)
from .trial_rules import inputs_of, outputs_of, reference_rules, trial_of

# the keys every Azure ML job takes (a sweep's, a pipeline's: submit.pipeline)
JOB_KEYS = ("$schema", "type", "name", "display_name", "experiment_name", "description", "tags", "properties")
TOP_KEYS = (
    *JOB_KEYS,
    "trial",
    "search_space",
    "sampling_algorithm",
    "objective",
    "early_termination",
    "limits",
    "compute",
    "inputs",
    "outputs",
    "identity",
    "queue_settings",
    "resources",
    "services",
)
REQUIRED = ("trial", "search_space", "objective", "limits")
# the schema takes these, but load_job's REST body carries neither (azure-ai-ml 1.35: SweepJob._to_rest_object sends
# no services and no trial queue settings), so `az ml job create` drops them too: said, so none is lost without a word
NOT_SENT = (("services",), ("trial", "queue_settings"))


def validate(data: dict, check: Checker, path: Path | None) -> SweepSpec | None:
    """The spec as its model, or None with every problem recorded in ``check``."""
    base_dir = path.parent if path else Path.cwd()
    if _another_kind(data, check):
        return None
    check.known_keys(data, (), TOP_KEYS)
    if data.get("type") != "sweep":
        found = data.get("type")
        if found is None:
            check.error(("type",), "missing required key", "type: sweep")
        else:
            check.error(("type",), f"expected `sweep`, found `{found}`", "type: sweep")
    for key in REQUIRED:
        if data.get(key) is None:
            check.error((key,), "missing required key")
    sweep = dict(
        search_space=search_space_of(data.get("search_space"), check),
        sampling=sampling_of(data.get("sampling_algorithm"), check),
        objective=objective_of(data.get("objective"), check),
        policy=policy_of(data.get("early_termination"), check),
        limits=limits_of(data.get("limits"), check),
        inputs=inputs_of(data.get("inputs"), check, base_dir),
        outputs=outputs_of(data.get("outputs"), check),
        trial=trial_of(data.get("trial"), check, base_dir),
    )
    top_strings(data, check)
    job = dict(
        tags=strings_of(data.get("tags"), ("tags",), check, "tag names to values") or {},
        properties=strings_of(data.get("properties"), ("properties",), check, "property names to values"),
        identity=identity_of(data.get("identity"), check),
        resources=settings_of("resources", data.get("resources"), ("resources",), check),
        queue_settings=settings_of("queue_settings", data.get("queue_settings"), ("queue_settings",), check),
        services=services_of(data.get("services"), check),
    )
    _across_sections(sweep, check)
    for key in NOT_SENT:
        if _get(data, key) is not None:
            check.warn(
                key, "accepted, but Azure ML's SDK does not send it for a sweep job (nor does `az ml job create`)"
            )
    if check.problems or any(sweep[k] is None for k in ("search_space", "sampling", "objective", "limits", "trial")):
        return None
    names = {k: data.get(k) for k in ("compute", "name", "display_name", "experiment_name", "description")}
    return SweepSpec(
        path=path,
        data=data,
        **sweep,
        **job,
        **names,
        warnings=check.warnings,
        azure_problems=tuple(check.azure_only),
    )


def _another_kind(data: dict, check: Checker) -> bool:
    """A pipeline job, another job type or a component is not a sweep job with mistakes: one line says what it is.

    The sweep's own key checks would otherwise list every pipeline key as unknown, with wrong did-you-means
    (`settings` is not `queue_settings`).
    """
    kind = data.get("type")
    if isinstance(kind, str) and kind.lower() == "pipeline":
        jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}
        steps = [f"jobs.{k}" for k, v in jobs.items() if isinstance(v, dict) and v.get("type") == "sweep"]
        where = f" ({', '.join(steps)})" if steps else ""
        # one line, no hint: what takes a pipeline today (the loader is submit.pipeline's)
        check.error(
            ("type",),
            f"a pipeline job{where}: `sweep validate [--preflight]`, `sweep plan` and `sweep submit [--dry-run | "
            "--local]` take it; `submit --preflight` and `--continue` do not (run `sweep validate --preflight` first)",
        )
        return True
    if isinstance(kind, str) and kind.lower() in ("command", "parallel", "spark", "automl", "import", "data_transfer"):
        check.error(("type",), f"a {kind} job, not a sweep job; `sweep` validates and submits `type: sweep` jobs")
        return True
    if kind is None and "command" in data and not {"trial", "search_space", "objective"} & set(data):
        check.error(
            (),
            "a command component, not a sweep job (it has `command` at the top and no trial, search_space or "
            "objective)",
            "a sweep job runs a command as its trial: type: sweep, trial: {command: ..., environment: ...}",
        )
        return True
    return False


def _across_sections(sweep: dict, check: Checker) -> None:
    space, sampling, trial = sweep["search_space"], sweep["sampling"], sweep["trial"]
    search_rules(space, sampling, sweep["policy"], sweep["limits"], check)
    if trial is not None:
        reference_rules(parse_command(trial.command), space, sweep["inputs"], sweep["outputs"], check)


def search_rules(space, sampling, policy, limits, check: Checker) -> None:
    """The rules across the search settings (the sampler's distributions and policy, log bounds, Bayesian trials):
    a standalone sweep's, and each sweep step's of a pipeline (``submit.pipeline``)."""
    if space is not None and sampling is not None:
        sampler_rules(space, sampling, policy, check)
        log_bounds_advice(space, sampling, check)
        log_overflow_rules(space, sampling, check)
    if limits is not None and sampling is not None and space is not None and sampling.type == "bayesian":
        bayesian_advice(space, limits, check)


def _get(data: dict, key: tuple):
    for part in key:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def check_azure(spec: SweepSpec) -> None:
    """Raise ``SpecError`` for what Azure would refuse that a local run accepts (today ``compute: local``).

    ``load_spec`` keeps these apart so ``sweep submit --local`` runs such a spec; ``sweep validate`` and the cloud
    path call this.
    """
    if spec.azure_problems:
        raise SpecError(list(spec.azure_problems))
