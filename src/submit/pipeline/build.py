"""The validated pipeline as the job Azure ML receives: its YAML as ``--dry-run`` prints it, and the SDK's
``PipelineJob`` that ``sweep submit`` sends.

The pipeline YAML is the job's own format, so the job is the file as validated (``--set`` applied), with every local
path it names made absolute: printed anywhere, ``az ml job create -f`` and ``load_job`` read the same job from it. The
SDK job is ``load_job`` of that YAML: what is printed is what is sent. (The SDK's own dump of a pipeline job does not
read back the same: booleans become 0, data paths gain ``azureml:``.)
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import yaml

from ..spec.model import is_remote
from .bindings import is_expression
from .declared import SCHEMA_URL, Pipeline


def pipeline_yaml(pipeline: Pipeline) -> str:
    """The exact pipeline job as YAML (what ``--dry-run`` prints); ``az ml job create -f`` accepts it."""
    data = copy.deepcopy(pipeline.data)
    base = pipeline.base_dir
    data.setdefault("$schema", SCHEMA_URL)
    _absolute_data_paths(data.get("inputs"), base)
    for step in (data.get("jobs") or {}).values():
        for key in ("component", "trial", "code"):
            if isinstance(step.get(key), str):
                step[key] = _absolute(step[key], base)
        for key in ("component", "trial"):
            if isinstance(step.get(key), dict) and isinstance(step[key].get("code"), str):
                step[key]["code"] = _absolute(step[key]["code"], base)
        _absolute_data_paths(step.get("inputs"), base)
    data = {"$schema": data.pop("$schema"), **data}
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)


def _absolute(value: str, base: Path) -> str:
    if is_remote(value) or is_expression(value) or Path(value).is_absolute():
        return value
    return str((base / value).resolve())


def _absolute_data_paths(inputs: Any, base: Path) -> None:
    for value in inputs.values() if isinstance(inputs, dict) else ():
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            path = value["path"]
            local = path.removeprefix("file://")
            value["path"] = path if local == path and _absolute(path, base) == path else _absolute(local, base)


def pipeline_job(pipeline: Pipeline):
    """The SDK's ``PipelineJob`` for the pipeline: ``load_job`` of :func:`pipeline_yaml`."""
    from azure.ai.ml import load_job

    return load_job(
        io.StringIO(pipeline_yaml(pipeline)), relative_origin=str(pipeline.path or Path.cwd() / "pipeline.yml")
    )
