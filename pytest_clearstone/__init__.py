"""pytest-clearstone: regression replay testing for AI agents.

Record a traced run once, save checkpoints of the agent's state, and replay the agent from a
checkpoint in pytest with the recorded LLM, tool and database responses patched in, under a frozen
clock. The library lives in :mod:`pytest_clearstone.observability` (tracing) and
:mod:`pytest_clearstone.debugging` (checkpoints and replay); the pytest glue in
:mod:`pytest_clearstone.plugin`. The main classes are importable from here too (lazily:
``from pytest_clearstone import Replay`` to annotate the ``replay`` fixture).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# name -> module: imported on first use, so `import pytest_clearstone` stays cheap
_EXPORTS = {
    "Checkpoint": "pytest_clearstone.debugging.checkpoint",
    "CheckpointManager": "pytest_clearstone.debugging.manager",
    "DeterministicExecutionContext": "pytest_clearstone.debugging.context",
    "Replay": "pytest_clearstone.debugging.golden",
    "ReplayEngine": "pytest_clearstone.debugging.replay",
    "StateDelta": "pytest_clearstone.diff",
    "Span": "pytest_clearstone.observability.span",
    "Trace": "pytest_clearstone.observability.trace",
    "TraceStore": "pytest_clearstone.observability.store",
    "Tracer": "pytest_clearstone.observability.tracer",
    "TracerProvider": "pytest_clearstone.observability.provider",
}

__all__ = [
    "Checkpoint",
    "CheckpointManager",
    "DeterministicExecutionContext",
    "Replay",
    "ReplayEngine",
    "Span",
    "StateDelta",
    "Trace",
    "TraceStore",
    "Tracer",
    "TracerProvider",
    "__version__",
]

if TYPE_CHECKING:
    from .debugging.checkpoint import Checkpoint
    from .debugging.context import DeterministicExecutionContext
    from .debugging.golden import Replay
    from .debugging.manager import CheckpointManager
    from .debugging.replay import ReplayEngine
    from .diff import StateDelta
    from .observability.provider import TracerProvider
    from .observability.span import Span
    from .observability.store import TraceStore
    from .observability.trace import Trace
    from .observability.tracer import Tracer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(module), name)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("pytest-clearstone")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
