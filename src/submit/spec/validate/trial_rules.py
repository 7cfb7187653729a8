"""What a trial runs, checked: the command and what it references, the code folder, the environment, inputs, outputs.

Local paths (code, conda file, Docker context, data inputs) resolve against the spec's folder, as ``az ml job
create -f`` resolves them against the YAML's folder; remote references stay as written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..grammar import Command, parse_command
from ..model import DockerBuild, InlineEnvironment, Input, Output, Trial, is_remote, keys
from ..names import did_you_mean
from ..shell import azure_hazard
from ..space import Choice, SearchSpace
from .checker import Checker, azure_reading, kind_of, meant
from .job_rules import settings_of
from .space_rules import KEY_NAME

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
INPUT_MODES = ("ro_mount", "download", "direct")
# the modes of an input by its type, as the SDK's input schemas take them (input_output_entry.py: only an mltable is
# also read by eval_mount or eval_download; rw_mount is an output's)
INPUT_MODES_OF = {kind: INPUT_MODES for kind in DATA_INPUT_TYPES} | {
    "mltable": (*INPUT_MODES, "eval_mount", "eval_download")
}
# the SDK's output schema: the data types an output may be, and how it is written back
OUTPUT_SHAPES = {
    "type": DATA_INPUT_TYPES,
    "path": str,
    "mode": ("mount", "upload", "rw_mount", "direct"),  # OutputSchema.mode in azure-ai-ml
    "description": str,
    "name": str,
    "version": (str, int),
}


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


def _path_ok(raw: str, path: tuple, check: Checker) -> bool:
    """A NUL cannot be in a file name (the OS refuses it before looking); said here, not as a crash later."""
    if "\x00" in raw:
        check.error(path, f"expected a path, found {raw!r} with a NUL character")
        return False
    return True


def _code(code: Any, check: Checker, base_dir: Path) -> str | None:
    path = ("trial", "code")
    if code is None:
        return None
    if not isinstance(code, str):
        check.error(path, f"expected a folder path, found {kind_of(code)}")
        return None
    if is_remote(code):
        asset = code.removeprefix("azureml:")
        if code.startswith("azureml:") and not asset.startswith("/") and not code.startswith("azureml://"):
            # azure-ai-ml 1.35 resolves a code asset named `name:version` as a local path at submission (load_job's
            # `az ml job create` fails alike: "No such file or directory: .../name:version"); its ARM id works
            check.azure_error(
                path,
                f"`{code}`: the SDK cannot submit a code asset by name and version (it looks for a local "
                f"folder `{asset}`); give a local folder, or the asset's ARM id",
                "code: azureml:/subscriptions/<sub>/resourceGroups/<rg>/providers/"
                f"Microsoft.MachineLearningServices/workspaces/<ws>/codes/{asset.replace(':', '/versions/', 1)}",
            )
        return code
    if not _path_ok(code, path, check):
        return None
    folder = _local(base_dir, code)
    if not folder.exists():
        check.error(path, _missing(folder, "no such folder"))
        return str(folder.absolute())  # not resolved: a looping link cannot be
    return str(folder.resolve())


def _missing(path: Path, nothing: str) -> str:
    """Why ``path`` is not there: nothing at all, or a symbolic link that loops or leads nowhere."""
    if path.is_symlink():
        return f"{path} is a symbolic link that loops or leads nowhere (-> {os.readlink(path)})"
    return f"{nothing}: {path}"


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
    if isinstance(conda, str) and _path_ok(conda, path + ("conda_file",), check):
        # a path resolves against the spec's folder, as load_job resolves it against the YAML's folder
        conda = str(base_dir / conda)
        if not Path(conda).exists():
            check.error(path + ("conda_file",), f"no such file: {conda}")
    build = env.get("build")
    if isinstance(build, dict):
        context = build.get("path")
        if isinstance(context, str) and not is_remote(context):
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
        if isinstance(v, dict) and "value" in v:
            # kept even when refused, so the command's reference to it is not reported as a second problem
            literal = _literal_input(v, p, check)
            inputs[str(name)] = Input(str(name), "literal", value=v["value"] if literal is None else literal)
        elif isinstance(v, dict):
            data_input = _data_input(str(name), v, p, check, base_dir)
            if data_input is not None:
                inputs[str(name)] = data_input
        elif isinstance(v, (str, int, float, bool)):
            inputs[str(name)] = Input(str(name), "literal", value=v)
        else:
            check.error(p, f"expected a literal or a data input `{{type: uri_file, path: ...}}`, found {kind_of(v)}")
    return inputs


def _literal_input(v: dict, p: tuple, check: Checker) -> str | bool | int | None:
    """``{value: 42}``: a literal, as load_job reads it (its schema tries string, boolean, integer, then float).

    That order turns ``1`` and ``0`` into the booleans True and False and ``0.5`` into the integer 0, which is what
    `az ml job create` would send; such values are refused with the plain form as the fix, so no value changes
    silently. The others are what load_job sends: a string, a boolean, an integer (``2.0`` is ``2``).
    """
    check.known_keys(v, p, ("value",))
    value = v["value"]
    where = p + ("value",)
    plain = f"{p[-1]}: {value!r}" if not isinstance(value, str) else f"{p[-1]}: {value}"
    if isinstance(value, (str, bool)):
        return value
    if not isinstance(value, (int, float)):
        check.error(where, f"expected a string, number or boolean, found {kind_of(value)}")
        return None
    if value in (0, 1):
        check.error(where, f"in this form the SDK reads {value!r} as the boolean {bool(value)} and sends that", plain)
        return None
    if value != int(value):
        check.error(where, f"in this form the SDK truncates {value!r} to the integer {int(value)}", plain)
        return None
    return int(value)


def _data_input(name: str, v: dict, p: tuple, check: Checker, base_dir: Path) -> Input | None:
    check.known_keys(v, p, INPUT_KEYS)
    # the SDK reads an input's type and mode case-insensitively (`URI_FOLDER`, `RO_MOUNT`) and keeps the lower case
    written = v.get("type", "uri_folder")
    kind = azure_reading(written, DATA_INPUT_TYPES)
    if kind is None:
        check.error(
            p + ("type",),
            f"unknown input type {written!r}",
            meant(written, DATA_INPUT_TYPES) or "one of: " + ", ".join(DATA_INPUT_TYPES),
        )
        return None
    mode = v.get("mode")
    if mode is not None:
        modes = INPUT_MODES_OF[kind]
        mode = azure_reading(v["mode"], modes)
        if mode is None:
            known = azure_reading(v["mode"], INPUT_MODES_OF["mltable"] + ("rw_mount",))
            check.error(
                p + ("mode",),
                f"{known} is no mode of a {kind} input" if known else f"unknown mode {v['mode']!r}",
                (None if known else meant(v["mode"], modes)) or "one of: " + ", ".join(modes),
            )
    raw = v.get("path")
    if not isinstance(raw, str) or not raw:
        check.error(
            p + ("path",), "missing required key" if raw is None else f"expected a path or URI, found {kind_of(raw)}"
        )
        return None
    resolved = raw
    if not _path_ok(raw, p + ("path",), check):
        return None
    if not is_remote(raw):
        local = _local(base_dir, raw[len("file://") :] if raw.startswith("file://") else raw)
        if not local.exists():
            check.error(p + ("path",), _missing(local, "no such file or folder"))
        resolved = str(local.absolute() if not local.exists() else local.resolve())
    return Input(name, kind, path=resolved, mode=mode, description=v.get("description"), datastore=v.get("datastore"))


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
        # the well-formed settings only: a bad one is reported, and the output still exists for the command's sake
        good = check.fields(v, path + (name,), OUTPUT_SHAPES, "output settings") or {}
        outputs[str(name)] = Output(**{k: str(x) if k == "version" else x for k, x in good.items()})
    return outputs


def reference_rules(
    command: Command,
    space: SearchSpace | None,
    inputs: dict | None,
    outputs: dict | None,
    check: Checker,
    path: tuple = ("trial", "command"),
) -> None:
    """Every ``${{kind.name}}`` names something the spec declares; every search-space key is used (a warning).

    ``path`` is where the command is: a sweep's ``trial.command``, a component's ``command``."""
    for text in command.malformed:
        check.error(
            path,
            f"`{text}` is not a reference: expected `${{{{KIND.NAME}}}}` with KIND search_space, inputs or outputs",
            "closed with `}}`, e.g. `${{search_space.lr}}`",
        )
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
    _raw_substitution(command, space, inputs, check)
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


def _raw_substitution(command: Command, space: SearchSpace | None, inputs: dict | None, check: Checker) -> None:
    """Warn for a string value that Azure's shell would split or expand: Azure pastes the raw text into the command.

    The local emulator quotes each value for its place, so the script sees it whole; the same spec on Azure would
    not. Only values written in the spec are known here: plain choice values and literal inputs.
    """
    warned = set()
    for ref in command.references:
        for where, value in _written_values(ref.kind, ref.name, space, inputs):
            hazard = azure_hazard(value, ref.quoting) if isinstance(value, str) else None
            if hazard and (where, ref.quoting) not in warned:
                warned.add((where, ref.quoting))
                check.warn(
                    where,
                    f"{value!r}: Azure substitutes the raw text into trial.command, where {hazard} "
                    f"(`sweep submit --local` quotes it, so the two would differ)",
                )


def _written_values(kind: str, name: str, space: SearchSpace | None, inputs: dict | None) -> list[tuple[tuple, Any]]:
    if kind == "search_space" and space is not None and isinstance(space.get(name), Choice):
        return [(("search_space", name, "values", i), v) for i, v in enumerate(space[name].values)]
    if kind == "inputs" and inputs and name in inputs and inputs[name].type == "literal":
        return [(("inputs", name), inputs[name].value)]
    return []


def _optional(command: Command, name: str) -> bool:
    """Azure drops a `$[[...]]` segment whose input is not given, so such an input may be undeclared."""
    return any(r.optional and r.kind == "inputs" and r.name == name for r in command.references)
