"""Installed code, told from the project's own: where it lives (:func:`installed_roots`), and
the installed release of the library a class comes from, for the messages about a golden that
names a class the installed release no longer has as it was recorded (an SDK upgraded or
downgraded since the recording).

Only the standard library is used, and only when such a message is made: the installed
distributions' metadata is read, no module the golden names is imported here.
"""

from __future__ import annotations

import functools
import importlib.util
import platform
import site
import sys
import sysconfig
from importlib import metadata
from pathlib import Path


@functools.cache
def installed_roots() -> tuple[Path, ...]:
    """The standard library's directories and the site-packages ones (the user's too): where
    installed code lives, as opposed to the project's own (also when installed in editable
    mode: its files are not under these)."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots.update(getattr(site, "getsitepackages", list)())
    if site.ENABLE_USER_SITE and site.USER_SITE:
        roots.add(site.USER_SITE)
    return tuple(Path(root).resolve() for root in roots)


def is_installed_file(file: str) -> bool:
    """Whether the module file ``file`` is under one of :func:`installed_roots`."""
    where = Path(file).resolve()
    return any(where.is_relative_to(root) for root in installed_roots())


def installed_by(distribution: str, package: str) -> bool:
    """Whether the imported top-level package ``package`` is the one the installed distribution
    ``distribution`` holds (``agents`` of ``openai-agents``), not a project's own package of that
    name; ``False`` when it is not imported. Nothing is imported."""
    file = getattr(sys.modules.get(package), "__file__", None)
    return isinstance(file, str) and _holds(distribution, package, file)


@functools.cache
def _holds(distribution: str, package: str, file: str) -> bool:
    """Whether ``file`` is the ``__init__.py`` of the package ``package`` that the installed
    distribution ``distribution`` holds (once per process: its metadata is read)."""
    try:
        found = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    init = f"{package}/__init__.py"
    if not any(entry.as_posix() == init for entry in found.files or ()):  # (its RECORD)
        return False
    return Path(str(found.locate_file(init))).resolve() == Path(file).resolve()


def _top_module(class_path: str) -> str:
    """The top-level module of the class ``module:Qual`` (``openai`` for
    ``openai.types.chat:ChatCompletion``)."""
    return class_path.partition(":")[0].partition(".")[0]


@functools.cache
def _distributions() -> dict[str, list[str]]:
    """The installed distributions of each top-level package (read once per process: it scans
    every installed distribution's metadata, and a run after an upgrade may fail many tests)."""
    return dict(metadata.packages_distributions())


def library_release(class_path: str) -> tuple[str, str] | None:
    """``(distribution, version)`` of the installed library whose package holds the class
    ``module:Qual`` (``("openai", "3.40.0")`` for ``openai.types.chat:ChatCompletion``), ``None``
    when its package is not an installed library's (the project's own code, a module of the
    standard library) or was not imported."""
    top = _top_module(class_path)
    module = sys.modules.get(top)  # (the decoder imported it, or tried to)
    file = getattr(module, "__file__", None)
    if not top or not isinstance(file, str) or not is_installed_file(file):
        return None
    for name in _distributions().get(top, []):
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - metadata without a version
            continue
    return None


def python_release(class_path: str) -> str | None:
    """The running Python's version (``"3.11.9"``) when the class ``module:Qual`` is of the
    standard library (its top-level module one of ``sys.stdlib_module_names``, imported from the
    standard library's directories, built in, or not imported: the decoder could not, a module
    of another platform's standard library, ``winreg`` on Linux), ``None`` otherwise: the
    project's own code or an installed library's."""
    top = _top_module(class_path)
    module = sys.modules.get(top)  # (the decoder imported it, or tried to)
    if top not in sys.stdlib_module_names:
        return None
    file = getattr(module, "__file__", None)  # (none for a built-in module: builtins, sys)
    if isinstance(file, str) and not is_installed_file(file):  # (a project module so named)
        return None
    return platform.python_version()


def missing_module(class_path: str) -> str | None:
    """The top-level module of the class ``module:Qual`` when no such module is imported or
    importable here, neither an installed library's nor the project's (``"mcp_types"``, the
    package of mcp 2's types, where mcp 1 is installed), ``None`` otherwise. Only looked up:
    a top-level module's spec is found without importing anything."""
    top = _top_module(class_path)
    if not top or sys.modules.get(top) is not None:
        return None
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):  # pragma: no cover - a broken finder, an odd name
        return None
    return top if spec is None else None
