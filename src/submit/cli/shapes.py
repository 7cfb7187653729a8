"""The ``--json`` shapes: what programs read from `sweep`. Stable; each key documented where it is built.

``sweep validate --json``: a list of ``validation_summary``; ``sweep submit --dry-run --json``: a list of
``dry_run_job``; ``sweep submit --json``: a list of ``submitted_job``; ``sweep submit --local --json``: one
``sweep_result`` object per sweep, one per line; ``sweep plan --json``: ``plan``; ``sweep validate --preflight
--json``: each summary with a ``preflight`` key (``preflight_report``).
"""

from __future__ import annotations

from typing import Any

import yaml

from ..azure.client import SubmittedJob
from ..spec.model import SweepSpec


def validation_summary(spec: SweepSpec) -> dict:
    """The facts `sweep validate` prints, as data (also its --json form, one per spec)."""
    sampling = spec.sampling
    grid = spec.search_space.grid_size() if sampling.type == "grid" else None
    return {
        "spec": str(spec.path) if spec.path else None,
        "sampler": sampling.label
        + (f" (seed {sampling.seed})" if sampling.seed is not None else "")
        + (f" (logbase {sampling.logbase})" if sampling.logbase is not None else ""),
        "parameters": {name: dist.describe() for name, dist in spec.search_space.items()},
        "grid_size": grid,
        "trials": spec.trial_count(),
        "objective": f"{spec.objective.goal} {spec.objective.primary_metric}",
        "policy": spec.policy.describe() if spec.policy else None,
        "limits": spec.limits.recorded().to_dict(),
        "warnings": list(spec.warnings),
    }


def dry_run_job(spec: SweepSpec) -> dict[str, Any]:
    """The job ``--dry-run`` prints, as data: the spec's path, the job's name (None: Azure ML picks one), the job."""
    from ..azure.job import job_yaml  # lazy: azure-ai-ml is imported only when a job is built

    return {"spec": str(spec.path) if spec.path else "<spec>", "name": spec.name, "job": yaml.safe_load(job_yaml(spec))}


def submitted_job(job: SubmittedJob) -> dict[str, Any]:
    """A job Azure ML accepted: its spec, name, studio URL and status (under --wait, replaced by the final one)."""
    return {"spec": job.spec, "name": job.name, "studio_url": job.studio_url, "status": job.status}


def sweep_result(summary) -> dict[str, Any]:
    """A local sweep as it ended: ``SweepSummary.to_dict()``, the ``status --json`` shape (same keys, same values),
    with its ``RunRecord`` keys (message, tracking_uri, tracking_server, experiment_id, parent_run_id, concurrency,
    cap_note, run_warnings, elapsed_s, work_dir, resumed, stopped_by, log_tails: a failed trial's name -> its log's
    end)."""
    return summary.to_dict()


def pipeline_result(run) -> dict[str, Any]:
    """A pipeline run here: ``PipelineRun.to_dict()`` (README, "Pipelines"), each step with ``best``: a sweep
    step's best trial as `sweep best` reads it (trial, run_id, primary_metric, goal, value, params), else None."""
    shape = run.to_dict()
    for name, step in run.steps.items():
        best = step.sweep.best if step.sweep is not None else None
        shape["steps"][name]["best"] = (
            None
            if best is None
            else {
                "trial": best.name,
                "run_id": best.run_id,
                "primary_metric": step.sweep.primary_metric,
                "goal": step.sweep.goal,
                "value": best.best,
                "params": best.params,
            }
        )
    return shape


def plan(planned, lock: str | None = None) -> dict[str, Any]:
    """``Plan.to_dict()`` (spec, spec_hash, sampler, total_trials, exact, notes, trials: index, params, command) and
    the lock file written, or None."""
    return {**planned.to_dict(), "lock": lock}


def preflight_report(report) -> dict[str, Any]:
    """``PreflightReport.to_dict()``: ok, params, command, outcome, metrics_logged, primary_metric (logged, closest,
    values, finite_values, steps, first_value_s, seconds_per_value), policy (first_evaluation, acts, message),
    problems, warnings, notes."""
    return report.to_dict()
