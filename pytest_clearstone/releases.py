"""The installed release of the library a class comes from, for the messages about a golden that
names a class the installed release no longer has as it was recorded (an SDK upgraded or
downgraded since the recording).

Only the standard library is used, and only when such a message is made: the installed
distributions' metadata is read, no module the golden names is imported here.
"""

from __future__ import annotations

import functools
import sys
import sysconfig
from importlib import metadata
from pathlib import Path


def _installed_paths() -> list[Path]:
    """The directories installed distributions' modules live in (``site-packages``)."""
    found = []
    for name in ("purelib", "platlib"):
        try:
            found.append(Path(sysconfig.get_paths()[name]).resolve())
        except (KeyError, OSError):  # pragma: no cover - a stripped-down interpreter
            continue
    return found


@functools.cache
def _distributions() -> dict[str, list[str]]:
    """The installed distributions of each top-level package (read once per process: it scans
    every installed distribution's metadata, and a run after an upgrade may fail many tests)."""
    return dict(metadata.packages_distributions())


def library_release(class_path: str) -> tuple[str, str] | None:
    """``(distribution, version)`` of the installed library whose package holds the class
    ``module:Qual`` (``("openai", "3.40.0")`` for ``openai.types.chat:ChatCompletion``), ``None``
    when its package is not an installed library's: the project's own code (also when installed
    in editable mode: its files are not in ``site-packages``), or a package not imported."""
    top = class_path.partition(":")[0].partition(".")[0]
    module = sys.modules.get(top)  # (the decoder imported it, or tried to)
    file = getattr(module, "__file__", None)
    if not top or not isinstance(file, str):
        return None
    try:
        where = Path(file).resolve()
    except OSError:  # pragma: no cover - a file that vanished
        return None
    if not any(where.is_relative_to(root) for root in _installed_paths()):
        return None
    for name in _distributions().get(top, []):
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - metadata without a version
            continue
    return None
