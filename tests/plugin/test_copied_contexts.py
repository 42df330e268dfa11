"""Calls an agent makes where the test's root span is not the current span: in a context copied
before the test's call started (anyio's test runner, started while an async fixture was set up;
``unittest.IsolatedAsyncioTestCase``, which copies the context in ``__init__``; a context a
fixture copied), in a thread started before the test, in a task of a loop created before it.

Before the fix each such call's span started a trace of its own: the test passed while
recording, but its golden held no call ("calls (0)"), and the next replay failed with
``ReplayExhaustedError``. Now the call is recorded under the test's root span, and replays.
"""

from __future__ import annotations

import json
import textwrap

import pytest

APP = """
import asyncio

def complete(prompt):
    return "answer to " + prompt

async def acomplete(prompt):
    await asyncio.sleep(0)
    return "answer to " + prompt
"""


def _write(pytester: pytest.Pytester, test: str) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(test))


def _recorded(pytester: pytest.Pytester) -> list[tuple[str, bool]]:
    """The recorded calls of ``g.ckpt``: each target and whether its span is a child of the
    test's root span (the golden's checkpoint span)."""
    golden = json.loads((pytester.path / "g.ckpt").read_text())
    root = golden["span_id"]
    return [
        (span["attributes"]["clearstone.target"], span["parent_span_id"] == root)
        for span in golden["trace"]["spans"]
        if "clearstone.target" in span.get("attributes", {})
    ]


def _record_then_replay(pytester: pytest.Pytester, *args: str) -> None:
    pytester.runpytest("--clearstone-record", *args).assert_outcomes(passed=1)
    assert _recorded(pytester) == [("app.acomplete", True), ("app.complete", True)]
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_isolated_asyncio_test_case_records_its_calls(pytester: pytest.Pytester) -> None:
    # IsolatedAsyncioTestCase runs its test methods in a context it copied in __init__
    _write(
        pytester,
        """
        import unittest
        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": ["app.acomplete", "app.complete"]})
        class TestIsolated(unittest.IsolatedAsyncioTestCase):
            async def test_iso(self):
                assert await app.acomplete("hi") == "answer to hi"
                assert app.complete("bye") == "answer to bye"
        """,
    )
    _record_then_replay(pytester)


def test_anyio_test_with_an_async_fixture_records_its_calls(pytester: pytest.Pytester) -> None:
    # anyio's runner starts (and copies the context) while the async fixture is set up, before
    # the test's root span opens; the inner runs block the plugin, ``-p anyio`` unblocks it
    pytest.importorskip("anyio")
    _write(
        pytester,
        """
        import pytest
        import app

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.fixture
        async def ready():
            return True

        @pytest.mark.anyio
        @pytest.mark.replay("g.ckpt", mock={"llm": ["app.acomplete", "app.complete"]})
        async def test_anyio(ready):
            assert await app.acomplete("hi") == "answer to hi"
            assert app.complete("bye") == "answer to bye"
        """,
    )
    _record_then_replay(pytester, "-p", "anyio")


def test_context_copied_by_a_fixture_and_thread_started_before(pytester: pytest.Pytester) -> None:
    _write(
        pytester,
        """
        import asyncio
        import contextvars
        import queue
        import threading
        import pytest
        import app

        @pytest.fixture
        def copied():
            return contextvars.copy_context()

        @pytest.fixture
        def worker():
            jobs = queue.Queue()

            def serve():
                for fn, arg, done in iter(jobs.get, None):
                    done.put(fn(arg))

            thread = threading.Thread(target=serve)
            thread.start()
            def call(fn, arg):
                done = queue.Queue()
                jobs.put((fn, arg, done))
                return done.get(timeout=10)
            yield call
            jobs.put(None)
            thread.join()

        @pytest.mark.replay("g.ckpt", mock={"llm": ["app.acomplete", "app.complete"]})
        def test_it(copied, worker):
            assert copied.run(asyncio.run, app.acomplete("hi")) == "answer to hi"
            assert worker(app.complete, "bye") == "answer to bye"
        """,
    )
    _record_then_replay(pytester)


def test_task_of_a_loop_created_before_the_test(pytester: pytest.Pytester) -> None:
    # a worker task, created on a loop of its own thread while a fixture was set up, serves the
    # test's requests
    _write(
        pytester,
        """
        import asyncio
        import threading
        import pytest
        import app

        @pytest.fixture
        def served():
            loop = asyncio.new_event_loop()
            requests = asyncio.Queue()

            async def serve():
                while True:
                    fn, arg, done = await requests.get()
                    value = fn(arg)
                    done.set_result(await value if asyncio.iscoroutine(value) else value)

            task = loop.create_task(serve())
            thread = threading.Thread(target=loop.run_forever)
            thread.start()

            def call(fn, arg):
                async def ask():
                    done = loop.create_future()
                    await requests.put((fn, arg, done))
                    return await done
                return asyncio.run_coroutine_threadsafe(ask(), loop).result(10)

            yield call
            loop.call_soon_threadsafe(task.cancel)
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

        @pytest.mark.replay("g.ckpt", mock={"llm": ["app.acomplete", "app.complete"]})
        def test_it(served):
            assert served(app.acomplete, "hi") == "answer to hi"
            assert served(app.complete, "bye") == "answer to bye"
        """,
    )
    _record_then_replay(pytester)


def test_call_under_a_span_of_another_trace(pytester: pytest.Pytester) -> None:
    # the agent's own span, opened in a context without the test's root span, starts a trace of
    # its own: the calls under it still belong to the test's golden
    _write(
        pytester,
        """
        import asyncio
        import contextvars
        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": ["app.acomplete", "app.complete"]})
        def test_it(clearstone_tracer):
            def work():
                with clearstone_tracer.span("own work"):
                    return asyncio.run(app.acomplete("hi")), app.complete("bye")

            assert contextvars.Context().run(work) == ("answer to hi", "answer to bye")
        """,
    )
    _record_then_replay(pytester)
