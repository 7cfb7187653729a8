"""SweepSpec: load an Azure ML CLI v2 sweep job YAML, validate it strictly, resolve its paths, apply ``--set``.

Validation happens here, once: everything past ``load_spec`` can trust the spec. Every problem of a file is collected
and reported together, each with the file and line, the key path, what was found and what was expected::

    sweep_specs/xgb.yaml:14: search_space.max_depth: grid sampling needs `choice`, found `uniform`
      hint: use `type: choice, values: [3, 5, 7]`, or sampling_algorithm: random

The rules are those of DESIGN.md "The spec": the client schema's (reference 2.2-2.5) plus the ones the service only
enforces after submission (reference 2.6, 3, 5, 6).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, SpecError
from .names import did_you_mean
from .space import DISTRIBUTIONS, Choice, Distribution, LogUniform, QLogUniform, SearchSpace

SCHEMA_URL = "https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json"

TOP_KEYS = (
    "$schema",
    "type",
    "name",
    "display_name",
    "experiment_name",
    "description",
    "tags",
    "properties",
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
)
TRIAL_KEYS = (
    "command",
    "code",
    "environment",
    "environment_variables",
    "resources",
    "distribution",
    "queue_settings",
)
SAMPLING_TYPES = ("random", "grid", "bayesian")
SAMPLING_KEYS = {"random": ("type", "seed", "rule", "logbase"), "grid": ("type",), "bayesian": ("type",)}
POLICY_KEYS = {
    "bandit": ("type", "slack_factor", "slack_amount", "evaluation_interval", "delay_evaluation"),
    "median_stopping": ("type", "evaluation_interval", "delay_evaluation"),
    "truncation_selection": ("type", "truncation_percentage", "evaluation_interval", "delay_evaluation"),
}
LIMIT_KEYS = ("max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout")
OBJECTIVE_KEYS = ("goal", "primary_metric")
DATA_INPUT_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model")
INPUT_KEYS = ("type", "path", "mode", "description", "datastore")
INPUT_MODES = ("ro_mount", "rw_mount", "download", "direct", "eval_mount", "eval_download")
OUTPUT_KEYS = ("type", "path", "mode", "description", "name", "version")
BAYESIAN_TYPES = ("choice", "uniform", "quniform")
REMOTE_PREFIXES = ("azureml:", "http://", "https://", "wasbs://", "wasb://", "abfss://", "abfs://", "adl://")
KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# ${{search_space.x}}; the SDK still accepts the legacy single-brace {search_space.x} (with a deprecation warning)
REFERENCE = re.compile(
    r"\$\{\{\s*(search_space|inputs|outputs)\.([^\s}]+)\s*\}\}|(?<![{$])\{(search_space|inputs|outputs)\.([^\s}]+)\}"
)
# Azure's optional segment, `$[[--flag ${{inputs.x}}]]`: kept when its inputs are given. Plain brackets are the shell's
# (`[ "$x" = 1 ]`) and are left alone.
OPTIONAL_SEGMENT = re.compile(r"\$\[\[(.*?)\]\]", re.S)

AZURE_MAX_TRIALS = 1000  # service: "Must be between 1 and 1000"
AZURE_TIMEOUT_FLOOR = 60  # the SDK raises int timeouts of 1..60 s to 60 s
DEFAULT_TIMEOUT = 5184000  # 60 days, reference 6


@dataclass
class Sampling:
    type: str = "random"  # random | grid | bayesian
    rule: str | None = None  # random | sobol (random only)
    seed: int | None = None
    logbase: float | str | None = None  # a positive number or "e"
    as_string: bool = False  # the spec wrote `sampling_algorithm: random`, kept for a faithful round trip
    given: bool = True

    @property
    def base(self) -> float:
        if self.logbase in (None, "e"):
            return math.e
        return float(self.logbase)

    @property
    def label(self) -> str:
        if self.type == "random" and self.rule == "sobol":
            return "sobol"
        return self.type


@dataclass
class Policy:
    type: str  # bandit | median_stopping | truncation_selection
    evaluation_interval: int = 0
    delay_evaluation: int = 0
    slack_factor: float | None = None
    slack_amount: float | None = None
    truncation_percentage: int | None = None

    @property
    def interval(self) -> int:
        # UNCERTAIN upstream how the service reads 0 (the SDK default); we take it as "every logging", like 1
        return max(self.evaluation_interval or 0, 1)

    def describe(self) -> str:
        parts = [f"evaluation_interval={self.evaluation_interval}", f"delay_evaluation={self.delay_evaluation}"]
        for k in ("slack_factor", "slack_amount", "truncation_percentage"):
            if getattr(self, k):
                parts.insert(0, f"{k}={getattr(self, k)}")
        return f"{self.type}(" + ", ".join(parts) + ")"


@dataclass
class Objective:
    goal: str  # minimize | maximize
    primary_metric: str


@dataclass
class Limits:
    max_total_trials: int
    max_concurrent_trials: int | None = None
    timeout: int | None = None
    trial_timeout: int | None = None

    @property
    def concurrency(self) -> int:
        # Azure: "If not specified, max_total_trials number of jobs launch in parallel"
        return self.max_concurrent_trials or self.max_total_trials


@dataclass
class Input:
    name: str
    type: str  # "literal" or a data type such as uri_file
    value: Any = None  # literals
    path: str | None = None  # data inputs: as written (remote URI) or resolved absolute local path
    mode: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.path is not None and self.path.startswith(REMOTE_PREFIXES)


@dataclass
class Trial:
    command: str
    environment: Any = None
    code: str | None = None  # absolute local path, or an azureml: reference as written
    environment_variables: dict[str, str] = field(default_factory=dict)
    resources: dict[str, Any] | None = None
    distribution: dict[str, Any] | None = None


@dataclass
class SweepSpec:
    path: Path | None
    data: dict[str, Any]  # the YAML as loaded, after --set overrides, paths as written
    search_space: SearchSpace
    sampling: Sampling
    objective: Objective
    limits: Limits
    trial: Trial
    policy: Policy | None = None
    inputs: dict[str, Input] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    compute: str | None = None
    name: str | None = None
    display_name: str | None = None
    experiment_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def trial_count(self) -> int:
        """How many trials the sweep will run: a grid stops when it is exhausted."""
        size = self.search_space.grid_size() if self.sampling.type == "grid" else None
        return min(size, self.limits.max_total_trials) if size is not None else self.limits.max_total_trials

    def references(self, kind: str) -> list[str]:
        return [name for k, name in command_references(self.trial.command) if k == kind]


def reference_of(m: re.Match) -> tuple[str, str]:
    """``(kind, name)`` of a ``REFERENCE`` match, whichever of its two spellings matched."""
    return (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))


def command_references(command: str) -> list[tuple[str, str]]:
    """``(kind, name)`` for each ``${{kind.name}}`` (or legacy ``{kind.name}``) in a command, in order."""
    return [reference_of(m) for m in REFERENCE.finditer(command)]


# ---------------------------------------------------------------------------------------------------------------
# YAML with line numbers


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Key path -> 1-based line of the key (or of the item, in sequences)."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            sub = path + (str(key_node.value),)
            out[sub] = key_node.start_mark.line + 1
            _line_map(value_node, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            _line_map(item, path + (i,), out)
    return out


def _fmt_path(path: tuple) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


class _Checker:
    """Collects problems while walking the spec, each located by its key path."""

    def __init__(self, source: str, lines: dict[tuple, int], overridden: set[tuple]):
        self.source, self.lines, self.overridden = source, lines, overridden
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def where(self, path: tuple) -> str:
        for i in range(len(path), -1, -1):
            if path[:i] in self.overridden:
                return "--set"
        for i in range(len(path), -1, -1):
            if path[:i] in self.lines:
                return f"{self.source}:{self.lines[path[:i]]}"
        return self.source

    def error(self, path: tuple, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.where(path), _fmt_path(path), message, hint))

    def warn(self, path: tuple, message: str) -> None:
        self.warnings.append(f"{self.where(path)}: {_fmt_path(path)}: {message}" if path else message)

    def mapping(self, value: Any, path: tuple, what: str) -> bool:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping of {what}, found {_kind(value)}")
            return False
        return True

    def known_keys(self, value: dict, path: tuple, allowed, context: str = "") -> None:
        for key in value:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or "allowed: " + ", ".join(allowed)
                self.error(path + (key,), f"unknown key{context}", hint)

    def required(self, value: dict, path: tuple, keys) -> bool:
        ok = True
        for key in keys:
            if key not in value or value[key] is None:
                self.error(path + (key,) if path else (key,), "missing required key")
                ok = False
        return ok

    def number(self, value: Any, path: tuple, *, integer: bool = False) -> bool:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if integer:
            ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok:
            self.error(path, f"expected {'an integer' if integer else 'a number'}, found {_kind(value)} {value!r}")
        return ok


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


# ---------------------------------------------------------------------------------------------------------------
# --set overrides


def parse_override(text: str) -> tuple[tuple, Any]:
    """``limits.max_total_trials=4`` -> (("limits", "max_total_trials"), 4); the value is read as YAML."""
    if "=" not in text:
        raise SpecError(
            [Problem("--set", "", f"expected KEY.PATH=VALUE, found {text!r}", "--set limits.max_total_trials=4")]
        )
    key, raw = text.split("=", 1)
    parts = tuple(int(p) if p.isdigit() else p for p in key.strip().split("."))
    if not all(str(p) for p in parts):
        raise SpecError([Problem("--set", "", f"empty key in {text!r}", "--set limits.max_total_trials=4")])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return parts, value


def apply_override(data: dict, path: tuple, value: Any) -> None:
    node = data
    for i, part in enumerate(path[:-1]):
        nxt = node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
        if isinstance(node, dict):
            nxt = node.get(part)
            if not isinstance(nxt, (dict, list)):
                nxt = node[part] = {}
        elif nxt is None:
            raise SpecError([Problem("--set", _fmt_path(path), f"cannot set inside {_fmt_path(path[: i + 1])}")])
        node = nxt
    if isinstance(node, list):
        if not isinstance(path[-1], int) or path[-1] >= len(node):
            raise SpecError([Problem("--set", _fmt_path(path), "list index out of range")])
    node[path[-1]] = value


# ---------------------------------------------------------------------------------------------------------------
# loading


def load_spec(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> SweepSpec:
    """Load and validate a sweep spec; raises ``SpecError`` listing every problem found."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Problem(source, "", "no such file", _did_you_mean_file(path))]) from None
    except IsADirectoryError:
        raise SpecError([Problem(source, "", "is a folder, expected a sweep spec YAML file")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError([Problem(source, "", f"cannot read: {e}")]) from None
    return parse_spec(text, source=source, path=path.resolve(), overrides=overrides)


def _did_you_mean_file(path: Path) -> str:
    folder = path.parent if path.parent.exists() else None
    if folder is None:
        return ""
    candidates = [p.name for p in folder.iterdir() if p.suffix in (".yml", ".yaml")]
    return did_you_mean(path.name, candidates)


def parse_spec(text: str, *, source: str = "<spec>", path: Path | None = None, overrides=()) -> SweepSpec:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(e, "problem", None) or str(e)
        raise SpecError([Problem(where, "", f"not valid YAML: {problem}")]) from None
    if data is None:
        raise SpecError([Problem(source, "", "the file is empty; expected a sweep job (type: sweep, trial, ...)")])
    if not isinstance(data, dict):
        raise SpecError(
            [Problem(f"{source}:1", "", f"expected a mapping (a sweep job with type: sweep), found {_kind(data)}")]
        )
    lines = _line_map(node) if node is not None else {}
    overridden: set[tuple] = set()
    for text_override in overrides:
        key, value = parse_override(text_override)
        apply_override(data, key, value)
        overridden.add(key)
    check = _Checker(source, lines, overridden)
    spec = _build(data, check, path)
    if check.problems:
        raise SpecError(check.problems)
    assert spec is not None
    spec.warnings = check.warnings
    return spec


def _build(data: dict, check: _Checker, path: Path | None) -> SweepSpec | None:
    base_dir = path.parent if path else Path.cwd()
    check.known_keys(data, (), TOP_KEYS)
    if data.get("type") != "sweep":
        found = data.get("type")
        if found is None:
            check.error(("type",), "missing required key", "type: sweep")
        else:
            check.error(("type",), f"expected `sweep`, found `{found}`", "type: sweep")
    for key in ("trial", "search_space", "objective", "limits"):
        if data.get(key) is None:
            check.error((key,), "missing required key")

    space = _search_space(data.get("search_space"), check)
    sampling = _sampling(data.get("sampling_algorithm"), check)
    objective = _objective(data.get("objective"), check)
    policy = _policy(data.get("early_termination"), check)
    limits = _limits(data.get("limits"), check)
    inputs = _inputs(data.get("inputs"), check, base_dir)
    outputs = _outputs(data.get("outputs"), check)
    trial = _trial(data.get("trial"), check, base_dir)
    for key in ("name", "display_name", "experiment_name", "description", "compute"):
        if data.get(key) is not None and not isinstance(data[key], str):
            check.error((key,), f"expected a string, found {_kind(data[key])}")
    if (
        data.get("name") is not None
        and isinstance(data["name"], str)
        and not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", data["name"])
    ):
        check.error(("name",), f"job names use letters, digits, `-` and `_`, found {data['name']!r}")
    tags = data.get("tags") or {}
    if not isinstance(tags, dict):
        check.error(("tags",), f"expected a mapping of tag names to values, found {_kind(tags)}")
        tags = {}

    if space is not None and sampling is not None:
        _sampler_rules(space, sampling, policy, limits, check)
    if trial is not None:
        _reference_rules(trial.command, space, inputs, outputs, check)
    if limits is not None and sampling is not None and space is not None and sampling.type == "bayesian":
        _bayesian_advice(space, limits, check)

    if check.problems or None in (space, sampling, objective, limits, trial):
        return None
    return SweepSpec(
        path=path,
        data=data,
        search_space=space,
        sampling=sampling,
        objective=objective,
        limits=limits,
        trial=trial,
        policy=policy,
        inputs=inputs or {},
        outputs=outputs or {},
        compute=data.get("compute"),
        name=data.get("name"),
        display_name=data.get("display_name"),
        experiment_name=data.get("experiment_name"),
        description=data.get("description"),
        tags={str(k): str(v) for k, v in tags.items()},
    )


def _search_space(value: Any, check: _Checker) -> SearchSpace | None:
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


def _distribution(node: Any, path: tuple, check: _Checker) -> Distribution | None:
    if not isinstance(node, dict):
        check.error(
            path,
            f"expected a distribution such as `{{type: uniform, min_value: 0, max_value: 1}}`, found {_kind(node)}",
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
                check.error(path + (param,), f"expected a list of values, found {_kind(v)}")
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
    if isinstance(dist, (LogUniform, QLogUniform)) and dist.min_value > 0 and dist.max_value <= 1:
        lo, hi = math.exp(dist.min_value), math.exp(dist.max_value)
        check.warn(
            path,
            f"{kind_l} bounds are natural-log exponents: this samples e^{dist.min_value}..e^{dist.max_value} "
            f"= {lo:.4g}..{hi:.4g}; for {dist.min_value}..{dist.max_value} write "
            f"min_value: {math.log(dist.min_value):.4g}, max_value: {math.log(dist.max_value):.4g}",
        )
    return dist


def _choice_value(item: Any, path: tuple, check: _Checker) -> Any:
    """A choice value; mappings may hold nested distributions (conditional search spaces)."""
    if isinstance(item, dict):
        nested = {}
        for k, v in item.items():
            if isinstance(v, dict):
                nested[k] = _distribution(v, path + (k,), check)
            else:
                nested[k] = v
        return nested
    return item


def _sampling(value: Any, check: _Checker) -> Sampling | None:
    path = ("sampling_algorithm",)
    if value is None:
        check.warn(path, "missing; Azure's docs call it required, and sweep assumes `random`")
        return Sampling(given=False)
    if isinstance(value, str):
        kind = value.lower()
        if kind not in SAMPLING_TYPES:
            hint = (
                "for Sobol write `{type: random, rule: sobol, seed: 1}`"
                if kind == "sobol"
                else did_you_mean(kind, SAMPLING_TYPES)
            )
            check.error(
                path, f"unknown sampling algorithm `{value}`, expected one of {', '.join(SAMPLING_TYPES)}", hint
            )
            return None
        return Sampling(type=kind, as_string=True)
    if not check.mapping(value, path, "sampling settings"):
        return None
    kind = str(value.get("type", "")).lower()
    if kind not in SAMPLING_TYPES:
        check.error(
            path + ("type",),
            f"expected one of {', '.join(SAMPLING_TYPES)}, found {value.get('type')!r}",
            did_you_mean(kind, SAMPLING_TYPES),
        )
        return None
    check.known_keys(value, path, SAMPLING_KEYS[kind], f" for `{kind}` sampling")
    sampling = Sampling(type=kind)
    if kind == "random":
        rule = value.get("rule")
        if rule is not None and rule not in ("random", "sobol"):
            check.error(
                path + ("rule",),
                f"expected `random` or `sobol`, found {rule!r}",
                did_you_mean(rule, ("random", "sobol")),
            )
        seed = value.get("seed")
        if seed is not None:
            check.number(seed, path + ("seed",), integer=True)
        logbase = value.get("logbase")
        if logbase is not None and logbase != "e":
            if not check.number(logbase, path + ("logbase",)) or logbase <= 0 or logbase == 1:
                if isinstance(logbase, (int, float)) and not isinstance(logbase, bool):
                    check.error(
                        path + ("logbase",), f'expected a positive number other than 1, or "e", found {logbase}'
                    )
        sampling = Sampling(type=kind, rule=rule, seed=seed, logbase=logbase)
    return sampling


def _objective(value: Any, check: _Checker) -> Objective | None:
    path = ("objective",)
    if value is None or not check.mapping(value, path, "goal and primary_metric"):
        return None
    check.known_keys(value, path, OBJECTIVE_KEYS)
    if not check.required(value, path, OBJECTIVE_KEYS):
        return None
    goal = str(value["goal"]).lower()
    if goal not in ("minimize", "maximize"):
        check.error(
            path + ("goal",),
            f"expected `minimize` or `maximize`, found {value['goal']!r}",
            did_you_mean(goal, ("minimize", "maximize", "min", "max"))
            .replace("`min`", "`minimize`")
            .replace("`max`", "`maximize`"),
        )
        return None
    metric = value["primary_metric"]
    if not isinstance(metric, str) or not metric.strip():
        check.error(path + ("primary_metric",), f"expected the name of a metric the script logs, found {metric!r}")
        return None
    return Objective(goal=goal, primary_metric=metric)


def _policy(value: Any, check: _Checker) -> Policy | None:
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
    kind = str(value.get("type", "")).lower()
    if kind not in POLICY_KEYS:
        check.error(
            path + ("type",),
            f"unknown early-termination policy {value.get('type')!r}",
            did_you_mean(kind, POLICY_KEYS) or "one of: " + ", ".join(POLICY_KEYS),
        )
        return None
    check.known_keys(value, path, POLICY_KEYS[kind], f" for `{kind}`")
    for p in check.problems:
        if p.path == "early_termination.exclude_finished_jobs":
            p.hint = "exclude_finished_jobs exists only in v1 HyperDrive; Azure ML v2 rejects it"
    before = len(check.problems)
    policy = Policy(type=kind)
    for key in ("evaluation_interval", "delay_evaluation"):
        v = value.get(key)
        if v is not None and check.number(v, path + (key,), integer=True):
            if v < 0:
                check.error(path + (key,), f"must be >= 0, found {v}")
            setattr(policy, key, v)
    if kind == "bandit":
        for key in ("slack_factor", "slack_amount"):
            v = value.get(key)
            if v is not None and check.number(v, path + (key,)):
                if v < 0:
                    check.error(path + (key,), f"must be >= 0, found {v}")
                setattr(policy, key, v or None)  # the YAML path sends 0 for the unset one; the service reads 0 as unset
        if policy.slack_factor and policy.slack_amount:
            check.error(
                path,
                "Bandit takes exactly one of slack_factor and slack_amount, found both",
                "keep one, e.g. slack_factor: 0.1",
            )
        elif not policy.slack_factor and not policy.slack_amount and len(check.problems) == before:
            check.error(path, "Bandit needs one of slack_factor or slack_amount (> 0)", "slack_factor: 0.1")
    if kind == "truncation_selection":
        v = value.get("truncation_percentage")
        if v is None:
            check.error(path + ("truncation_percentage",), "missing required key", "truncation_percentage: 20")
        elif check.number(v, path + ("truncation_percentage",), integer=True):
            if not 1 <= v <= 99:
                check.error(path + ("truncation_percentage",), f"must be an integer from 1 to 99, found {v}")
            policy.truncation_percentage = v
    return policy


def _limits(value: Any, check: _Checker) -> Limits | None:
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
            if isinstance(v, str):
                check.problems[
                    -1
                ].hint = "seconds as an integer, e.g. 3600 (the SDK silently drops non-integer timeouts)"
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


def _inputs(value: Any, check: _Checker, base_dir: Path) -> dict[str, Input] | None:
    if value is None:
        return {}
    path = ("inputs",)
    if not check.mapping(value, path, "input names to values"):
        return None
    inputs = {}
    for name, v in value.items():
        p = path + (name,)
        if not KEY_NAME.match(str(name)):
            check.error(p, "input names use letters, digits and underscores")
        if isinstance(v, dict):
            check.known_keys(v, p, INPUT_KEYS)
            kind = v.get("type", "uri_folder")
            if kind not in DATA_INPUT_TYPES:
                check.error(
                    p + ("type",),
                    f"unknown input type {kind!r}",
                    did_you_mean(kind, DATA_INPUT_TYPES) or "one of: " + ", ".join(DATA_INPUT_TYPES),
                )
                continue
            if v.get("mode") is not None and v["mode"] not in INPUT_MODES:
                check.error(
                    p + ("mode",),
                    f"unknown mode {v['mode']!r}",
                    did_you_mean(v["mode"], INPUT_MODES) or "one of: " + ", ".join(INPUT_MODES),
                )
            raw = v.get("path")
            if not isinstance(raw, str) or not raw:
                check.error(
                    p + ("path",),
                    "missing required key" if raw is None else f"expected a path or URI, found {_kind(raw)}",
                )
                continue
            resolved = raw
            if not raw.startswith(REMOTE_PREFIXES):
                local = Path(raw[len("file://") :] if raw.startswith("file://") else raw)
                local = local if local.is_absolute() else (base_dir / local)
                if not local.exists():
                    check.error(p + ("path",), f"no such file or folder: {local}")
                resolved = str(local.resolve())
            inputs[str(name)] = Input(str(name), kind, path=resolved, mode=v.get("mode"))
        elif isinstance(v, (str, int, float, bool)):
            inputs[str(name)] = Input(str(name), "literal", value=v)
        else:
            check.error(p, f"expected a literal or a data input `{{type: uri_file, path: ...}}`, found {_kind(v)}")
    return inputs


def _outputs(value: Any, check: _Checker) -> dict[str, dict] | None:
    if value is None:
        return {}
    path = ("outputs",)
    if not check.mapping(value, path, "output names to settings"):
        return None
    outputs = {}
    for name, v in value.items():
        v = v or {}
        if not isinstance(v, dict):
            check.error(path + (name,), f"expected a mapping such as `{{type: uri_folder}}`, found {_kind(v)}")
            continue
        check.known_keys(v, path + (name,), OUTPUT_KEYS)
        outputs[str(name)] = v
    return outputs


def _trial(value: Any, check: _Checker, base_dir: Path) -> Trial | None:
    path = ("trial",)
    if value is None:
        return None
    if isinstance(value, str):
        check.error(
            path,
            "trial as a component file reference is only supported in pipeline sweeps",
            "inline the command: trial: {command: ..., environment: ...}",
        )
        return None
    if not check.mapping(value, path, "command, code and environment"):
        return None
    known = TRIAL_KEYS
    check.known_keys(value, path, known)
    for wrong, hint in (
        ("compute", "compute is a top-level key of the sweep"),
        ("inputs", "inputs is a top-level key of the sweep"),
    ):
        if wrong in value:
            for p in check.problems:
                if p.path == f"trial.{wrong}":
                    p.hint = hint
    if not check.required(value, path, ("command", "environment")):
        return None
    command = value["command"]
    if not isinstance(command, str) or not command.strip():
        found = "an empty string" if isinstance(command, str) else _kind(command)
        check.error(
            path + ("command",),
            f"expected the command line that runs a trial, found {found}",
            "command: python train.py --lr ${{search_space.lr}}",
        )
        return None
    env = value["environment"]
    if isinstance(env, dict):
        check.known_keys(
            env,
            path + ("environment",),
            ("image", "conda_file", "build", "name", "version", "description", "tags", "os_type", "inference_config"),
        )
        if not env.get("image") and not env.get("build"):
            check.error(
                path + ("environment",), "an inline environment needs `image` (and optionally `conda_file`) or `build`"
            )
        if isinstance(env.get("conda_file"), str):
            conda = base_dir / env["conda_file"]
            if not conda.exists():
                check.error(path + ("environment", "conda_file"), f"no such file: {conda}")
    elif not isinstance(env, str):
        check.error(
            path + ("environment",), f"expected `azureml:<name>:<version>` or an inline environment, found {_kind(env)}"
        )
    code = value.get("code")
    resolved_code = None
    if code is not None:
        if not isinstance(code, str):
            check.error(path + ("code",), f"expected a folder path, found {_kind(code)}")
        elif code.startswith(REMOTE_PREFIXES):
            resolved_code = code
        else:
            folder = Path(code) if Path(code).is_absolute() else base_dir / code
            if not folder.exists():
                check.error(path + ("code",), f"no such folder: {folder}")
            resolved_code = str(folder.resolve())
    env_vars = value.get("environment_variables") or {}
    if not isinstance(env_vars, dict):
        check.error(
            path + ("environment_variables",), f"expected a mapping of names to values, found {_kind(env_vars)}"
        )
        env_vars = {}
    return Trial(
        command=command,
        environment=env,
        code=resolved_code,
        environment_variables={str(k): str(v) for k, v in env_vars.items()},
        resources=value.get("resources"),
        distribution=value.get("distribution"),
    )


def _sampler_rules(
    space: SearchSpace, sampling: Sampling, policy: Policy | None, limits: Limits | None, check: _Checker
) -> None:
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


def _bayesian_advice(space: SearchSpace, limits: Limits, check: _Checker) -> None:
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


def _reference_rules(
    command: str, space: SearchSpace | None, inputs: dict | None, outputs: dict | None, check: _Checker
) -> None:
    path = ("trial", "command")
    optional = {
        name for seg in OPTIONAL_SEGMENT.findall(command) for kind, name in command_references(seg) if kind == "inputs"
    }
    refs = command_references(command)
    for kind, name in refs:
        if kind == "search_space" and space is not None and name not in space:
            check.error(
                path,
                f"`${{{{search_space.{name}}}}}` names no search-space parameter",
                did_you_mean(name, space) or "parameters: " + ", ".join(space),
            )
        elif kind == "inputs" and inputs is not None and name not in inputs and name not in optional:
            check.error(
                path,
                f"`${{{{inputs.{name}}}}}` names no input",
                did_you_mean(name, inputs) or (f"inputs: {', '.join(inputs)}" if inputs else "add it under `inputs:`"),
            )
        elif kind == "outputs" and outputs is not None and name not in outputs:
            check.error(
                path,
                f"`${{{{outputs.{name}}}}}` names no output",
                did_you_mean(name, outputs) or "add it under `outputs:`",
            )
    if re.search(r"(?<![{$])\{(search_space|inputs|outputs)\.", command):
        check.warn(path, "single-brace `{search_space.x}` references are deprecated; write `${{search_space.x}}`")
    if space is not None:
        used = {name for kind, name in refs if kind == "search_space"}
        for name in space:
            if name not in used:
                check.warn(
                    ("search_space", name),
                    f"not used in trial.command (the script only sees it as $AZUREML_SWEEP_{name})",
                )
