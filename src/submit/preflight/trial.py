"""One real trial before the sweep: does the script log the primary metric, under its exact name, as finite numbers,
and often enough for the early-termination policy to act?

``preflight(spec)`` runs trial 0 (the values the sampler gives it, or the ones given) under the emulator itself
(``run_local`` with a ``LockSampler`` of that one trial, so launch, snapshot, environment and command are the
sweep's own), for at most ``seconds``, in a throw-away store removed afterwards, and reads back what the script
logged. The checks are Azure's rules: the primary metric must match exactly (docs/semantics.md "No metric"), NaN and
infinities are never best (``submit.spec.objective``), and a policy judges a trial at its n-th value when ``policy.due(n)``
(docs/semantics.md "Evaluation interval"). A problem means the sweep could not choose a best trial from such trials
(or would fail); a warning, that it would run but waste what the policy was meant to save.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..emulator.preflight_run import STOPPED, Observed
from ..errors import InputError
from ..spec.grammar import parse_command
from ..spec.model import SweepSpec
from ..spec.names import closest_name, did_you_mean
from ..spec.objective import is_failed
from ..spec.overrides import parse_override
from .outlook import PolicyOutlook, policy_outlook

DEFAULT_SECONDS = 60.0


@dataclass(frozen=True)
class PreflightReport:
    spec: str | None
    params: dict[str, Any]
    command: str
    seconds: float  # the bound the trial ran under
    primary_metric: str
    goal: str
    observed: Observed
    closest: str | None  # the logged name closest to a primary metric that was not logged
    outlook: PolicyOutlook | None
    problems: tuple[str, ...] = ()  # the sweep could not choose a best trial (or would fail): exit non-zero
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def finite(self) -> int:
        return sum(not is_failed(v) for v in self.observed.values)

    def to_dict(self) -> dict[str, Any]:
        o = self.observed
        return {
            "spec": self.spec,
            "ok": self.ok,
            "params": self.params,
            "command": self.command,
            "seconds": self.seconds,
            "outcome": o.outcome,
            "elapsed_s": round(o.elapsed, 3),
            "exit_code": o.exit_code,
            "log_tail": o.log_tail if o.outcome == "failed" else None,
            "metrics_logged": list(o.metrics),
            "primary_metric": {
                "name": self.primary_metric,
                "goal": self.goal,
                "logged": bool(o.values),
                "closest": self.closest,
                "values": len(o.values),
                "finite_values": self.finite,
                "steps": [min(o.steps), max(o.steps)] if o.steps else None,
                "first_value_s": round(o.stamps[0], 3) if o.stamps else None,
                "seconds_per_value": _rate(o.stamps),
            },
            "policy": self.outlook.to_dict() if self.outlook else None,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


def split_values(overrides: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """``--set search_space.NAME=VALUE`` with a plain value (not a distribution) fixes NAME for the preflight trial;
    every other ``--set`` is an override of the spec. Returns (fixed values, the other overrides)."""
    values, rest = {}, []
    for text in overrides:
        path, value = parse_override(text)
        if len(path) == 2 and path[0] == "search_space" and not isinstance(value, (dict, list)):
            values[str(path[1])] = value
        else:
            rest.append(text)
    return values, rest


def first_params(spec: SweepSpec, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Trial 0's values: what the spec's sampler gives it, with ``given`` values in their place."""
    from ..emulator.plan import first_values

    given = dict(given or {})
    for name in given:
        if name not in spec.search_space:
            hint = did_you_mean(name, spec.search_space) or "its parameters: " + ", ".join(spec.search_space)
            raise InputError(f"--set search_space.{name}: the spec has no parameter `{name}`; {hint}")
    return {**first_values(spec), **given}


def preflight(
    spec: SweepSpec,
    *,
    seconds: float = DEFAULT_SECONDS,
    params: Mapping[str, Any] | None = None,
    inputs: Mapping[str, str] | Sequence[str] | None = None,
    workdir: str | Path | None = None,
) -> PreflightReport:
    """Run trial 0 of ``spec`` for at most ``seconds`` and report what it logged (see the module docstring).

    ``params`` fixes some of the trial's values; ``inputs`` are local stand-ins for remote inputs, as for
    ``run_local``. The store lives in ``workdir`` when given (kept), else in a temporary folder removed afterwards.
    Raises ``UserError`` when the trial cannot start (a remote input without a stand-in, a remote code folder).
    """
    from ..emulator.preflight_run import run_one

    if seconds <= 0:
        raise InputError(f"--preflight-seconds {seconds:g}: must be more than 0")
    values = first_params(spec, params)
    bound = min(seconds, spec.limits.trial_timeout) if spec.limits.trial_timeout else seconds
    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="sweep-preflight-"))
    try:
        observed, input_values = run_one(spec, values, bound, folder, inputs=inputs)
    finally:
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)
    command = parse_command(spec.trial.command).render({"search_space": values, "inputs": input_values, "outputs": {}})
    return judge(spec, values, command, bound, observed)


def judge(spec: SweepSpec, params: dict[str, Any], command: str, bound: float, o: Observed) -> PreflightReport:
    """The verdict on what trial 0 did (pure: the rules, apart from running it)."""
    metric = spec.objective.primary_metric
    problems, warnings, notes = [], [], []
    if o.outcome == "failed":
        problems.append(
            f"trial 0 failed with exit code {o.exit_code}: a failed trial does not stop the sweep, but if every trial "
            "of the first batch fails Azure fails the sweep"
        )
    elif o.outcome == STOPPED:
        notes.append(f"trial 0 was still running after {bound:g} s and was stopped (--preflight-seconds to change)")
    closest = None if o.values else closest_name(metric, o.metrics)
    if not o.values:
        logged = f"; it logged {', '.join(f'`{m}`' for m in o.metrics)}" if o.metrics else "; it logged no metric"
        mean = f" (did you mean `{closest}`? the name must match exactly)" if closest else ""
        text = f"the script did not log the primary metric `{metric}`{logged}{mean}"
        if o.outcome != STOPPED or closest:
            problems.append(text + ": the sweep could not choose a best trial, and no policy would ever act")
        else:
            warnings.append(
                text + f" in the {bound:g} s it ran; it may log it later (a longer --preflight-seconds tells)"
            )
    else:
        failed = sum(is_failed(v) for v in o.values)
        if failed == len(o.values):
            problems.append(
                f"none of the {len(o.values)} values of `{metric}` is a finite number (NaN or infinite): such a trial "
                "is never the best one, and if every trial logs so the sweep has no best trial"
            )
        elif failed:
            warnings.append(f"{failed} of the {len(o.values)} values of `{metric}` are not finite (NaN or infinite)")
    outlook = None
    if spec.policy is not None:
        from ..emulator.policies import make_policy

        outlook = policy_outlook(make_policy(spec.policy), o.stamps, ended=o.outcome != STOPPED, end=o.end, bound=bound)
        if o.values and outlook.acts is not True:
            warnings.append(outlook.message)
    return PreflightReport(
        str(spec.path) if spec.path else None,
        params,
        command,
        bound,
        metric,
        spec.objective.goal,
        o,
        closest,
        outlook,
        tuple(problems),
        tuple(warnings),
        tuple(notes),
    )


def _rate(stamps: Sequence[float]) -> float | None:
    return round((stamps[-1] - stamps[0]) / (len(stamps) - 1), 4) if len(stamps) >= 2 else None


__all__ = ["DEFAULT_SECONDS", "Observed", "PreflightReport", "first_params", "judge", "preflight", "split_values"]
