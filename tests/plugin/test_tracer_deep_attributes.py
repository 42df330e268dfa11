"""A test's own span (``clearstone_tracer``) given an attribute nested deeper than the codec
stores passes, the attribute kept in the trace store as a placeholder naming its type and depth,
as the bare tracer keeps it.

Before the fix, the test failed at ``clearstone_tracer.span(...)`` with ``NestingTooDeepError:
cannot serialise span attributes of deep ... or leave it out of get_state()`` (from the
redaction of the span), a fix that does not apply to a span attribute."""

from __future__ import annotations

import pytest

TEST = """
def nested(n):
    v = {"leaf": "x"}
    for _ in range(n - 1):
        v = {"k": v}
    return v


def test_attr(clearstone_tracer):
    with clearstone_tracer.span("deep", attributes={"cfg": nested(6000), "n": 1}) as span:
        span.set_attribute("also", nested(3000))
"""


def test_a_too_deep_attribute_of_a_test_span_is_stored_as_a_placeholder(
    pytester: pytest.Pytester,
) -> None:
    from pytest_clearstone.observability import TraceStore

    pytester.makepyfile(test_attr=TEST)
    result = pytester.runpytest_subprocess()  # (in a subprocess: any depth must not crash it)
    result.assert_outcomes(passed=1)
    store = TraceStore(str(pytester.path / ".clearstone" / "traces.db"))
    (summary,) = store.list_traces()
    spans = {span.name: span for span in store.get_trace(summary.trace_id).spans}
    attributes = spans["deep"].attributes
    assert attributes["n"] == 1
    assert (
        repr(attributes["cfg"])
        == "<dict nested 6000 levels deep, more than the 2000 levels stored>"
    )
    assert (
        repr(attributes["also"])
        == "<dict nested 3000 levels deep, more than the 2000 levels stored>"
    )
