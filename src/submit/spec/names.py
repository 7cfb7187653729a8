"""Names the user types: the did-you-mean for a misspelt one, and the rule a job or sweep name follows."""

from __future__ import annotations

import difflib
import re

# Azure ML's rule for a job name (the `name:` key, and so a sweep's name): a letter or digit first, then letters,
# digits, `-` and `_`, at most 255 characters. A local sweep's name becomes an MLflow run name and a folder, so the same
# rule keeps `../x`, quotes and slashes out of both.
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


def job_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid Azure ML job name, or None when it is."""
    if JOB_NAME.match(name):
        return None
    return f"`{name}` is not a valid job name: a letter or digit first, then letters, digits, `-` or `_` (at most 255)"


def did_you_mean(word: str, options) -> str:
    """ "did you mean `x`?" for the closest option, or "" when none is close."""
    options = [str(o) for o in options]
    word = str(word)
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not match and len(word) >= 3:
        # `min` for `min_value`, `max` for `maximize`: a prefix is a near miss difflib scores too low
        match = [o for o in options if o.lower().startswith(word.lower())][:1]
    return f"did you mean `{match[0]}`?" if match else ""


def closest_name(word: str, options) -> str | None:
    """The option a misspelt metric name most likely meant: the closest by difflib, or one that contains the other
    (`acc` logged where `accuracy` is expected: a prefix too short for :func:`did_you_mean`). None when none is close.

    >>> closest_name("accuracy", ["acc", "loss"]), closest_name("val_loss", ["val_los"]), closest_name("f1", ["loss"])
    ('acc', 'val_los', None)
    """
    options = [str(o) for o in options]
    word = str(word)
    close = (
        difflib.get_close_matches(word, options, n=1, cutoff=0.5)
        or [o for o in options if o.lower() in word.lower() or word.lower() in o.lower()][:1]
    )
    return close[0] if close else None
