"""The checker the validators share: it collects every problem of a spec, each located by its key path.

A problem's place is the file and line of the deepest key of its path that the YAML has (``spec.yaml:14``), or
``--set`` when the key came from the command line; its text says what was found and what was expected, with a
did-you-mean where a name is misspelt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ...errors import Problem, key_path
from ..names import did_you_mean

# the shapes a settings key may take (``Checker.fields``): a Python type, a list of strings, or one of some words
STRINGS = "strings"
_YAML_FLOAT = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}
_EXPECTED = {int: "an integer", str: "a string", bool: "a boolean", dict: "a mapping", list: "a list of strings"}


def snake_cased(text: str) -> str:
    """A word as azure-ai-ml's ``camel_to_snake`` reads it before comparing it with the snake_case names.

    Its schema reads the goal, the sampling algorithm's and the policy's ``type`` and the identity's ``type`` this
    way, so ``MedianStopping``, ``medianStopping`` and ``MEDIAN_STOPPING`` are all ``median_stopping`` and
    ``AMLToken`` is ``aml_token``, while ``Median_Stopping`` becomes ``median__stopping`` and is refused.

    >>> [snake_cased(w) for w in ("MedianStopping", "AMLToken", "UserIdentity", "MEDIAN_STOPPING", "Median_Stopping")]
    ['median_stopping', 'aml_token', 'user_identity', 'median_stopping', 'median__stopping']
    """
    text = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", text)
    return re.sub("([a-z0-9])([A-Z])", r"\1_\2", text).lower()


class SnakeCased(tuple):
    """The words of a key that azure-ai-ml reads through ``snake_cased`` (the others it only lower-cases)."""


def azure_reading(value: Any, allowed) -> str | None:
    """The one of ``allowed`` that azure-ai-ml's schema reads ``value`` as, or None when it refuses it.

    Its enumerated keys (``StringTransformedEnum``) compare a transformed value with the transformed names:
    lower-cased for most, ``snake_cased`` for those of ``SnakeCased``; the name it keeps is the transformed one.
    """
    if not isinstance(value, str):
        return None
    word = snake_cased(value) if isinstance(allowed, SnakeCased) else value.lower()
    return word if word in allowed else None


def meant(value: Any, allowed) -> str:
    """The did-you-mean for a refused spelling, read first as azure-ai-ml reads it (``AMLTokn`` -> ``aml_tokn``).

    >>> meant("AMLTokn", SnakeCased(("aml_token", "user_identity")))
    'did you mean `aml_token`?'
    """
    word = str(value)
    read = snake_cased(word) if isinstance(allowed, SnakeCased) else word.lower()
    return did_you_mean(read, allowed) or did_you_mean(word, allowed)


def kind_of(value: Any) -> str:
    """What a YAML value is, in the user's words: ``a mapping``, ``a string``, ``float``..."""
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


class Checker:
    """Collects problems (fatal) and warnings while walking the spec, each located by its key path."""

    def __init__(self, source: str, lines: dict[tuple, int], overridden: set[tuple]):
        self.source, self.lines, self.overridden = source, lines, overridden
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.azure_only: list[Problem] = []  # refused by Azure, harmless to a local run (see SweepSpec.azure_problems)

    def at(self, prefix: tuple, strip: tuple = ()) -> Checker:
        """This checker for a part of the file: the rules' key paths (``search_space.lr``) are reported at
        ``prefix + path`` (``jobs.tune.search_space.lr``), ``strip`` first taken off the front (a component's
        ``trial.command`` is its file's ``command``). Problems and warnings land in this checker."""
        return _At(self, prefix, strip)

    def where(self, path: tuple) -> str:
        for i in range(len(path), -1, -1):
            if path[:i] in self.overridden:
                return "--set"
        for i in range(len(path), -1, -1):
            if path[:i] in self.lines:
                return f"{self.source}:{self.lines[path[:i]]}"
        return self.source

    def problem(self, path: tuple, message: str, hint: str = "") -> Problem:
        return Problem(self.where(path), key_path(path), message, hint)

    def error(self, path: tuple, message: str, hint: str = "") -> None:
        self.problems.append(self.problem(path, message, hint))

    def azure_error(self, path: tuple, message: str, hint: str = "") -> None:
        self.azure_only.append(self.problem(path, message, hint))

    def warn(self, path: tuple, message: str) -> None:
        self.warnings.append(f"{self.where(path)}: {key_path(path)}: {message}" if path else message)

    def mapping(self, value: Any, path: tuple, what: str) -> bool:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping of {what}, found {kind_of(value)}")
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
            self.error(path, f"expected {'an integer' if integer else 'a number'}, found {kind_of(value)} {value!r}")
        elif not math.isfinite(value):  # YAML's .nan and .inf are floats; no setting of a sweep takes one
            self.error(path, f"expected a finite number, found {_YAML_FLOAT.get(str(value), value)}")
            ok = False
        return ok

    def word(self, value: Any, path: tuple, allowed, what: str) -> str | None:
        """The name of ``allowed`` that ``value`` spells as azure-ai-ml reads it (``azure_reading``), else None."""
        word = azure_reading(value, allowed)
        if word is not None:
            return word
        self.error(
            path,
            f"unknown {what} {value!r}"
            if isinstance(value, str)
            else f"expected one of {', '.join(allowed)}, found {kind_of(value)} {value!r}",
            meant(value, allowed) or "one of: " + ", ".join(allowed),
        )
        return None

    def fields(self, value: Any, path: tuple, shapes: Mapping[str, Any], what: str) -> dict[str, Any] | None:
        """Check a settings mapping against its keys' shapes; returns the values of the well-formed keys.

        A shape is a type (``int``, ``str``, ``bool``, ``dict``), ``STRINGS`` (a list of strings), a tuple of types
        (any of them), or a tuple of words (one of them, read as azure-ai-ml reads it and returned as its name).
        """
        if not self.mapping(value, path, what):
            return None
        self.known_keys(value, path, tuple(shapes))
        good = {}
        for key, v in value.items():
            if key not in shapes or v is None:
                continue
            checked = self._shape(v, path + (key,), shapes[key], key)
            if checked is not None:
                good[key] = checked
        return good

    def _shape(self, v: Any, path: tuple, shape: Any, key: str) -> Any:
        if isinstance(shape, tuple) and all(isinstance(s, str) for s in shape):
            return self.word(v, path, shape, key)
        if shape == STRINGS:
            if isinstance(v, list) and all(isinstance(s, str) for s in v):
                return v
            self.error(path, f"expected a list of strings, found {kind_of(v)}")
            return None
        types = shape if isinstance(shape, tuple) else (shape,)
        ok = any(isinstance(v, t) and (t is bool or not isinstance(v, bool)) for t in types)
        if not ok:
            expected = " or ".join(_EXPECTED.get(t, t.__name__) for t in types)
            self.error(path, f"expected {expected}, found {kind_of(v)} {v!r}")
            return None
        return v


class _At(Checker):
    """A view of a checker whose key paths are moved (``Checker.at``); it shares the checker's lists."""

    def __init__(self, parent: Checker, prefix: tuple, strip: tuple):
        self.parent, self.prefix, self.strip = parent, prefix, strip
        self.source, self.lines, self.overridden = parent.source, parent.lines, parent.overridden
        self.problems, self.warnings, self.azure_only = parent.problems, parent.warnings, parent.azure_only

    def _moved(self, path: tuple) -> tuple:
        if self.strip and path[: len(self.strip)] == self.strip:
            path = path[len(self.strip) :]
        return self.prefix + path

    def where(self, path: tuple) -> str:
        return self.parent.where(self._moved(path))

    def problem(self, path: tuple, message: str, hint: str = "") -> Problem:
        return self.parent.problem(self._moved(path), message, hint)

    def warn(self, path: tuple, message: str) -> None:
        self.parent.warn(self._moved(path), message)
