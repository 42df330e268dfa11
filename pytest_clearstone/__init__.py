"""pytest-clearstone: regression replay testing for AI agents.

Record a traced run once, save checkpoints of the agent's state, and replay the agent from a
checkpoint in pytest with the recorded LLM, tool and database responses patched in, under a frozen
clock. The library lives in :mod:`pytest_clearstone.tracing` (spans and the trace store),
:mod:`pytest_clearstone.codec` (values) and :mod:`pytest_clearstone.golden` (checkpoints, record
and replay) — :mod:`pytest_clearstone.observability` and :mod:`pytest_clearstone.debugging` are
their first import paths, kept — and the pytest glue in
:mod:`pytest_clearstone.plugin`. The main classes are importable from here too (lazily:
``from pytest_clearstone import Replay`` to annotate the ``replay`` fixture).

The package's modules hold no test assertions, so they are imported by Python's own import system
rather than pytest's assertion rewriter (PYTEST_DONT_REWRITE): pytest marks every module of a
plugin's distribution for rewriting, and its rewriter re-reads its cached bytecode object by object
(several times the cost of a plain import), or rewrites each module again on every run where the
installed package's directory cannot be written.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from typing import TYPE_CHECKING, Any

# name -> module: imported on first use, so `import pytest_clearstone` stays cheap
_EXPORTS = {
    "Checkpoint": "pytest_clearstone.golden.checkpoint",
    "CheckpointManager": "pytest_clearstone.golden.manager",
    "DeterministicExecutionContext": "pytest_clearstone.golden.context",
    "Replay": "pytest_clearstone.golden.replay",
    "ReplayEngine": "pytest_clearstone.golden.engine",
    "StateDelta": "pytest_clearstone.diff",
    "Span": "pytest_clearstone.tracing.span",
    "Trace": "pytest_clearstone.tracing.trace",
    "TraceStore": "pytest_clearstone.tracing.store",
    "Tracer": "pytest_clearstone.tracing.tracer",
    "TracerProvider": "pytest_clearstone.tracing.provider",
}

__all__ = [*sorted(_EXPORTS), "__version__"]  # the public API: the lazy table and the version

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

    from .diff import StateDelta as StateDelta
    from .golden.checkpoint import Checkpoint as Checkpoint
    from .golden.context import DeterministicExecutionContext as DeterministicExecutionContext
    from .golden.engine import ReplayEngine as ReplayEngine
    from .golden.manager import CheckpointManager as CheckpointManager
    from .golden.replay import Replay as Replay
    from .tracing.provider import TracerProvider as TracerProvider
    from .tracing.span import Span as Span
    from .tracing.store import TraceStore as TraceStore
    from .tracing.trace import Trace as Trace
    from .tracing.tracer import Tracer as Tracer


class _SubmoduleFinder:
    """Finds this package's source submodules as Python's path finder does, ahead of pytest's hook.

    First on ``sys.meta_path`` (pytest's assertion rewriter inserts itself there before plugins
    load). It answers only for what that hook would have taken (a submodule of this package from a
    source file); every other name, and a module from a zip or a compiled file, goes on to the
    finders after it.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if path is None or not fullname.startswith("pytest_clearstone."):
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or not isinstance(spec.loader, SourceFileLoader):
            return None
        return spec


if not any(isinstance(finder, _SubmoduleFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _SubmoduleFinder())


def pytest_addhooks(pluginmanager: Any) -> None:
    """Named as a plugin by this package's name (``-p pytest_clearstone``,
    ``PYTEST_PLUGINS=pytest_clearstone``, ``pytest_plugins = ["pytest_clearstone"]``), load the
    plugin itself, :mod:`pytest_clearstone.plugin`, as its entry point ``clearstone`` does: the
    package holds no other hook, and without it marked tests would run live, unnoticed. Under
    the entry point's name, so that pytest's auto-loading (which comes after ``-p``) loads it
    once, and ``-p no:clearstone`` still keeps it out."""
    if pluginmanager.has_plugin("clearstone") or pluginmanager.is_blocked("clearstone"):
        return
    from . import plugin

    if pluginmanager.is_registered(plugin):
        return
    # through the entry point when installed, as `-p clearstone` does: pytest then lists the
    # distribution (the header's plugins, `required_plugins = pytest-clearstone`)
    if not pluginmanager.load_setuptools_entrypoints("pytest11", name="clearstone"):
        pluginmanager.register(plugin, "clearstone")


def __dir__() -> list[str]:
    """The module's names with those exported on first use (:func:`__getattr__`)."""
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(module), name)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("pytest-clearstone")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            found = "0+unknown"
        # kept as the module's attribute: looked up once per process (a look-up scans the
        # installed distributions; every recorded test asks), and never at import
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
