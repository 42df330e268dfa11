"""OpenTelemetry interop: our trace -> OTel spans -> our trace, OTel SDK spans and OTLP/JSON in
(GenAI and OpenInference conventions), and an imported GenAI trace replayed."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider as OtelProvider
from opentelemetry.sdk.trace.export import (
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from pytest_clearstone import codec
from pytest_clearstone.debugging import CheckpointManager, ReplayEngine
from pytest_clearstone.errors import DecodeError, ReplayExhaustedError, UntrustedCheckpointError
from pytest_clearstone.interop import otel
from pytest_clearstone.observability import TracerProvider
from pytest_clearstone.tracing.span import Recorded, Span
from pytest_clearstone.tracing.trace import Trace

FIXTURES = Path(__file__).parent.parent / "fixtures" / "otel"
GENAI = FIXTURES / "genai_weather_agent.json"
QUESTION = "What's the weather in Paris?"
ANSWER = "It is 18°C with light rain in Paris: take an umbrella."


def _recorded_trace() -> Trace:
    """A trace made by our tracer: nested spans of several types, codec-tagged values, an error."""
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("test-agent", "1.0")

    @tracer.traced(span_type="llm")
    def complete(prompt: str, temperature: float = 0.0) -> str:
        return f"answer to {prompt}"

    @tracer.traced(span_type="tool")
    def search(query: str) -> dict[str, Any]:
        return {"hits": (1, 2), "at": dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc)}

    @tracer.traced(span_type="tool", name="broken_tool")
    def broken() -> None:
        raise ValueError("tool exploded")

    try:
        with tracer.span("agent_run", span_type="agent", attributes={"user": "u1", "n": 3}) as root:
            root.set_input({"question": "q"})
            complete("hello", temperature=0.5)
            with tracer.span("lookup", span_type="retriever") as lookup:
                lookup.set_output(["doc-1", "doc-2"])
                search("refunds")
            with tracer.span("ledger", span_type="database", attributes={"tags": ["a", "b"]}):
                pass
            with pytest.raises(ValueError):
                broken()
            root.set_output("done")
        return provider.trace_store.get_trace(root.trace_id)
    finally:
        provider.shutdown()


def _exported(trace: Trace) -> list[Any]:
    exporter = InMemorySpanExporter()
    assert otel.export_trace(trace, exporter) is SpanExportResult.SUCCESS
    return list(exporter.get_finished_spans())


def _facts(span: Span) -> tuple[Any, ...]:
    return (
        span.trace_id, span.span_id, span.parent_span_id, span.name, span.span_type,
        span.input, span.output, span.status, span.status_message, span.error,
        span.start_time_ns, span.end_time_ns, span.instrumentation_name,
        span.instrumentation_version,
    )  # fmt: skip


def test_round_trip_our_trace_through_otel_spans() -> None:
    trace = _recorded_trace()
    back = otel.trace_from_otel_spans(_exported(trace))
    assert back.trace_id == trace.trace_id
    assert [_facts(s) for s in back.spans] == [_facts(s) for s in trace.spans]
    assert len(trace) == 6
    assert [s.attributes for s in back.spans] == [s.attributes for s in trace.spans]
    assert back.get_span(trace.spans[0].span_id).attributes == {"user": "u1", "n": 3}
    search = next(s for s in back.spans if s.name.endswith("search"))
    assert search.output["hits"] == (1, 2)  # codec tags survive: a tuple stays a tuple


def test_exported_spans_follow_the_conventions() -> None:
    trace = _recorded_trace()
    spans = {s.name: s for s in _exported(trace)}
    llm = next(s for n, s in spans.items() if n.endswith("complete"))
    assert llm.attributes["openinference.span.kind"] == "LLM"
    assert llm.attributes["gen_ai.operation.name"] == "chat"
    assert json.loads(llm.attributes["input.value"]) == {"prompt": "hello", "temperature": 0.5}
    assert llm.attributes["input.mime_type"] == "application/json"
    assert llm.attributes["output.value"] == "answer to hello"
    assert llm.attributes["output.mime_type"] == "text/plain"
    assert llm.parent is not None
    assert format(llm.parent.span_id, "016x") == trace.root_span.span_id  # type: ignore[union-attr]
    broken = spans["broken_tool"]
    assert broken.attributes["gen_ai.operation.name"] == "execute_tool"
    assert broken.attributes["gen_ai.tool.name"] == "broken_tool"
    assert broken.status.status_code is StatusCode.ERROR
    (event,) = broken.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "ValueError"
    assert event.attributes["exception.message"] == "tool exploded"
    assert spans["ledger"].attributes["clearstone.span_type"] == "database"
    assert spans["ledger"].attributes["tags"] == ("a", "b")
    assert "openinference.span.kind" not in spans["ledger"].attributes  # no such kind
    assert spans["agent_run"].resource.attributes["service.name"] == "pytest-clearstone"


def test_console_exporter_and_bridge() -> None:
    trace = _recorded_trace()
    out = io.StringIO()
    assert otel.export_trace(trace, ConsoleSpanExporter(out=out)) is SpanExportResult.SUCCESS
    assert '"name": "agent_run"' in out.getvalue()
    memory = InMemorySpanExporter()
    bridge = otel.ClearstoneSpanExporterBridge(memory, service_name="billing-agent")
    assert bridge.export([trace, trace]) is SpanExportResult.SUCCESS
    assert len(memory.get_finished_spans()) == 12
    assert memory.get_finished_spans()[0].resource.attributes["service.name"] == "billing-agent"
    assert bridge.force_flush() is True
    bridge.shutdown()
    assert memory.export(()) is SpanExportResult.FAILURE  # the wrapped exporter was shut down


class _TimingOut(InMemorySpanExporter):
    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return False


class _FlushTimed(InMemorySpanExporter):
    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[int] = []

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self.timeouts.append(timeout_millis)
        return True


def test_the_bridge_passes_its_resource_and_a_flush_s_timeout_on() -> None:
    from opentelemetry.sdk.resources import Resource

    exporter = _FlushTimed()
    resource = Resource.create({"service.name": "checkout", "deployment.environment": "ci"})
    bridge = otel.ClearstoneSpanExporterBridge(exporter, resource=resource)
    bridge.export(_recorded_trace())
    assert {s.resource.attributes["service.name"] for s in exporter.get_finished_spans()} == {
        "checkout"
    }
    assert bridge.force_flush(250) is True
    assert exporter.timeouts == [250]


def test_the_bridge_tells_a_flush_that_failed_and_an_export_takes_a_resource() -> None:
    assert otel.ClearstoneSpanExporterBridge(_TimingOut()).force_flush(10) is False
    from opentelemetry.sdk.resources import Resource

    resource = Resource.create({"service.name": "checkout", "deployment.environment": "ci"})
    memory = InMemorySpanExporter()
    otel.export_trace(_recorded_trace(), memory, resource=resource)
    spans = memory.get_finished_spans()
    assert {s.resource.attributes["deployment.environment"] for s in spans} == {"ci"}


def test_ids_that_are_not_otel_shaped_come_back_unchanged() -> None:
    trace_id, root_id, child_id = "t-1", "a" * 32, "b" * 32
    spans = [
        Span(trace_id=trace_id, span_id=root_id, parent_span_id=None, name="root",
             start_time_ns=1, end_time_ns=5),
        Span(trace_id=trace_id, span_id=child_id, parent_span_id=root_id, name="llm.generate",
             span_type="llm", start_time_ns=2, end_time_ns=None, output=Recorded.of("x")),
    ]  # fmt: skip
    exported = _exported(Trace(trace_id, spans))
    assert exported[1].parent.span_id == exported[0].context.span_id
    # (a root has no parent id to keep: no attribute without a value, which OTLP cannot encode)
    assert [k for s in exported for k, v in s.attributes.items() if v is None] == []
    (unset,) = _exported(Trace(trace_id, [_span_of("1" * 16, attributes={"a": None, "b": 1})]))
    assert "a" not in unset.attributes and unset.attributes["b"] == 1
    # as wide as OpenTelemetry's ids (an OTLP exporter writes them in 16 and 8 bytes)
    assert all(s.context.trace_id < 2**128 and s.context.span_id < 2**64 for s in exported)
    back = otel.trace_from_otel_spans(exported)
    assert [(s.trace_id, s.span_id, s.parent_span_id) for s in back.spans] == [
        (trace_id, root_id, None), (trace_id, child_id, root_id)
    ]  # fmt: skip
    assert back.spans[1].end_time_ns is None  # an open span stays open


def test_a_span_with_otel_shaped_ids_is_exported_without_its_original_ids() -> None:
    spans = [_span_of("a" * 16, end_time_ns=20), _span_of("b" * 16, end_time_ns=20)]
    spans[1].parent_span_id = "a" * 16
    exported = _exported(Trace("1" * 32, spans))
    assert [k for s in exported for k in s.attributes if k.startswith("clearstone.")] == []


def test_a_span_with_an_otel_shaped_id_keeps_its_parent_s_other_id() -> None:
    trace_id, root_id, step_id = "1" * 32, "a" * 32, "c" * 16
    spans = [
        Span(trace_id=trace_id, span_id=root_id, parent_span_id=None, name="root",
             start_time_ns=1, end_time_ns=5),
        Span(trace_id=trace_id, span_id=step_id, parent_span_id=root_id, name="step",
             start_time_ns=2, end_time_ns=3),
    ]  # fmt: skip
    back = otel.trace_from_otel_spans(_exported(Trace(trace_id, spans)))
    assert [(s.span_id, s.parent_span_id) for s in back.spans] == [
        (root_id, None), (step_id, root_id)
    ]  # fmt: skip


def test_an_error_is_an_event_at_the_span_s_end_and_only_an_error_has_a_description(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = {"type": "ValueError", "module": "builtins", "message": "boom", "args": ["boom"]}
    spans = [
        Span(trace_id="1" * 32, span_id="1" * 16, parent_span_id=None, name="failed",
             start_time_ns=10, end_time_ns=20, status="ERROR", status_message="boom",
             error=error),
        Span(trace_id="1" * 32, span_id="2" * 16, parent_span_id=None, name="fine",
             start_time_ns=11, end_time_ns=30, status="OK", status_message="all good"),
    ]  # fmt: skip
    with caplog.at_level("WARNING"):
        failed, fine = _exported(Trace("1" * 32, spans))
    assert [(e.name, e.timestamp) for e in failed.events] == [("exception", 20)]
    assert (failed.status.description, fine.status.description) == ("boom", None)
    # (OpenTelemetry warns of a description given with another status)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("opentelemetry")] == []


def test_an_open_span_s_error_is_an_event_at_its_start_and_its_scope_is_ours_unnamed() -> None:
    error = {"type": "ValueError", "module": "builtins", "message": "boom", "args": ["boom"]}
    span = _span_of("1" * 16, status="ERROR", error=error)  # (no end time, no instrumentation)
    (exported,) = _exported(Trace("1" * 32, [span]))
    assert [(e.name, e.timestamp) for e in exported.events] == [("exception", 10)]
    assert exported.instrumentation_scope.name == "pytest_clearstone"


@pytest.mark.parametrize(
    ("span_type", "kind"),
    [
        *[(t, "CLIENT") for t in ("tool", "embedding", "retriever", "database", "reranker")],
        *[(t, "INTERNAL") for t in ("agent", "chain", None)],
    ],
)
def test_a_call_out_of_the_application_is_exported_as_a_client_span(
    span_type: str | None, kind: str
) -> None:
    (exported,) = _exported(Trace("1" * 32, [_span_of("1" * 16, span_type=span_type)]))
    assert exported.kind.name == kind


def test_pickled_values_need_the_opt_in() -> None:
    span = Span(trace_id="1" * 32, span_id="2" * 16, parent_span_id=None, name="odd",
                start_time_ns=1, end_time_ns=2,
                output=Recorded.of(slice(1, 2)))  # fmt: skip
    exported = _exported(Trace(span.trace_id, [span]))
    with pytest.raises(UntrustedCheckpointError, match=r"clearstone\.output.*allow_pickle=True"):
        otel.traces_from_otel_spans(exported)
    (back,) = otel.traces_from_otel_spans(exported, allow_pickle=True)
    assert back.spans[0].output == slice(1, 2)


@pytest.fixture
def otel_spans() -> Iterator[tuple[Any, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = OtelProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("instrumentation.under.test", "0.9"), exporter
    provider.shutdown()


def test_spans_from_an_instrumented_app(otel_spans: tuple[Any, InMemorySpanExporter]) -> None:
    tracer, exporter = otel_spans
    with tracer.start_as_current_span("agent", attributes={"openinference.span.kind": "AGENT"}):
        with tracer.start_as_current_span("chat gpt-4o", attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": json.dumps([{"role": "user", "parts": []}]),
            "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": []}]),
        }):  # fmt: skip
            pass
        with tracer.start_as_current_span("lookup", attributes={
            "openinference.span.kind": "TOOL",
            "input.value": '{"city": "Paris"}', "input.mime_type": "application/json",
            "output.value": "18C",
        }) as tool:  # fmt: skip
            tool.record_exception(KeyError("city"))
            tool.set_status(Status(StatusCode.ERROR, "lookup failed"))
        for kind in ("RETRIEVER", "CHAIN", "EMBEDDING", "RERANKER"):
            with tracer.start_as_current_span(kind.lower(), attributes={
                "openinference.span.kind": kind}):  # fmt: skip
                pass
        with tracer.start_as_current_span("embed", attributes={
            "gen_ai.operation.name": "embeddings"}):  # fmt: skip
            pass
    trace = otel.trace_from_otel_spans(exporter.get_finished_spans())
    by_name = {s.name: s for s in trace.spans}
    assert trace.spans[0].name == "agent"  # start order, not finish order
    assert {n: s.span_type for n, s in by_name.items()} == {
        "agent": "agent", "chat gpt-4o": "llm", "lookup": "tool", "retriever": "retriever",
        "chain": "chain", "embedding": "embedding", "reranker": "reranker", "embed": "embedding",
    }  # fmt: skip
    assert by_name["chat gpt-4o"].input == [{"role": "user", "parts": []}]
    assert by_name["chat gpt-4o"].output == [{"role": "assistant", "parts": []}]
    assert by_name["chat gpt-4o"].parent_span_id == by_name["agent"].span_id
    lookup = by_name["lookup"]
    assert lookup.input == {"city": "Paris"}
    assert lookup.output == "18C"
    assert (lookup.status, lookup.status_message) == ("ERROR", "lookup failed")
    assert lookup.error is not None
    assert (lookup.error["module"], lookup.error["type"]) == ("builtins", "KeyError")
    assert lookup.instrumentation_name == "instrumentation.under.test"


def test_an_otel_span_not_ended_yet_is_imported_as_open(
    otel_spans: tuple[Any, InMemorySpanExporter],
) -> None:
    # a span still running (a live SDK span, as a span processor's on_start is given it) has
    # no end time: imported open, not as ending at the epoch
    tracer, _ = otel_spans
    running = tracer.start_span("still running")
    try:
        (back,) = otel.trace_from_otel_spans([running]).spans
    finally:
        running.end()
    assert (back.name, back.end_time_ns) == ("still running", None)


def test_inputs_are_read_by_their_mime_type_and_span_type_and_a_message_only_exception(
    otel_spans: tuple[Any, InMemorySpanExporter],
) -> None:
    tracer, exporter = otel_spans
    with tracer.start_as_current_span("echo", attributes={
        "openinference.span.kind": "TOOL",
        "input.value": '{"not": "decoded"}', "input.mime_type": "text/plain",
    }):  # fmt: skip
        pass
    with tracer.start_as_current_span("chat", attributes={
        "gen_ai.operation.name": "chat",
        "gen_ai.tool.call.arguments": '{"a": 1}',  # (a tool's: not a model call's input)
        "gen_ai.input.messages": json.dumps([{"role": "user"}]),
    }) as chat:  # fmt: skip
        chat.add_event("exception", {"exception.message": "rate limited"})
    traces = otel.traces_from_otel_spans(exporter.get_finished_spans())
    [echo], [chat_span] = [t.spans for t in traces]
    assert echo.input == '{"not": "decoded"}'
    assert chat_span.input == [{"role": "user"}]
    assert chat_span.error is not None
    assert (chat_span.error["type"], chat_span.error["message"]) == ("Exception", "rate limited")


def _attr(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def test_otlp_json_variants(tmp_path: Path) -> None:
    trace_id = bytes(range(16))
    span = {
        "traceId": base64.b64encode(trace_id).decode(),  # protobuf-JSON style base64 ids
        "spanId": base64.b64encode(bytes(range(8))).decode(),
        "name": "openai.chat",
        "kind": "SPAN_KIND_CLIENT",
        "startTimeUnixNano": 5,
        "endTimeUnixNano": "9",
        "attributes": [
            _attr("traceloop.span.kind", {"stringValue": "task"}),
            _attr("llm.request.type", {"stringValue": "chat"}),
            _attr("gen_ai.prompt.0.role", {"stringValue": "user"}),
            _attr("gen_ai.prompt.0.content", {"stringValue": "hi"}),
            _attr("gen_ai.completion.0.content", {"stringValue": "hello"}),
            _attr("meta", {"kvlistValue": {"values": [_attr("n", {"intValue": "7"})]}}),
            _attr("blob", {"bytesValue": base64.b64encode(b"\x00\x01").decode()}),
        ],
        "events": [
            {
                "name": "exception",
                "attributes": [
                    _attr("exception.type", {"stringValue": "openai.RateLimitError"}),
                    _attr("exception.message", {"stringValue": "slow down"}),
                ],
            },
        ],
        "status": {"code": "STATUS_CODE_ERROR", "message": "rate limited"},
    }
    db_span = {
        "traceId": "ab" * 16, "spanId": "cd" * 8, "name": "SELECT", "startTimeUnixNano": "1",
        "attributes": [_attr("db.system", {"stringValue": "postgresql"})],
    }  # fmt: skip
    lines = [
        {"resourceSpans": [{"scopeSpans": [{"scope": {"name": "traceloop"}, "spans": [span]}]}]},
        {"resourceSpans": [{"instrumentationLibrarySpans": [{"spans": [db_span]}]}]},
    ]
    path = tmp_path / "spans.jsonl"  # the OTLP file exporter writes one request per line
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    first, second = otel.traces_from_otlp_json(path)
    (chat,) = first.spans
    assert chat.trace_id == trace_id.hex()
    assert chat.span_type == "chain"  # traceloop.span.kind wins over llm.request.type
    assert chat.input == [{"role": "user", "content": "hi"}]
    assert chat.output == [{"content": "hello"}]
    assert chat.attributes["meta"] == {"n": 7} and chat.attributes["blob"] == b"\x00\x01"
    assert chat.error == {"type": "RateLimitError", "module": "openai", "message": "slow down",
                          "args": ["slow down"]}  # fmt: skip
    assert (chat.status, chat.status_message, chat.instrumentation_name) == (
        "ERROR", "rate limited", "traceloop"
    )  # fmt: skip
    (select,) = second.spans
    assert (select.span_type, select.end_time_ns, select.parent_span_id) == ("database", None, None)


def test_bad_otlp_json_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.json"):
        otel.traces_from_otlp_json(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "x"}]}]}]}')
    with pytest.raises(DecodeError, match=r"bad\.json is not OTLP/JSON.*no traceId"):
        otel.traces_from_otlp_json(bad)
    bad.write_text("{not json\n")
    with pytest.raises(DecodeError, match=r"bad\.json is not OTLP/JSON: line 1"):
        otel.traces_from_otlp_json(bad)
    with pytest.raises(DecodeError, match="expected an object with 'resourceSpans'"):
        otel.traces_from_otlp_json({"spans": []})


def test_spans_of_two_traces_are_refused_naming_both_and_spans_are_numbered_as_given(
    otel_spans: tuple[Any, InMemorySpanExporter],
) -> None:
    tracer, exporter = otel_spans
    for name in ("a", "b"):
        with tracer.start_as_current_span(name):
            pass
    spans = exporter.get_finished_spans()
    ids = ", ".join(format(s.context.trace_id, "032x") for s in spans)
    with pytest.raises(ValueError, match=re.escape(f"got 2 ({ids}); use traces_from_otel_spans()")):
        otel.trace_from_otel_spans(spans)
    assert [t.spans[0].seq for t in otel.traces_from_otel_spans(spans)] == [0, 1]


def test_otel_spans_without_a_context_or_a_status(
    otel_spans: tuple[Any, InMemorySpanExporter],
) -> None:
    from opentelemetry.sdk.trace import ReadableSpan

    with pytest.raises(DecodeError, match="the OpenTelemetry span 'lost' has no span context"):
        otel.trace_from_otel_spans([ReadableSpan(name="lost")])
    tracer, _ = otel_spans
    with tracer.start_as_current_span("x") as running:
        context = running.get_span_context()
    (span,) = otel.trace_from_otel_spans(
        [ReadableSpan(name="s", context=context, status=None)]
    ).spans
    assert (span.status, span.status_message) == ("UNSET", None)


def test_one_trace_expected(otel_spans: tuple[Any, InMemorySpanExporter]) -> None:
    tracer, exporter = otel_spans
    for name in ("a", "b"):
        with tracer.start_as_current_span(name):
            pass
    assert len(otel.traces_from_otel_spans(exporter.get_finished_spans())) == 2
    with pytest.raises(ValueError, match="exactly one trace, got 2"):
        otel.trace_from_otel_spans(exporter.get_finished_spans())


def test_export_without_opentelemetry_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    with pytest.raises(ImportError, match=r"pip install pytest-clearstone\[otel\]"):
        otel.export_trace(_recorded_trace(), InMemorySpanExporter())
    with pytest.raises(ImportError, match=r"pip install pytest-clearstone\[otel\]"):
        otel.ClearstoneSpanExporterBridge(InMemorySpanExporter())  # (at once, not at its export)


def test_genai_otlp_fixture_is_imported() -> None:
    (trace,) = otel.traces_from_otlp_json(GENAI)
    assert trace.trace_id == "5b8efff798038103d269b633813fc60c"
    assert [(s.name, s.span_type) for s in trace.spans] == [
        ("invoke_agent weather_assistant", "agent"),
        ("chat gpt-4o-mini", "llm"),
        ("execute_tool get_weather", "tool"),
        ("chat gpt-4o-mini", "llm"),
    ]
    root, first, tool, second = trace.spans
    assert all(s.parent_span_id == root.span_id for s in (first, tool, second))
    assert tool.input == {"city": "Paris"}
    assert tool.output == {"temperature_c": 18, "conditions": "light rain"}
    assert first.output[0]["parts"][0]["name"] == "get_weather"
    assert second.output[0]["parts"][0]["content"] == ANSWER
    assert first.attributes["gen_ai.usage.input_tokens"] == 52
    assert first.attributes["gen_ai.request.temperature"] == 0.2
    assert first.attributes["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert first.duration_ms == 1200.0
    assert first.instrumentation_name == "opentelemetry.instrumentation.openai_v2"


@pytest.fixture
def weather_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    shutil.copy(FIXTURES / "weather_app.py", tmp_path / "weather_app.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "weather_app", raising=False)
    import weather_app

    return weather_app


def test_genai_trace_becomes_a_checkpoint_and_replays(weather_app: Any, tmp_path: Path) -> None:
    (trace,) = otel.traces_from_otlp_json(GENAI)
    manager = CheckpointManager(tmp_path / "checkpoints")
    root = trace.root_span
    assert root is not None
    checkpoint = manager.create_checkpoint(weather_app.WeatherAgent(), trace, root.span_id)
    saved = manager.load_checkpoint(manager.save_checkpoint(checkpoint, "weather.ckpt"))
    engine = ReplayEngine(saved, strict=False)
    mock = {"llm": "weather_app.chat", "tool": "weather_app.get_weather"}
    assert engine.replay_from_checkpoint("ask", QUESTION, mock_config=mock) == ANSWER
    assert engine.agent.tool_calls == 1
    assert engine.agent.history == [{"question": QUESTION, "answer": ANSWER}]
    assert engine.last_session is not None
    assert [c.target for c in engine.last_session.calls] == [
        "weather_app.chat", "weather_app.get_weather", "weather_app.chat"
    ]  # fmt: skip
    with pytest.raises(RuntimeError, match="no live LLM"):
        weather_app.WeatherAgent().ask(QUESTION)  # the patches are gone after the replay


def test_importing_the_module_does_not_import_opentelemetry() -> None:
    import subprocess

    code = (
        "import sys, pytest_clearstone.interop.otel as m; "
        "m.traces_from_otlp_json({'resourceSpans': []}); "
        "print(sorted(n for n in sys.modules if n.startswith('opentelemetry')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_span_marked_error_by_hand_comes_back_without_an_exception() -> None:
    # Expected: a call span the application marked ERROR itself (set_status) but that returned
    # an answer comes back from an export with its answer and no error, so a replay of the
    # imported trace returns that answer; the import made up an Exception from the status,
    # which the replay raised instead.
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("app")
    with tracer.span("agent") as root, tracer.span("complete", span_type="llm") as span:
        span.set_input({"prompt": "hi"})
        span.set_output("a filtered answer")
        span.set_status("ERROR", "content filter tripped")
    trace = provider.trace_store.get_trace(root.trace_id)
    provider.shutdown()

    back = otel.trace_from_otel_spans(otel.to_otel_spans(trace))

    complete = back.get_span(span.span_id)
    assert (complete.status, complete.status_message) == ("ERROR", "content filter tripped")
    assert complete.error is None
    assert complete.output == "a filtered answer"


def _otlp_span(attributes: str) -> str:
    ids = f'"traceId": "{"0" * 31}1", "spanId": "{"0" * 15}1"'
    span = f'{{{ids}, "name": "chat", "attributes": [{attributes}]}}'
    return f'{{"resourceSpans": [{{"scopeSpans": [{{"spans": [{span}]}}]}}]}}'


def test_deep_or_undecodable_otlp_json_is_a_decode_error_naming_the_file(tmp_path: Path) -> None:
    # Expected: a file nested past Python's recursion limit (in the document, in an AnyValue,
    # in the JSON text of clearstone.input) or not UTF-8 raises DecodeError naming the file,
    # as other malformed files do; they raised a bare RecursionError or UnicodeDecodeError.
    bad = tmp_path / "bad.json"
    deep_value = '{"stringValue": "x"}'
    for _ in range(3000):
        deep_value = f'{{"arrayValue": {{"values": [{deep_value}]}}}}'
    deep_text = json.dumps("[" * 100_000 + "]" * 100_000)
    for content in (
        "[" * 100_000 + "]" * 100_000,
        _otlp_span(f'{{"key": "a", "value": {deep_value}}}'),
        _otlp_span(f'{{"key": "clearstone.input", "value": {{"stringValue": {deep_text}}}}}'),
    ):
        bad.write_text(content)
        with pytest.raises(DecodeError, match=r"bad\.json\b.*nested too deeply"):
            otel.traces_from_otlp_json(bad)
    bad.write_bytes(b"\xff\xfe" + _otlp_span("").encode("utf-16-le"))
    with pytest.raises(DecodeError, match=r"bad\.json is not OTLP/JSON.*UTF-8"):
        otel.traces_from_otlp_json(bad)


def test_deep_json_text_in_an_input_value_is_kept_as_text(tmp_path: Path) -> None:
    # Expected: input.value declared JSON but nested too deeply to parse stays its text, as
    # text that is not JSON does; it raised RecursionError.
    text = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "trace.json"
    path.write_text(
        _otlp_span(
            f'{{"key": "input.value", "value": {{"stringValue": "{text}"}}}}, '
            '{"key": "input.mime_type", "value": {"stringValue": "application/json"}}'
        )
    )
    ((span,),) = [t.spans for t in otel.traces_from_otlp_json(path)]
    assert span.input == text


def test_a_clearstone_added_attribute_of_nested_lists_is_kept_not_a_crash(tmp_path: Path) -> None:
    # Expected: clearstone.added (the keys our export added) holding something other than key
    # names in a hand-made or damaged file is read like any attribute list: it raised a bare
    # TypeError (unhashable type: 'list').
    nested = '{"arrayValue": {"values": [{"arrayValue": {"values": [{"intValue": "1"}]}}]}}'
    path = tmp_path / "trace.json"
    path.write_text(
        _otlp_span(
            f'{{"key": "clearstone.added", "value": {nested}}}, '
            '{"key": "gen_ai.system", "value": {"stringValue": "openai"}}'
        )
    )
    ((span,),) = [t.spans for t in otel.traces_from_otlp_json(path)]
    assert span.attributes == {"gen_ai.system": "openai"}


@pytest.mark.parametrize("index", ["\u00b2", "9" * 5000])
def test_an_openllmetry_message_index_that_is_no_number_is_not_a_crash(index: str) -> None:
    # Expected: an OTLP/JSON file (a file of unknown origin) whose gen_ai.prompt.<n> index is
    # a non-ASCII digit or longer than int() reads loads, that attribute kept as it is.
    # Before the fix: a bare ValueError from int(), where a DecodeError naming the file or a
    # loaded trace is owed.
    key = f"gen_ai.prompt.{index}.role"
    span = {
        "traceId": "0" * 31 + "1",
        "spanId": "0" * 15 + "1",
        "name": "chat",
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
        "attributes": [{"key": key, "value": {"stringValue": "user"}}],
    }
    doc = {"resourceSpans": [{"scopeSpans": [{"scope": {}, "spans": [span]}]}]}
    (trace,) = otel.traces_from_otlp_json(doc)
    assert trace.spans[0].attributes[key] == "user"


def test_attribute_keys_that_are_not_strings_are_exported_as_strings() -> None:
    # OpenTelemetry attribute keys are strings: an int or tuple key of ours was handed to the
    # exporter as it was (which an OTLP exporter cannot encode), and importing the exported
    # spans again crashed with AttributeError: 'int' object has no attribute 'startswith'
    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("root", attributes={1: "one", ("a",): "t", "k": 2}) as root:
        pass
    trace = provider.trace_store.get_trace(root.trace_id)
    provider.shutdown()
    exporter = InMemorySpanExporter()
    otel.export_trace(trace, exporter)
    (exported,) = exporter.get_finished_spans()
    assert all(isinstance(key, str) for key in exported.attributes)
    back = otel.trace_from_otel_spans([exported])
    assert {
        k: v for k, v in back.spans[0].attributes.items() if not k.startswith("clearstone")
    } == {
        "1": "one",
        "('a',)": "t",
        "k": 2,
    }


def _one_span(attributes: dict[str, str]) -> Span:
    span = {
        "traceId": "0" * 31 + "1",
        "spanId": "0" * 15 + "1",
        "name": "call",
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attributes.items()],
    }
    doc = {"resourceSpans": [{"scopeSpans": [{"scope": {}, "spans": [span]}]}]}
    ((imported,),) = [t.spans for t in otel.traces_from_otlp_json(doc)]
    return imported


@pytest.mark.parametrize(
    ("attributes", "span_type"),
    [
        ({"llm.request.type": "chat"}, "llm"),  # OpenLLMetry
        ({"llm.request.type": "embedding"}, "embedding"),
        ({"db.system.name": "postgresql"}, "database"),  # (semantic conventions 1.30)
        ({"db.system": "redis"}, "database"),
        # a kind or an operation of no known name is kept, an OpenInference kind lower-cased;
        # an empty kind or a Traceloop kind of no known name is passed over
        ({"openinference.span.kind": "PROMPT"}, "prompt"),
        ({"gen_ai.operation.name": "rerank"}, "rerank"),
        ({"openinference.span.kind": "", "gen_ai.operation.name": "chat"}, "llm"),
        ({"traceloop.span.kind": "unknown", "llm.request.type": "chat"}, "llm"),
        ({"gen_ai.operation.name": "generate_content"}, "llm"),  # (Gemini's operation)
        ({"gen_ai.operation.name": "create_agent"}, "agent"),
        ({"traceloop.span.kind": "workflow"}, "chain"),
    ],
)
def test_span_types_of_the_other_conventions(attributes: dict[str, str], span_type: str) -> None:
    assert _one_span(attributes).span_type == span_type


def test_a_clearstone_span_type_that_is_no_text_is_passed_over() -> None:
    attributes = [
        _attr("clearstone.span_type", {"intValue": "3"}),
        _attr("openinference.span.kind", {"stringValue": "TOOL"}),
    ]
    ((span,),) = [t.spans for t in otel.traces_from_otlp_json(_doc(_raw(attributes=attributes)))]
    assert span.span_type == "tool"


def test_a_clearstone_value_that_cannot_be_read_is_a_decode_error_naming_the_span() -> None:
    label = "<OTLP/JSON document>: the clearstone.{} attribute of span " + "cd" * 8 + " ('call')"
    not_json = [_attr("clearstone.input", {"stringValue": "{not json"})]
    with pytest.raises(DecodeError, match=re.escape(label.format("input") + " is not JSON")):
        otel.traces_from_otlp_json(_doc(_raw(attributes=not_json)))
    unknown = [_attr("clearstone.output", {"stringValue": '{"__cs__": "nope", "v": 1}'})]
    with pytest.raises(DecodeError, match=re.escape(label.format("output") + ": unknown value")):
        otel.traces_from_otlp_json(_doc(_raw(attributes=unknown)))


def test_tool_call_arguments_are_the_input_of_a_tool_span_only() -> None:
    arguments = {"gen_ai.tool.call.arguments": '{"city": "Paris"}'}
    agent = _one_span({"gen_ai.operation.name": "invoke_agent", **arguments})
    assert (agent.span_type, agent.input) == ("agent", None)
    tool = _one_span({"gen_ai.operation.name": "execute_tool", **arguments})
    assert tool.input == {"city": "Paris"}


def test_a_clearstone_error_without_a_type_is_passed_over_for_the_status() -> None:
    attributes = [_attr("clearstone.error", {"stringValue": '{"message": "odd"}'})]
    status = {"code": "STATUS_CODE_ERROR", "message": "quota exceeded"}
    raw = _raw(attributes=attributes, status=status)
    ((span,),) = [t.spans for t in otel.traces_from_otlp_json(_doc(raw))]
    assert span.error == {
        "type": "Exception", "module": "builtins", "message": "quota exceeded",
        "args": ["quota exceeded"],
    }  # fmt: skip


def test_openllmetry_messages_come_in_the_order_of_their_numbers() -> None:
    # (a file's attributes in any order: message 10 after message 2, whatever comes first)
    numbers = [10, 2, 0, 1]
    span = _one_span({f"gen_ai.prompt.{n}.content": f"m{n}" for n in numbers})
    assert [m["content"] for m in span.input] == ["m0", "m1", "m2", "m10"]


def test_an_openllmetry_message_number_without_a_field_is_no_message() -> None:
    span = _one_span({"gen_ai.prompt.0": "hi"})
    assert (span.input, span.attributes) == (None, {"gen_ai.prompt.0": "hi"})


def test_a_status_of_no_known_kind_is_imported_as_unset() -> None:
    span = {
        "traceId": "0" * 31 + "1",
        "spanId": "0" * 15 + "1",
        "name": "call",
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
        "status": {"code": "STATUS_CODE_DEGRADED"},
    }
    doc = {"resourceSpans": [{"scopeSpans": [{"scope": {}, "spans": [span]}]}]}
    ((imported,),) = [t.spans for t in otel.traces_from_otlp_json(doc)]
    assert imported.status == "UNSET"


def _span_of(span_id: str, **fields: Any) -> Span:
    return Span(trace_id="1" * 32, span_id=span_id, parent_span_id=None, name="call",
                start_time_ns=10, **fields)  # fmt: skip


def test_an_export_keeps_a_span_s_own_kind_and_tool_name() -> None:
    own = {"openinference.span.kind": "RETRIEVER", "gen_ai.tool.name": "search_api"}
    (tool,) = _exported(Trace("1" * 32, [_span_of("1" * 16, span_type="tool", attributes=own)]))
    assert {k: tool.attributes[k] for k in own} == own
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"


def test_only_a_span_in_error_is_exported_with_a_clearstone_error() -> None:
    spans = [_span_of(f"{n}" * 16, end_time_ns=20, status=s) for n, s in ((1, "UNSET"), (2, "OK"))]
    assert [s.attributes.get("clearstone.error") for s in _exported(Trace("1" * 32, spans))] == [
        None,
        None,
    ]


def test_an_error_without_a_module_or_a_message_is_exported_as_its_type_and_no_text() -> None:
    error = {"type": "Timeout", "module": "", "message": None, "args": []}
    span = _span_of("1" * 16, end_time_ns=20, status="ERROR", error=error)
    ((event,),) = [s.events for s in _exported(Trace("1" * 32, [span]))]
    assert dict(event.attributes) == {"exception.type": "Timeout", "exception.message": ""}


def test_an_export_follows_what_opentelemetry_requires_of_a_span() -> None:
    # OpenTelemetry ids are never 0, every span has an end time, a list attribute holds one
    # primitive type, and a call to a model or a tool is a CLIENT span
    from opentelemetry.trace import SpanKind

    spans = [
        _span_of("0" * 16, end_time_ns=None, span_type="llm", attributes={"mixed": [1, "a"]}),
        _span_of("2" * 16, end_time_ns=20, span_type="chain"),
    ]
    zero, chain = _exported(Trace("1" * 32, spans))
    assert zero.context.span_id != 0 and zero.end_time == zero.start_time == 10
    assert isinstance(zero.attributes["mixed"], str)
    assert (zero.kind, chain.kind) == (SpanKind.CLIENT, SpanKind.INTERNAL)
    assert not [k for k in zero.attributes["clearstone.added"] if k.startswith("clearstone.")]
    back = otel.trace_from_otel_spans([zero, chain])
    assert [(s.span_id, s.end_time_ns) for s in back.spans] == [("0" * 16, None), ("2" * 16, 20)]
    assert back.spans[0].attributes == {"mixed": '[1,"a"]'}  # (as documented: its JSON text)


def test_no_spans_are_not_one_trace() -> None:
    with pytest.raises(ValueError, match=r"exactly one trace, got 0 \(none\)"):
        otel.trace_from_otel_spans([])


def test_otlp_json_ids_times_and_scope_as_exporters_write_them() -> None:
    # upper-case hex, a root's parent id of zeros (base64 too), an end time of "0" (the span
    # had not ended) and the scope's version
    spans = [
        {"traceId": "AB" * 16, "spanId": "CD" * 8, "parentSpanId": "0" * 16, "name": "root",
         "startTimeUnixNano": "1", "endTimeUnixNano": "0"},
        {"traceId": "ab" * 16, "spanId": "ef" * 8, "parentSpanId": "AAAAAAAAAAA=",
         "name": "other", "startTimeUnixNano": "2", "endTimeUnixNano": "3"},
    ]  # fmt: skip
    scope = {"name": "agent-lib", "version": "2.0"}
    doc = {"resourceSpans": [{"scopeSpans": [{"scope": scope, "spans": spans}]}]}
    (trace,) = otel.traces_from_otlp_json(doc)
    assert trace.trace_id == "ab" * 16
    assert [(s.span_id, s.parent_span_id, s.end_time_ns) for s in trace.spans] == [
        ("cd" * 8, None, None),
        ("ef" * 8, None, 3),
    ]
    assert {(s.instrumentation_name, s.instrumentation_version) for s in trace.spans} == {
        ("agent-lib", "2.0")
    }


def _doc(*spans: dict[str, Any], scope: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"resourceSpans": [{"scopeSpans": [{"scope": scope or {}, "spans": list(spans)}]}]}


def _raw(**fields: Any) -> dict[str, Any]:
    return {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "call", "startTimeUnixNano": "1",
            "endTimeUnixNano": "2", **fields}  # fmt: skip


def test_a_document_writing_both_span_lists_reads_the_old_one_when_the_new_is_empty() -> None:
    # a pre-1.0 OTLP request re-written by a newer protobuf with its empty fields kept
    # ("scopeSpans": [] beside "instrumentationLibrarySpans"): as the OTLP spec tells a receiver,
    # the old list is read when the new one is not set (empty), its library named as the scope.
    # Before the fix it read no span at all (no trace, no error).
    old = {"instrumentationLibrary": {"name": "opentelemetry.instrumentation.openai",
                                      "version": "0.9"}, "spans": [_raw()]}  # fmt: skip
    doc = {"resourceSpans": [{"scopeSpans": [], "instrumentationLibrarySpans": [old]}]}
    ((span,),) = [t.spans for t in otel.traces_from_otlp_json(doc)]
    assert (span.name, span.instrumentation_name, span.instrumentation_version) == (
        "call", "opentelemetry.instrumentation.openai", "0.9"
    )  # fmt: skip
    new = {"scope": {"name": "new"}, "spans": [_raw(name="new")]}
    both = {"resourceSpans": [{"scopeSpans": [new], "instrumentationLibrarySpans": [old]}]}
    ((span,),) = [t.spans for t in otel.traces_from_otlp_json(both)]
    assert span.name == "new"  # (the old list of a sender writing both is the same spans)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"spanId": "cd" * 9}, "neither 16-digit hex nor base64"),  # (hex, too long)
        ({"traceId": "0af76519-16cd-43dd-8448-eb211c80319c"}, "neither 32-digit hex nor base64"),
        ({"spanId": base64.b64encode(b"\x01\x02\x03\x04").decode()}, "has 4 bytes, expected 8"),
        ({"spanId": None}, "has no traceId or spanId"),
        ({"kind": -1}, "unknown span_kind -1"),
        ({"startTimeUnixNano": "yesterday"}, "malformed span data"),
        ({"attributes": {"llm.model": "gpt"}}, "attributes must be a list of {key, value}"),
        ({"status": "STATUS_CODE_ERROR"}, "malformed span data"),  # (not a {code, message})
        ({"attributes": [_attr("ok", {"boolValue": "no"})]}, "boolValue 'no' is not true or false"),
        ({"attributes": [_attr("ok", {"boolValue": 0})]}, "boolValue 0 is not true or false"),
    ],
    ids=[
        "long_hex",
        "uuid",
        "short_base64",
        "no_span_id",
        "negative_kind",
        "time",
        "attributes",
        "status",
        "bool_text",
        "bool_number",
    ],
)
def test_a_malformed_otlp_span_is_a_decode_error_naming_what_is_wrong(
    fields: dict[str, Any], why: str
) -> None:
    with pytest.raises(DecodeError, match=re.escape(why)):
        otel.traces_from_otlp_json(_doc(_raw(**fields)))


def test_a_bool_attribute_written_as_text_is_read_as_protobuf_reads_it() -> None:
    # ("false" as text was read as True: any non-empty string is truthy)
    raw = _raw(attributes=[_attr("a", {"boolValue": "false"}), _attr("b", {"boolValue": "true"})])
    ((span,),) = [t.spans for t in otel.traces_from_otlp_json(_doc(raw))]
    assert (span.attributes["a"], span.attributes["b"]) == (False, True)


def test_a_malformed_otlp_json_file_or_document_is_named_in_full(tmp_path: Path) -> None:
    # (the whole path, for one document or one per line; a parsed document by what it is)
    path = tmp_path / "exports" / "spans.json"
    path.parent.mkdir()
    for text in (json.dumps(_doc(_raw(spanId=None))), json.dumps(_doc(_raw(spanId=None))) + "\n{}"):
        path.write_text(text)
        with pytest.raises(DecodeError) as info:
            otel.traces_from_otlp_json(path)
        assert str(info.value).startswith(f"{path} is not OTLP/JSON: ")
    with pytest.raises(DecodeError, match=r"^<OTLP/JSON document> is not OTLP/JSON: .*no traceId"):
        otel.traces_from_otlp_json(_doc(_raw(spanId=None)))


def test_a_kind_and_status_written_as_number_0_are_read_unspecified_and_unset() -> None:
    ((span,),) = [
        t.spans for t in otel.traces_from_otlp_json(_doc(_raw(kind=0, status={"code": 0})))
    ]
    assert span.status == "UNSET"


def test_an_event_without_a_name_is_not_the_span_s_exception() -> None:
    unnamed = {"attributes": [_attr("exception.type", {"stringValue": "ValueError"})]}
    ((span,),) = [t.spans for t in otel.traces_from_otlp_json(_doc(_raw(events=[unnamed])))]
    assert span.error is None


def test_otlp_json_values_as_protobuf_writes_them() -> None:
    # an id padded with whitespace, an attribute without a value ({}), a double written as a
    # whole number or as "Infinity", an empty array written null, a status by its short or
    # lower-case name
    attributes = [
        _attr("empty", {}),
        _attr("temperature", {"doubleValue": 1}),
        _attr("limit", {"doubleValue": "Infinity"}),
        _attr("tags", {"arrayValue": None}),
    ]
    first = _raw(spanId=" " + "cd" * 8 + "\n", attributes=attributes, status={"code": "ERROR"})
    second = _raw(spanId="ef" * 8, startTimeUnixNano="3", status={"code": "status_code_ok"})
    ((one, two),) = [t.spans for t in otel.traces_from_otlp_json(_doc(first, second))]
    assert one.span_id == "cd" * 8
    assert one.attributes["empty"] is None
    assert one.attributes["temperature"] == 1.0 and type(one.attributes["temperature"]) is float
    assert one.attributes["limit"] == float("inf")
    assert one.attributes["tags"] == []
    assert (one.status, two.status) == ("ERROR", "OK")
    assert (one.seq, two.seq) == (0, 1)  # (numbered as the OpenTelemetry spans' import does)


def test_an_otlp_json_file_with_blank_lines_between_its_requests_reads(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    lines = [json.dumps(_doc(_raw())), "", "   ", json.dumps(_doc(_raw(traceId="12" * 16)))]
    path.write_text("\n".join(lines) + "\n")
    assert len(otel.traces_from_otlp_json(path)) == 2


def _completion() -> Any:
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600,
        "model": "gpt-4o-mini", "usage": None,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": "Refund sent."}}],
    })  # fmt: skip


def test_input_value_and_output_value_hold_plain_json_not_the_codec_s_tags() -> None:
    # Expected: OpenInference tools (Phoenix...) show input.value/output.value; they held the
    # codec's tagged form ({"__cs__": "pydantic", "cls": ..., "v": ...}, a tuple as
    # {"__cs__": "tuple", ...}, a pickle's base64), which only pytest-clearstone reads. They
    # now hold the plain JSON (a model's fields, a tuple as a list, a date as ISO text, a
    # pickle as a placeholder naming its type); clearstone.input/output keep the exact form.
    completion = _completion()
    pickled = {"__cs__": "pickle", "type": "app.Receipt", "v": "gASVAAAA"}
    spans = [
        _span_of("1" * 16, span_type="llm", end_time_ns=20,
                 input=Recorded.of({"messages": ({"role": "user", "content": "refund?"},)}),
                 output=Recorded.of(completion)),
        _span_of("2" * 16, span_type="tool", end_time_ns=20,
                 input=Recorded.of({"when": dt.date(2026, 12, 7), "ids": {3, 1}}),
                 output=Recorded(encoded=pickled),
                 attributes={"shape": {"point": (1, 2)}, "keys": {1: "one"}}),
        _span_of("3" * 16, span_type="tool", end_time_ns=20,
                 output=Recorded.of(dt.datetime(2026, 12, 7, tzinfo=dt.timezone.utc))),
    ]  # fmt: skip
    llm, tool, clock = _exported(Trace("1" * 32, spans))
    assert json.loads(llm.attributes["input.value"]) == {
        "messages": [{"role": "user", "content": "refund?"}]
    }
    assert json.loads(llm.attributes["output.value"]) == completion.model_dump(mode="json")
    assert llm.attributes["output.mime_type"] == "application/json"
    assert json.loads(tool.attributes["input.value"]) == {"when": "2026-12-07", "ids": [1, 3]}
    assert tool.attributes["output.value"].startswith("<pickled app.Receipt sha256:")
    assert tool.attributes["output.mime_type"] == "text/plain"
    assert json.loads(tool.attributes["shape"]) == {"point": [1, 2]}
    assert json.loads(tool.attributes["keys"]) == {"1": "one"}
    assert (clock.attributes["output.value"], clock.attributes["output.mime_type"]) == (
        "2026-12-07T00:00:00+00:00",
        "text/plain",
    )
    # (the exact values still come back on import)
    back = otel.trace_from_otel_spans([llm, clock])
    assert back.spans[0].output == completion
    assert back.spans[0].input == {"messages": ({"role": "user", "content": "refund?"},)}


def test_spans_whose_content_was_not_captured_are_named_when_a_target_has_no_response(
    weather_app: Any, tmp_path: Path
) -> None:
    # Expected: a GenAI instrumentation records message content only when asked to
    # (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true); a production trace without it
    # has chat spans with no output. The pre-flight said "No recorded responses" and the replay
    # "the recording has only 0 response(s) ... The agent now makes more calls than when it was
    # recorded", though the trace holds both chat calls: it now says they hold no output and why.
    doc = json.loads(GENAI.read_text())
    content = {"gen_ai.input.messages", "gen_ai.output.messages"}
    for resource in doc["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                span["attributes"] = [a for a in span["attributes"] if a["key"] not in content]
    (trace,) = otel.traces_from_otlp_json(doc)
    checkpoint = CheckpointManager(tmp_path).create_checkpoint(
        weather_app.WeatherAgent(), trace, trace.root_span.span_id
    )
    engine = ReplayEngine(checkpoint, strict=False)
    mock = {"llm": "weather_app.chat", "tool": "weather_app.get_weather"}
    told = (
        "The trace holds 2 span(s) of type 'llm' after the checkpoint (named 'chat gpt-4o-mini'), "
        "but none with an output or an error to answer with"
    )
    (warning,) = engine.preflight(mock).warnings
    assert told in warning
    assert "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true" in warning
    with pytest.raises(ReplayExhaustedError) as info:
        engine.replay_from_checkpoint("ask", QUESTION, mock_config=mock)
    message = str(info.value)
    assert f"  {told}" in message
    assert "makes more calls than when it was recorded" not in message


def test_spans_written_by_the_console_exporter_are_told_as_such_with_the_fix(
    otel_spans: tuple[Any, InMemorySpanExporter], tmp_path: Path
) -> None:
    # Expected: ConsoleSpanExporter(out=file) is how spans are dumped to a file in Python, and
    # its JSON (ReadableSpan.to_json(): indented, one object after the other) is no OTLP/JSON.
    # Reading it failed with "line 1: Expecting property name enclosed in double quotes" (two
    # spans) or "expected an object with 'resourceSpans'" (one); it now names the format and
    # the ways to import such spans.
    tracer, exporter = otel_spans
    chat = {"gen_ai.operation.name": "chat"}
    with tracer.start_as_current_span("agent"), tracer.start_as_current_span("chat", None, chat):
        pass
    spans = exporter.get_finished_spans()
    told = (
        "is not OTLP/JSON: it holds spans as OpenTelemetry's ConsoleSpanExporter writes them "
        "(ReadableSpan.to_json()), which has no importer. Import the spans in the process that "
        "makes them, with traces_from_otel_spans(exporter.get_finished_spans()) and an "
        "InMemorySpanExporter, or write them as OTLP/JSON (the OpenTelemetry Collector's file "
        "exporter)"
    )
    path = tmp_path / "console.json"
    for written in (spans, spans[:1]):
        out = io.StringIO()
        ConsoleSpanExporter(out=out).export(written)
        path.write_text(out.getvalue())
        with pytest.raises(DecodeError) as info:
            otel.traces_from_otlp_json(path)
        assert str(info.value) == f"{path} {told}"
    with pytest.raises(DecodeError) as info:
        otel.traces_from_otlp_json(json.loads(spans[0].to_json()))
    assert str(info.value) == f"<OTLP/JSON document> {told}"


def _one_trace(*spans: dict[str, Any]) -> list[Span]:
    (trace,) = otel.traces_from_otlp_json(_doc(*spans))
    return trace.spans


def test_the_content_events_of_the_earlier_genai_conventions_are_input_and_output() -> None:
    # Expected: the GenAI conventions before gen_ai.input.messages (still written
    # by some instrumentations) put the content in span events, gen_ai.content.prompt
    # (gen_ai.prompt) and gen_ai.content.completion (gen_ai.completion). The import read no
    # input or output from them, so a checkpoint of such a trace had nothing to replay.
    prompt = [{"role": "user", "content": "Weather in Paris?"}]
    completion = [{"role": "assistant", "content": "18C and rain."}]
    events = [
        {"name": "gen_ai.content.prompt", "timeUnixNano": "1",
         "attributes": [_attr("gen_ai.prompt", {"stringValue": json.dumps(prompt)})]},
        {"name": "gen_ai.content.completion", "timeUnixNano": "2",
         "attributes": [_attr("gen_ai.completion", {"stringValue": json.dumps(completion)})]},
    ]  # fmt: skip
    operation = [_attr("gen_ai.operation.name", {"stringValue": "chat"})]
    (span,) = _one_trace(_raw(attributes=operation, events=events))
    assert (span.span_type, span.input, span.output) == ("llm", prompt, completion)
    # (an attribute of the later conventions wins; an event without its attribute is no content)
    later = [*operation, _attr("gen_ai.output.messages", {"stringValue": '["later"]'})]
    events[0]["attributes"] = []
    (span,) = _one_trace(_raw(attributes=later, events=events))
    assert (span.input, span.output) == (None, ["later"])


def test_an_otlp_span_without_a_status_is_unset_and_an_empty_status_message_is_none() -> None:
    (span,) = _one_trace(_raw())
    assert (span.status, span.status_message) == ("UNSET", None)
    (span,) = _one_trace(_raw(status={"code": "STATUS_CODE_OK", "message": ""}))
    assert (span.status, span.status_message) == ("OK", None)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"kind": 6}, "unknown span_kind 6"),  # (one past the last kind, CONSUMER = 5)
        ({"status": {"code": 3}}, "unknown status_code 3"),  # (one past ERROR = 2)
        ({"attributes": [_attr("a", {"fooValue": 1})]}, "unknown AnyValue kind 'fooValue'"),
    ],
    ids=["kind", "status", "any_value"],
)
def test_an_otlp_enum_or_value_of_no_known_kind_is_a_decode_error_naming_it(
    fields: dict[str, Any], why: str
) -> None:
    with pytest.raises(DecodeError, match=r"^<OTLP/JSON document> is not OTLP/JSON: " + why):
        otel.traces_from_otlp_json(_doc(_raw(**fields)))


def test_a_missing_otlp_json_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    with pytest.raises(FileNotFoundError) as info:
        otel.traces_from_otlp_json(path)
    assert str(info.value) == f"no OTLP/JSON file at {path}"


def test_a_pickled_value_in_otlp_json_needs_the_opt_in() -> None:
    # (a file of unknown origin: its clearstone.output is not unpickled unless it is trusted)
    pickled = codec.dumps(Recorded.of(slice(1, 2)).encoded)
    raw = _raw(attributes=[_attr("clearstone.output", {"stringValue": pickled})])
    with pytest.raises(UntrustedCheckpointError, match=r"clearstone\.output.*allow_pickle=True"):
        otel.traces_from_otlp_json(_doc(raw))
    (span,) = otel.traces_from_otlp_json(_doc(raw), allow_pickle=True)[0].spans
    assert span.output == slice(1, 2)


def test_a_parsed_otlp_document_nested_too_deeply_is_a_decode_error() -> None:
    # (a document given already parsed: no JSON parser met the depth before the import did)
    value: dict[str, Any] = {"stringValue": "x"}
    for _ in range(sys.getrecursionlimit()):
        value = {"arrayValue": {"values": [value]}}
    raw = _raw(attributes=[_attr("deep", value)])
    with pytest.raises(DecodeError, match=r"^<OTLP/JSON document> is not OTLP/JSON: .*too deeply"):
        otel.traces_from_otlp_json(_doc(raw))


def test_a_short_hex_id_is_exported_hashed_and_comes_back_as_it_was() -> None:
    # ("7" reads as hex but is not OpenTelemetry's 16 digits: as 0x7 it came back "0...07")
    spans = [_span_of("7", end_time_ns=20), _span_of("8" * 16, end_time_ns=20)]
    spans[1].parent_span_id = "7"
    back = otel.trace_from_otel_spans(_exported(Trace("1" * 32, spans)))
    assert [(s.span_id, s.parent_span_id) for s in back.spans] == [("7", None), ("8" * 16, "7")]


def test_an_attribute_whose_plain_form_is_text_is_exported_as_that_text() -> None:
    # (a date as its ISO text, as the docs say, not that text quoted as JSON)
    span = _span_of("1" * 16, end_time_ns=20, attributes={"day": dt.date(2026, 12, 7)})
    (exported,) = _exported(Trace("1" * 32, [span]))
    assert exported.attributes["day"] == "2026-12-07"
