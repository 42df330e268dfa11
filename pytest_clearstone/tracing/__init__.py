"""Tracing: spans typed ``llm``/``tool``/``database`` recorded into an embedded SQLite store.

>>> from pytest_clearstone.tracing import TracerProvider
>>> provider = TracerProvider(db_path=":memory:")
>>> tracer = provider.get_tracer("my_agent", version="1.0")
>>> with tracer.span("agent_workflow") as root:
...     with tracer.span("step_1", span_type="llm") as step:
...         step.set_output("hello")
>>> [s.name for s in provider.trace_store.get_trace(root.trace_id).spans]
['agent_workflow', 'step_1']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# name -> module, imported on first use: replaying a golden reads spans and traces, and should
# not pay for importing the store, sqlite3 and the writer thread
_EXPORTS = {
    "SCHEMA_VERSION": "store",
    "Recorded": "span",
    "Span": "span",
    "Trace": "trace",
    "TraceStore": "store",
    "TraceSummary": "store",
    "Tracer": "tracer",
    "TracerProvider": "provider",
    "current_span": "tracer",
}

if TYPE_CHECKING:
    from .provider import TracerProvider
    from .span import Recorded, Span
    from .store import SCHEMA_VERSION, TraceStore, TraceSummary
    from .trace import Trace
    from .tracer import Tracer, current_span

__all__ = [
    "SCHEMA_VERSION",
    "Recorded",
    "Span",
    "Trace",
    "TraceStore",
    "TraceSummary",
    "Tracer",
    "TracerProvider",
    "current_span",
]


def __dir__() -> list[str]:
    """The module's names with those exported on first use (:func:`__getattr__`)."""
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
