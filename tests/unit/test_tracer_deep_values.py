"""A traced function called with a value nested deeper than the codec stores still runs, and a
span attribute that deep does not fail the agent's code nor lose the other spans of its batch:
each is stored as a placeholder naming its type and depth, as the contract promises for any
value that cannot be stored ("no span is ever dropped silently").

Before the fix, calling a ``@tracer.traced`` function with a dict nested 2,500 levels deep
raised ``NestingTooDeepError`` instead of running it ("leave it out of get_state()"); a span
given such an attribute raised it from ``tracer.span(...)``, and the flush then wrote none of
the batch's spans ("3 span(s) were not written to the trace store")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_clearstone.codec.nesting import MAX_DEPTH
from pytest_clearstone.observability import TracerProvider


def _nested(levels: int) -> dict[str, Any]:
    tree: dict[str, Any] = {"leaf": "x"}
    for _ in range(levels - 1):
        tree = {"k": tree}
    return tree


@pytest.fixture
def provider() -> Iterator[TracerProvider]:
    p = TracerProvider(":memory:")
    yield p
    p.shutdown()


def test_a_traced_call_with_a_too_deep_argument_runs_and_is_stored(
    provider: TracerProvider,
) -> None:
    tracer = provider.get_tracer("agent")

    @tracer.traced(span_type="tool")
    def plan(tree: dict[str, Any]) -> dict[str, Any]:
        return tree

    deep = _nested(MAX_DEPTH + 500)
    assert plan(deep) is deep
    provider.flush()
    (summary,) = provider.trace_store.list_traces()
    (span,) = provider.trace_store.get_trace(summary.trace_id).spans
    assert span.status == "OK"
    stored = f"levels deep, more than the {MAX_DEPTH} levels stored>"
    assert repr(span.input).startswith("<dict nested") and repr(span.input).endswith(stored)
    assert repr(span.output) == f"<dict nested 2500 {stored}"


def test_a_too_deep_attribute_loses_no_span(provider: TracerProvider) -> None:
    tracer = provider.get_tracer("agent")
    with tracer.span("root") as root:
        with tracer.span("before") as before:
            before.set_attribute("n", 1)
        with tracer.span("deep", attributes={"cfg": _nested(MAX_DEPTH + 500), "n": 2}) as deep:
            deep.set_attribute("also", _nested(MAX_DEPTH + 10))
    provider.flush()
    spans = {s.name: s for s in provider.trace_store.get_trace(root.trace_id).spans}
    assert set(spans) == {"root", "before", "deep"}
    assert spans["before"].attributes == {"n": 1}
    attributes = spans["deep"].attributes
    assert attributes["n"] == 2
    assert (
        repr(attributes["cfg"])
        == "<dict nested 2500 levels deep, more than the 2000 levels stored>"
    )
    assert "nested 2010 levels deep" in repr(attributes["also"])


def test_a_span_with_a_too_deep_attribute_stores_its_others_as_they_were_when_it_ended(
    provider: TracerProvider,
) -> None:
    messages = [{"role": "user", "content": "hi"}]
    tracer = provider.get_tracer("agent")
    with tracer.span("deep", attributes={"cfg": _nested(MAX_DEPTH + 10)}) as deep:
        deep.set_attribute("messages", messages)
    messages.append({"role": "assistant", "content": "hello"})  # (the agent's list, reused)
    provider.flush()
    (span,) = provider.trace_store.get_trace(deep.trace_id).spans
    assert span.attributes["messages"] == [{"role": "user", "content": "hi"}]
