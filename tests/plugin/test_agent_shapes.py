"""Agent shapes found by a review to break record/replay, each now a regression test: several
runs in one test, exceptions with keyword-only constructors and attributes, nested mocked calls,
generator agent methods, concurrent async code while recording, gather interleaving on replay."""

from __future__ import annotations

import json
import textwrap

import pytest

from .conftest import esc


def _write(pytester: pytest.Pytester, app: str, test: str) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(app), test_it=textwrap.dedent(test))


def _recorded_branches(pytester: pytest.Pytester) -> list[str]:
    """The branch keys of the calls recorded in ``g.ckpt``, sorted."""
    golden = json.loads((pytester.path / "g.ckpt").read_text())
    return sorted(
        span["attributes"]["clearstone.branch"]
        for span in golden["trace"]["spans"]
        if "clearstone.branch" in span.get("attributes", {})
    )


TWO_TURNS_APP = """
LIVE = []

def complete(prompt):
    LIVE.append(prompt)
    return "answer to " + prompt

class Agent:
    def __init__(self):
        self.memory = []

    def handle(self, message):
        answer = complete(message)
        self.memory.append(answer)
        return answer
"""


def test_two_runs_in_one_test_replay_after_recording(pytester):
    # Expected: a test that calls replay.run twice (a two-turn conversation) records and then
    # replays green. Before the fix: the golden kept only the last call's "before" state and
    # outcome, so on replay the first run() loaded the state from before the *second* turn and
    # compared the first turn's result with the second turn's.
    _write(
        pytester,
        TWO_TURNS_APP,
        """
        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_two_turns(replay):
            agent = Agent()
            assert replay.run(agent.handle, "hi") == "answer to hi"
            assert replay.run(agent.handle, "bye") == "answer to bye"
            assert agent.memory == ["answer to hi", "answer to bye"]
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_fewer_runs_than_recorded_fail(pytester):
    _write(
        pytester,
        TWO_TURNS_APP,
        """
        import pytest
        from app import Agent

        TURNS = ["hi", "bye"]

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"}, strict=False)
        def test_turns(replay):
            agent = Agent()
            for message in TURNS:
                replay.run(agent.handle, message)
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    test_file = pytester.path / "test_it.py"
    test_file.write_text(test_file.read_text().replace('["hi", "bye"]', '["hi"]'))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the golden recorded 2 replay.run() call(s); this test made 1*"])


EXC_APP = """
class RateLimitError(Exception):
    def __init__(self, message, *, status):
        super().__init__(message)
        self.status = status

CALLS = []

def complete(prompt):
    CALLS.append(prompt)
    if len(CALLS) == 1:
        raise RateLimitError("slow down", status=429)
    return "ok " + prompt

class Agent:
    def __init__(self):
        self.retries = 0

    def handle(self, message):
        while True:
            try:
                return complete(message)
            except RateLimitError as exc:
                assert exc.status == 429
                self.retries += 1
"""


def test_recorded_exception_with_keyword_only_init_is_raised_as_its_own_type(pytester):
    # Expected (CONTRACT §3 "A recorded exception is raised again"): on replay the target raises
    # the same exception type the live call raised, so the agent's `except RateLimitError` retry
    # works as it did when recording. Before the fix: rebuild_exception cannot call
    # RateLimitError(*args) (keyword-only `status`), falls back to RecordedError, the agent does
    # not catch it and the replayed test fails.
    _write(
        pytester,
        EXC_APP,
        """
        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_retry(replay):
            agent = Agent()
            assert replay.run(agent.handle, "hi") == "ok hi"
            assert agent.retries == 1
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    # the call that raised is an ERROR span in the golden (CONTRACT §1), the other one OK
    spans = json.loads((pytester.path / "g.ckpt").read_text())["trace"]["spans"]
    statuses = [(s["status"], s["status_message"]) for s in spans if s["name"] == "app.complete"]
    assert statuses == [("ERROR", "RateLimitError: slow down"), ("OK", None)]
    pytester.runpytest().assert_outcomes(passed=1)


def test_recorded_exception_keeps_its_attributes(pytester):
    # Expected: the exception re-raised on replay is the recorded one, attributes included
    # (here `status`), so the agent's handling sees what it saw live. Before the fix:
    # rebuild_exception calls APIError(*exc.args) = APIError("unavailable"), so `status` is None
    # on replay and the golden final state differs: root['codes'][0]: 503 -> None.
    _write(
        pytester,
        """
        class APIError(Exception):
            def __init__(self, message, status=None):
                super().__init__(message)
                self.status = status

        CALLS = []

        def complete(prompt):
            CALLS.append(prompt)
            if len(CALLS) == 1:
                raise APIError("unavailable", status=503)
            return "ok " + prompt

        class Agent:
            def __init__(self):
                self.codes = []

            def handle(self, message):
                while True:
                    try:
                        return complete(message)
                    except APIError as exc:
                        self.codes.append(exc.status)
    """,
        """
        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_retry(replay):
            agent = Agent()
            assert replay.run(agent.handle, "hi") == "ok hi"
            assert agent.codes == [503]
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_calls_nested_inside_a_mocked_target_are_not_expected_on_replay(pytester):
    # Expected: when one mocked target (a tool) calls another mocked target (the LLM) inside its
    # live implementation, replay answers the tool from the recording and does not expect the
    # nested LLM call (it cannot happen: the tool's body does not run). Before the fix: the nested
    # call is recorded as an `llm` span like any other, so the strict replay fails with
    # UnusedResponsesError "app.complete: 1 of 2 recorded response(s) used".
    _write(
        pytester,
        """
        def complete(prompt):
            return "llm:" + prompt

        def summarize_tool(text):
            return complete("summarize " + text) + "!"

        class Agent:
            def __init__(self):
                self.memory = []

            def handle(self, message):
                self.memory.append(complete(message))
                self.memory.append(summarize_tool(message))
                return self.memory[-1]
    """,
        """
        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete", "tool": "app.summarize_tool"})
        def test_nested(replay):
            assert replay.run(Agent().handle, "hi") == "llm:summarize hi!"
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_generator_agent_method_records_and_replays(pytester):
    # Expected: a streaming agent method (a generator) can be recorded and replayed like a
    # coroutine method is (replay.run returns a generator that runs the call, then records or
    # checks the result and the final state). Before the fix: run() records the unstarted generator
    # object itself (its repr, with an UnencodableValueWarning) as the golden result and the
    # final state before any of it ran; replay then always fails with GoldenMismatchError
    # "root: <generator object Agent.stream at 0x...> (StoredRepr) -> <generator object ...>".
    _write(
        pytester,
        """
        def complete(prompt):
            return "llm:" + prompt

        class Agent:
            def __init__(self):
                self.memory = []

            def stream(self, message):
                for word in message.split():
                    answer = complete(word)
                    self.memory.append(answer)
                    yield answer
    """,
        """
        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_stream(replay):
            agent = Agent()
            assert list(replay.run(agent.stream, "a b")) == ["llm:a", "llm:b"]
    """,
    )
    # the chunks are recorded as a list, never as the repr of a generator object
    strict = ("-W", "error::pytest_clearstone.codec.UnencodableValueWarning")
    pytester.runpytest("--clearstone-record", *strict).assert_outcomes(passed=1)
    pytester.runpytest(*strict).assert_outcomes(passed=1)


def test_record_mode_clock_stays_frozen_for_concurrent_agent_code(pytester):
    # Expected (CONTRACT §4 "Both modes"): during recording only the live call into a mocked
    # target runs outside the deterministic context; the agent's own code sees the frozen clock.
    # Before the fix: the async recording wrapper keeps the context suspended (time-machine stopped,
    # real random state) across `await fn(...)`, so another asyncio task of the agent running
    # while that live call is pending reads the real clock: its time.time() differs from the
    # frozen one and ends up in the golden state (replay then cannot match it).
    _write(
        pytester,
        """
        import asyncio
        import time

        async def complete(prompt):
            await asyncio.sleep(0.05)
            return "llm:" + prompt

        class Agent:
            def __init__(self):
                self.times = []

            async def step(self, message, delay):
                await asyncio.sleep(delay)
                self.times.append(time.time())
                return await complete(message)

            async def handle(self, message):
                return await asyncio.gather(self.step(message, 0), self.step(message, 0.01))
    """,
        """
        import asyncio
        import time

        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_gather(replay):
            agent = Agent()
            frozen = time.time()
            asyncio.run(replay.run(agent.handle, "hi"))
            assert agent.times == [frozen, frozen]
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)


def test_tasks_a_live_call_starts_run_live_too(pytester):
    # Expected (CONTRACT §4: live calls into mocked targets consume nothing from the seeded
    # streams): tasks that the live call itself starts (LangChain's ainvoke runs its callbacks
    # in tasks; LangGraph then draws the next message id) run on the real clock and randomness,
    # like the call. Before the fix they ran between the call's steps in the deterministic
    # context: their uuid4() took ids from the seeded stream, which replay (where the call's body
    # never runs) does not, so the agent's next id differed and call #2 diverged.
    _write(
        pytester,
        """
        import asyncio
        import random
        import time
        import uuid

        SEEN = []

        async def complete(prompt):
            async def inner():
                await asyncio.sleep(0)
                SEEN.append((uuid.uuid4(), random.random(), time.time()))
            await asyncio.gather(inner(), asyncio.create_task(inner()))
            return prompt.upper()

        async def run(prompt):
            await complete(prompt)
            marker = str(uuid.uuid4())
            await complete(prompt + marker)
            return marker
    """,
        """
        import asyncio
        import time

        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_run(replay):
            frozen = time.time()
            asyncio.run(replay.run(app.run, "lima"))
            if replay.mode == "record":
                assert len(app.SEEN) == 4
                assert all(seen[2] != frozen for seen in app.SEEN)  # the real clock
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_result_only_its_repr_can_store_is_compared_by_type(pytester):
    # An agent method that returns what the golden cannot store, not even as a pickle (an SDK
    # `Stream` the test reads afterwards: it holds a generator): its repr is recorded, with a
    # warning. Before the
    # fix the repr held the object's address, so every replay failed with a golden mismatch
    # (the new object's repr differs) and every re-record changed the golden.
    _write(
        pytester,
        """
        def complete(prompt):
            return "llm:" + prompt

        class Handle:
            def __init__(self, answer):
                self.answer = answer
                self.chunks = (part for part in answer.split(":"))

        def start(prompt):
            return Handle(complete(prompt))
    """,
        """
        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_it(replay):
            assert replay.run(app.start, "hi").answer == "llm:hi"
    """,
    )
    # (in subprocesses: in-process runs may mix two imports of the codec's placeholder class)
    warned = ("-W", "default::pytest_clearstone.errors.UnencodableValueWarning")
    recorded = pytester.runpytest_subprocess("--clearstone-record", *warned)
    recorded.assert_outcomes(passed=1, warnings=1)
    golden = (pytester.path / "g.ckpt").read_text()
    assert '"<app.Handle object>"' in golden
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    again = pytester.runpytest_subprocess("--clearstone-record", *warned)
    again.stdout.fnmatch_lines(["*g.ckpt: unchanged*"])


def test_async_gather_interleaving_is_the_same_on_replay(pytester):
    # Expected: an agent that runs two steps concurrently (asyncio.gather) replays green: the
    # replayed async target, like the live one, lets the other task run while it is awaited.
    # Before the fix: the replacement coroutine returns without ever yielding to the event loop, so
    # step 1 runs to completion before step 2 starts; the order of the agent's memory differs
    # from the recording and replay fails with a golden final-state mismatch.
    _write(
        pytester,
        """
        import asyncio

        async def complete(prompt):
            await asyncio.sleep(0.01)
            return "llm:" + prompt

        class Agent:
            def __init__(self):
                self.log = []

            async def step(self, message):
                self.log.append("start " + message)
                answer = await complete(message)
                self.log.append("done " + message)
                return answer

            async def handle(self, message):
                return await asyncio.gather(self.step(message + "1"), self.step(message + "2"))
    """,
        """
        import asyncio

        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_gather(replay):
            asyncio.run(replay.run(Agent().handle, "hi"))
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_tasks_gathered_before_any_mocked_call_are_ordered_per_task(pytester, monkeypatch):
    # Expected: tasks the agent gathers before its first mocked call are branches of their own,
    # so a strict replay checks the order of calls within each task, not across them: here the
    # tool task calls first while recording and the llm task first on replay.
    # Before the fix: the loop's tasks got branches only from the first mocked call on; both
    # tasks were in the main branch and the replay diverged ("made out of its recorded place").
    _write(
        pytester,
        """
        import asyncio
        import os

        async def llm(prompt):
            return "llm:" + prompt

        async def tool(query):
            return "tool:" + query

        class Agent:
            async def handle(self, message):
                slow_llm = float(os.environ.get("SLOW_LLM", "0"))

                async def ask():
                    await asyncio.sleep(slow_llm)
                    return await llm(message)

                async def look_up():
                    await asyncio.sleep(0.02 - slow_llm)
                    return await tool(message)

                return await asyncio.gather(ask(), look_up())
    """,
        """
        import asyncio

        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.llm", "tool": "app.tool"})
        def test_gather(replay):
            assert asyncio.run(replay.run(Agent().handle, "hi")) == ["llm:hi", "tool:hi"]
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert _recorded_branches(pytester) == ["0/ask#0", "0/look_up#0"]
    monkeypatch.setenv("SLOW_LLM", "0.02")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_clock_the_test_moves_with_time_machine_is_the_same_in_record_and_replay(pytester):
    # Expected: a test that moves the clock itself (time-machine's fixture) records and replays
    # the same times around a live call; the live call sees the real clock.
    # Before the fix: recording stopped the test's traveller around the live call, so the code
    # after it saw the plugin's clock: recorded "after" was the recording day, replay diverged.
    _write(
        pytester,
        """
        import datetime as dt
        import time

        LIVE = []

        def complete(prompt):
            LIVE.append(time.time())
            return "answer"

        class Agent:
            def __init__(self):
                self.log = []

            def handle(self, message):
                self.log.append(("before", dt.date.today().isoformat()))
                answer = complete(message)
                self.log.append(("after", dt.date.today().isoformat()))
                return answer
    """,
        """
        import datetime as dt

        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_it(replay, time_machine):
            time_machine.move_to(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), tick=False)
            agent = app.Agent()
            replay.run(agent.handle, "hi")
            assert agent.log == [("before", "2020-01-01"), ("after", "2020-01-01")]
            assert all(t > dt.datetime(2025, 1, 1).timestamp() for t in app.LIVE)
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("gathered", [False, True], ids=["awaited", "gathered"])
def test_an_async_divergence_points_at_the_agents_line_not_the_plugins(pytester, gathered):
    # Expected (quickstart): the failure's traceback shows the agent's own lines, no frame of
    # the plugin's coroutine driver. Before the fix: callables.py's drive() and _Pass.__await__
    # frames sat in the middle and at the end of the traceback.
    call = (
        "(await asyncio.gather(llm(prompt + 'X'), llm(prompt + '2')))[0]"
        if gathered
        else "await llm(prompt + 'X')"
    )
    app = """
        import asyncio

        PROMPT = "hi"

        async def llm(prompt):
            return "llm:" + prompt

        class Agent:
            async def handle(self, message):
                prompt = PROMPT + message
                return CALL
    """.replace("CALL", call)
    _write(
        pytester,
        app,
        """
        import asyncio

        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
        def test_it(replay):
            asyncio.run(replay.run(Agent().handle, "!"))
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(app=textwrap.dedent(app).replace('PROMPT = "hi"', 'PROMPT = "ho"'))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*app.py:*", "*ReplayDivergenceError*"])
    result.stdout.no_fnmatch_line("*callables.py*")


@pytest.mark.parametrize("is_async", [False, True], ids=["generator", "async-generator"])
def test_a_generator_target_that_raises_midway_replays_its_chunks_then_the_error(
    pytester, is_async
):
    # Expected: the chunks the target yielded before it raised are replayed, then the error.
    # Before the fix: only the error was recorded, so the replay raised before the first chunk.
    words = (
        """
        async def words(prompt):
            for word in ("a", "b"):
                yield word
            raise ConnectionError("lost")

        class Agent:
            async def handle(self, prompt):
                parts = []
                try:
                    async for word in words(prompt):
                        parts.append(word)
                except ConnectionError as exc:
                    parts.append("error: " + str(exc))
                return parts
        """
        if is_async
        else """
        def words(prompt):
            yield from ("a", "b")
            raise ConnectionError("lost")

        class Agent:
            def handle(self, prompt):
                parts = []
                try:
                    for word in words(prompt):
                        parts.append(word)
                except ConnectionError as exc:
                    parts.append("error: " + str(exc))
                return parts
        """
    )
    run = (
        "asyncio.run(replay.run(Agent().handle, 'hi'))"
        if is_async
        else ("replay.run(Agent().handle, 'hi')")
    )
    _write(
        pytester,
        words,
        f"""
        import asyncio

        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={{"llm": "app.words"}})
        def test_it(replay):
            assert {run} == ["a", "b", "error: lost"]
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


LAZY_APP = """
import asyncio
import random

LIVE = []

def words(prompt):
    # a plain function returning a generator object (not a generator function)
    LIVE.append(prompt)
    return (w for w in ("answer", "to", prompt, "and", "more"))

def awords(prompt):
    async def gen():
        for w in ("answer", "to", prompt):
            await asyncio.sleep(0)
            yield w
    LIVE.append(prompt)
    return gen()

class Agent:
    def __init__(self):
        self.heard = []

    def first_three(self, prompt):
        stream = words(prompt)
        self.heard = [next(stream) for _ in range(3)]  # reads only part of the stream
        return " ".join(self.heard) + " " + str(random.random())

    async def all_async(self, prompt):
        self.heard = [w async for w in awords(prompt)]
        return " ".join(self.heard)
"""


def test_a_returned_generator_is_recorded_as_the_items_read_and_replayed_from_them(pytester):
    # A plain function that returns a generator object (an SDK-style lazy stream) used to be
    # recorded as the generator's repr, and the replay then failed. Its items are recorded as
    # the agent reads them (only those it read, when it stops early) and replayed from them.
    _write(
        pytester,
        LAZY_APP,
        """
        import asyncio, inspect, json, pathlib
        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.words"})
        def test_partly(replay):
            agent = app.Agent()
            answer = replay.run(agent.first_three, "hi")
            assert answer.startswith("answer to hi ")
            if replay.mode == "replay":
                assert app.LIVE == []
                assert inspect.isgenerator(replay.calls[0].result)

        @pytest.mark.replay("a.ckpt", mock={"llm": "app.awords"})
        def test_async(replay):
            agent = app.Agent()
            assert asyncio.run(replay.run(agent.all_async, "yo")) == "answer to yo"
            if replay.mode == "replay":
                assert app.LIVE == []
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    text = (pytester.path / "g.ckpt").read_text()
    assert '"answer"' in text and '"more"' not in text  # the items read, not the rest
    assert '"repr"' not in text and '"pickle"' not in text
    pytester.runpytest().assert_outcomes(passed=2)
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_mismatch_in_a_golden_of_several_runs_names_the_run(pytester):
    _write(
        pytester,
        TWO_TURNS_APP,
        """
        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_two_turns(replay):
            agent = Agent()
            replay.run(agent.handle, "hi")
            replay.run(agent.handle, "bye")
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    app = pytester.path / "app.py"
    app.write_text(
        app.read_text().replace(
            "self.memory.append(answer)",
            "self.memory.append(answer)\n        self.memory.append(len(self.memory))",
        )
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*the replayed final state of replay.run() #1 (handle) differs from the golden*"]
    )


def test_show_calls_says_why_a_plugin_golden_has_no_outcome(pytester, capsys):
    # the agent's run raised (the test expects it): the golden holds the calls and no outcome
    from pytest_clearstone.cli import main

    _write(
        pytester,
        """
        def complete(prompt):
            raise ValueError("refused: " + prompt)

        def run(prompt):
            return complete(prompt)
    """,
        """
        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_it(replay):
            with pytest.raises(ValueError):
                replay.run(app.run, "hi")
    """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    capsys.readouterr()
    assert main(["show", str(pytester.path / "g.ckpt"), "--calls"]) == 0
    out = capsys.readouterr().out
    assert "error:  ValueError: refused: hi" in out
    assert "golden outcome: (none: no replay.run() returned while it was recorded" in out


POOL_APP = """
import os
import time
from concurrent.futures import ThreadPoolExecutor

def llm(prompt):
    return "llm:" + prompt

def wait_for_events():  # a helper job some runs hand out more of (LangGraph's stream waiters)
    time.sleep(0.001)

class Agent:
    def handle(self, message):
        helpers = int(os.environ.get("HELPERS", "0"))
        slow = os.environ.get("SLOW_JOB", "hotels")  # the job that calls second

        def flights():
            time.sleep(0.05 if slow == "flights" else 0)
            return llm("flights for " + message)

        def hotels():
            time.sleep(0.05 if slow == "hotels" else 0)
            return llm("hotels for " + message)

        with ThreadPoolExecutor(2) as pool:
            for _ in range(helpers):
                pool.submit(wait_for_events)
            first = pool.submit(flights)
            for _ in range(helpers):
                pool.submit(wait_for_events)
            second = pool.submit(hotels)
            return [first.result(), second.result()]
"""

POOL_TEST = """
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
def test_pool(replay):
    assert replay.run(Agent().handle, "Oslo") == ["llm:flights for Oslo", "llm:hotels for Oslo"]
"""


def test_more_or_fewer_helper_jobs_on_replay_do_not_move_the_jobs_answers(pytester, monkeypatch):
    # Expected: a job's calls are answered from its own recording even when the agent (or a
    # library: LangGraph's stream_mode="messages") hands the pool another number of jobs of some
    # other function before it, as timing has it, and the jobs finish in another order.
    # Before the fix: a job was keyed by its index among all jobs, so an extra helper job moved
    # it onto another job's recording and the replay diverged.
    _write(pytester, POOL_APP, POOL_TEST)
    monkeypatch.setenv("HELPERS", "1")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert _recorded_branches(pytester) == ["0/flights#0", "0/hotels#0"]
    monkeypatch.setenv("HELPERS", "2")
    monkeypatch.setenv("SLOW_JOB", "flights")
    pytester.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("HELPERS", "0")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_golden_with_the_branch_keys_of_earlier_versions_still_replays(pytester, monkeypatch):
    # Expected: goldens recorded by earlier versions keyed a job by its index among all the
    # jobs its parent handed out ("0/1"); they replay as before, answering each job its own
    # calls whatever order the jobs finish in.
    _write(pytester, POOL_APP, POOL_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    path = pytester.path / "g.ckpt"
    text = path.read_text()
    assert text.count('"0/flights#0"') == 1 and text.count('"0/hotels#0"') == 1
    path.write_text(text.replace('"0/flights#0"', '"0/0"').replace('"0/hotels#0"', '"0/1"'))
    monkeypatch.setenv("SLOW_JOB", "flights")  # hotels calls first, flights did when recorded
    pytester.runpytest().assert_outcomes(passed=1)


ASYNC_GENERATOR_APP = """
import asyncio

CLOSED = []

async def events():
    try:
        for i in range(3):
            yield i
    finally:
        CLOSED.append("closed")

async def complete(prompt):
    # a live call that reads one event and drops its async generator unfinished (openai's
    # AsyncStream breaks out of its _iter_events at [DONE]): the loop closes it in a task
    gen = events()
    first = await gen.__anext__()
    del gen
    return f"{prompt}:{first}"

class Agent:
    async def handle(self, message):
        return await complete(message)
"""


def test_an_async_generator_a_live_call_drops_is_closed_by_the_loop(pytester):
    # Expected: the loop's own task closing an async generator dropped inside a live call (its
    # finalizer schedules create_task(agen.aclose())) closes it: its finally runs.
    # Before the fix: the recorder wrapped that aclose() in its live-step driver like a task
    # the live call started; cancelled before its first step as asyncio.run ended, the driver
    # never awaited the aclose(): the generator stayed open, and Python 3.13 warned "coroutine
    # method 'aclose' of 'AsyncStream._iter_events' was never awaited" for openai's streams.
    _write(
        pytester,
        ASYNC_GENERATOR_APP,
        """
        import asyncio

        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_it(replay):
            app.CLOSED.clear()
            assert asyncio.run(replay.run(app.Agent().handle, "hi")) == "hi:0"
            assert app.CLOSED == (["closed"] if replay.recording else [])
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_an_exception_kept_in_the_state_that_only_a_failing_pickle_stores_is_a_clear_error(
    pytester,
):
    """An SDK error kept in the agent's state (``self.last_error = exc``, an
    ``openai.RateLimitError``: keyword-only ``__init__`` arguments) pickles, but its pickle does
    not load back. Recording fails naming the value's path and type and the fixes, as for a
    value only a pickle could store, not with the codec's internal DecodeError; with pickles
    allowed too (a pickle that does not load back cannot be replayed)."""
    _write(
        pytester,
        EXC_APP
        + """
class Keeper:
    def __init__(self):
        self.last_error = None

    def handle(self, message):
        try:
            return complete(message)
        except RateLimitError as exc:
            self.last_error = exc
            return "busy"
""",
        """
        import pytest
        from app import Keeper

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_keep(replay):
            assert replay.run(Keeper().handle, "hi") == "busy"
    """,
    )
    for options in ((), ("--clearstone-allow-pickle",)):
        result = pytester.runpytest("--clearstone-record", *options)
        result.assert_outcomes(failed=1)
        out = result.stdout.str()
        assert "errors.DecodeError" not in out
        result.stdout.fnmatch_lines(
            [
                esc(
                    "*cannot serialise state['last_error'] (an app.RateLimitError): it is an "
                    "exception kept as a value (*), which only a pickle could store, and its "
                    "pickle cannot be loaded back (*TypeError: *allowing pickles would not help: "
                    "keep what the test checks of it where it is made, *; or store the type "
                    "readably by registering an encoder for it with "
                    "pytest_clearstone.codec.register*"
                ),
            ]
        )
        assert not (pytester.path / "g.ckpt").exists()


@pytest.mark.parametrize("how", ["wait_for", "timeout"])
def test_a_call_a_timeout_cut_off_when_recorded_is_cut_off_again_on_replay(pytester, how):
    # Expected: the agent's timeout fires on replay as it did when recorded, and its fallback
    # runs. The recorded CancelledError was raised at once instead: not the timeout's own
    # cancellation, so wait_for/asyncio.timeout let it through and the test died with it.
    if how == "timeout" and not hasattr(__import__("asyncio"), "timeout"):
        pytest.skip("asyncio.timeout is Python 3.11+")
    pytester.syspathinsert()
    guarded = {
        "wait_for": 'await asyncio.wait_for(lookup("slow", 0.5), timeout=0.05)',
        "timeout": 'await _within(lookup("slow", 0.5))',
    }[how]
    pytester.makepyfile(
        slowagent=f"""
        import asyncio

        async def lookup(kind, delay):
            await asyncio.sleep(delay)
            return {{"kind": kind}}

        async def _within(awaitable):
            async with asyncio.timeout(0.05):
                return await awaitable

        class Agent:
            def __init__(self):
                self.events = []

            async def run(self):
                try:
                    found = {guarded}
                except asyncio.TimeoutError:
                    self.events.append("timeout")
                    found = await lookup("fallback", 0)
                return found
        """,
        test_slow="""
        import asyncio
        import pytest
        import slowagent

        @pytest.mark.replay("goldens/slow.ckpt", mock={"tool": "slowagent.lookup"})
        def test_slow(replay):
            agent = slowagent.Agent()
            assert asyncio.run(replay.run(agent.run)) == {"kind": "fallback"}
            assert agent.events == ["timeout"]
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_a_call_a_timeout_cut_off_when_recorded_and_not_on_replay_fails_naming_it(
    pytester, monkeypatch
):
    # The agent's timeout was raised from 0.05 s to 5 s after recording: on replay nothing
    # cancels the call. The test died with a bare CancelledError (no call, no cause, no fix),
    # and in a task group the task ended as cancelled, unseen.
    pytester.syspathinsert()
    pytester.makepyfile(
        slowagent="""
        import asyncio
        import os

        async def lookup(kind, delay):
            await asyncio.sleep(delay)
            return {"kind": kind}

        class Agent:
            async def run(self):
                timeout = float(os.environ["TIMEOUT"])
                try:
                    return await asyncio.wait_for(lookup("slow", 0.5), timeout=timeout)
                except asyncio.TimeoutError:
                    return await lookup("fallback", 0)
        """,
        test_slow="""
        import asyncio
        import pytest
        import slowagent

        @pytest.mark.replay("goldens/slow.ckpt", mock={"tool": "slowagent.lookup"})
        def test_slow(replay):
            asyncio.run(replay.run(slowagent.Agent().run))
        """,
    )
    monkeypatch.setenv("TIMEOUT", "0.05")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("TIMEOUT", "5")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #1 to slowagent.lookup: it was "
            "cancelled when recorded (after *.* s: the agent's timeout, or its task cancelled),"
            " and nothing cancelled it on replay within *.* s",
            "*The agent's timeout changed, or it no longer cancels the call. If the change is "
            "intended, re-record with: pytest --clearstone-record test_slow.py::test_slow",
        ]
    )


def test_a_thread_pool_job_that_makes_one_call_more_is_named_with_its_branch(pytester):
    # The exhaustion message said "called 2 time(s) but the recording has only 2 response(s)":
    # true of the target, but the job that ran out had recorded one.
    pytester.syspathinsert()
    pytester.makepyfile(
        pool="""
        import os
        from concurrent.futures import ThreadPoolExecutor

        CALLS = 1

        def fetch(u):
            return "b" + u

        class Agent:
            def job(self, u):
                return [fetch(u) for _ in range(CALLS)]

            def run(self):
                with ThreadPoolExecutor(2) as ex:
                    return [x for r in ex.map(self.job, ["a", "b"]) for x in r][:2]
        """,
        test_pool="""
        import pytest
        import pool

        @pytest.mark.replay("goldens/pool.ckpt", mock={"tool": "pool.fetch"})
        def test_pool(replay):
            replay.run(pool.Agent().run)
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    source = pytester.path / "pool.py"
    source.write_text(source.read_text().replace("CALLS = 1", "CALLS = 2"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pool.fetch: call #2 has no recorded response in its branch of execution "
            "'0/job#?' (a thread-pool job or task, answered from what it recorded: 1 of the 2 "
            "response(s) recorded for the target)*"
        ]
    )
    result.stdout.no_fnmatch_line("*but the recording has only 2*")
