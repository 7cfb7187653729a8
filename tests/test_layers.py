"""The layout holds: feature packages at the top of src/submit, imports running one way, no import circle.

Every import is read from the source with ``ast`` (those inside functions too: a lazy import is still an arrow), so a
circle or an arrow back up is caught before anyone runs into it. The layers, lowest first::

    errors <- spec <- (azure | envcheck) <- emulator <- preflight <- pipeline <- monitor <- (report | followup) <- cli
    <- submit

A package imports only from lower layers or from itself; packages of one layer do not import each other.
``submit`` itself (``__init__.py``, the public API, and ``__main__``) sits on top and may reach any feature.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "submit"

LAYERS = (
    ("errors",),
    ("spec",),
    ("azure", "envcheck"),
    ("emulator",),
    ("preflight",),
    ("pipeline",),
    ("monitor",),
    ("report", "followup"),
    ("cli",),
)
TOP_LEVEL_MODULES = {"__init__.py", "__main__.py", "errors.py"}


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def imports_of(path: Path, root: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` imports, relative imports resolved, ``from pkg import module`` included."""
    name, is_package = module_name(path, root)
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            # `from pkg import module` is an arrow to the module; a name defined in pkg is an arrow to pkg
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names]
        else:
            continue
        for target in targets:
            # `import a.b.c` imports a.b.c; the nearest known module is the arrow's head
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph(root: Path, top: str) -> dict[str, set[str]]:
    files = {module_name(p, root)[0]: p for p in (root / top).rglob("*.py")}
    known = set(files)
    return {name: imports_of(path, root, known) for name, path in files.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def feature_of(module: str) -> str:
    parts = module.split(".")
    return "submit" if len(parts) == 1 or parts[1] == "__main__" else parts[1]


def layer_of(feature: str) -> int:
    for rank, names in enumerate(LAYERS):
        if feature in names:
            return rank
    return len(LAYERS)  # `submit` itself, the public API


def test_the_graph_reader_sees_a_circle_and_a_lazy_import(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .c import g\n")
    (pkg / "c.py").write_text("from pkg.a import x\n")

    edges = graph(tmp_path, "pkg")

    assert edges["pkg.b"] == {"pkg.c"}
    assert circles(edges) == [["pkg.a", "pkg.b", "pkg.c"]]


@pytest.mark.parametrize("top", ["src/submit", "bench"])
def test_no_import_circle(top):
    root = ROOT / top.rpartition("/")[0] if "/" in top else ROOT
    assert circles(graph(root, top.rpartition("/")[2])) == []


def test_imports_run_one_way_down_the_layers():
    upward = []
    for module, targets in graph(SRC, "submit").items():
        mine = feature_of(module)
        for target in targets:
            theirs = feature_of(target)
            if theirs == mine or mine == "submit":
                continue
            if layer_of(theirs) >= layer_of(mine):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_top_of_src_submit_holds_only_packages_and_the_three_modules():
    modules = {p.name for p in PACKAGE.glob("*.py")}
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}

    assert modules == TOP_LEVEL_MODULES
    assert packages == {name for layer in LAYERS for name in layer if name != "errors"}


def test_every_package_says_what_it_owns():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init.relative_to(SRC)} has no docstring"


def test_every_package_face_names_each_of_its_modules():
    # the face's docstring is the package's map: a module it does not name is one a newcomer does not find
    unnamed = []
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        for module in init.parent.glob("*.py"):
            if module.name != "__init__.py" and f"``{module.stem}``" not in doc:
                unnamed.append(f"{init.parent.relative_to(SRC)}: {module.stem}")
    assert unnamed == []


def test_no_module_docstring_cites_an_issue_number():
    # a reader of the repository cannot look an issue up: a docstring says what the module does, in its own words
    citing = []
    for module in PACKAGE.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(module.read_text())) or ""
        if re.search(r"\b[Ii]ssues? \d", doc):
            citing.append(str(module.relative_to(SRC)))
    assert citing == []
