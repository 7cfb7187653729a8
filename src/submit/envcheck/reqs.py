"""Package names and version pins as environments write them: pip requirement lines, conda match specs, and the
``pip install`` / ``conda create`` lines of a Dockerfile.

Everything returns plain data (name, specifier, line); nothing here reads the spec or the code folder.

>>> pip_requirement("scikit-learn~=1.5.0"), pip_requirement("azureml-core=={{latest-pypi-version}}")
(('scikit-learn', '~=1.5.0'), ('azureml-core', ''))
>>> conda_requirement("numpy=1.22"), conda_requirement("conda-forge::pytorch>=2"), conda_requirement("python 3.10.*")
(('numpy', '==1.22.*'), ('torch', '>=2'), ('python', '==3.10.*'))
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

# conda package name -> the PyPI distribution that provides the same import (grayskull's strategy/config.yaml pairs,
# the ones a training environment meets); a name not listed is the same on both
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "matplotlib-base": "matplotlib",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-xgboost-gpu": "xgboost",
    "xgboost-cpu": "xgboost-cpu",
    "lightgbm-cpu": "lightgbm",
    "dask-core": "dask",
    "opencv": "opencv-python",
    "py-opencv": "opencv-python",
    "tensorflow-base": "tensorflow",
    "tensorflow-cpu": "tensorflow",
    "pytables": "tables",
    "pyqt": "pyqt5",
    "typing_extensions": "typing-extensions",
    "ruamel_yaml": "ruamel-yaml",
    "pillow-simd": "pillow",
    "jpype1": "jpype1",
    "msgpack-python": "msgpack",
    "mlflow-skinny": "mlflow-skinny",
    "protobuf": "protobuf",
    "libprotobuf": "",  # the C++ library under protobuf: no import of its own
}
# conda packages with no Python import: libraries and tools a Python package may load, which an import check cannot
# see; named as not checkable, never guessed
NOT_PYTHON = {
    "cudatoolkit",
    "cuda-toolkit",
    "cuda-version",
    "cudnn",
    "nccl",
    "openmpi",
    "mpich",
    "mkl",
    "mkl-include",
    "mkl-service",
    "intel-openmp",
    "libgcc-ng",
    "libstdcxx-ng",
    "gcc",
    "gxx",
    "cmake",
    "make",
    "git",
    "curl",
    "openssl",
    "ca-certificates",
    "nodejs",
    "r-base",
    "openjdk",
    "libprotobuf",
    "blas",
    "libblas",
    "openblas",
    "ffmpeg",
    "libffi",
    "zlib",
    "cudatoolkit-dev",
}
# interpreter and installer packages: declared, never imported
TOOLS = {"python", "pip", "setuptools", "wheel", "conda", "uv"}
TEMPLATE = re.compile(r"\{\{[^}]*\}\}")
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")
# pip options that take a value (so the value is not read as a package)
_PIP_VALUED = {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--trusted-host",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--progress-bar",
    "--cache-dir",
    "--src",
    "-e",
    "--editable",
}
_CONDA_VALUED = {"-p", "--prefix", "-n", "--name", "-c", "--channel", "--file"}


def normalize(name: str) -> str:
    """PEP 503's normal form, so `Scikit_Learn` and `scikit-learn` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_requirement(text: str) -> tuple[str, str] | None:
    """(normalized name, specifier) of a pip requirement line, None for what is not a named package (a path, a URL,
    an option). A templated pin (``=={{latest-pypi-version}}``, azureml-assets' release-time fill-in) is no pin."""
    text = pip_install_line(text)
    if not text or text.startswith(("-", "#", ".", "/")) or "://" in text.split("@")[0] or text.endswith(".whl"):
        return None
    text = text.split(";", 1)[0]  # an environment marker does not change the name
    # PEP 508 by hand (name, extras, specifier): packaging.requirements costs a tenth of a second to import
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", text)
    if match is None or match.group(3).startswith("@"):
        return None
    return normalize(match.group(1)), re.sub(r"[\s()]", "", match.group(3)).strip(",")


def pip_install_line(text: str) -> str:
    """A pip requirement line as pip should be given it: its comment and any template pin dropped, its extras and
    environment marker kept (``xgboost[scikit-learn]>=2; python_version >= "3.9"`` installs scikit-learn too).

    >>> pip_install_line('xgboost[scikit-learn]=={{latest-pypi-version}} ; python_version >= "3.9"  # the model')
    'xgboost[scikit-learn] ; python_version >= "3.9"'
    """
    text = TEMPLATE.sub("", text.split(" #", 1)[0]).strip()
    requirement, _, marker = text.partition(";")
    requirement = re.sub(r"(===|==|~=|>=|<=|!=|>|<)\s*(?=,|$)", "", requirement.strip())  # what a template left
    return f"{requirement} ;{marker}" if marker else requirement


def conda_requirement(text: str) -> tuple[str, str] | None:
    """(PyPI name, PEP 440 specifier) of a conda match spec: ``numpy=1.22`` (conda's prefix match) is ``==1.22.*``,
    ``numpy 1.22.*`` and ``numpy==1.22.0`` read alike; the channel prefix (``conda-forge::``) is dropped."""
    text = TEMPLATE.sub("", str(text).split("#", 1)[0]).strip()
    if not text:
        return None
    text = text.split("::")[-1]
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", text)
    if not match:
        return None
    raw_name, rest = match.group(1), match.group(2).strip()
    name = CONDA_TO_PYPI.get(raw_name.lower(), normalize(raw_name))
    rest = rest.split()[0] if rest and rest[0].isdigit() else rest.replace(" ", "")
    if not rest:
        return name, ""
    if rest[0].isdigit():  # `numpy 1.22.*`, a version without an operator
        return name, "==" + rest
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:]
        return name, "==" + (version if version.endswith("*") else version + ".*")
    return name, rest


@dataclass
class DockerInstalls:
    """What a Dockerfile installs: its base image, pip requirements and conda packages, each with its line."""

    image: str | None = None
    pip: list[tuple[str, int]] = field(default_factory=list)  # (requirement as written, line)
    requirement_files: list[tuple[str, int]] = field(default_factory=list)  # `pip install -r FILE`
    conda: list[tuple[str, int]] = field(default_factory=list)
    conda_files: list[tuple[str, int]] = field(default_factory=list)  # `conda env create -f FILE`
    isolated: bool = False  # a new conda env is created: the base image's packages are hidden from it
    python: str | None = None  # `FROM python:3.10` or `conda create python=3.10`


def dockerfile_installs(text: str) -> DockerInstalls:
    """The installs of a Dockerfile's RUN lines (continuations joined, shell segments split on ``&&``, ``;``, ``|``).

    >>> d = dockerfile_installs("FROM python:3.10-slim\\nRUN pip install -U 'numpy<2' \\\\\\n  pandas && pip install -r req.txt")
    >>> d.image, d.python, d.pip, d.requirement_files
    ('python:3.10-slim', '3.10', [('numpy<2', 2), ('pandas', 2)], [('req.txt', 2)])
    """
    out = DockerInstalls()
    for line, instruction, args in _instructions(text):
        if instruction == "FROM":  # the last stage is the image that runs
            image = next((a for a in args.split() if not a.startswith("--")), None)
            out.image = image
            match = re.match(r"^(?:docker\.io/)?(?:library/)?python:(\d+\.\d+)", image or "")
            out.python = match.group(1) if match else out.python
        elif instruction == "RUN":
            for segment in re.split(r"&&|\|\||;|\|", args):
                _segment(segment, line, out)
    return out


def _instructions(text: str):
    """(first line, INSTRUCTION, arguments) of each Dockerfile instruction, continuation lines joined."""
    start, parts = 0, []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if parts and stripped.startswith("#"):  # a comment inside a continued instruction is dropped by Docker
            continue
        if not parts:
            start = number
        parts.append(stripped[:-1] if stripped.endswith("\\") else stripped)
        if not stripped.endswith("\\"):
            joined = " ".join(parts)
            word, _, rest = joined.partition(" ")
            yield start, word.upper(), rest
            parts = []


def _segment(segment: str, line: int, out: DockerInstalls) -> None:
    try:
        words = shlex.split(segment)
    except ValueError:
        words = segment.split()
    for i, word in enumerate(words[:-1]):
        base = word.rsplit("/", 1)[-1]
        if re.fullmatch(r"pip(3(\.\d+)?)?", base) and words[i + 1] == "install":
            _pip_args(words[i + 2 :], line, out)
            return
        if base in ("conda", "mamba", "micromamba") and words[i + 1] in ("create", "install"):
            if words[i + 1] == "create":
                out.isolated = True
            _conda_args(words[i + 2 :], line, out)
            return
        if base in ("conda", "mamba") and words[i + 1] == "env" and i + 2 < len(words) and words[i + 2] == "create":
            out.isolated = True
            rest = words[i + 3 :]
            for j, w in enumerate(rest[:-1]):
                if w in ("-f", "--file"):
                    out.conda_files.append((rest[j + 1], line))
            return


def _pip_args(args: list[str], line: int, out: DockerInstalls) -> None:
    skip = False
    for j, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg in ("-r", "--requirement") and j + 1 < len(args):
            out.requirement_files.append((args[j + 1], line))
            skip = True
        elif arg in _PIP_VALUED:
            skip = True
        elif arg.startswith("--requirement="):
            out.requirement_files.append((arg.split("=", 1)[1], line))
        elif not arg.startswith("-"):
            out.pip.append((arg, line))


def _conda_args(args: list[str], line: int, out: DockerInstalls) -> None:
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in _CONDA_VALUED:
            skip = True
        elif not arg.startswith("-") and not arg.startswith("$"):
            parsed = conda_requirement(arg)
            if parsed and parsed[0] == "python" and parsed[1]:
                out.python = python_version(parsed[1]) or out.python
            out.conda.append((arg, line))


def python_version(specifier: str) -> str | None:
    """The X.Y a conda ``python`` pin names (``==3.10.*``, ``==3.11.4``, ``>=3.9`` gives 3.9), or None."""
    match = re.search(r"(\d+)\.(\d+)", specifier or "")
    return f"{match.group(1)}.{match.group(2)}" if match else None
