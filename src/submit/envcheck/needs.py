"""What a trial imports: the top-level modules of the code folder's Python files, read with ``ast`` (nothing runs).

The files are the command's scripts (``python train.py``, ``python -m pkg.mod``) and the folder's own modules they
import, followed transitively; when the command names no script of the folder (``bash run.sh``), every file. Left
out: the standard library (``sys.stdlib_module_names``), the folder's own modules, relative imports, and imports
under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
import re
import shlex
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# a file the check reads at most: a trial script is far smaller; a data file named .py is not worth parsing
MAX_BYTES = 2_000_000
_PYTHON = re.compile(r"^(?:.*/)?python(?:\d(?:\.\d+)?)?$")
# namespace packages: many distributions share the top-level name, so the next part names the one imported
# (`from azureml.core import Run` needs azureml-core, which azureml-mlflow does not bring: issue cases 4 and 8)
NAMESPACES = ("azureml",)


@dataclass(frozen=True)
class Import:
    module: str  # the top-level name: `sklearn` for `from sklearn.svm import SVC`; `azureml.core` in a namespace
    file: Path
    line: int
    guarded: bool  # inside `try:` with an `except ImportError` (or broader): the script runs without it


def trial_imports(code: Path, command: str) -> list[Import]:
    """Every third-party import of the files the trial's command runs from ``code``, in file and line order."""
    local = _local_names(code)
    entries = _entries(code, command)
    todo = entries if entries else sorted(p for p in code.rglob("*.py") if _ours(p, code))
    seen: set[Path] = set()
    found: list[Import] = []
    while todo:
        path = todo.pop(0)
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        names = local | _local_names(path.parent)
        for imp in _imports(path):
            if imp.module.split(".")[0] in names:
                todo.extend(_module_files(code, path.parent, imp.module.split(".")[0]))
            elif imp.module not in sys.stdlib_module_names and imp.module != "__future__":
                found.append(imp)
    return sorted(found, key=lambda i: (str(i.file), i.line))


def _ours(path: Path, code: Path) -> bool:
    """Not inside a hidden folder, a virtual environment or a cache the upload would carry along."""
    parts = path.relative_to(code).parts[:-1]
    return not any(p.startswith(".") or p in ("__pycache__", "site-packages", "venv", "node_modules") for p in parts)


def _local_names(folder: Path) -> set[str]:
    """The modules a script in ``folder`` imports from the folder itself (its files and packages)."""
    try:
        children = list(folder.iterdir())
    except OSError:
        return set()
    return {p.stem for p in children if p.suffix == ".py"} | {
        p.name for p in children if p.is_dir() and not p.name.startswith(".")
    }


def _module_files(code: Path, here: Path, module: str) -> list[Path]:
    out = []
    for base in (here, code):
        out += [base / f"{module}.py"] if (base / f"{module}.py").is_file() else []
        if (base / module).is_dir():
            out += sorted(p for p in (base / module).rglob("*.py") if _ours(p, code))
    return out


def _entries(code: Path, command: str) -> list[Path]:
    """The Python files the command runs from the code folder: `python [opts] file.py` and `python -m mod`."""
    entries = []
    for segment in re.split(r"&&|\|\||;|\|", command):
        try:
            words = shlex.split(segment)
        except ValueError:
            continue
        for i, word in enumerate(words):
            if not _PYTHON.match(word):
                continue
            rest = words[i + 1 :]
            while rest and rest[0].startswith("-") and rest[0] not in ("-m", "-c"):
                rest = rest[1:]
            if len(rest) >= 2 and rest[0] == "-m":
                parts = rest[1].split(".")
                candidates = [code.joinpath(*parts).with_suffix(".py"), code.joinpath(*parts, "__main__.py")]
                entries += [c for c in candidates if c.is_file()]
            elif rest and rest[0].endswith(".py") and (code / rest[0]).is_file():
                entries.append(code / rest[0])
            break
    return entries


def _imports(path: Path) -> list[Import]:
    """The file's imports, parsed once per version of the file (`sweep validate sweep_specs/*.yaml` reads the
    same code folder for every spec)."""
    try:
        stat = path.stat()
    except OSError:
        return []
    return list(_parsed(path, stat.st_mtime_ns, stat.st_size))


@cache
def _parsed(path: Path, mtime_ns: int, size: int) -> tuple[Import, ...]:
    try:
        if size > MAX_BYTES:
            return ()
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return ()  # a file Python cannot parse fails on Azure as it fails here; not this check's to say
    found: list[Import] = []
    _walk(tree.body, path, False, found)
    return tuple(found)


def _walk(body: list[ast.stmt], path: Path, guarded: bool, found: list[Import]) -> None:
    """The imports of a block of statements and the blocks inside it; expressions are never entered (an import is a
    statement), which keeps a 600-line script to a few milliseconds."""
    for node in body:
        if isinstance(node, ast.Import):
            found += [Import(_top(a.name), path, node.lineno, guarded) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.append(Import(_top(node.module), path, node.lineno, guarded))
        elif isinstance(node, ast.If) and _type_checking(node.test):
            _walk(node.orelse, path, guarded, found)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            inner = guarded or any(_catches_import_error(h.type) for h in node.handlers)
            _walk(node.body, path, inner, found)
            for handler in node.handlers:
                _walk(handler.body, path, guarded, found)
            _walk(node.orelse + node.finalbody, path, guarded, found)
        else:
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list):
                    _walk(block, path, guarded, found)
            for case in getattr(node, "cases", None) or ():
                _walk(case.body, path, guarded, found)


def _top(module: str) -> str:
    """`sklearn` for `sklearn.svm`; `azureml.core` for `azureml.core.run` (a namespace package's part)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in NAMESPACES and len(parts) > 1 else parts[0]


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(kind: ast.expr | None) -> bool:
    if kind is None:
        return True  # a bare `except:`
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    caught = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in names}
    return bool(caught & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
