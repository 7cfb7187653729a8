"""`sweep submit` to Azure ML for people: each job's name and studio URL as soon as it exists, the log under --wait.

``--dry-run`` prints each job as YAML (``---`` between them) and contacts nothing.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ..azure import client as cloud
from ..errors import UserError
from . import codes, shapes
from .pipeline_commands import is_pipeline, job_yaml_of, pipeline_dry_run, submit_one


def submit_cli(
    specs,
    *,
    dry_run: bool,
    wait: bool,
    subscription,
    resource_group,
    workspace,
    as_json: bool,
    out,
    err,
    credential=None,
    **client_kwargs,
) -> int:
    """``sweep submit`` for the cloud: one sweep job per spec; returns the exit code.

    The workspace is found (``cloud.find_workspace``), checked, and every spec submitted in turn, so a failure of
    a later spec loses nothing. ``credential`` and ``client_kwargs`` are for callers that bring their own (tests
    inject a transport).
    """
    warn_credentials(specs, err)
    if dry_run:
        print_dry_run(specs, as_json=as_json, out=out)
        return codes.SUCCESS
    with quiet_azure_logs():
        try:
            cloud.refuse_local_compute(specs)
            target = cloud.find_workspace(subscription, resource_group, workspace)
            ml_client = cloud.connect(target, credential, **client_kwargs)
        except UserError as e:
            err.print(str(e), markup=False)
            return codes.for_error(e)
        return _submit_all(ml_client, specs, wait=wait, as_json=as_json, out=out, err=err)


def warn_credentials(specs, err) -> None:
    """A warning for each credential file Azure's code upload would send (the local copy leaves them out; the SDK's
    upload leaves out only what `.amlignore`, else `.gitignore`, says)."""
    from ..emulator.snapshot import credentials_uploaded

    for spec in specs:
        if is_pipeline(spec) or spec.trial is None:
            continue
        found = credentials_uploaded(spec.trial.code)
        if found:
            err.print(
                f"warning {spec.path or '<spec>'}: trial.code: Azure would upload {', '.join(found)} (credential "
                "files the code folder's .amlignore does not exclude); add them to .amlignore",
                markup=False,
                highlight=False,
            )


def print_dry_run(specs, *, as_json: bool, out) -> None:
    if as_json:
        jobs = [pipeline_dry_run(s) if is_pipeline(s) else shapes.dry_run_job(s) for s in specs]
        out.print(json.dumps(jobs, indent=2), markup=False)
    else:
        out.print("---\n".join(job_yaml_of(s) for s in specs), markup=False, end="")


@contextmanager
def quiet_azure_logs() -> Iterator[None]:
    """The SDK logs each failure itself, in many lines (azure-identity lists every credential it tried, telemetry
    logs the failed activity); Python's last-resort handler would print them all. The one line we print says it."""
    logger = logging.getLogger("azure")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _submit_all(ml_client, specs, *, wait: bool, as_json: bool, out, err) -> int:
    submitted = []
    code = codes.SUCCESS
    for spec in specs:
        try:
            job = submit_one(spec, ml_client)
        except UserError as e:  # the next spec is still submitted
            err.print(str(e), markup=False)
            code = max(code, codes.for_error(e))
            continue
        entry = shapes.submitted_job(job)
        submitted.append(entry)
        if not as_json:
            out.print(f"{job.spec}: submitted {job.name}\n  {job.studio_url}", markup=False)
        if wait:
            try:
                entry["status"] = cloud.wait_for(
                    ml_client,
                    job.name,
                    on_log=_log_printer(as_json),
                    on_notice=lambda line, spec=job.spec: err.print(f"{spec}: {line}", markup=False),
                )
            except UserError as e:
                err.print(f"{job.spec}: {e}", markup=False)
                code = max(code, codes.for_error(e))
                continue
            code = max(code, codes.for_cloud_sweep(entry["status"]))
            if not as_json:
                out.print(f"{job.name}: {entry['status']}", markup=False)
    if as_json:
        out.print(json.dumps(submitted, indent=2), markup=False)
    return code


def _log_printer(as_json: bool):
    """The sweep's log, line by line, as the SDK prints it: on stdout, or on stderr when stdout carries the JSON."""
    stream = sys.stderr if as_json else sys.stdout

    def log(line: str) -> None:
        print(line, file=stream, flush=True)

    return log
