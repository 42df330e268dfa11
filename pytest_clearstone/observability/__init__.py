"""Tracing under its first import path (kept for compatibility).

Spans, the tracer, the provider and the SQLite trace store live in
:mod:`pytest_clearstone.tracing`; ``from pytest_clearstone.observability import TracerProvider``
keeps working, and like the new path it imports no pytest and nothing it does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import tracing

if TYPE_CHECKING:
    from ..tracing import SCHEMA_VERSION as SCHEMA_VERSION
    from ..tracing import Recorded as Recorded
    from ..tracing import Span as Span
    from ..tracing import Trace as Trace
    from ..tracing import Tracer as Tracer
    from ..tracing import TracerProvider as TracerProvider
    from ..tracing import TraceStore as TraceStore
    from ..tracing import TraceSummary as TraceSummary
    from ..tracing import current_span as current_span

__all__ = tracing.__all__


def __dir__() -> list[str]:
    """The module's names with those exported on first use (:func:`__getattr__`)."""
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    return getattr(tracing, name)
