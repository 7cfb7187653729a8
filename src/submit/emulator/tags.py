"""The names of the tags a local sweep's store holds: the emulator writes them, the monitor and followup read them.

One home, so a writer and a reader cannot spell a tag two ways. The `sweep.` prefix keeps ours apart from MLflow's
and Azure's; the few of MLflow's and Azure's we write are here too, under the names those services give them.
"""

from __future__ import annotations

TAG_SWEEP = "sweep.name"
TAG_KIND = "sweep.kind"  # "parent" (a sweep) | "trial" | "pipeline" | "step" (a pipeline's command step)
TAG_INDEX = "sweep.trial_index"
TAG_STATE = "sweep.state"  # parent: running | completed | failed | canceled | interrupted
TAG_SAMPLING = "sweep.sampling"  # parent: the sampler as `sweep validate` names it (random, grid, ...)
TAG_SPACE = "sweep.search_space"  # parent: what the sampler draws from, to refuse resuming with another spec
TAG_LOGBASE = "sweep.logbase"  # parent: the sampling's logbase when the spec sets one (log* bounds are its exponents)
TAG_CANCEL = "sweep.cancel_reason"
TAG_CANCEL_POOL = "sweep.cancel_pool"  # a trial the policy canceled: the trials (names) at its interval when judged
TAG_EXIT = "sweep.exit_code"
TAG_NOTE = "sweep.note"  # a trial that completed without the primary metric: the names it did log, a did-you-mean
TAG_SUPERSEDED = "sweep.superseded_by"  # an interrupted trial re-run on resume: the run id of its re-run
TAG_PRIMARY = "sweep.primary_metric"
TAG_GOAL = "sweep.goal"
TAG_POLICY = "sweep.policy"  # parent: the early-termination policy's name (bandit, median_stopping, ...), if any
TAG_POLICY_SETTINGS = "sweep.policy_settings"  # parent: JSON of the settings the spec gives it (delay_evaluation, ...)
TAG_LIMITS = "sweep.limits"  # parent: JSON {max_total_trials, max_concurrent_trials, timeout, trial_timeout}
# parent: JSON {"at_once": the trials run at once here, "note": why fewer than max_concurrent_trials (the cores,
# --max-concurrent), or null}; written at each start and resume, as the emulator decides it then
TAG_CONCURRENCY = "sweep.concurrency"
TAG_SPEC = "sweep.spec"  # parent: the spec file's absolute path
TAG_SPEC_TEXT = "sweep.spec_text"  # parent: the spec file's text as it was when the sweep started
TAG_OVERRIDES = "sweep.overrides"  # parent: JSON list of the `--set KEY.PATH=VALUE` the sweep was started with
# a pipeline run here (pipeline/runner.py): its run (kind "pipeline"), one child run per step that started (a command
# step's kind "step"; a sweep step's run is the sweep's parent run, its trials its children)
TAG_PIPELINE = "sweep.pipeline"  # the pipeline's run and each step's run: the pipeline's name
TAG_STEP = "sweep.step"  # a step's run: the step's name in `jobs:`
TAG_STEPS = "sweep.steps"  # the pipeline's run: JSON {step: {type, state, after, reason}} in dependency order
TAG_INPUTS = "sweep.inputs"  # a command step's run: JSON {input: the value or local path it was given}
TAG_OUTPUTS = "sweep.outputs"  # a step's run once it completed: JSON {output: its local folder}; a sweep step's: the
# best trial's
# parent: set by `sweep cancel` from another process; the running scheduler polls it and stops as Ctrl-C stops it
TAG_CANCEL_REQUESTED = "sweep.cancel_requested"

# MLflow's: a trial's child run names its parent, the sweep's run; the MLflow UI shows the note as the run's description
TAG_PARENT = "mlflow.parentRunId"
TAG_DESCRIPTION = "mlflow.note.content"
# Azure's, on the sweep's parent: its best trial's run id (a tag) and that trial's primary value (a metric)
BEST_RUN_TAG = "best_child_run_id"
BEST_METRIC = "best_child_by_primary_metric"
