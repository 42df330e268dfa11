"""OpenTelemetry interop: spans in (GenAI / OpenInference conventions), traces out.

Import turns OpenTelemetry spans into our :class:`~pytest_clearstone.tracing.Trace`, so a
production trace can become a checkpoint and a regression test:

- :func:`traces_from_otel_spans` / :func:`trace_from_otel_spans` take SDK ``ReadableSpan``
  objects, e.g. ``InMemorySpanExporter().get_finished_spans()``;
- :func:`traces_from_otlp_json` reads OTLP/JSON (a file written by an OTLP file exporter or a
  collector, one JSON document or one per line, or an already parsed dict).

Span types come from ``openinference.span.kind`` (``LLM`` -> ``llm``, ``TOOL`` -> ``tool``,
``RETRIEVER``, ``CHAIN``, ``EMBEDDING``, ``AGENT``, ...) or ``gen_ai.operation.name``
(``chat``/``text_completion``/``generate_content`` -> ``llm``, ``execute_tool`` -> ``tool``,
``embeddings`` -> ``embedding``, ``invoke_agent`` -> ``agent``); inputs and outputs from
``input.value``/``output.value``, ``gen_ai.tool.call.arguments``/``gen_ai.tool.call.result``,
``gen_ai.input.messages``/``gen_ai.output.messages``, the earlier conventions' events
``gen_ai.content.prompt``/``gen_ai.content.completion``; errors from the ``exception`` event or
the ERROR status. The attributes pytest-clearstone itself writes (``clearstone.*``) win.

Export sends our traces through any OpenTelemetry ``SpanExporter`` (console, OTLP, in-memory):
:func:`export_trace`, :class:`ClearstoneSpanExporterBridge`, :func:`to_otel_spans`. Each span
carries its type as ``openinference.span.kind`` and ``gen_ai.operation.name``, its input and
output as ``input.value``/``output.value`` (plain JSON, as tools show it:
:mod:`pytest_clearstone.codec.plain`) and exactly, codec-encoded, as
``clearstone.input``/``clearstone.output``, so importing the exported spans gives the trace back.

Exporting needs ``opentelemetry-sdk`` (``pip install pytest-clearstone[otel]``); it is imported
only when these functions run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from ..errors import DecodeError
from ..tracing.span import Span
from ..tracing.trace import Trace
from ._conventions import (
    ORIGINAL_IDS,
    SpanData,
    build_span,
    exception_event,
    export_attributes,
    group_traces,
    source_label,
)
from .otlp_json import traces_from_otlp_json

__all__ = [
    "ClearstoneSpanExporterBridge",
    "export_trace",
    "to_otel_spans",
    "trace_from_otel_spans",
    "traces_from_otel_spans",
    "traces_from_otlp_json",
]

INSTALL_HINT = "pip install pytest-clearstone[otel]"
_CLIENT_TYPES = {"llm", "tool", "embedding", "retriever", "database", "reranker"}


def _otel() -> Any:
    """The OpenTelemetry SDK modules, or an ImportError saying how to install them."""
    try:
        from opentelemetry import trace as api
        from opentelemetry.sdk import resources, trace
        from opentelemetry.sdk.trace import export
        from opentelemetry.sdk.util import instrumentation
    except ImportError as exc:
        raise ImportError(
            f"exporting to OpenTelemetry needs opentelemetry-sdk ({exc}); install it with: "
            f"{INSTALL_HINT}"
        ) from None
    return SimpleNamespace(
        api=api, resources=resources, trace=trace, export=export, instrumentation=instrumentation
    )


# -- import ------------------------------------------------------------------------------------
def _span_data(span: Any) -> SpanData:
    context = span.context
    if context is None:
        raise DecodeError(f"the OpenTelemetry span {span.name!r} has no span context")
    parent = span.parent
    status = span.status
    scope = getattr(span, "instrumentation_scope", None)
    events = [(e.name, dict(e.attributes or {})) for e in span.events]
    attributes = {
        k: list(v) if isinstance(v, tuple) else v for k, v in (span.attributes or {}).items()
    }
    return SpanData(
        trace_id=format(context.trace_id, "032x"),
        span_id=format(context.span_id, "016x"),
        parent_span_id=None if parent is None else format(parent.span_id, "016x"),
        name=str(span.name),
        start_time_ns=int(span.start_time or 0),
        end_time_ns=None if span.end_time is None else int(span.end_time),
        attributes=attributes,
        events=events,
        status=status.status_code.name if status is not None else "UNSET",
        status_message=None if status is None else status.description,
        kind=getattr(span.kind, "name", None),
        scope_name=None if scope is None else scope.name,
        scope_version=None if scope is None else scope.version,
    )


def traces_from_otel_spans(spans: Iterable[Any], *, allow_pickle: bool = False) -> list[Trace]:
    """Our traces from OpenTelemetry SDK ``ReadableSpan`` objects, one per trace id, in the order
    their first span appears.

    A ``clearstone.*`` attribute holding a pickled value (written by :func:`export_trace` for a
    value JSON cannot express) is refused with
    :class:`~pytest_clearstone.errors.UntrustedCheckpointError` unless ``allow_pickle=True``.
    """
    source = source_label(None)
    ours = [
        build_span(_span_data(s), seq=i, source=source, allow_pickle=allow_pickle)
        for i, s in enumerate(spans)
    ]
    return [Trace(trace_id, group) for trace_id, group in group_traces(ours).items()]


def trace_from_otel_spans(spans: Iterable[Any], *, allow_pickle: bool = False) -> Trace:
    """Like :func:`traces_from_otel_spans` for spans of exactly one trace; ``ValueError``
    otherwise."""
    traces = traces_from_otel_spans(spans, allow_pickle=allow_pickle)
    if len(traces) != 1:
        ids = ", ".join(t.trace_id for t in traces) or "none"
        raise ValueError(
            f"expected the spans of exactly one trace, got {len(traces)} ({ids}); "
            f"use traces_from_otel_spans()"
        )
    return traces[0]


# -- export ------------------------------------------------------------------------------------
def _otel_id(text: str, bits: int) -> tuple[int, bool]:
    """OpenTelemetry's integer id for ours; ``native`` when it is our id's exact hex form."""
    width = bits // 4
    if len(text) == width:
        try:
            value = int(text, 16)
        except ValueError:
            pass
        else:
            if value:
                return value, True
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=bits // 8).digest()
    return int.from_bytes(digest, "big") or 1, False


def _context(mods: Any, trace_id: int, span_id: int) -> Any:
    flags = mods.api.TraceFlags(mods.api.TraceFlags.SAMPLED)
    return mods.api.SpanContext(
        trace_id=trace_id, span_id=span_id, is_remote=False, trace_flags=flags
    )


def _readable(mods: Any, span: Span, resource: Any) -> Any:
    attrs = export_attributes(span)
    trace_int, trace_native = _otel_id(span.trace_id, 128)
    span_int, span_native = _otel_id(span.span_id, 64)
    parent = None
    parent_native = True
    if span.parent_span_id is not None:
        parent_int, parent_native = _otel_id(span.parent_span_id, 64)
        parent = _context(mods, trace_int, parent_int)
    if not (trace_native and span_native and parent_native):
        originals = (span.trace_id, span.span_id, span.parent_span_id)
        attrs.update({k: v for k, v in zip(ORIGINAL_IDS, originals, strict=True) if v is not None})
    status_code = getattr(mods.api.StatusCode, span.status, mods.api.StatusCode.UNSET)
    status = mods.api.Status(status_code, span.status_message if span.status == "ERROR" else None)
    events = []
    if span.error is not None:
        end = span.end_time_ns or span.start_time_ns
        events.append(mods.trace.Event("exception", exception_event(span.error), timestamp=end))
    kind = (
        mods.api.SpanKind.CLIENT if span.span_type in _CLIENT_TYPES else mods.api.SpanKind.INTERNAL
    )
    scope = mods.instrumentation.InstrumentationScope(
        span.instrumentation_name or "pytest_clearstone", span.instrumentation_version
    )
    return mods.trace.ReadableSpan(
        name=span.name,
        context=_context(mods, trace_int, span_int),
        parent=parent,
        resource=resource,
        attributes=attrs,
        events=events,
        kind=kind,
        status=status,
        start_time=span.start_time_ns,
        end_time=span.start_time_ns if span.end_time_ns is None else span.end_time_ns,
        instrumentation_scope=scope,
    )


def to_otel_spans(
    trace: Trace | Iterable[Trace], *, resource: Any = None, service_name: str = "pytest-clearstone"
) -> list[Any]:
    """OpenTelemetry SDK ``ReadableSpan`` objects for our trace(s), in start order.

    ``resource`` is an ``opentelemetry.sdk.resources.Resource`` (default: one with
    ``service.name`` = ``service_name``). Ids that are not OpenTelemetry-shaped hex (a
    clearstone-sdk span id has 32 digits) are hashed, and the originals kept in
    ``clearstone.trace_id``/``clearstone.span_id``/``clearstone.parent_span_id``.
    """
    mods = _otel()
    if resource is None:
        resource = mods.resources.Resource.create({"service.name": service_name})
    traces = [trace] if isinstance(trace, Trace) else list(trace)
    return [_readable(mods, span, resource) for t in traces for span in t.spans]


def export_trace(
    trace: Trace | Iterable[Trace],
    exporter: Any,
    *,
    resource: Any = None,
    service_name: str = "pytest-clearstone",
) -> Any:
    """Send our trace(s) through an OpenTelemetry ``SpanExporter``; returns its
    ``SpanExportResult``. Works with any exporter: ``ConsoleSpanExporter``, OTLP,
    ``InMemorySpanExporter``."""
    spans = to_otel_spans(trace, resource=resource, service_name=service_name)
    return exporter.export(spans)


class ClearstoneSpanExporterBridge:
    """Wraps an OpenTelemetry ``SpanExporter`` so that it takes our traces.

    ``bridge.export(trace)`` converts with :func:`to_otel_spans` and hands the spans to the
    wrapped exporter; ``force_flush`` and ``shutdown`` are passed through::

        bridge = ClearstoneSpanExporterBridge(OTLPSpanExporter(endpoint=...))
        bridge.export(provider.trace_store.get_trace(trace_id))
        bridge.shutdown()
    """

    def __init__(
        self, exporter: Any, *, resource: Any = None, service_name: str = "pytest-clearstone"
    ) -> None:
        _otel()  # fail now, with the install hint, rather than at the first export
        self.exporter = exporter
        self.resource = resource
        self.service_name = service_name

    def export(self, trace: Trace | Iterable[Trace]) -> Any:
        """Export ``trace`` (or several); returns the wrapped exporter's ``SpanExportResult``."""
        return export_trace(
            trace, self.exporter, resource=self.resource, service_name=self.service_name
        )

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.exporter.force_flush(timeout_millis))

    def shutdown(self) -> None:
        self.exporter.shutdown()
