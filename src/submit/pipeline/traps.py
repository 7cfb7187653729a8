"""What Azure ML does with a sweep step's settings that it takes from a standalone sweep but not from a pipeline:
the known traps, each checked in azure-ai-ml 1.35 (what it sends) and named with the public issue that shows what
the service then does (docs/semantics.md, "Sweep steps in a pipeline").
"""

from __future__ import annotations

from typing import Any

from ..spec.validate import Checker
from .bindings import is_expression

TRIAL_TIMEOUT_ISSUE = "https://github.com/Azure/azure-sdk-for-python/issues/39549"
SAMPLING_OBJECT_ISSUE = "https://github.com/Azure/azure-sdk-for-python/issues/33703"
BOUND_RANGE_ISSUE = "https://github.com/Azure/azureml-examples/issues/3457"


def sweep_step_traps(name: str, step: dict, check: Checker) -> set[str]:
    """Report the traps in a sweep step's settings (``check`` located at the step); returns the search-space keys
    whose distribution takes a binding, so the sweep's own rules do not report them a second time."""
    limits = step.get("limits")
    if isinstance(limits, dict) and limits.get("trial_timeout") is not None:
        # azure-ai-ml sends it (the node's limits.trial_timeout); the trials of a pipeline sweep were seen to run
        # past it: the service set no maxRunDurationSeconds on them
        check.warn(
            ("limits", "trial_timeout"),
            "sent with the sweep step, but Azure ML was seen not to apply it in a pipeline: the trials ran past it "
            f"({TRIAL_TIMEOUT_ISSUE}, open); stop long trials in the script, or bound the step with limits.timeout",
        )
    sampling = step.get("sampling_algorithm")
    if isinstance(sampling, dict):
        # in a pipeline the node sends its YAML form ({type: random, seed: 7}), not the sweep job's REST object
        # ({samplingAlgorithmType: Random, seed: 7}); the service answered "Algorithm  is not supported by Sweep
        # Component" (the name read as empty)
        given = [k for k in ("seed", "rule", "logbase") if k in sampling]
        check.azure_error(
            ("sampling_algorithm",),
            "Azure ML refuses a sampling algorithm written as a mapping in a pipeline's sweep step ("
            + (f"here for its {', '.join(given)}; " if given else "")
            + f'"Algorithm  is not supported by Sweep Component", {SAMPLING_OBJECT_ISSUE}, open)',
            f"sampling_algorithm: {sampling.get('type', 'random')} (a seed or sobol only in a standalone sweep job)",
        )
    bound = set()
    space = step.get("search_space")
    for key_name, dist in space.items() if isinstance(space, dict) else ():
        for key, value in _values(dist):
            if is_expression(value):
                bound.add(str(key_name))
                check.error(
                    ("search_space", key_name, *key),
                    f"`{value.strip()}`: a search range cannot come from a binding; azure-ai-ml sends the text "
                    f"as it is and Azure ML does not resolve it there ({BOUND_RANGE_ISSUE}, open)",
                    f"write the number, or give it per run: --set jobs.{name}.search_space.{key_name}.{key[0]}=<value>",
                )
    return bound


def _values(dist: Any) -> list[tuple[tuple, Any]]:
    if not isinstance(dist, dict):
        return []
    found = []
    for key, value in dist.items():
        if isinstance(value, list):
            found += [((key, i), v) for i, v in enumerate(value)]
        else:
            found.append(((key,), value))
    return found
