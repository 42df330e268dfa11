"""clearstone_tracer: spans in the run's store, under a root span named after the test."""

from __future__ import annotations

from pytest_clearstone.observability import TraceStore


def test_user_spans_nest_under_the_test_root_span(pytester):
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan", span_type="chain") as span:
                span.set_output("ok")
        """
    )
    pytester.runpytest("--clearstone-db", "store.db").assert_outcomes(passed=1)
    store = TraceStore(pytester.path / "store.db")
    (summary,) = store.list_traces()
    assert summary.root_name == "test_traced.py::test_traced"
    trace = store.get_trace(summary.trace_id)
    root, plan = trace.spans
    assert (plan.name, plan.parent_span_id, plan.output) == ("plan", root.span_id, "ok")
    assert root.end_time_ns is not None and root.status == "OK"


def test_a_failing_test_leaves_its_root_span_in_error(pytester):
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
            assert 1 == 2, "the plan was wrong"
        """
    )
    pytester.runpytest("--clearstone-db", "store.db").assert_outcomes(failed=1)
    store = TraceStore(pytester.path / "store.db")
    (summary,) = store.list_traces()
    root = store.get_trace(summary.trace_id).root_span
    assert root is not None and root.status == "ERROR"
    assert "the plan was wrong" in (root.status_message or "")


def test_recorded_calls_nest_under_the_open_user_span(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay("goldens/traced.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
        def test_traced(replay, clearstone_tracer):
            with clearstone_tracer.span("turn_1"):
                replay.run(Agent().handle, "hello")
        """
    )
    project.record("--clearstone-db", "store.db").assert_outcomes(passed=1)
    store = TraceStore(pytester.path / "store.db")
    (summary,) = store.list_traces()
    spans = store.get_trace(summary.trace_id).spans
    by_name = {s.name: s for s in spans}
    turn = by_name["turn_1"]
    assert by_name["app.complete"].parent_span_id == turn.span_id
    assert by_name["app.complete"].attributes["clearstone.target"] == "app.complete"
    assert by_name["app.complete"].input == {"prompt": "User says: hello"}
    assert turn.parent_span_id == by_name["test_agent.py::test_traced"].span_id
    project.replay("--clearstone-db", "store.db").assert_outcomes(passed=1)
