"""OTLP/JSON (``ExportTraceServiceRequest``) documents into our traces; no otel import needed.

The OTLP/JSON encoding: ``resourceSpans[].scopeSpans[].spans[]``, ids as hex strings (base64,
the generic protobuf JSON form, is accepted too), 64-bit integers as strings, attributes as
``[{"key": ..., "value": {"stringValue" | "intValue" | "doubleValue" | "boolValue" |
"arrayValue" | "kvlistValue" | "bytesValue": ...}}]``, enums as numbers or names.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import DecodeError
from ..tracing.trace import Trace
from ._conventions import SpanData, build_span, group_traces

_KINDS = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")
_STATUSES = ("UNSET", "OK", "ERROR")


_TOO_DEEP = "it is nested too deeply to read"


class _Bad(Exception):
    pass


# (ConsoleSpanExporter: how Python dumps spans to a file; its JSON looks importable and is not)
_CONSOLE = (
    "it holds spans as OpenTelemetry's ConsoleSpanExporter writes them (ReadableSpan.to_json()), "
    "which has no importer. Import the spans in the process that makes them, with "
    "traces_from_otel_spans(exporter.get_finished_spans()) and an InMemorySpanExporter, or "
    "write them as OTLP/JSON (the OpenTelemetry Collector's file exporter)"
)


def _console_span(doc: Any) -> bool:
    """Whether ``doc`` is a span as ``ReadableSpan.to_json()`` writes it (its ids in
    ``context``)."""
    return (
        isinstance(doc, Mapping)
        and isinstance(doc.get("context"), Mapping)
        and ("span_id" in doc["context"])
    )


def _console_spans(text: str) -> bool:
    """Whether ``text`` is what ConsoleSpanExporter writes: spans as indented JSON objects, one
    after the other."""
    decoder = json.JSONDecoder()
    index, found = 0, False
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            return found
        try:
            doc, index = decoder.raw_decode(text, index)
        except (ValueError, RecursionError):
            return False
        if not _console_span(doc):
            return False
        found = True


def _hex_id(value: Any, width: int) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _Bad(f"an id is a {type(value).__name__}, not a string")
    text = value.strip()
    if len(text) == width and all(c in "0123456789abcdefABCDEF" for c in text):
        result = text.lower()
    else:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _Bad(f"the id {value!r} is neither {width}-digit hex nor base64") from None
        if len(raw) * 2 != width:
            raise _Bad(f"the id {value!r} has {len(raw)} bytes, expected {width // 2}")
        result = raw.hex()
    return None if set(result) == {"0"} else result


def any_value(value: Any) -> Any:
    """A Python value for an OTLP ``AnyValue`` object."""
    if not isinstance(value, Mapping) or not value:
        return None
    key, inner = next(iter(value.items()))
    if key == "stringValue":
        return str(inner)
    if key == "boolValue":  # (a JSON boolean; as text too, as protobuf's JSON parser reads it)
        if isinstance(inner, bool):
            return inner
        if inner in ("true", "false"):
            return inner == "true"
        raise _Bad(f"boolValue {inner!r} is not true or false")
    if key == "intValue":
        return int(inner)
    if key == "doubleValue":
        return float(inner)
    if key == "bytesValue":
        return base64.b64decode(inner)
    if key == "arrayValue":
        return [any_value(v) for v in (inner or {}).get("values", [])]
    if key == "kvlistValue":
        return attributes((inner or {}).get("values", []))
    raise _Bad(f"unknown AnyValue kind {key!r}")


def attributes(items: Any) -> dict[str, Any]:
    """``[{"key": k, "value": AnyValue}, ...]`` -> ``{k: value}``."""
    if not items:
        return {}
    if not isinstance(items, list):
        raise _Bad("attributes must be a list of {key, value} objects")
    return {str(item["key"]): any_value(item.get("value")) for item in items}


def _enum(value: Any, names: tuple[str, ...], prefix: str) -> str:
    if value is None:
        return names[0]
    if isinstance(value, int):
        if 0 <= value < len(names):
            return names[value]
        raise _Bad(f"unknown {prefix.lower().rstrip('_')} {value}")
    text = str(value).upper()
    return text[len(prefix) :] if text.startswith(prefix) else text


def _span(raw: Mapping[str, Any], scope: Mapping[str, Any]) -> SpanData:
    status = raw.get("status") or {}
    end = raw.get("endTimeUnixNano")
    events = [
        (str(e.get("name", "")), attributes(e.get("attributes"))) for e in raw.get("events") or []
    ]
    trace_id = _hex_id(raw.get("traceId"), 32)
    span_id = _hex_id(raw.get("spanId"), 16)
    if trace_id is None or span_id is None:
        raise _Bad(f"the span {raw.get('name')!r} has no traceId or spanId")
    return SpanData(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=_hex_id(raw.get("parentSpanId"), 16),
        name=str(raw["name"]),
        start_time_ns=int(raw.get("startTimeUnixNano") or 0),
        end_time_ns=None if end in (None, "", 0, "0") else int(end),
        attributes=attributes(raw.get("attributes")),
        events=events,
        status=_enum(status.get("code"), _STATUSES, "STATUS_CODE_"),
        status_message=status.get("message") or None,
        kind=_enum(raw.get("kind"), _KINDS, "SPAN_KIND_"),
        scope_name=scope.get("name") or None,
        scope_version=scope.get("version") or None,
    )


def _documents(source: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[list[Any], str]:
    if isinstance(source, Mapping):
        return [source], "<OTLP/JSON document>"
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no OTLP/JSON file at {path}") from None
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{path} is not OTLP/JSON: it is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        return [json.loads(text)], str(path)
    except ValueError:
        pass
    except RecursionError:
        raise DecodeError(f"{path} is not OTLP/JSON: {_TOO_DEEP}") from None
    docs = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                docs.append(json.loads(line))
            except ValueError as exc:
                reason = _CONSOLE if _console_spans(text) else f"line {number}: {exc}"
                raise DecodeError(f"{path} is not OTLP/JSON: {reason}") from None
            except RecursionError:
                raise DecodeError(f"{path} is not OTLP/JSON: line {number}: {_TOO_DEEP}") from None
    return docs, str(path)


def traces_from_otlp_json(
    source: str | os.PathLike[str] | Mapping[str, Any], *, allow_pickle: bool = False
) -> list[Trace]:
    """Our traces from OTLP/JSON: a file path (one JSON document, or one per line as the OTLP
    file exporter writes) or an already parsed document. One trace per trace id, in the order
    they first appear; spans in start order. Conventions: see :mod:`pytest_clearstone.interop.otel`.

    A malformed document raises :class:`~pytest_clearstone.errors.DecodeError` naming the file;
    a pickled ``clearstone.*`` value needs ``allow_pickle=True``.
    """
    docs, label = _documents(source)
    data: list[SpanData] = []
    try:
        for doc in docs:
            if not isinstance(doc, Mapping) or "resourceSpans" not in doc:
                raise _Bad(
                    _CONSOLE if _console_span(doc) else "expected an object with 'resourceSpans'"
                )
            for resource_spans in doc["resourceSpans"] or []:
                # before OTLP 1.0, and read when scopeSpans is not set (empty), as the spec of
                # the change tells a receiver: a sender may write both (the same spans)
                scopes = resource_spans.get("scopeSpans") or (
                    resource_spans.get("instrumentationLibrarySpans") or []
                )
                for scope_spans in scopes:
                    scope = scope_spans.get("scope") or scope_spans.get("instrumentationLibrary")
                    for raw in scope_spans.get("spans") or []:
                        data.append(_span(raw, scope or {}))
    except _Bad as exc:
        raise DecodeError(f"{label} is not OTLP/JSON: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DecodeError(f"{label} is not OTLP/JSON: malformed span data ({exc!r})") from None
    except RecursionError:
        raise DecodeError(f"{label} is not OTLP/JSON: {_TOO_DEEP}") from None
    spans = [
        build_span(d, seq=i, source=label, allow_pickle=allow_pickle) for i, d in enumerate(data)
    ]
    return [Trace(trace_id, group) for trace_id, group in group_traces(spans).items()]
