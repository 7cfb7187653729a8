"""What a trial runs, checked: the command and what it references, the code folder, the environment, inputs, outputs.

Local paths (code, conda file, Docker context, data inputs) resolve against the spec's folder, as ``az ml job
create -f`` resolves them against the YAML's folder; remote references stay as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .checker import Checker, kind_of
from .command import Command, parse_command
from .model import REMOTE_PREFIXES, DockerBuild, InlineEnvironment, Input, Output, Trial, keys
from .names import did_you_mean
from .space import SearchSpace
from .validate_job import settings_of
from .validate_space import KEY_NAME

TRIAL_KEYS = (
    "command",
    "code",
    "environment",
    "environment_variables",
    "resources",
    "distribution",
    "queue_settings",
)
ENVIRONMENT_KEYS = keys(InlineEnvironment)
DATA_INPUT_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model")
INPUT_KEYS = ("type", "path", "mode", "description", "datastore")
INPUT_MODES = ("ro_mount", "rw_mount", "download", "direct", "eval_mount", "eval_download")
OUTPUT_KEYS = keys(Output)


def trial_of(value: Any, check: Checker, base_dir: Path) -> Trial | None:
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
    check.known_keys(value, path, TRIAL_KEYS)
    for wrong, hint in (
        ("compute", "compute is a top-level key of the sweep"),
        ("inputs", "inputs is a top-level key of the sweep"),
    ):
        for p in check.problems:
            if wrong in value and p.path == f"trial.{wrong}":
                p.hint = hint
    if not check.required(value, path, ("command", "environment")):
        return None
    command = value["command"]
    if not isinstance(command, str) or not command.strip():
        found = "an empty string" if isinstance(command, str) else kind_of(command)
        check.error(
            path + ("command",),
            f"expected the command line that runs a trial, found {found}",
            "command: python train.py --lr ${{search_space.lr}}",
        )
        return None
    env_vars = value.get("environment_variables") or {}
    if not isinstance(env_vars, dict):
        check.error(
            path + ("environment_variables",), f"expected a mapping of names to values, found {kind_of(env_vars)}"
        )
        env_vars = {}
    return Trial(
        command=command,
        environment=_environment(value["environment"], check, base_dir),
        code=_code(value.get("code"), check, base_dir),
        environment_variables={str(k): str(v) for k, v in env_vars.items()},
        resources=settings_of("resources", value.get("resources"), path + ("resources",), check),
        distribution=settings_of("distribution", value.get("distribution"), path + ("distribution",), check),
        queue_settings=settings_of("queue_settings", value.get("queue_settings"), path + ("queue_settings",), check),
        references=tuple((r.kind, r.name) for r in parse_command(command).references),
    )


def _local(base_dir: Path, raw: str) -> Path:
    return Path(raw) if Path(raw).is_absolute() else base_dir / raw


def _code(code: Any, check: Checker, base_dir: Path) -> str | None:
    path = ("trial", "code")
    if code is None:
        return None
    if not isinstance(code, str):
        check.error(path, f"expected a folder path, found {kind_of(code)}")
        return None
    if code.startswith(REMOTE_PREFIXES):
        return code
    folder = _local(base_dir, code)
    if not folder.exists():
        check.error(path, f"no such folder: {folder}")
    return str(folder.resolve())


def _environment(env: Any, check: Checker, base_dir: Path) -> str | InlineEnvironment:
    path = ("trial", "environment")
    if isinstance(env, str):
        return env
    if not isinstance(env, dict):
        check.error(path, f"expected `azureml:<name>:<version>` or an inline environment, found {kind_of(env)}")
        return str(env)
    check.known_keys(env, path, ENVIRONMENT_KEYS)
    if not env.get("image") and not env.get("build"):
        check.error(path, "an inline environment needs `image` (and optionally `conda_file`) or `build`")
    conda = env.get("conda_file")
    if isinstance(conda, str):
        # a path resolves against the spec's folder, as load_job resolves it against the YAML's folder
        conda = str(base_dir / conda)
        if not Path(conda).exists():
            check.error(path + ("conda_file",), f"no such file: {conda}")
    build = env.get("build")
    if isinstance(build, dict):
        context = build.get("path")
        if isinstance(context, str) and not context.startswith(REMOTE_PREFIXES):
            context = str(base_dir / context)
        build = DockerBuild(path=context, dockerfile_path=build.get("dockerfile_path"))
    elif build is not None:
        check.error(path + ("build",), f"expected a mapping with `path` (the Docker context), found {kind_of(build)}")
        build = None
    given = {k: env[k] for k in ENVIRONMENT_KEYS if k not in ("conda_file", "build") and env.get(k) is not None}
    return InlineEnvironment(conda_file=conda, build=build, **given)


def inputs_of(value: Any, check: Checker, base_dir: Path) -> dict[str, Input] | None:
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
            data_input = _data_input(str(name), v, p, check, base_dir)
            if data_input is not None:
                inputs[str(name)] = data_input
        elif isinstance(v, (str, int, float, bool)):
            inputs[str(name)] = Input(str(name), "literal", value=v)
        else:
            check.error(p, f"expected a literal or a data input `{{type: uri_file, path: ...}}`, found {kind_of(v)}")
    return inputs


def _data_input(name: str, v: dict, p: tuple, check: Checker, base_dir: Path) -> Input | None:
    check.known_keys(v, p, INPUT_KEYS)
    kind = v.get("type", "uri_folder")
    if kind not in DATA_INPUT_TYPES:
        check.error(
            p + ("type",),
            f"unknown input type {kind!r}",
            did_you_mean(kind, DATA_INPUT_TYPES) or "one of: " + ", ".join(DATA_INPUT_TYPES),
        )
        return None
    if v.get("mode") is not None and v["mode"] not in INPUT_MODES:
        check.error(
            p + ("mode",),
            f"unknown mode {v['mode']!r}",
            did_you_mean(v["mode"], INPUT_MODES) or "one of: " + ", ".join(INPUT_MODES),
        )
    raw = v.get("path")
    if not isinstance(raw, str) or not raw:
        check.error(
            p + ("path",), "missing required key" if raw is None else f"expected a path or URI, found {kind_of(raw)}"
        )
        return None
    resolved = raw
    if not raw.startswith(REMOTE_PREFIXES):
        local = _local(base_dir, raw[len("file://") :] if raw.startswith("file://") else raw)
        if not local.exists():
            check.error(p + ("path",), f"no such file or folder: {local}")
        resolved = str(local.resolve())
    return Input(
        name, kind, path=resolved, mode=v.get("mode"), description=v.get("description"), datastore=v.get("datastore")
    )


def outputs_of(value: Any, check: Checker) -> dict[str, Output] | None:
    if value is None:
        return {}
    path = ("outputs",)
    if not check.mapping(value, path, "output names to settings"):
        return None
    outputs = {}
    for name, v in value.items():
        v = v or {}
        if not isinstance(v, dict):
            check.error(path + (name,), f"expected a mapping such as `{{type: uri_folder}}`, found {kind_of(v)}")
            continue
        check.known_keys(v, path + (name,), OUTPUT_KEYS)
        outputs[str(name)] = Output(**{k: v[k] for k in OUTPUT_KEYS if v.get(k) is not None})
    return outputs


def reference_rules(
    command: Command, space: SearchSpace | None, inputs: dict | None, outputs: dict | None, check: Checker
) -> None:
    """Every ``${{kind.name}}`` names something the spec declares; every search-space key is used (a warning)."""
    path = ("trial", "command")
    for ref in command.references:
        name = ref.name
        if ref.kind == "search_space" and space is not None and name not in space:
            check.error(
                path,
                f"`${{{{search_space.{name}}}}}` names no search-space parameter",
                did_you_mean(name, space) or "parameters: " + ", ".join(space),
            )
        elif ref.kind == "inputs" and inputs is not None and name not in inputs and not _optional(command, name):
            check.error(
                path,
                f"`${{{{inputs.{name}}}}}` names no input",
                did_you_mean(name, inputs) or (f"inputs: {', '.join(inputs)}" if inputs else "add it under `inputs:`"),
            )
        elif ref.kind == "outputs" and outputs is not None and name not in outputs:
            check.error(
                path,
                f"`${{{{outputs.{name}}}}}` names no output",
                did_you_mean(name, outputs) or "add it under `outputs:`",
            )
    if command.legacy:
        check.warn(path, "single-brace `{search_space.x}` references are deprecated; write `${{search_space.x}}`")
    if space is not None:
        used = set(command.names("search_space"))
        for name in space:
            if name not in used:
                check.warn(
                    ("search_space", name),
                    f"not used in trial.command (the script only sees it as $AZUREML_SWEEP_{name})",
                )


def _optional(command: Command, name: str) -> bool:
    """Azure drops a `$[[...]]` segment whose input is not given, so such an input may be undeclared."""
    return any(r.optional and r.kind == "inputs" and r.name == name for r in command.references)
