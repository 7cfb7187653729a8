"""The environment check: each import of the trial's code against what its environment declares.

An import no declared package provides is an error under a conda file or a curated environment (their isolated
conda env hides the base image's packages, how-to-troubleshoot-environments.md) and a warning under a Docker build
context (its base image may provide it) or when the import is guarded by ``try/except ImportError``. A package that
comes only as another's dependency, and a local version outside the declared pin, are warnings. Imports map to
distributions through this interpreter's metadata (the packages a local trial runs with) and a small alias table.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import Problem
from ..spec.model import SweepSpec
from ..spec.validate.checker import Checker
from .needs import Import, trial_imports
from .provides import Declared, declared, shown
from .reqs import normalize

# import name -> PyPI name, where they differ and this interpreter may not have the package to say so
ALIASES = {
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "skimage": "scikit-image",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "attr": "attrs",
    "jwt": "pyjwt",
    "Crypto": "pycryptodome",
    "serial": "pyserial",
    "OpenSSL": "pyopenssl",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "umap": "umap-learn",
    "fitz": "pymupdf",
}
# one import name, several distributions that provide it (the CPU and GPU wheels, the skinny client)
ALTERNATIVES = {
    "xgboost": ("xgboost", "xgboost-cpu"),
    "mlflow": ("mlflow", "mlflow-skinny"),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel"),
    "torch": ("torch",),
}


@dataclass
class EnvReport:
    label: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    imports: int = 0  # how many third-party imports were checked


def check_environment(spec: SweepSpec, check: Checker | None = None, *, versions_said: set | None = None) -> EnvReport:
    """Check ``spec``'s trial code against its environment; the report's problems refuse the spec, its warnings
    and notes do not.

    ``spec`` may be anything with a ``trial`` and a ``base_dir`` (a pipeline step's component), with ``check``
    locating what is written about its environment (default: the spec file's ``trial.environment``).
    ``versions_said``, shared by the specs of one command, holds the version mismatches already warned about: a
    mismatch is a fact of this interpreter and one environment file, said once however many specs use that file."""
    found = declared(spec, check or spec_checker(spec))
    report = EnvReport(found.label, list(found.problems), list(found.warnings), list(found.notes))
    if found.not_checkable:
        report.notes.append(f"not checkable offline (not Python packages): {', '.join(found.not_checkable)}")
    if found.python and found.python != f"{sys.version_info.major}.{sys.version_info.minor}":
        report.notes.append(f"{found.label} declares Python {found.python}; this is Python {sys.version.split()[0]}")
    code = spec.trial.code
    if not found.checkable or code is None or not Path(code).is_dir():
        return report
    imports = trial_imports(Path(code), spec.trial.command)
    report.imports = len(imports)
    metadata = Metadata()
    by_module: dict[str, list[Import]] = {}
    for imp in imports:
        by_module.setdefault(imp.module, []).append(imp)
    said = versions_said if versions_said is not None else set()
    for module, sites in by_module.items():
        _one_module(module, sites, found, metadata, report, said)
    return report


def _one_module(
    module: str, sites: list[Import], found: Declared, metadata: Metadata, report: EnvReport, said: set
) -> None:
    first = next((s for s in sites if not s.guarded), sites[0])
    where = f"{shown(first.file)}:{first.line}"
    candidates = metadata.candidates(module, found.packages)
    direct = [found.packages[c] for c in candidates if c in found.packages]
    if direct:
        package = direct[0]
        local = metadata.version(package.name)
        mismatch = (found.label, package.where, package.name)  # this pin of this environment
        if package.specifier and local and not _satisfies(local, package.specifier) and mismatch not in said:
            said.add(mismatch)
            at = f" ({package.where})" if package.where else ""
            report.warnings.append(f"{where}: {package.name} {local} here, {found.label} pins {package.written}{at}")
        return
    via = metadata.provided_by_dependency(candidates, found.packages)
    if via:
        dependency, parent = via
        report.warnings.append(
            f"{where}: `import {module}`: {found.label} has {dependency} only as a dependency of {parent}; "
            f"declare it, or a new {parent} may drop or change it"
        )
        return
    name = metadata.suggested(module)
    message = f"`import {module}`: no package of {found.label} provides it"
    if first.guarded or not found.strict:
        why = "guarded by `except ImportError`" if first.guarded else "the base image may provide it"
        report.warnings.append(f"{where}: {message} ({why})")
        return
    more = f" (also {len(sites) - 1} more import{'s' if len(sites) > 2 else ''})" if len(sites) > 1 else ""
    message += more + "; the trial would fail on Azure with ModuleNotFoundError"
    report.problems.append(Problem(where, "", message, _fix(name, candidates, found)))


def _fix(name: str, candidates: list[str], found: Declared) -> str:
    """Where the missing package can come from: another curated environment that has it, or a conda file."""
    if found.curated is None:
        return f"add `{name}` to {found.label}"
    from .curated import table

    envs = table()["environments"]
    having = [a for a, e in envs.items() if set(candidates) & set(e["packages"])]
    # the general training environments first: the ones a sweep's trial is written for
    having = [f"AzureML-{a}" for a in sorted(having, key=lambda a: "/training/general/" not in envs[a]["path"])]
    other = f"curated environments with it: {', '.join(having[:4])}; or " if having else ""
    return f"{other}an inline `image` + `conda_file` that adds `{name}`"


def _satisfies(version: str, specifier: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion

    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return True  # a pin we cannot read is not a mismatch we can claim


class Metadata:
    """This interpreter's installed distributions, read lazily: most imports match a declared name without them."""

    def __init__(self):
        self._modules: dict[str, list[str]] | None = None
        self._versions: dict[str, str] | None = None

    def modules(self) -> dict[str, list[str]]:
        if self._modules is None:
            self._modules = _installed_modules()
        return self._modules

    def candidates(self, module: str, declared_names) -> list[str]:
        """The distributions that may provide ``module``: its alias or its own name, the known alternatives, then
        (only when none of those is declared: reading every installed distribution takes a third of a second)
        those this interpreter says provide it."""
        out = [normalize(ALIASES.get(module, module)), *ALTERNATIVES.get(module, ())]
        if "." in module:  # a namespace package's part: `azureml.core` is azureml-core, whoever else has azureml
            return [normalize(module)]
        if not any(normalize(c) in declared_names for c in out):
            out += self.modules().get(module, [])
        return list(dict.fromkeys(normalize(c) for c in out))

    def suggested(self, module: str) -> str:
        installed = self.modules().get(module)
        return installed[0] if installed else normalize(ALIASES.get(module, module))

    def version(self, name: str) -> str | None:
        """The installed version, from the `<name>-<version>.dist-info` folder names of sys.path (one listing of
        each folder; importlib.metadata.version searches every folder again for each name, 15 ms a call)."""
        if self._versions is None:
            self._versions = _dist_info_versions()
        if name in self._versions:
            return self._versions[name]
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(name)
        except PackageNotFoundError:
            return None

    def provided_by_dependency(self, candidates: list[str], declared_names) -> tuple[str, str] | None:
        """(candidate, declared package) when a candidate is among a declared package's dependencies, as installed
        here; None when none is (or the declared packages are not installed here to say)."""
        from importlib.metadata import PackageNotFoundError, requires

        wanted = set(candidates)
        for top in declared_names:
            seen, todo = {top}, [top]
            while todo:
                name = todo.pop()
                try:
                    reqs = requires(name) or []
                except PackageNotFoundError:
                    continue
                for line in reqs:
                    if "extra ==" in line:
                        continue
                    dep = normalize(_name_of(line))
                    if dep in wanted:
                        return dep, top
                    if dep not in seen:
                        seen.add(dep)
                        todo.append(dep)
        return None


@cache
def _installed_modules() -> dict[str, list[str]]:
    from importlib.metadata import packages_distributions

    return {k: [normalize(d) for d in v] for k, v in packages_distributions().items()}


@cache
def _dist_info_versions() -> dict[str, str]:
    import os

    out: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in names:
            if entry.endswith(".dist-info") and "-" in entry:
                name, _, rest = entry[: -len(".dist-info")].partition("-")
                out.setdefault(normalize(name), rest)  # the first on sys.path is the one imported
    return out


def _name_of(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return match.group(1) if match else requirement


def spec_checker(spec: SweepSpec) -> Checker:
    return _SpecChecker(spec)


class _SpecChecker(Checker):
    """Locates keys in the spec file (``--set`` where the environment was overridden), reading the file's lines only
    when a message needs one: most environments say nothing about the spec itself."""

    def __init__(self, spec: SweepSpec):
        super().__init__(shown(spec.path) if spec.path else "<spec>", {}, set())
        self._spec: SweepSpec | None = spec

    def where(self, path: tuple) -> str:
        if self._spec is not None:
            self.lines, self.overridden = _spec_lines(self._spec)
            self._spec = None
        return super().where(path)


def _spec_lines(spec: SweepSpec) -> tuple[dict, set]:
    from ..spec.load import line_map
    from ..spec.yaml_read import YamlRefused, parse_yaml

    try:
        node, data = parse_yaml(spec.path.read_text(encoding="utf-8")) if spec.path else (None, None)
    except (OSError, UnicodeDecodeError, YamlRefused):
        return {}, set()
    written = (data or {}).get("trial", {}).get("environment") if isinstance(data, dict) else None
    overridden = set() if written == spec.data.get("trial", {}).get("environment") else {("trial", "environment")}
    return (line_map(node) if node is not None else {}), overridden
