"""Tracer: spans as context managers, parents through contextvars, the traced decorator."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.observability import Span, Tracer, TracerProvider, current_span
from pytest_clearstone.tracing import span as span_module
from pytest_clearstone.tracing.span import new_span_id, new_trace_id


@pytest.fixture
def provider() -> Iterator[TracerProvider]:
    p = TracerProvider(":memory:")
    yield p
    p.shutdown()


@pytest.fixture
def tracer(provider: TracerProvider) -> Tracer:
    return provider.get_tracer("agent", version="1.2")


def stored(provider: TracerProvider, span: Span) -> Span:
    return provider.trace_store.get_trace(span.trace_id).get_span(span.span_id)


# -- providers and tracers -------------------------------------------------------------------


def test_file_backed_provider_records_into_the_file(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "traces.db"
    provider = TracerProvider(db_path=db)
    tracer = provider.get_tracer("agent")
    with tracer.span("root") as root:
        pass
    provider.shutdown()
    assert db.exists()
    again = TracerProvider(db_path=str(db))
    trace = again.trace_store.get_trace(root.trace_id)
    assert [s.name for s in trace.spans] == ["root"]
    again.shutdown()


def test_memory_provider_and_default_path() -> None:
    provider = TracerProvider(":memory:")
    assert provider.db_path == ":memory:"
    assert provider.trace_store.db_path == ":memory:"
    provider.shutdown()


def test_get_tracer_caches_by_name_and_version(provider: TracerProvider) -> None:
    a = provider.get_tracer("agent", version="1")
    assert provider.get_tracer("agent", version="1") is a
    assert provider.get_tracer("agent", version="2") is not a
    assert provider.get_tracer("agent") is not a
    assert (a.name, a.version) == ("agent", "1")


def test_span_records_the_tracer_identity(provider: TracerProvider, tracer: Tracer) -> None:
    with tracer.span("step") as span:
        pass
    back = stored(provider, span)
    assert (back.instrumentation_name, back.instrumentation_version) == ("agent", "1.2")


# -- spans ------------------------------------------------------------------------------------


def test_span_context_manager_yields_the_span(provider: TracerProvider, tracer: Tracer) -> None:
    with tracer.span("step_1", span_type="llm", attributes={"model": "m"}) as span:
        assert isinstance(span, Span)
        assert current_span() is span
        assert span.name == "step_1"
        assert span.span_type == "llm"
        assert span.attributes == {"model": "m"}
        assert span.parent_span_id is None
        assert span.end_time_ns is None
        assert span.duration_ms is None
        assert span.status == "UNSET"
    assert current_span() is None
    assert span.end_time_ns is not None
    assert span.end_time_ns >= span.start_time_ns
    assert span.duration_ms is not None
    assert span.duration_ms >= 0
    assert span.status == "OK"


def test_a_span_is_open_until_its_block_ends(tracer: Tracer) -> None:
    with tracer.span("step") as span:
        assert span.is_open and span.duration_ms is None
    assert not span.is_open and span.duration_ms is not None


def test_a_span_reads_as_its_name_type_id_status_and_duration() -> None:
    span = Span(
        trace_id="t", span_id="s1", parent_span_id=None, name="search", span_type="tool",
        start_time_ns=1_000_000,
    )  # fmt: skip
    assert repr(span) == "<Span 'search' [tool] s1 UNSET open>"
    span.end_time_ns, span.status = 3_500_000, "OK"
    assert repr(span) == "<Span 'search' [tool] s1 OK 2.50ms>"
    assert repr(Span(trace_id="t", span_id="s2", parent_span_id=None, name="step")) == (
        "<Span 'step' s2 UNSET open>"
    )


def test_attributes_argument_is_copied(tracer: Tracer) -> None:
    attrs = {"a": 1}
    with tracer.span("s", attributes=attrs) as span:
        attrs["b"] = 2
    assert span.attributes == {"a": 1}


def test_span_without_parent_starts_a_new_trace(tracer: Tracer) -> None:
    with tracer.span("first") as a:
        pass
    with tracer.span("second") as b:
        pass
    assert a.trace_id != b.trace_id
    assert len(a.trace_id) == 32
    assert len(a.span_id) == 16
    int(a.trace_id, 16)
    int(a.span_id, 16)


def test_ids_are_unique(tracer: Tracer) -> None:
    span_ids, trace_ids = set(), set()
    for _ in range(2000):
        with tracer.span("s") as s:
            pass
        span_ids.add(s.span_id)
        trace_ids.add(s.trace_id)
    assert len(span_ids) == len(trace_ids) == 2000


def test_span_ids_drawn_one_after_another_are_consecutive_numbers() -> None:
    """(so that a batch of spans lands on a few pages of the trace store's index)"""
    ids = [int(new_span_id(), 16) for _ in range(10)]
    steps = [b - a for a, b in itertools.pairwise(ids)]
    assert steps.count(1) >= len(steps) - 1  # (a new prefix at most once)


def _drawn_in_a_forked_child() -> str:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # (the child: never back into pytest)
        try:
            os.close(read)
            os.write(write, f"{new_trace_id()} {new_span_id()}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as drawn:
        ids = drawn.read()
    os.waitpid(pid, 0)
    return ids


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_processes_forked_from_one_parent_draw_ids_of_their_own() -> None:
    # (a pool of forked workers writes its spans into one trace store)
    drawn = [_drawn_in_a_forked_child(), _drawn_in_a_forked_child()]
    ids = " ".join([*drawn, new_trace_id(), new_span_id()]).split()
    assert len(ids) == len(set(ids)) == 6


def test_a_used_up_span_id_prefix_gives_way_to_a_new_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(span_module, "_span_ids", iter(()))  # (its 2**24 ids all drawn)
    first, second = new_span_id(), new_span_id()
    assert len(first) == 16 and int(second, 16) - int(first, 16) == 1


def test_nesting_sets_parents_and_shares_the_trace(
    provider: TracerProvider, tracer: Tracer
) -> None:
    with tracer.span("root") as root:
        with tracer.span("child") as child:
            with tracer.span("grandchild") as grandchild:
                assert current_span() is grandchild
            assert current_span() is child
        with tracer.span("sibling") as sibling:
            pass
    assert child.parent_span_id == root.span_id
    assert grandchild.parent_span_id == child.span_id
    assert sibling.parent_span_id == root.span_id
    assert {s.trace_id for s in (root, child, grandchild, sibling)} == {root.trace_id}
    trace = provider.trace_store.get_trace(root.trace_id)
    assert [s.name for s in trace.spans] == ["root", "child", "grandchild", "sibling"]


def test_spans_of_different_tracers_nest(provider: TracerProvider) -> None:
    a, b = provider.get_tracer("a"), provider.get_tracer("b")
    with a.span("outer") as outer, b.span("inner") as inner:
        pass
    assert inner.parent_span_id == outer.span_id
    assert inner.trace_id == outer.trace_id


def test_set_attribute_input_output(provider: TracerProvider, tracer: Tracer) -> None:
    with tracer.span("llm", span_type="llm") as span:
        span.set_attribute("tokens", 12)
        payload = {"prompt": "hi", "history": ["a"]}
        span.set_input(payload)
        payload["history"].append("b")  # recorded values are snapshots
        span.set_output(("answer", 1))
    assert span.input == {"prompt": "hi", "history": ["a"]}
    assert span.output == ("answer", 1)
    back = stored(provider, span)
    assert back.attributes == {"tokens": 12}
    assert back.input == {"prompt": "hi", "history": ["a"]}
    assert back.output == ("answer", 1)
    assert back.error is None


def test_explicit_status_survives_the_block_exit(provider: TracerProvider, tracer: Tracer) -> None:
    with tracer.span("s") as span:
        span.set_status("error", "bad answer")
    assert (span.status, span.status_message) == ("ERROR", "bad answer")
    back = stored(provider, span)
    assert (back.status, back.status_message) == ("ERROR", "bad answer")


def test_explicit_ok_status_survives_an_exception(tracer: Tracer) -> None:
    with pytest.raises(KeyError), tracer.span("s") as span:
        span.set_status("OK", "handled upstream")
        raise KeyError("k")
    assert span.status == "OK"
    assert span.status_message == "handled upstream"
    assert span.error is not None
    assert span.error["type"] == "KeyError"


def test_set_status_rejects_unknown_values(tracer: Tracer) -> None:
    with tracer.span("s") as span, pytest.raises(ValueError, match="UNSET"):
        span.set_status("MAYBE")


@pytest.mark.parametrize(("given", "named"), [(None, "None"), ("maybe", "'maybe'"), (2, "2")])
def test_set_status_names_the_value_it_was_given(tracer: Tracer, given: Any, named: str) -> None:
    # (it named the value after upper-casing its text: set_status(None) said "not 'NONE'")
    with tracer.span("s") as span, pytest.raises(ValueError) as info:
        span.set_status(given)
    assert str(info.value) == (
        f"span status must be one of 'UNSET', 'OK' or 'ERROR' (any case), not {named}"
    )


def test_exception_marks_error_and_propagates(provider: TracerProvider, tracer: Tracer) -> None:
    with (
        pytest.raises(ValueError, match="boom"),
        tracer.span("root") as root,
        tracer.span("child") as child,
    ):
        raise ValueError("boom")
    for span in (child, root):
        assert span.status == "ERROR"
        assert span.status_message == "ValueError: boom"
        assert span.error is not None
        assert span.error["type"] == "ValueError"
        assert span.error["message"] == "boom"
        assert span.end_time_ns is not None
    back = stored(provider, child)
    assert back.status == "ERROR"
    assert back.error is not None
    assert (back.error["type"], back.error["module"]) == ("ValueError", "builtins")
    assert current_span() is None


def test_a_span_given_an_error_by_hand_stays_an_error_when_it_ends() -> None:
    from pytest_clearstone.tracing.span import exception_record

    span = Span(trace_id="t", span_id="s", parent_span_id=None, name="call")
    span.set_error(exception_record(KeyError("k")), "KeyError: 'k'")
    span.finish()
    assert (span.status, span.status_message) == ("ERROR", "KeyError: 'k'")


# -- contextvars: tasks and threads -------------------------------------------------------------


def test_asyncio_tasks_interleave_with_correct_parents(
    provider: TracerProvider, tracer: Tracer
) -> None:
    async def worker(n: int) -> tuple[str, list[tuple[str, str | None]]]:
        seen: list[tuple[str, str | None]] = []
        with tracer.span(f"task{n}") as top:
            for step in range(3):
                await asyncio.sleep(0)
                with tracer.span(f"task{n}.step{step}") as s:
                    await asyncio.sleep(0.001 * ((n + step) % 3))
                    assert current_span() is s
                    seen.append((s.span_id, s.parent_span_id))
                assert current_span() is top
        return top.span_id, seen

    async def main() -> tuple[str, list[Any]]:
        with tracer.span("main") as root:
            results = await asyncio.gather(*(worker(n) for n in range(5)))
        return root.trace_id, results

    trace_id, results = asyncio.run(main())
    trace = provider.trace_store.get_trace(trace_id)
    root = trace.root_span
    assert root is not None
    assert root.name == "main"
    assert len(trace.spans) == 1 + 5 * 4
    for n, (top_id, seen) in enumerate(results):
        top = trace.get_span(top_id)
        assert top.name == f"task{n}"
        assert top.parent_span_id == root.span_id
        assert [trace.get_span(sid).name for sid, _ in seen] == [
            f"task{n}.step{i}" for i in range(3)
        ]
        assert all(parent == top_id for _, parent in seen)
        assert [s.name for s in trace.children(top_id)] == [f"task{n}.step{i}" for i in range(3)]


def test_tasks_started_without_a_parent_get_separate_traces(tracer: Tracer) -> None:
    async def worker() -> str:
        with tracer.span("job") as s:
            await asyncio.sleep(0)
        return s.trace_id

    async def main() -> list[str]:
        return list(await asyncio.gather(worker(), worker(), worker()))

    assert len(set(asyncio.run(main()))) == 3


def test_a_plain_new_thread_starts_a_fresh_trace(tracer: Tracer) -> None:
    box: dict[str, Any] = {}

    def work() -> None:
        box["current"] = current_span()
        with tracer.span("in-thread") as s:
            box["span"] = s

    with tracer.span("main") as main:
        t = threading.Thread(target=work)
        t.start()
        t.join()
    assert box["current"] is None
    assert box["span"].parent_span_id is None
    assert box["span"].trace_id != main.trace_id


# -- traced -----------------------------------------------------------------------------------


def test_traced_sync_function(provider: TracerProvider, tracer: Tracer) -> None:
    @tracer.traced(span_type="tool")
    def search(query: str, limit: int = 3, *tags: str, **opts: Any) -> list[str]:
        assert current_span() is not None
        return [query] * limit

    with tracer.span("root") as root:
        assert search("q", 2, "x", fast=True) == ["q", "q"]
    span = provider.trace_store.get_trace(root.trace_id).children(root.span_id)[0]
    assert span.name.endswith("search")
    assert span.span_type == "tool"
    assert span.input == {"query": "q", "limit": 2, "tags": ("x",), "opts": {"fast": True}}
    assert span.output == ["q", "q"]
    assert span.status == "OK"


def test_traced_records_the_arguments_as_given_and_name_can_be_given(
    provider: TracerProvider, tracer: Tracer
) -> None:
    @tracer.traced(span_type="llm", name="complete")
    def complete(prompt: str, model: str = "small") -> str:
        return prompt.upper()

    complete(prompt="hi")
    complete("hi", model="large")
    summary = provider.trace_store.list_traces(limit=2)
    spans = [provider.trace_store.get_trace(s.trace_id).spans[0] for s in summary]
    assert {s.name for s in spans} == {"complete"}
    # a default the caller did not give is left out; one given is recorded
    assert sorted(map(str, (s.input for s in spans))) == [
        "{'prompt': 'hi', 'model': 'large'}",
        "{'prompt': 'hi'}",
    ]
    assert [s.output for s in spans] == ["HI", "HI"]


def test_traced_method_leaves_self_out(provider: TracerProvider, tracer: Tracer) -> None:
    class Agent:
        @tracer.traced(span_type="llm")
        def ask(self, question: str) -> str:
            return question[::-1]

    with tracer.span("root") as root:
        assert Agent().ask("abc") == "cba"
    (span,) = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert span.input == {"question": "abc"}
    assert span.name.endswith("Agent.ask")


def test_traced_classmethod_leaves_cls_out(provider: TracerProvider, tracer: Tracer) -> None:
    class Agent:
        @classmethod
        @tracer.traced(span_type="llm")
        def ask(cls, question: str) -> str:
            return question[::-1]

    with tracer.span("root") as root:
        assert Agent.ask("abc") == "cba"
    (span,) = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert span.input == {"question": "abc"}


def test_traced_exception_is_recorded_and_reraised(
    provider: TracerProvider, tracer: Tracer
) -> None:
    @tracer.traced(span_type="tool")
    def fail(x: int) -> None:
        raise RuntimeError(f"bad {x}")

    with pytest.raises(RuntimeError, match="bad 3"), tracer.span("root") as root:
        fail(3)
    (span,) = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert span.status == "ERROR"
    assert span.error is not None
    assert span.error["type"] == "RuntimeError"
    assert span.error["message"] == "bad 3"
    assert span.input == {"x": 3}
    assert span.output is None


def test_traced_async_function(provider: TracerProvider, tracer: Tracer) -> None:
    @tracer.traced(span_type="llm")
    async def complete(prompt: str) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"text": prompt * 2}

    @tracer.traced(span_type="llm")
    async def broken(prompt: str) -> None:
        await asyncio.sleep(0)
        raise TimeoutError(prompt)

    async def main() -> str:
        with tracer.span("root") as root:
            assert await complete("ab") == {"text": "abab"}
            with pytest.raises(TimeoutError):
                await broken("slow")
        return root.span_id

    root_id = asyncio.run(main())
    summary = provider.trace_store.list_traces(limit=1)[0]
    trace = provider.trace_store.get_trace(summary.trace_id)
    ok, bad = trace.children(root_id)
    assert (ok.input, ok.output, ok.status) == ({"prompt": "ab"}, {"text": "abab"}, "OK")
    assert (bad.input, bad.status) == ({"prompt": "slow"}, "ERROR")
    assert bad.error is not None
    assert bad.error["type"] == "TimeoutError"


def test_traced_generator_records_the_chunks(provider: TracerProvider, tracer: Tracer) -> None:
    @tracer.traced(span_type="llm")
    def stream(n: int) -> Iterator[str]:
        for i in range(n):
            inner = current_span()
            assert inner is not None
            yield f"{inner.name.rsplit('.', 1)[-1]}:{i}"

    with tracer.span("root") as root:
        chunks = []
        for chunk in stream(3):
            assert current_span() is root  # the generator's span is current only inside it
            chunks.append(chunk)
    assert chunks == ["stream:0", "stream:1", "stream:2"]
    (span,) = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert span.input == {"n": 3}
    assert span.output == chunks
    assert span.status == "OK"
    assert span.end_time_ns is not None


def test_traced_generator_error_keeps_the_chunks_so_far(
    provider: TracerProvider, tracer: Tracer
) -> None:
    @tracer.traced(span_type="llm")
    def stream() -> Iterator[int]:
        yield 1
        raise ConnectionError("dropped")

    with tracer.span("root") as root:
        got = []
        with pytest.raises(ConnectionError):
            for x in stream():
                got.append(x)
    assert got == [1]
    (span,) = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert span.status == "ERROR"
    assert span.output == [1]
    assert span.error is not None
    assert span.error["message"] == "dropped"


def test_traced_generator_closed_early_is_not_an_error(
    provider: TracerProvider, tracer: Tracer
) -> None:
    @tracer.traced(span_type="llm")
    def stream() -> Iterator[int]:
        yield from range(10)

    with tracer.span("root") as root:
        for x in stream():
            if x == 1:
                break
    (span,) = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert span.end_time_ns is not None
    assert span.output == [0, 1]
    assert span.status == "OK"


def test_a_span_in_a_generator_closed_early_is_not_an_error(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # as @tracer.traced records a generator whose consumer stops reading early (above)
    def stream(status: str | None = None) -> Iterator[str]:
        with tracer.span("stream", span_type="llm") as span:
            if status is not None:
                span.set_status(status, "set by hand")
            yield "a"
            yield "b"

    async def astream() -> AsyncIterator[str]:
        with tracer.span("astream", span_type="llm"):
            yield "a"
            yield "b"

    async def first_of_astream() -> None:
        chunks = astream()
        assert await chunks.__anext__() == "a"
        await chunks.aclose()

    with tracer.span("root") as root:
        for _ in stream():
            break  # the generator is closed: GeneratorExit at the yield inside the span
        chunks = stream("ERROR")
        assert next(chunks) == "a"
        with pytest.raises(GeneratorExit):  # the span lets it through
            chunks.throw(GeneratorExit)
        asyncio.run(first_of_astream())
    spans = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert [(s.name, s.status, s.status_message, s.error) for s in spans] == [
        ("stream", "OK", None, None),
        ("stream", "ERROR", "set by hand", None),
        ("astream", "OK", None, None),
    ]
    assert all(s.end_time_ns is not None for s in spans)
    assert provider.trace_store.list_traces(limit=1)[0].error_count == 1


def test_a_span_left_by_a_cancellation_is_an_error(
    provider: TracerProvider, tracer: Tracer
) -> None:
    async def wait() -> None:
        with tracer.span("wait"):
            await asyncio.sleep(10)

    async def cancel() -> None:
        task = asyncio.create_task(wait())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with tracer.span("root") as root:
        asyncio.run(cancel())
    (span,) = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert (span.name, span.status, span.status_message) == ("wait", "ERROR", "CancelledError: ")


def test_traced_async_generator(provider: TracerProvider, tracer: Tracer) -> None:
    @tracer.traced(span_type="llm")
    async def stream(words: list[str]) -> AsyncIterator[str]:
        for w in words:
            await asyncio.sleep(0)
            yield w.upper()

    @tracer.traced(span_type="llm")
    async def broken() -> AsyncIterator[str]:
        yield "a"
        raise ValueError("mid-stream")

    async def main() -> str:
        with tracer.span("root") as root:
            assert [c async for c in stream(["a", "b"])] == ["A", "B"]
            with pytest.raises(ValueError):
                async for _ in broken():
                    pass
        return root.trace_id

    trace = provider.trace_store.get_trace(asyncio.run(main()))
    ok, bad = trace.children(trace.spans[0].span_id)
    assert (ok.input, ok.output, ok.status) == ({"words": ["a", "b"]}, ["A", "B"], "OK")
    assert (bad.output, bad.status) == (["a"], "ERROR")


def _running_total() -> Iterator[int]:
    total = 0
    while True:
        sent = yield total
        if sent is None:
            return
        total += sent


def _recovering() -> Iterator[str]:
    try:
        yield "first"
    except ValueError as exc:
        yield f"handled {exc}"
    yield "last"


def _with_result() -> Iterator[int]:
    yield 1
    return 42


def test_a_traced_generator_behaves_as_the_generator(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # the wrapper advanced its generator with next() only: a value given by send() was
    # dropped (the generator got None and stopped), an exception given by throw() was raised
    # without reaching it (its except clause never ran), and its return value was lost to a
    # caller's `yield from`
    def drive(fn: Any) -> tuple[Any, ...]:
        totals = fn[0]()
        sent = (next(totals), totals.send(5), totals.send(6))
        recovering = fn[1]()
        thrown = (next(recovering), recovering.throw(ValueError("bad")), next(recovering))

        def delegate() -> Iterator[int]:
            result = yield from fn[2]()
            yield result

        return sent, thrown, list(delegate())

    functions = (_running_total, _recovering, _with_result)
    expected = drive(functions)
    assert expected == ((0, 5, 11), ("first", "handled bad", "last"), [1, 42])
    with tracer.span("root") as root:
        assert drive([tracer.traced(span_type="tool")(f) for f in functions]) == expected
    spans = provider.trace_store.get_trace(root.trace_id).spans[1:]
    assert [(s.name, s.status) for s in spans] == [
        ("_running_total", "OK"),
        ("_recovering", "OK"),
        ("_with_result", "OK"),
    ]
    assert [s.output for s in spans] == [[0, 5, 11], ["first", "handled bad", "last"], [1]]


async def _running_total_async() -> AsyncIterator[int]:
    total = 0
    while True:
        sent = yield total
        if sent is None:
            return
        total += sent


async def _recovering_async() -> AsyncIterator[str]:
    try:
        yield "first"
    except ValueError as exc:
        yield f"handled {exc}"
    yield "last"


def test_a_traced_async_generator_behaves_as_the_async_generator(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # asend() and athrow() were not passed on either
    async def drive(totaling: Any, recovering: Any) -> tuple[Any, ...]:
        totals = totaling()
        sent = (await totals.__anext__(), await totals.asend(5), await totals.asend(6))
        await totals.aclose()
        gen = recovering()
        thrown = (await gen.__anext__(), await gen.athrow(ValueError("bad")), await anext(gen))
        await gen.aclose()
        return sent, thrown

    expected = asyncio.run(drive(_running_total_async, _recovering_async))
    assert expected == ((0, 5, 11), ("first", "handled bad", "last"))
    traced = tracer.traced(span_type="tool")

    async def traced_run() -> tuple[Any, ...]:
        with tracer.span("root") as root:
            result = await drive(traced(_running_total_async), traced(_recovering_async))
        return root, result

    root, result = asyncio.run(traced_run())
    assert result == expected
    spans = provider.trace_store.get_trace(root.trace_id).spans[1:]
    assert [(s.status, s.output) for s in spans] == [
        ("OK", [0, 5, 11]),
        ("OK", ["first", "handled bad", "last"]),
    ]


def test_traced_keeps_the_function_metadata(tracer: Tracer) -> None:
    @tracer.traced()
    def documented(a: int) -> int:
        """Doc."""
        return a

    assert documented.__name__ == "documented"
    assert documented.__doc__ == "Doc."


def test_traced_async_generator_closed_early_is_not_an_error(
    provider: TracerProvider, tracer: Tracer
) -> None:
    @tracer.traced(span_type="llm")
    async def stream() -> AsyncIterator[int]:
        for i in range(10):
            yield i

    async def main() -> str:
        with tracer.span("root") as root:
            agen = stream()
            assert await agen.__anext__() == 0
            await agen.aclose()
        return root.trace_id

    trace = provider.trace_store.get_trace(asyncio.run(main()))
    (span,) = trace.children(trace.spans[0].span_id)
    assert (span.output, span.status) == ([0], "OK")
    assert span.end_time_ns is not None


def test_a_live_span_copies_and_pickles_as_a_plain_span(tracer: Tracer) -> None:
    import copy
    import pickle

    with tracer.span("s", span_type="llm", attributes={"k": [1]}) as span:
        span.set_output({"text": "hi"})
        held = {"span": span}
        copied = copy.deepcopy(held)["span"]
    pickled = pickle.loads(pickle.dumps(span))
    for other in (copied, pickled):
        assert type(other) is Span
        assert (other.span_id, other.trace_id, other.name) == (span.span_id, span.trace_id, "s")
        assert other.attributes == {"k": [1]}
        assert other.output == {"text": "hi"}
    assert copied.end_time_ns is None
    assert pickled.end_time_ns == span.end_time_ns


def test_traced_spans_are_llm_spans_unless_told_otherwise(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # CONTRACT §1: @tracer.traced(span_type="llm", name=None)
    @tracer.traced()
    def ask(prompt: str) -> str:
        return "answer"

    @tracer.traced(span_type="tool", name="lookup")
    def search(query: str) -> str:
        return "found"

    with tracer.span("root") as root:
        ask("hi")
        search("x")
    trace = provider.trace_store.get_trace(root.trace_id)
    llm, tool = trace.children(root.span_id)
    assert (llm.name, llm.span_type) == (
        "test_traced_spans_are_llm_spans_unless_told_otherwise.<locals>.ask",
        "llm",
    )
    assert (tool.name, tool.span_type) == ("lookup", "tool")


def test_traced_without_parentheses_says_how_to_write_it(tracer: Tracer) -> None:
    with pytest.raises(
        TypeError,
        match=r"applied to .*ask directly: write it with parentheses, @tracer\.traced\(\)",
    ):

        @tracer.traced  # type: ignore[arg-type]
        def ask(prompt: str) -> str:
            return "answer"


def test_traced_callable_objects_and_partials(provider: TracerProvider, tracer: Tracer) -> None:
    import functools
    import inspect

    class Model:
        def __call__(self, prompt: str) -> str:
            return prompt.upper()

    class AsyncModel:
        async def __call__(self, prompt: str) -> str:
            return prompt.lower()

    def complete(system: str, prompt: str) -> str:
        return f"{system}: {prompt}"

    async def acomplete(system: str, prompt: str) -> str:
        return f"{system}: {prompt}"

    model = tracer.traced()(Model())
    amodel = tracer.traced()(AsyncModel())
    bound = tracer.traced(span_type="tool")(functools.partial(complete, "sys"))
    abound = tracer.traced()(functools.partial(acomplete, "sys"))
    assert inspect.iscoroutinefunction(amodel)
    assert inspect.iscoroutinefunction(abound)
    assert not inspect.iscoroutinefunction(model)

    async def both() -> tuple[str, str]:
        return await amodel("Hi"), await abound(prompt="hi")

    with tracer.span("root") as root:
        assert model("hi") == "HI"
        assert bound("hi") == "sys: hi"
        assert asyncio.run(both()) == ("hi", "sys: hi")
    spans = provider.trace_store.get_trace(root.trace_id).children(root.span_id)
    assert [(s.name, s.span_type, s.input, s.output, s.status) for s in spans] == [
        (Model.__qualname__, "llm", {"prompt": "hi"}, "HI", "OK"),
        (complete.__qualname__, "tool", {"prompt": "hi"}, "sys: hi", "OK"),
        (AsyncModel.__qualname__, "llm", {"prompt": "Hi"}, "hi", "OK"),
        (acomplete.__qualname__, "llm", {"prompt": "hi"}, "sys: hi", "OK"),
    ]


def test_traced_refuses_what_it_cannot_call_where_it_is_applied(tracer: Tracer) -> None:
    with pytest.raises(
        TypeError,
        match=r"@tracer\.traced\(\) applies to a function or method .* \(of type classmethod\); "
        r"write @tracer\.traced\(\) below @classmethod",
    ):

        class Agent:
            @tracer.traced()  # type: ignore[type-var]
            @classmethod
            def make(cls) -> Agent:
                return cls()


def test_traced_above_property_says_to_put_it_below(tracer: Tracer) -> None:
    with pytest.raises(TypeError, match=r"write @tracer\.traced\(\) below @classmethod or @prop"):

        class Agent:
            @tracer.traced()  # type: ignore[type-var]
            @property
            def name(self) -> str:
                return "agent"


def test_traced_above_staticmethod_keeps_it_a_staticmethod(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # a staticmethod object is callable (Python 3.10+), so @tracer.traced() took it as a
    # function and made a plain function of it: called on an instance, the wrapper was bound
    # and passed the instance on (TypeError: takes 1 positional argument but 2 were given)
    class Agent:
        @tracer.traced(span_type="tool")  # type: ignore[type-var]
        @staticmethod
        def lookup(sku: str) -> str:
            return sku.lower()

        @tracer.traced(span_type="tool")  # type: ignore[type-var]
        @staticmethod
        async def fetch(sku: str) -> str:
            return sku

    with tracer.span("root") as root:
        assert Agent.lookup("A") == "a"
        assert Agent().lookup("B") == "b"
        assert asyncio.run(Agent().fetch("C")) == "C"
    assert isinstance(vars(Agent)["lookup"], staticmethod)
    spans = provider.trace_store.get_trace(root.trace_id).spans[1:]
    assert [(s.name, s.input, s.output) for s in spans] == [
        (
            "test_traced_above_staticmethod_keeps_it_a_staticmethod.<locals>.Agent.lookup",
            {"sku": "A"},
            "a",
        ),
        (
            "test_traced_above_staticmethod_keeps_it_a_staticmethod.<locals>.Agent.lookup",
            {"sku": "B"},
            "b",
        ),
        (
            "test_traced_above_staticmethod_keeps_it_a_staticmethod.<locals>.Agent.fetch",
            {"sku": "C"},
            "C",
        ),
    ]


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("__str__ failed")


def test_an_exception_whose_str_fails_propagates_and_ends_the_span(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # Expected: the agent's own exception leaves the block (and the traced call) and the span
    # ends ERROR, as for any exception; recording it called str() on it, so the RuntimeError
    # of its __str__ replaced it and the span stayed open.
    with pytest.raises(_Unprintable), tracer.span("step") as span:
        raise _Unprintable("x")

    @tracer.traced(span_type="tool")
    def tool() -> None:
        raise _Unprintable("y")

    with pytest.raises(_Unprintable):
        tool()
    spans = provider.trace_store.get_trace(span.trace_id).spans
    assert [(s.status, s.status_message) for s in spans] == [
        ("ERROR", "_Unprintable: <unprintable _Unprintable object>")
    ]
    assert spans[0].error is not None
    assert spans[0].error["message"] == "<unprintable _Unprintable object>"


def _redact_keys(value: Any, where: str, target: str) -> Any:
    if isinstance(value, dict):
        return {k: "[REDACTED]" if k == "api_key" else v for k, v in value.items()}
    return value


@pytest.mark.parametrize("when", ["while open", "after the block"])
def test_a_redacting_tracer_queues_a_redacted_copy_the_span_cannot_change(
    tmp_path: Path, when: str
) -> None:
    # the span a test holds was queued itself once ended, and an open span's queued copy
    # shared its attributes dict when it had none yet: a key set on the span later reached
    # the store as it was (before the block's end wrote it again, or for good)
    from pytest_clearstone.golden.recorder import redacting_tracer

    provider = TracerProvider(tmp_path / "traces.db")
    tracer = redacting_tracer(provider, "1", lambda: _redact_keys)
    key = "sk-proj-" + "Abcdefghij0123456789" * 2
    with tracer.span("call") as span:
        if when == "while open":
            span.set_attribute("api_key", key)
            provider.flush()  # (as the writer thread may, before the block ends)
            assert key.encode() not in (tmp_path / "traces.db-wal").read_bytes()
    if when == "after the block":
        span.set_attribute("api_key", key)
        span.set_output({"api_key": key})
    provider.shutdown()
    for file in tmp_path.iterdir():
        assert key.encode() not in file.read_bytes(), file
    (stored,) = provider.trace_store.get_trace(span.trace_id).spans
    expected = {"api_key": "[REDACTED]"} if when == "while open" else {}
    assert (stored.attributes, stored.output) == (expected, None)


_IMPORTED_UNDER_FREEZEGUN = """
import time
from freezegun import freeze_time

with freeze_time("2020-01-01"):
    from pytest_clearstone.observability import TracerProvider

    tracer = TracerProvider(":memory:").get_tracer("script")
    with tracer.span("frozen") as frozen:
        pass
with tracer.span("after") as after:
    pass
for span in (frozen, after):
    print(abs(span.start_time_ns - time.time_ns()) < 60e9)
"""


def _run_script(code: str) -> tuple[str, str]:
    """What ``python -c code`` prints (stdout, stderr), run with this process's import path."""
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return run.stdout, run.stderr


def test_spans_keep_real_times_when_tracing_is_imported_under_freezegun() -> None:
    # the span clock was anchored to time.time_ns() and time.perf_counter_ns() when the module
    # was imported: under freezegun those are its frozen ones, so every span of the process was
    # dated at the frozen time, and once the clock ran again near 1970
    assert _run_script(_IMPORTED_UNDER_FREEZEGUN) == ("True\nTrue\n", "")


_IMPORTED_UNDER_TIME_MACHINE = """
import time
import time_machine

with time_machine.travel("2020-01-01", tick=False):
    from pytest_clearstone.observability import TracerProvider

    tracer = TracerProvider(":memory:").get_tracer("script")
    with tracer.span("travelling") as travelling:
        pass
with tracer.span("after") as after:
    pass
for span in (travelling, after):
    print(abs(span.start_time_ns - time.time_ns()) < 60e9)
"""


def test_spans_keep_real_times_when_tracing_is_imported_under_time_machine() -> None:
    pytest.importorskip("time_machine")
    assert _run_script(_IMPORTED_UNDER_TIME_MACHINE) == ("True\nTrue\n", "")


def test_a_span_lasts_at_least_what_the_real_clock_measured_inside_it(tracer: Tracer) -> None:
    """Span times run at the speed of the real clock (perf_counter)."""
    with tracer.span("busy") as span:
        start = time.perf_counter_ns()
        while time.perf_counter_ns() - start < 5_000_000:  # (busy for 5 ms)
            pass
        inside = time.perf_counter_ns() - start
    assert span.end_time_ns is not None
    assert span.end_time_ns - span.start_time_ns >= inside


def test_span_used_as_a_decorator_says_to_use_traced(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # Expected: the fix named (OpenTelemetry's start_as_current_span decorates; here traced
    # does); it was "TypeError: 'LiveSpan' object is not callable"
    with pytest.raises(TypeError) as info:

        @tracer.span("lookup", span_type="tool")  # type: ignore[operator]
        def lookup(sku: str) -> int:
            return 3

    message = str(info.value)
    assert "tracer.span('lookup') is a context manager" in message
    assert "@tracer.traced(span_type='tool', name='lookup')" in message
    assert provider.trace_store.list_traces() == []  # nothing recorded for it


def test_a_span_of_an_empty_type_used_as_a_decorator_is_told_with_that_type(
    tracer: Tracer,
) -> None:
    with pytest.raises(TypeError, match=re.escape("@tracer.traced(span_type='', name='step')")):
        tracer.span("step", span_type="")(print)


def test_a_copied_or_pickled_recorded_value_keeps_its_stored_form() -> None:
    import copy
    import datetime as dt
    import pickle

    from pytest_clearstone.tracing.span import Recorded

    recorded = Recorded.of({"when": dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc), "n": (1,)})
    for again in (
        copy.deepcopy(recorded),
        copy.copy(recorded),
        pickle.loads(pickle.dumps(recorded)),
    ):
        assert again.encoded == recorded.encoded
        assert again.value == recorded.value and again.value is not recorded.value


def test_a_copied_or_pickled_value_read_from_a_file_keeps_its_value() -> None:
    import copy
    import datetime as dt
    import pickle

    from pytest_clearstone.tracing.span import Recorded

    when = dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc)
    for recorded in (Recorded.read({"when": when}), Recorded.read({"n": [1]}, plain=True)):
        for again in (
            copy.deepcopy(recorded),
            copy.copy(recorded),
            pickle.loads(pickle.dumps(recorded)),
        ):
            assert again.value == recorded.value


def test_a_span_of_a_generator_finished_in_another_thread_ends_there(
    provider: TracerProvider, tracer: Tracer
) -> None:
    def steps() -> Iterator[int]:
        with tracer.span("steps") as span:
            yield 1
            yield 2
        seen.append(span)

    seen: list[Span] = []
    errors: list[BaseException] = []
    started = steps()
    # (the span is current in the context it started in: a copy, which the tests after this one
    # do not run in)
    assert contextvars.copy_context().run(next, started) == 1

    def finish() -> None:
        try:
            assert list(started) == [2]
            assert current_span() is None  # (not the span of the other thread's context)
        except BaseException as exc:  # (reported below, from the test's thread)
            errors.append(exc)

    worker = threading.Thread(target=finish)
    worker.start()
    worker.join()
    assert errors == []
    [span] = seen
    assert span.end_time_ns is not None and span.status != "ERROR"


def _two_steps(tracer: Tracer) -> Iterator[int]:
    """A generator yielding 1, 2 inside a span of its own ("steps")."""
    with tracer.span("steps"):
        yield 1
        yield 2


def test_a_generator_s_span_finished_in_another_thread_leaves_that_thread_s_span_current(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # Expected: the span open in the consuming thread stays current once the generator (started
    # elsewhere) ends there, and a span opened next is its child; it was cleared, the next span
    # starting a new trace
    started = _two_steps(tracer)
    assert contextvars.copy_context().run(next, started) == 1
    seen: list[Any] = []

    def consume() -> None:
        with tracer.span("consumer") as consumer:
            assert list(started) == [2]
            seen.append(current_span() is consumer)
            with tracer.span("after") as after:
                seen.append((after.trace_id, after.parent_span_id))
            seen.append(consumer)

    worker = threading.Thread(target=consume)
    worker.start()
    worker.join()
    current, (trace_id, parent_id), consumer = seen
    assert current is True
    assert (trace_id, parent_id) == (consumer.trace_id, consumer.span_id)


def test_a_generator_s_span_finished_in_a_copy_of_its_context_gives_way_to_its_parent(
    provider: TracerProvider, tracer: Tracer
) -> None:
    def start() -> contextvars.Context:
        assert next(started) == 1
        return contextvars.copy_context()  # (a task made while the span is current)

    with tracer.span("outer") as outer:
        started = _two_steps(tracer)
        copied = contextvars.copy_context().run(start)
    seen: list[Any] = []
    worker = threading.Thread(target=copied.run, args=(lambda: seen.append(list(started)),))
    worker.start()
    worker.join()
    assert seen == [[2]]
    assert copied.run(current_span) is outer


def test_a_traced_call_is_readable_as_open_while_it_runs(
    provider: TracerProvider, tracer: Tracer
) -> None:
    @tracer.traced(span_type="tool", name="look")
    def look() -> list[tuple[str, bool]]:
        running = current_span()
        assert running is not None
        trace = provider.trace_store.get_trace(running.trace_id)
        return [(s.name, s.end_time_ns is None) for s in trace.spans]

    assert look() == [("look", True)]


def test_a_span_opened_and_closed_in_steps_is_stored_ended(
    provider: TracerProvider, tracer: Tracer
) -> None:
    # (open() and close() record a span without making it current: close() queues it ended)
    step = tracer.span("step", span_type="tool")
    step.open()
    (stored,) = provider.trace_store.get_trace(step.trace_id).spans
    assert stored.end_time_ns is None
    step.close(ValueError("no answer"))
    (stored,) = provider.trace_store.get_trace(step.trace_id).spans
    assert stored.end_time_ns is not None and stored.status == "ERROR"
    assert current_span() is None
