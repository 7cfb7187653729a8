"""`sweep submit --local --isolated`: the trial's environment rebuilt as a virtual environment with uv, cached.

What goes in is what the environment declares (``envcheck.provides``): the conda file's Python packages under their
PyPI names and its pip list, a curated environment's packages (templated pins as names only), a Docker context's
``pip install`` lines. Conda-only and non-Python packages cannot be installed by pip and are said, not guessed.

Like Azure's image cache (its key is the hash of the base image, the Docker steps and the Python packages, and an
unpinned package keeps its first build's version), the cache key is the hash of the dependency file as written plus
the Python version, the platform and uv's version; the first build freezes a lock (``uv pip compile``) that every
later build of the same key installs (``uv pip sync``), so a new release on the index changes nothing until
``--rebuild-env``. An interpreter of the declared Python version is used where one is found on this machine (never
downloaded: ``UV_PYTHON_DOWNLOADS=never``), else this one, with a warning.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EnvBuildError
from ..spec.model import SweepSpec

Event = Callable[[str, str], None]  # (stage, message): "python", "resolve", "install", "retry", "reuse"


@dataclass(frozen=True)
class IsolatedEnv:
    folder: Path  # the virtual environment
    python_version: str
    source: str  # what it was built from, as messages name it
    reused: bool
    seconds: float
    lock: Path
    packages: int  # pinned in the lock
    warnings: list[str] = field(default_factory=list)

    @property
    def bin(self) -> Path:
        return self.folder / ("Scripts" if os.name == "nt" else "bin")

    def trial_variables(self, environ: dict[str, str] | None = None) -> dict[str, str]:
        """What a trial's environment gets so that `python` in its command is this environment's: its folder first
        on PATH, VIRTUAL_ENV; PYTHONPATH and PYTHONHOME emptied (Python ignores them empty), so nothing of the
        submitting interpreter leaks in."""
        environ = os.environ if environ is None else environ
        return {
            "PATH": str(self.bin) + os.pathsep + environ.get("PATH", ""),
            "VIRTUAL_ENV": str(self.folder),
            "PYTHONPATH": "",
            "PYTHONHOME": "",
        }


def cache_root(environ: dict[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/sweep/envs``, else ``~/.cache/sweep/envs``."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sweep" / "envs"


def uv_binary() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise EnvBuildError("--isolated needs uv: pip install uv") from None
        return found


def build_env(
    spec: SweepSpec, *, cache: Path | None = None, rebuild: bool = False, on_event: Event | None = None
) -> IsolatedEnv:
    """The spec's environment as a virtual environment, built or reused; EnvBuildError when it cannot be built."""
    from .check import spec_checker
    from .provides import declared

    say = on_event or (lambda stage, message: None)
    found = declared(spec, spec_checker(spec))
    if not found.checkable:
        why = "; ".join(found.notes) or found.label
        raise EnvBuildError(f"--isolated cannot build this environment: {why}")
    requirements = [p.install or p.name + p.specifier for p in found.packages.values()]
    warnings = []
    if found.not_checkable:
        warnings.append(f"not installed (not Python packages, pip cannot): {', '.join(found.not_checkable)}")
    uv = uv_binary()
    python, version, warning = find_python(uv, found.python)
    warnings += [warning] if warning else []
    key = _key(found.source_bytes, requirements, version, _uv_version(uv))
    folder = (cache or cache_root()) / key
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    venv, lock, ready = folder / "venv", folder / "requirements.lock", folder / "ready"
    start = time.perf_counter()
    if ready.exists() and venv.exists():
        say("reuse", f"reused {venv} (from {found.label}, Python {version}; --rebuild-env rebuilds it)")
        return IsolatedEnv(venv, version, found.label, True, 0.0, lock, _pinned(lock), warnings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "requirements.in").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    say("python", f"building from {found.label}: Python {version} ({python}), with uv")
    _uv(uv, ["venv", "--quiet", "--clear", "--python", python, str(venv)], "creating the virtual environment")
    target = ["--python", str(venv)]
    frozen = lock.exists()  # by an earlier build of the same key
    compile_ = ["pip", "compile", "--quiet", str(folder / "requirements.in"), "-o", str(lock), *target]
    if not frozen:
        say("resolve", f"resolving {len(requirements)} packages")
        _uv(uv, compile_, "resolving")
    say("install", f"installing {_pinned(lock)} packages")
    try:
        _uv(uv, ["pip", "sync", "--quiet", str(lock), *target], "installing")
    except EnvBuildError as first:
        # the index answered the install otherwise than the resolution (a mirror still catching up with a release,
        # a version yanked since): once more with the index read afresh; a lock frozen by an earlier build stays
        # frozen, since re-resolving it is what --rebuild-env is for
        say("retry", f"the package index did not offer what the lock names; reading it afresh ({_first_error(first)})")
        if not frozen:
            _uv(uv, [*compile_, "--refresh"], "resolving")
        try:
            _uv(uv, ["pip", "sync", "--quiet", "--refresh", str(lock), *target], "installing")
        except EnvBuildError as second:
            if frozen:
                raise EnvBuildError(
                    f"{second}\n(the lock {lock} is from an earlier build: --rebuild-env resolves "
                    "the environment again)"
                ) from None
            raise
    ready.write_text(json.dumps({"source": found.label, "python": version}), encoding="utf-8")
    seconds = time.perf_counter() - start
    say("done", f"built in {seconds:.1f} s: {venv}")
    return IsolatedEnv(venv, version, found.label, False, seconds, lock, _pinned(lock), warnings)


def find_python(uv: str, wanted: str | None) -> tuple[str, str, str | None]:
    """(interpreter, its X.Y, a warning or None): this one when it is the declared version (or none is declared),
    else one of that version on this machine as uv finds it, else pyenv's, else this one with a warning."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted is None or wanted == here:
        return sys.executable, here, None
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    out = subprocess.run(
        [uv, "python", "find", "--python-preference", "only-system", wanted], capture_output=True, text=True, env=env
    )
    if out.returncode == 0 and out.stdout.strip():
        return out.stdout.strip(), wanted, None
    # uv stops at the first interpreter it cannot query (a pyenv shim of a version not selected); pyenv's own
    # folders hold the interpreter itself
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for candidate in sorted(glob.glob(os.path.join(root, "versions", f"{wanted}.*", "bin", f"python{wanted}"))):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate, wanted, None
    warning = f"no Python {wanted} on this machine (the environment declares it): the environment uses Python {here}"
    return sys.executable, here, warning


def _uv(uv: str, args: list[str], doing: str) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": ""}
    out = subprocess.run([uv, *args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        detail = (out.stderr or out.stdout).strip()
        raise EnvBuildError(f"--isolated: uv failed {doing}; nothing was run:\n{detail}")


def _first_error(error: EnvBuildError) -> str:
    """The resolver's own words on one line: its cause (uv wraps it to the terminal's width), else its error."""
    lines = [line.strip() for line in str(error).splitlines()[1:] if line.strip()]
    cause = next((i for i, line in enumerate(lines) if line.startswith("cause: ")), None)
    if cause is not None:
        lines = lines[cause:]
    lines = lines[: next((i for i, line in enumerate(lines) if line.startswith("hint: ")), len(lines))]
    return " ".join(lines).removeprefix("error: ").removeprefix("cause: ") if lines else str(error)


def _uv_version(uv: str) -> str:
    return subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()


def _key(source: bytes, requirements: list[str], version: str, uv_version: str) -> str:
    digest = hashlib.sha256()
    for part in (
        source or "\n".join(requirements).encode(),
        version.encode(),
        _platform().encode(),
        uv_version.encode(),
    ):
        digest.update(part + b"\0")
    return digest.hexdigest()[:16]


def _platform() -> str:
    return f"{sys.platform}-{platform.machine()}"


def _pinned(lock: Path) -> int:
    try:
        lines = lock.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    return sum(1 for line in lines if line and not line.startswith((" ", "#")))
