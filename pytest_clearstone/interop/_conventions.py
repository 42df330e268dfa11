"""Semantic conventions shared by the OpenTelemetry import and export (internal, no otel import).

Import reads, in this order of preference:

- span type: ``clearstone.span_type``; OpenInference ``openinference.span.kind``; GenAI
  ``gen_ai.operation.name``; OpenLLMetry ``traceloop.span.kind`` / ``llm.request.type``;
  ``db.system`` (-> ``database``).
- input/output: ``clearstone.input``/``clearstone.output`` (codec JSON, exact); OpenInference
  ``input.value``/``output.value`` (JSON-decoded when the mime type is JSON); GenAI
  ``gen_ai.tool.call.arguments``/``gen_ai.tool.call.result`` and
  ``gen_ai.input.messages``/``gen_ai.output.messages``; OpenLLMetry ``gen_ai.prompt.N.*`` /
  ``gen_ai.completion.N.*``; the events ``gen_ai.content.prompt`` (``gen_ai.prompt``) /
  ``gen_ai.content.completion`` (``gen_ai.completion``) of the earlier GenAI conventions.
- error: ``clearstone.error`` (``null``: none, the ERROR status was set by hand), else the span's
  ``exception`` event, else its ERROR status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import codec
from ..codec.plain import plain_form
from ..errors import DecodeError, UntrustedCheckpointError
from ..tracing.span import Recorded, Span

SPAN_TYPE = "clearstone.span_type"
INPUT = "clearstone.input"
OUTPUT = "clearstone.output"
ERROR = "clearstone.error"
OPEN = "clearstone.open"
ADDED = "clearstone.added"  # the convention attributes the export added: dropped on import
_NO_ERROR = "null"  # clearstone.error of a span in ERROR without an exception
ORIGINAL_IDS = ("clearstone.trace_id", "clearstone.span_id", "clearstone.parent_span_id")
_CONSUMED = {SPAN_TYPE, INPUT, OUTPUT, ERROR, OPEN, ADDED, *ORIGINAL_IDS}

OPENINFERENCE_KIND = "openinference.span.kind"
GEN_AI_OPERATION = "gen_ai.operation.name"
_OPENINFERENCE = {
    "LLM": "llm",
    "TOOL": "tool",
    "RETRIEVER": "retriever",
    "CHAIN": "chain",
    "EMBEDDING": "embedding",
    "AGENT": "agent",
    "RERANKER": "reranker",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluator",
}
_GEN_AI = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "execute_tool": "tool",
    "embeddings": "embedding",
    "create_agent": "agent",
    "invoke_agent": "agent",
}
_TRACELOOP = {"tool": "tool", "agent": "agent", "workflow": "chain", "task": "chain"}
_LLM_REQUEST = {"chat": "llm", "completion": "llm", "embedding": "embedding"}
# export: our span type -> (OpenInference kind, GenAI operation name)
EXPORT_KINDS: dict[str, tuple[str, str | None]] = {
    "llm": ("LLM", "chat"),
    "tool": ("TOOL", "execute_tool"),
    "embedding": ("EMBEDDING", "embeddings"),
    "agent": ("AGENT", "invoke_agent"),
    "retriever": ("RETRIEVER", None),
    "chain": ("CHAIN", None),
    "reranker": ("RERANKER", None),
    "guardrail": ("GUARDRAIL", None),
    "evaluator": ("EVALUATOR", None),
}


@dataclass
class SpanData:
    """An OpenTelemetry span reduced to plain values (from a ReadableSpan or OTLP/JSON)."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_time_ns: int
    end_time_ns: int | None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: str = "UNSET"
    status_message: str | None = None
    kind: str | None = None
    scope_name: str | None = None
    scope_version: str | None = None


def span_type_of(attrs: dict[str, Any]) -> str | None:
    """Our span type for a span with OpenTelemetry attributes ``attrs``."""
    if isinstance(attrs.get(SPAN_TYPE), str):
        return str(attrs[SPAN_TYPE])
    kind = attrs.get(OPENINFERENCE_KIND)
    if isinstance(kind, str) and kind:
        return _OPENINFERENCE.get(kind.upper(), kind.lower())
    operation = attrs.get(GEN_AI_OPERATION)
    if isinstance(operation, str) and operation:
        return _GEN_AI.get(operation, operation)
    loop = attrs.get("traceloop.span.kind")
    if isinstance(loop, str) and loop in _TRACELOOP:
        return _TRACELOOP[loop]
    request = attrs.get("llm.request.type")
    if isinstance(request, str) and request in _LLM_REQUEST:
        return _LLM_REQUEST[request]
    if attrs.get("db.system") or attrs.get("db.system.name"):
        return "database"
    return None


def _maybe_json(value: Any) -> Any:
    """``value`` decoded from JSON text; as it is when it is not JSON (or nested too deeply to
    decode)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _indexed(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]] | None:
    """OpenLLMetry's flattened messages, ``gen_ai.prompt.0.role`` ..., as a list of dicts."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        if not key.startswith(prefix):
            continue
        index, _, rest = key[len(prefix) :].partition(".")
        # (ASCII digits a message number can be: a file's keys may hold any)
        if index.isascii() and index.isdigit() and len(index) < 10 and rest:
            found.setdefault(int(index), {})[rest] = value
    return [found[i] for i in sorted(found)] or None


def _codec(text: Any, key: str, span: str, source: str, allow_pickle: bool) -> Recorded:
    try:
        tree = json.loads(text) if isinstance(text, str) else text
        value = codec.decode(tree, allow_pickle=allow_pickle)
    except DecodeError as exc:
        if not allow_pickle and "refusing to unpickle" in str(exc):
            raise UntrustedCheckpointError(
                source,
                f"the {key} attribute of span {span} holds a pickled value; pass "
                f"allow_pickle=True if you trust the source",
            ) from None
        raise DecodeError(f"{source}: the {key} attribute of span {span}: {exc}") from None
    except ValueError as exc:
        raise DecodeError(f"{source}: the {key} attribute of span {span} is not JSON") from exc
    except RecursionError:
        raise DecodeError(
            f"{source}: the {key} attribute of span {span} is nested too deeply to read"
        ) from None
    return Recorded(encoded=tree, decoded=value)


def _io(attrs: dict[str, Any], side: str, span_type: str | None) -> tuple[bool, Any]:
    value = attrs.get(f"{side}.value")
    if value is not None:
        mime = str(attrs.get(f"{side}.mime_type", ""))
        return True, _maybe_json(value) if "json" in mime else value
    if span_type == "tool":
        key = "gen_ai.tool.call.arguments" if side == "input" else "gen_ai.tool.call.result"
        if key in attrs:
            return True, _maybe_json(attrs[key])
    key = "gen_ai.input.messages" if side == "input" else "gen_ai.output.messages"
    if key in attrs:
        return True, _maybe_json(attrs[key])
    messages = _indexed(attrs, "gen_ai.prompt." if side == "input" else "gen_ai.completion.")
    return (messages is not None), messages


#: the events holding a span's content under the earlier GenAI conventions, and the
#: attribute of each holding it (JSON text)
_CONTENT_EVENTS = {
    "input": ("gen_ai.content.prompt", "gen_ai.prompt"),
    "output": ("gen_ai.content.completion", "gen_ai.completion"),
}


def _event_content(data: SpanData, side: str) -> tuple[bool, Any]:
    """The input or output a span holds in an event of the earlier GenAI conventions."""
    event, key = _CONTENT_EVENTS[side]
    for name, attrs in data.events:
        if name == event and key in attrs:
            return True, _maybe_json(attrs[key])
    return False, None


def _exception_error(data: SpanData) -> dict[str, Any] | None:
    for name, attrs in data.events:
        if name == "exception" and ("exception.type" in attrs or "exception.message" in attrs):
            full = str(attrs.get("exception.type") or "Exception")
            module, _, qualname = full.rpartition(".")
            message = str(attrs.get("exception.message") or "")
            return {
                "type": qualname,
                "module": module or "builtins",
                "message": message,
                "args": [message],
            }
    if data.status == "ERROR":
        message = data.status_message or ""
        return {"type": "Exception", "module": "builtins", "message": message, "args": [message]}
    return None


def _recorded_error(text: Any) -> dict[str, Any] | None:
    """Our exact error record, kept as written (its ``args`` stay codec-encoded)."""
    if not isinstance(text, str):
        return None
    try:
        error = json.loads(text)
    except ValueError:
        return None
    return error if isinstance(error, dict) and "type" in error else None


def build_span(data: SpanData, *, seq: int, source: str, allow_pickle: bool) -> Span:
    """Our :class:`Span` for one OpenTelemetry span (see the module docstring)."""
    attrs = data.attributes
    label = f"{data.span_id} ({data.name!r})"
    span_type = span_type_of(attrs)
    recorded: dict[str, Recorded | None] = {}
    for side, key in (("input", INPUT), ("output", OUTPUT)):
        if key in attrs:
            recorded[side] = _codec(attrs[key], key, label, source, allow_pickle)
            continue
        present, value = _io(attrs, side, span_type)
        if not present:
            present, value = _event_content(data, side)
        recorded[side] = Recorded.of(value) if present else None
    # (our export's "null": an ERROR status set by hand, with no exception to raise again)
    written = attrs.get(ERROR)
    error = None if written == _NO_ERROR else _recorded_error(written) or _exception_error(data)
    original = [attrs.get(k) for k in ORIGINAL_IDS]
    trace_id, span_id, parent = (
        str(original[0] or data.trace_id),
        str(original[1] or data.span_id),
        original[2] or data.parent_span_id,
    )
    added = attrs.get(ADDED)
    dropped = _CONSUMED
    if isinstance(added, (list, tuple)):  # (key names; anything else in a damaged file is not)
        dropped = _CONSUMED.union(key for key in added if isinstance(key, str))
    kept = {k: v for k, v in attrs.items() if k not in dropped}
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=None if parent is None else str(parent),
        name=data.name,
        span_type=span_type,
        attributes=kept,
        start_time_ns=data.start_time_ns,
        end_time_ns=None if attrs.get(OPEN) else data.end_time_ns,
        status=data.status if data.status in ("UNSET", "OK", "ERROR") else "UNSET",
        status_message=data.status_message or None,
        input=recorded["input"],
        output=recorded["output"],
        error=error,
        instrumentation_name=data.scope_name,
        instrumentation_version=data.scope_version,
        seq=seq,
    )


def group_traces(spans: list[Span]) -> dict[str, list[Span]]:
    by_trace: dict[str, list[Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    return by_trace


def source_label(source: str | Path | None) -> str:
    return "<OpenTelemetry spans>" if source is None else str(source)


# -- export ------------------------------------------------------------------------------------
_PRIMITIVES = (str, bool, int, float)


def _attribute_value(value: Any) -> Any:
    """An OpenTelemetry attribute value: primitives and homogeneous primitive lists as they are,
    anything else as the text of its plain form (a date as its ISO text, a dict as JSON)."""
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, (list, tuple)) and value:
        kinds = {type(v) for v in value}
        if len(kinds) == 1 and kinds.pop() in _PRIMITIVES:
            return tuple(value)
    plain = plain_form(codec.encode(value))
    return plain if type(plain) is str else codec.dumps(plain)


def export_attributes(span: Span) -> dict[str, Any]:
    """The OpenTelemetry attributes for one of our spans (conventions in both directions)."""
    # (OpenTelemetry's keys are strings: another key is exported as its str())
    attrs: dict[str, Any] = {
        k if type(k) is str else str(k): _attribute_value(v)
        for k, v in span.attributes.items()
        if v is not None
    }
    own = set(attrs)
    if span.span_type is not None:
        attrs[SPAN_TYPE] = span.span_type
        kind, operation = EXPORT_KINDS.get(span.span_type, (None, None))
        if kind is not None:
            attrs.setdefault(OPENINFERENCE_KIND, kind)
        if operation is not None:
            attrs.setdefault(GEN_AI_OPERATION, operation)
        if span.span_type == "tool":
            attrs.setdefault("gen_ai.tool.name", span.name)
    for side, key, recorded in (
        ("input", INPUT, span.recorded_input),
        ("output", OUTPUT, span.recorded_output),
    ):
        if recorded is None:
            continue
        attrs[key] = codec.dumps(recorded.encoded)  # (exact: what the import reads)
        # (what OpenInference tools show: plain JSON, or text, never the codec's tags)
        plain = plain_form(recorded.encoded)
        if type(plain) is str:
            attrs[f"{side}.value"] = plain
            attrs[f"{side}.mime_type"] = "text/plain"
        else:
            attrs[f"{side}.value"] = codec.dumps(plain)
            attrs[f"{side}.mime_type"] = "application/json"
    if span.error is not None:
        attrs[ERROR] = codec.dumps(span.error)
    elif span.status == "ERROR":  # marked by hand: the import must not make up an exception
        attrs[ERROR] = _NO_ERROR
    if span.end_time_ns is None:
        attrs[OPEN] = True
    added = sorted(k for k in attrs if k not in own and not k.startswith("clearstone."))
    if added:
        attrs[ADDED] = tuple(added)
    return attrs


def exception_event(error: dict[str, Any]) -> dict[str, Any]:
    """``exception`` event attributes, with the type spelled as the OpenTelemetry SDK does."""
    module, name = str(error.get("module") or ""), str(error.get("type") or "Exception")
    full = name if module in ("", "builtins") else f"{module}.{name}"
    return {"exception.type": full, "exception.message": str(error.get("message") or "")}
