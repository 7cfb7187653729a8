"""The sweep's own settings checked: search space, sampling algorithm, objective, early termination and limits.

Each ``*_of`` function reads one top-level key of the YAML and returns its model object, or None after recording
every problem it found with the checker (docs/semantics.md, "What `sweep validate` checks": the SDK schema's shapes, then the service's rules).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..model import (
    AZURE_MAX_TRIALS,
    AZURE_TIMEOUT_FLOOR,
    GOALS,
    POLICY_SETTINGS,
    POLICY_TYPES,
    SAMPLER_TYPES,
    Limits,
    Objective,
    Policy,
    Sampling,
    keys,
)
from ..names import did_you_mean
from ..space import BAYESIAN_TYPES, DISTRIBUTIONS, Choice, Distribution, SearchSpace
from .checker import Checker, SnakeCased, azure_reading, kind_of, meant

KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SAMPLING_KEYS = {"random": ("type", "seed", "rule", "logbase"), "grid": ("type",), "bayesian": ("type",)}
SAMPLING_RULES = ("random", "sobol")
# the keys azure-ai-ml's schema reads through camel_to_snake (sweep_objective.py, sweep_sampling_algorithm.py,
# sweep_termination.py): `Maximize`, `{type: Bayesian}`, `MedianStopping`; the string form of sampling_algorithm and
# the distributions' and the rule's names it only lower-cases
SNAKE_GOALS = SnakeCased(GOALS)
SNAKE_SAMPLERS = SnakeCased(SAMPLER_TYPES)
SNAKE_POLICIES = SnakeCased(POLICY_TYPES)
SEED_MAX = 2**31 - 1
OBJECTIVE_KEYS = keys(Objective)
LIMIT_KEYS = keys(Limits)
_TIMEOUT_HINT = "seconds as an integer, e.g. 3600 (the SDK silently drops non-integer timeouts)"
_LIMIT_HINTS = {
    "max_total_trials": f"a number of trials as an integer from 1 to {AZURE_MAX_TRIALS}, e.g. 20",
    "max_concurrent_trials": f"a number of trials as an integer from 1 to {AZURE_MAX_TRIALS}, e.g. 4",
    "timeout": _TIMEOUT_HINT,
    "trial_timeout": _TIMEOUT_HINT,
}


def search_space_of(value: Any, check: Checker) -> SearchSpace | None:
    if value is None:
        return None
    path = ("search_space",)
    if not check.mapping(value, path, "parameter names to distributions"):
        return None
    if not value:
        check.error(
            path,
            "is empty; a sweep needs at least one parameter",
            "lr: {type: uniform, min_value: 0.01, max_value: 0.1}",
        )
        return None
    params = {}
    for name, node in value.items():
        if not KEY_NAME.match(str(name)):
            check.error(
                path + (name,), "parameter names use letters, digits and underscores, and do not start with a digit"
            )
        dist = _distribution(node, path + (name,), check)
        if dist is not None:
            params[str(name)] = dist
    return SearchSpace(params) if len(params) == len(value) else None


def _distribution(node: Any, path: tuple, check: Checker) -> Distribution | None:
    if not isinstance(node, dict):
        check.error(
            path,
            f"expected a distribution such as `{{type: uniform, min_value: 0, max_value: 1}}`, found {kind_of(node)}",
        )
        return None
    kind = node.get("type")
    if kind is None:
        check.error(path + ("type",), "missing required key", "one of: " + ", ".join(DISTRIBUTIONS))
        return None
    kind_l = str(kind).lower()
    if kind_l not in DISTRIBUTIONS:
        check.error(
            path + ("type",),
            f"unknown distribution `{kind}`",
            did_you_mean(kind_l, DISTRIBUTIONS) or "one of: " + ", ".join(DISTRIBUTIONS),
        )
        return None
    cls = DISTRIBUTIONS[kind_l]
    check.known_keys(node, path, ("type",) + cls.PARAMS, f" for `{kind_l}`")
    if not check.required(node, path, cls.PARAMS):
        return None
    kwargs = {}
    ok = True
    for param in cls.PARAMS:
        v = node[param]
        if param == "values":
            if not isinstance(v, list):
                check.error(path + (param,), f"expected a list of values, found {kind_of(v)}")
                ok = False
                continue
            kwargs[param] = [_choice_value(item, path + (param, i), check) for i, item in enumerate(v)]
        elif param == "upper":
            ok &= check.number(v, path + (param,), integer=True)
            kwargs[param] = v
        else:
            ok &= check.number(v, path + (param,))
            kwargs[param] = v
    if not ok:
        return None
    dist = cls(**kwargs)
    for key, message, hint in dist.problems():
        check.error(path + tuple(int(k) if k.isdigit() else k for k in re.split(r"[.\[\]]+", key) if k), message, hint)
    return dist


def _choice_value(item: Any, path: tuple, check: Checker) -> Any:
    """A choice value; mappings may hold nested distributions (conditional search spaces)."""
    if isinstance(item, dict):
        nested = {}
        for k, v in item.items():
            if isinstance(v, dict):
                nested[k] = _distribution(v, path + (k,), check)
            else:
                nested[k] = v
        return nested
    if isinstance(item, float) and not math.isfinite(item):  # YAML's .nan and .inf: a trial would receive "nan"
        check.error(path, f"expected a finite number, found {item}", "quote it if the script takes the text")
    return item


def sampling_of(value: Any, check: Checker) -> Sampling | None:
    path = ("sampling_algorithm",)
    if value is None:
        check.warn(path, "missing; Azure's docs call it required, and sweep assumes `random`")
        return Sampling(given=False)
    if isinstance(value, str):
        kind = value.lower()
        if kind not in SAMPLER_TYPES:
            hint = (
                "for Sobol write `{type: random, rule: sobol, seed: 1}`"
                if kind == "sobol"
                else did_you_mean(kind, SAMPLER_TYPES)
            )
            check.error(path, f"unknown sampling algorithm `{value}`, expected one of {', '.join(SAMPLER_TYPES)}", hint)
            return None
        return Sampling(type=kind, as_string=True)
    if not check.mapping(value, path, "sampling settings"):
        return None
    kind = azure_reading(value.get("type"), SNAKE_SAMPLERS)
    if kind is None:
        check.error(
            path + ("type",),
            f"expected one of {', '.join(SAMPLER_TYPES)}, found {value.get('type')!r}",
            meant(value.get("type", ""), SNAKE_SAMPLERS),
        )
        return None
    check.known_keys(value, path, SAMPLING_KEYS[kind], f" for `{kind}` sampling")
    sampling = Sampling(type=kind)
    if kind == "random":
        rule = value.get("rule")
        if rule is not None:
            rule = azure_reading(value["rule"], SAMPLING_RULES)
            if rule is None:
                check.error(
                    path + ("rule",),
                    f"expected `random` or `sobol`, found {value['rule']!r}",
                    meant(value["rule"], SAMPLING_RULES),
                )
        seed = value.get("seed")
        if seed is not None and check.number(seed, path + ("seed",), integer=True) and not 0 <= seed <= SEED_MAX:
            # Azure's REST API holds the seed in a 32-bit integer; numpy's generators take no negative seed
            check.error(path + ("seed",), f"expected an integer from 0 to {SEED_MAX}, found {seed}", "seed: 42")
        logbase = value.get("logbase")
        if logbase is not None and logbase != "e":
            if not check.number(logbase, path + ("logbase",)) or logbase <= 0 or logbase == 1:
                if isinstance(logbase, (int, float)) and not isinstance(logbase, bool):
                    check.error(
                        path + ("logbase",), f'expected a positive number other than 1, or "e", found {logbase}'
                    )
        sampling = Sampling(type=kind, rule=rule, seed=seed, logbase=logbase)
    return sampling


def objective_of(value: Any, check: Checker) -> Objective | None:
    path = ("objective",)
    if value is None or not check.mapping(value, path, "goal and primary_metric"):
        return None
    check.known_keys(value, path, OBJECTIVE_KEYS)
    if not check.required(value, path, OBJECTIVE_KEYS):
        return None
    goal = azure_reading(value["goal"], SNAKE_GOALS)
    if goal is None:
        check.error(
            path + ("goal",),
            f"expected `minimize` or `maximize`, found {value['goal']!r}",
            did_you_mean(str(value["goal"]).lower(), (*GOALS, "min", "max"))
            .replace("`min`", "`minimize`")
            .replace("`max`", "`maximize`"),
        )
        return None
    metric = value["primary_metric"]
    if not isinstance(metric, str) or not metric.strip():
        check.error(path + ("primary_metric",), f"expected the name of a metric the script logs, found {metric!r}")
        return None
    return Objective(goal=goal, primary_metric=metric)


def policy_of(value: Any, check: Checker) -> Policy | None:
    path = ("early_termination",)
    if value is None:
        return None
    if isinstance(value, str):
        check.error(
            path, f"expected a mapping such as `{{type: {value}, evaluation_interval: 1}}`, found the string {value!r}"
        )
        return None
    if not check.mapping(value, path, "policy settings"):
        return None
    kind = azure_reading(value.get("type"), SNAKE_POLICIES)
    if kind is None:
        check.error(
            path + ("type",),
            f"unknown early-termination policy {value.get('type')!r}",
            meant(value.get("type", ""), SNAKE_POLICIES) or "one of: " + ", ".join(POLICY_TYPES),
        )
        return None
    check.known_keys(value, path, ("type",) + POLICY_SETTINGS[kind], f" for `{kind}`")
    for p in check.problems:
        if p.path == "early_termination.exclude_finished_jobs":
            p.hint = "exclude_finished_jobs exists only in v1 HyperDrive; Azure ML v2 rejects it"
    before = len(check.problems)
    settings: dict[str, Any] = {}
    for key in ("evaluation_interval", "delay_evaluation"):
        v = value.get(key)
        if v is not None and check.number(v, path + (key,), integer=True):
            if v < 0:
                check.error(path + (key,), f"must be >= 0, found {v}")
            settings[key] = v
    if kind == "bandit":
        settings.update(_bandit_slack(value, check, path, before))
    if kind == "truncation_selection":
        v = value.get("truncation_percentage")
        if v is None:
            check.error(path + ("truncation_percentage",), "missing required key", "truncation_percentage: 20")
        elif check.number(v, path + ("truncation_percentage",), integer=True):
            if not 1 <= v <= 99:
                check.error(path + ("truncation_percentage",), f"must be an integer from 1 to 99, found {v}")
            settings["truncation_percentage"] = v
    return Policy(type=kind, **settings)


def _bandit_slack(value: dict, check: Checker, path: tuple, before: int) -> dict[str, float]:
    """Bandit's one slack (docs/semantics.md, "Bandit"): exactly one of slack_factor and slack_amount, > 0."""
    slack = {}
    for key in ("slack_factor", "slack_amount"):
        v = value.get(key)
        if v is not None and check.number(v, path + (key,)):
            if v < 0:
                check.error(path + (key,), f"must be >= 0, found {v}")
            if v:  # the YAML path sends 0 for the unset one; the service reads 0 as unset
                slack[key] = v
    if len(slack) == 2:
        check.error(
            path,
            "Bandit takes exactly one of slack_factor and slack_amount, found both",
            "keep one, e.g. slack_factor: 0.1",
        )
    elif not slack and len(check.problems) == before:
        check.error(path, "Bandit needs one of slack_factor or slack_amount (> 0)", "slack_factor: 0.1")
    return slack


def limits_of(value: Any, check: Checker) -> Limits | None:
    path = ("limits",)
    if value is None or not check.mapping(value, path, "limits"):
        return None
    check.known_keys(value, path, LIMIT_KEYS)
    if not check.required(value, path, ("max_total_trials",)):
        return None
    ok = True
    for key in LIMIT_KEYS:
        v = value.get(key)
        if v is None:
            continue
        if not check.number(v, path + (key,), integer=True):
            check.problems[-1].hint = _LIMIT_HINTS[key]
            ok = False
            continue
        if key in ("max_total_trials", "max_concurrent_trials") and not 1 <= v <= AZURE_MAX_TRIALS:
            check.error(path + (key,), f"must be from 1 to {AZURE_MAX_TRIALS} (Azure's limit), found {v}")
            ok = False
        if key in ("timeout", "trial_timeout"):
            if v < 0:
                check.error(path + (key,), f"must be >= 0 seconds, found {v}")
                ok = False
            elif 0 < v < AZURE_TIMEOUT_FLOOR:
                check.warn(
                    path + (key,),
                    f"{v} s: Azure raises timeouts under {AZURE_TIMEOUT_FLOOR} s to {AZURE_TIMEOUT_FLOOR} s; the local emulator uses {v} s",
                )
    if not ok:
        return None
    limits = Limits(**{k: value.get(k) for k in LIMIT_KEYS})
    if limits.max_concurrent_trials and limits.max_concurrent_trials > limits.max_total_trials:
        check.warn(
            path + ("max_concurrent_trials",),
            f"{limits.max_concurrent_trials} exceeds max_total_trials ({limits.max_total_trials}); at most {limits.max_total_trials} run at once",
        )
    return limits


def sampler_rules(space: SearchSpace, sampling: Sampling, policy: Policy | None, check: Checker) -> None:
    """Grid takes only plain choices; Bayesian only choice, uniform and quniform, and no early termination."""
    for name, dist in space.items():
        p = ("search_space", name, "type")
        if sampling.type == "grid":
            if not isinstance(dist, Choice):
                check.error(
                    p,
                    f"grid sampling needs `choice`, found `{dist.type}`",
                    "use `type: choice, values: [...]`, or sampling_algorithm: random",
                )
            elif dist.grid_values() is None:
                check.error(
                    p,
                    "grid sampling needs plain choice values, found nested distributions",
                    "sampling_algorithm: random",
                )
        elif sampling.type == "bayesian":
            if dist.type not in BAYESIAN_TYPES:
                check.error(
                    p,
                    f"bayesian sampling supports choice, uniform and quniform only, found `{dist.type}`",
                    "for a log scale, sample the exponent with `uniform` and exponentiate in the script; or use random sampling",
                )
            elif isinstance(dist, Choice) and dist.grid_values() is None:
                check.error(
                    p,
                    "bayesian sampling needs plain choice values, found nested distributions",
                    "sampling_algorithm: random",
                )
    if sampling.type == "bayesian" and policy is not None:
        check.error(
            ("early_termination",),
            "bayesian sampling does not support early termination",
            "remove early_termination, or use random sampling",
        )


def bayesian_advice(space: SearchSpace, limits: Limits, check: Checker) -> None:
    """Azure's advice for Bayesian sampling (docs/semantics.md, "What `sweep validate` checks"), as warnings."""
    n = len(space)
    if limits.max_total_trials < 20 * n:
        check.warn(
            ("limits", "max_total_trials"),
            f"{limits.max_total_trials} trials for {n} parameters; Azure recommends at least 20 per parameter ({20 * n}) for bayesian sampling",
        )
    if limits.concurrency > 4:
        check.warn(
            ("limits", "max_concurrent_trials"),
            f"{limits.concurrency} concurrent trials: bayesian sampling learns from finished trials, and fewer concurrent trials converge better",
        )
