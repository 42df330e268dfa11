"""An agent method that hands the stream it got on to its caller (``return client.create(...,
stream=True)``, as a streaming endpoint does): the test reads it after ``replay.run()``
returns. Its items are recorded with the call that returned it; the run's result is the
stream itself, stored as a placeholder naming its class, compared by its type."""

from __future__ import annotations

import pytest

APP = """
import asyncio


def _words():
    yield from ["The", "answer", "is", "42"]


async def _awords():
    for word in ["The", "answer", "is", "42"]:
        await asyncio.sleep(0)
        yield word


def stream(prompt):
    return _words()


def astream(prompt):
    return _awords()


class Agent:
    def __init__(self):
        self.asked = []

    def get_state(self):
        return {"asked": self.asked}

    def load_state(self, state):
        self.asked = list(state["asked"])

    def ask(self, prompt):
        self.asked.append(prompt)
        return stream(prompt)  # handed on, read by the caller

    async def aask(self, prompt):
        self.asked.append(prompt)
        return astream(prompt)
"""

TEST = """
import asyncio
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": "app.stream"})
def test_sync(replay):
    words = list(replay.run(Agent().ask, "q"))
    assert words == ["The", "answer", "is", "42"]

@pytest.mark.replay(mock={"llm": "app.astream"})
def test_async(replay):
    async def main():
        chunks = await replay.run(Agent().aask, "q")
        return [word async for word in chunks]
    assert asyncio.run(main()) == ["The", "answer", "is", "42"]
"""


@pytest.mark.parametrize("test", ["test_sync", "test_async"])
def test_a_run_returning_the_stream_records_and_replays_without_a_warning(pytester, test):
    # Expected: the recording passes under warnings-as-errors (no UnencodableValueWarning about
    # dill failing to pickle a generator, raised from the codec's frames), and replays green.
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_agent=TEST)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    recorded = pytester.runpytest("--clearstone-record", f"test_agent.py::{test}")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.no_fnmatch_line("*UnencodableValueWarning*")
    pytester.runpytest(f"test_agent.py::{test}").assert_outcomes(passed=1)
    shown = pytester.run(
        "python", "-m", "pytest_clearstone", "show", "--calls", f"goldens/test_agent/{test}.ckpt"
    )
    shown.stdout.fnmatch_lines(["*result:*<*generator object*>*"])


SDK_APP = """
import httpx2
import openai

SSE = (
    'data: {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", '
    '"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}\\n\\n'
    "data: [DONE]\\n\\n"
)


def client():
    transport = httpx2.MockTransport(
        lambda request: httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=SSE.encode()
        )
    )
    http_client = httpx2.Client(transport=transport)
    return openai.OpenAI(api_key="sk-test", max_retries=0, http_client=http_client)


class Agent:
    def __init__(self):
        self.said = ""

    def get_state(self):
        return {"said": self.said}

    def load_state(self, state):
        self.said = state["said"]

    def ask(self, prompt):
        stream = client().chat.completions.create(
            model="m", messages=[{"role": "user", "content": prompt}], stream=True
        )
        self.said = "".join(c.choices[0].delta.content or "" for c in stream)
        return self.said
"""


def test_a_stream_class_the_sdk_no_longer_has_names_the_golden_and_the_fix(pytester):
    # Expected: a golden whose stream class the installed SDK no longer has (moved or renamed
    # in another release: openai's AgentSessionEventStream lives in a private module) fails
    # the replay naming the golden, the call and the re-record command, as a chunk's class
    # does; not a bare "cannot import 'openai:Streem' to decode a value".
    pytester.syspathinsert()
    pytester.makepyfile(
        app=SDK_APP,
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay(mock={"llm": "openai.resources.chat.completions.Completions.create"})
        def test_ask(replay):
            assert replay.run(Agent().ask, "q") == "Hi"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_agent" / "test_ask.ckpt"
    text = golden.read_text()
    assert '"stream_class": "openai:Stream"' in text
    golden.write_text(
        text.replace('"stream_class": "openai:Stream"', '"stream_class": "openai:Streem"')
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*{golden} was recorded with a class the code has changed since: cannot import "
            f"'openai:Streem'*(in the output of span "
            f"'openai.resources.chat.completions.Completions.create'*re-record it with: "
            f"pytest --clearstone-record test_agent.py::test_ask",
            "*1 diverged*",
        ]
    )
    rerecorded = pytester.runpytest("--clearstone-mode=record-diverged")
    rerecorded.assert_outcomes(passed=1)
    assert '"stream_class": "openai:Stream"' in golden.read_text()
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_stream_class_the_sdk_no_longer_has_fails_the_test_where_the_agent_swallowed_it(
    pytester,
):
    # Expected: an agent that falls back to a default answer on any error (`except
    # Exception`) swallows the error of a recorded stream whose class the installed SDK no
    # longer has, as it does a divergence; the test still fails with that error (naming the
    # golden and the re-record command), not with the golden mismatch of the fallback answer,
    # and counts as diverged, so record-diverged re-records it.
    pytester.syspathinsert()
    pytester.makepyfile(
        app=SDK_APP.replace(
            """        stream = client().chat.completions.create(
            model="m", messages=[{"role": "user", "content": prompt}], stream=True
        )
        self.said = "".join(c.choices[0].delta.content or "" for c in stream)""",
            """        try:
            stream = client().chat.completions.create(
                model="m", messages=[{"role": "user", "content": prompt}], stream=True
            )
            self.said = "".join(c.choices[0].delta.content or "" for c in stream)
        except Exception:
            self.said = 'Sorry, try again later.'""",
        ),
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay(mock={"llm": "openai.resources.chat.completions.Completions.create"})
        def test_ask(replay):
            replay.run(Agent().ask, "q")
        """,
    )
    assert "except Exception" in (pytester.path / "app.py").read_text()
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_agent" / "test_ask.ckpt"
    text = golden.read_text()
    golden.write_text(
        text.replace('"stream_class": "openai:Stream"', '"stream_class": "openai:Streem"')
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*CheckpointClassChangedError: {golden} was recorded with a class the code has "
            f"changed since: cannot import 'openai:Streem'*",
            "*1 diverged*",
        ]
    )
    result.stdout.no_fnmatch_line("*GoldenMismatchError*")
    pytester.runpytest("--clearstone-mode=record-diverged").assert_outcomes(passed=1)
    assert '"stream_class": "openai:Stream"' in golden.read_text()
    pytester.runpytest().assert_outcomes(passed=1)


THREADED_ASK = """    def ask(self, prompt):
        import threading

        def read():
            stream = client().chat.completions.create(
                model="m", messages=[{"role": "user", "content": prompt}], stream=True
            )
            self.said = "".join(c.choices[0].delta.content or "" for c in stream)

        worker = threading.Thread(target=read)
        worker.start()
        worker.join()
        return self.said
"""

RETRIED_ASK = """    def ask(self, prompt):
        import tenacity

        @tenacity.retry(
            retry=tenacity.retry_if_exception_type(Exception),
            stop=tenacity.stop_after_attempt(3),
            reraise=True,
        )
        def attempt():
            self.attempts = getattr(self, "attempts", 0) + 1
            stream = client().chat.completions.create(
                model="m", messages=[{"role": "user", "content": prompt}], stream=True
            )
            return "".join(c.choices[0].delta.content or "" for c in stream)

        try:
            self.said = attempt()
        except Exception:
            self.said = "Sorry, try again later."
        print("attempts:", self.attempts)
        return self.said
"""


@pytest.mark.parametrize("ask", [THREADED_ASK, RETRIED_ASK], ids=["thread", "tenacity"])
def test_a_stream_class_the_sdk_no_longer_has_read_in_a_thread_or_retried_fails_the_test_once(
    pytester, ask
):
    # Expected: read in a thread of the agent's, the error of a recorded stream whose class
    # the installed SDK no longer has fails the test as a divergence does (not pytest's
    # warning of the thread's unhandled exception beside a golden mismatch), and a retry
    # layer around the call does not make it again: the golden is what changed, not a
    # transient failure.
    pytester.syspathinsert()
    start = SDK_APP.index("    def ask(self, prompt):")
    pytester.makepyfile(
        app=SDK_APP[:start] + ask,
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay(mock={"llm": "openai.resources.chat.completions.Completions.create"})
        def test_ask(replay):
            replay.run(Agent().ask, "q")
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_agent" / "test_ask.ckpt"
    text = golden.read_text()
    golden.write_text(
        text.replace('"stream_class": "openai:Stream"', '"stream_class": "openai:Streem"')
    )
    result = pytester.runpytest("-s", "-W", "error::pytest.PytestUnhandledThreadExceptionWarning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*CheckpointClassChangedError: {golden} was recorded with a class the code has "
            f"changed since: cannot import 'openai:Streem'*",
            "*1 diverged*",
        ]
    )
    out = result.stdout.str()
    assert "PytestUnhandledThreadExceptionWarning" not in out, out
    assert "GoldenMismatchError" not in out, out
    if ask is RETRIED_ASK:
        assert "attempts: 1" in out, out
