"""A mocked call still running when a recorded test ends (made in a thread, or a thread-pool job,
the test does not wait for) has no answer: its golden could never replay (every replay made the
call and failed with "the recording has only 0 response(s)", telling the user the agent makes
more calls than when recorded). The recording fails instead, naming the call and the fix, and
writes nothing."""

from __future__ import annotations

import shutil

import pytest

APP = """
import threading
import time
from concurrent.futures import ThreadPoolExecutor

def tool(x):
    time.sleep(0.4)  # still running when the test ends
    return x * 2

def search(q):
    return q.upper()

class Agent:
    def __init__(self):
        self.log = []

    def fire_and_forget(self, x):
        self.log.append(search("first"))
        threading.Thread(target=tool, args=(x,), daemon=True).start()
        return x

    def job(self, x):
        pool = ThreadPoolExecutor(1)
        pool.submit(tool, x)
        pool.shutdown(wait=False)
        return x

    def joined(self, x):
        worker = threading.Thread(target=tool, args=(x,))
        worker.start()
        worker.join()
        return x
"""

TEST = """
import time
import pytest
from app import Agent

MOCK = {"tool": ["app.tool", "app.search"]}

@pytest.mark.replay(mock=MOCK)
@pytest.mark.parametrize("how", ["fire_and_forget", "job", "joined"])
def test_it(replay, how):
    replay.run(getattr(Agent(), how), 3)

def test_after():
    time.sleep(0.5)  # the calls left running end
"""


def test_a_call_still_running_when_the_test_ends_fails_the_recording(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=TEST)
    result = pytester.runpytest("--clearstone-record", "-p", "no:threadexception")
    # before the fix: all passed, and the goldens of the first two never replayed
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_it?fire_and_forget?: the golden checkpoint was not written: call #1 to "
            "app.tool was still running when the test ended, so it has no answer to replay: "
            "it was made in a thread or task the test does not wait for. Wait for it before "
            "the test ends (join the thread, *future.result()*, await the task), or cancel it; "
            "then record again",
        ]
    )
    goldens = pytester.path / "goldens" / "test_it"
    assert sorted(p.name for p in goldens.iterdir()) == ["test_it[joined].ckpt"]
    pytester.runpytest("-k", "joined").assert_outcomes(passed=1)


GEN_APP = """
HELD = []

def words(prompt):
    yield from ("The", "answer", "is", "42")

class Agent:
    def __init__(self):
        self.log = []

    def first_two(self):
        stream = words("q")
        HELD.append(stream)  # kept past the test (a module-level cache), never closed
        self.log.extend([next(stream), next(stream)])
        return self.log
"""


def test_a_generator_left_open_when_the_test_ends_fails_the_recording_naming_the_fix(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=GEN_APP,
        test_it="""
        import pytest
        from app import Agent

        @pytest.mark.replay(mock={"llm": "app.words"})
        def test_it(replay):
            assert replay.run(Agent().first_two) == ["The", "answer"]
        """,
    )
    result = pytester.runpytest("--clearstone-record")
    # before the fix: written, and every replay failed with "the recording has only 0
    # response(s)"; then with the message for a thread or task the test does not wait for
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the golden checkpoint was not written: call #1 to app.words, a generator the "
            "agent read partly, was still open when the test ended (neither read to its end "
            "nor closed), so it has no end to replay: close it before the test ends "
            "(stream.close(), or read it inside contextlib.closing(...)), or read it to its "
            "end; then record again",
        ]
    )
    app = pytester.path / "app.py"
    source = app.read_text()
    closed = source.replace(
        "        return self.log", "        stream.close()\n        return self.log"
    )
    assert closed != source
    app.write_text(closed)
    shutil.rmtree(pytester.path / "__pycache__", ignore_errors=True)  # (a .pyc by mtime)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


ASYNC_GEN_APP = """
HELD = []

async def words(prompt):
    for word in ("The", "answer", "is", "42"):
        yield word

class Agent:
    def __init__(self):
        self.log = []

    async def first_two(self):
        stream = words("q")
        HELD.append(stream)  # kept past the test, never closed
        self.log.extend([await anext(stream), await anext(stream)])
        return self.log
"""


def test_an_async_generator_left_open_is_told_the_async_way_to_close_it(
    pytester: pytest.Pytester,
) -> None:
    """The fix named for a generator, ``stream.close()`` or ``contextlib.closing(...)``, is no
    fix for an async generator (a chat model's ``_astream``), which has neither."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=ASYNC_GEN_APP,
        test_it="""
        import asyncio
        import pytest
        from app import Agent

        LOOP = asyncio.new_event_loop()  # (open past the test, as a session-scoped loop is)

        @pytest.fixture(scope="module", autouse=True)
        def _loop_closed_after_the_module():
            yield
            LOOP.run_until_complete(LOOP.shutdown_asyncgens())
            LOOP.close()

        @pytest.mark.replay(mock={"llm": "app.words"})
        def test_it(replay):
            assert LOOP.run_until_complete(replay.run(Agent().first_two)) == ["The", "answer"]
        """,
    )
    result = pytester.runpytest("--clearstone-record", "-W", "ignore")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*call #1 to app.words, an async generator the agent read partly, was still open "
            "when the test ended (neither read to its end nor closed), so it has no end to "
            "replay: close it before the test ends (await stream.aclose(), or read it inside "
            "contextlib.aclosing(...)), or read it to its end (a stream a library reads for "
            "the agent, such as a LangChain chain's astream(), is closed only when the event "
            "loop finalizes it: read that one to its end); then record again",
        ]
    )
    app = pytester.path / "app.py"
    source = app.read_text()
    closed = source.replace(
        "        return self.log", "        await stream.aclose()\n        return self.log"
    )
    app.write_text(closed)
    shutil.rmtree(pytester.path / "__pycache__", ignore_errors=True)  # (a .pyc by mtime)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
