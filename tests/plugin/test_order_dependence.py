"""A replay's result must not depend on which other tests ran, or in which order (contract §4,
§6.1): where the agent's own state shared between tests (a cache filled by the first test that
needs it) makes it so, the failure names that cause and its fix, not another one."""

from __future__ import annotations

import textwrap

import pytest

APP = """
import functools

def fetch_weather(city):
    return {"city": city, "weather": "sunny"}

@functools.cache
def weather(city):  # the first test to ask fills the cache; the others never call the service
    return fetch_weather(city)

class Agent:
    def handle(self, city):
        return weather(city)["weather"]
"""

TESTS = """
import pytest
from app import Agent

MOCK = {"tool": "app.fetch_weather"}

@pytest.mark.replay(mock=MOCK)
def test_one(replay):
    replay.run(Agent().handle, "paris")

@pytest.mark.replay(mock=MOCK)
def test_two(replay):
    replay.run(Agent().handle, "paris")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_weather=textwrap.dedent(TESTS))
    return pytester


def test_nothing_recorded_after_an_earlier_test_called_the_target_names_that_test(
    suite: pytest.Pytester,
) -> None:
    """The second test's call is answered from the cache the first test filled, so its
    recording calls no target. It said only "give mock= the import path where the agent looks
    the function up", which the path already is: the cause is the test that ran before."""
    result = suite.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_weather.py::test_two: nothing was recorded*",
            "*`app.fetch_weather` was called by test_weather.py::test_one, recorded before this "
            "test in this run*cache*",
        ]
    )
    # alone, the test records its call: the message is about the order, so it is not shown
    alone = suite.runpytest("--clearstone-record", "test_weather.py::test_two")
    alone.assert_outcomes(passed=1)


def test_nothing_recorded_names_the_first_test_that_called_the_target(
    suite: pytest.Pytester,
) -> None:
    """test_paris filled the cache test_paris_again reads: test_rome, which called the target
    after it (for another city), is not the one named."""
    suite.makepyfile(
        test_weather=textwrap.dedent(
            """
            import pytest
            from app import Agent

            MOCK = {"tool": "app.fetch_weather"}

            @pytest.mark.replay(mock=MOCK)
            def test_paris(replay):
                replay.run(Agent().handle, "paris")

            @pytest.mark.replay(mock=MOCK)
            def test_rome(replay):
                replay.run(Agent().handle, "rome")

            @pytest.mark.replay(mock=MOCK)
            def test_paris_again(replay):
                replay.run(Agent().handle, "paris")
            """
        )
    )
    result = suite.runpytest("--clearstone-record")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*`app.fetch_weather` was called by test_weather.py::test_paris, recorded before*"]
    )


SHARED_AGENT_APP = """
def complete(prompt):
    return f"answer to {prompt}"

class Agent:  # no get_state()/load_state(): its __dict__ is its state
    def __init__(self):
        self.history = []

    def handle(self, question):
        if "refund" in question:
            self.escalated = True  # set only by the questions that need it
        self.history.append(complete(question))
        return self.history[-1]
"""

SHARED_AGENT_TESTS = """
import pytest
from app import Agent

@pytest.fixture(scope="module")
def agent():
    return Agent()  # one agent for the module's tests

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_hello(replay, agent):
    replay.run(agent.handle, "hello")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_refund(replay, agent):
    replay.run(agent.handle, "a refund please")
"""

REVERSED = """
import os

def pytest_collection_modifyitems(items):
    if os.environ.get("REVERSED"):
        items.reverse()
"""


def test_an_attribute_an_earlier_test_left_on_a_shared_agent_is_named_as_the_cause(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent a module-scoped fixture makes once is given each golden's recorded state
    before its run, but an attribute the recorded state does not have stays as the earlier
    test left it: replayed in another order, the first test's final state has it. The failure
    said "If the change is intended, re-record", though nothing changed."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(SHARED_AGENT_APP), test_agent=textwrap.dedent(SHARED_AGENT_TESTS)
    )
    pytester.makeconftest(textwrap.dedent(REVERSED))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.runpytest().assert_outcomes(passed=2)
    monkeypatch.setenv("REVERSED", "1")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*root[[]'escalated']: added True*",
            "*`escalated` was already set on the agent when the replay gave it the state "
            "recorded in the golden, which has no `escalated`*another test*",
        ]
    )


CACHED_TOOL_APP = """
import functools
import os

def fetch_weather(city):
    return {"city": city, "weather": "sunny"}

def complete(prompt):
    return f"answer to {prompt}"

@functools.cache
def weather(city):
    return fetch_weather(city)

class Agent:
    def __init__(self):
        self.memory = []

    def handle(self, city):
        found = weather(city)
        answer = complete(f"{found['weather']} in {city}")
        self.memory.append([answer, os.environ.get("AGENT_NOTE", "")])  # what the change changes
        return answer
"""

CACHED_TOOL_TEST = """
import pytest
from app import Agent

@pytest.mark.replay(mock=MOCK)
def test_weather(replay):
    replay.run(Agent().handle, "paris")
"""


MOCK_BOTH = '{"tool": "app.fetch_weather", "llm": "app.complete"}'
MOCK_TOOL = '{"tool": "app.fetch_weather"}'  # the live run calls no target at all


@pytest.mark.parametrize("mock", [MOCK_BOTH, MOCK_TOOL], ids=["tool-and-llm", "tool-only"])
def test_record_diverged_does_not_write_a_golden_missing_the_calls_its_replay_attempt_cached(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mock: str
) -> None:
    """record-diverged replays the test first, in the same process: the agent's cache keeps the
    tool's answer from that attempt, so the live attempt never calls the tool. It wrote a golden
    without the call ("tool call #1 to app.fetch_weather removed"), which then failed every
    replay with ReplayExhaustedError."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(CACHED_TOOL_APP),
        test_agent=textwrap.dedent(CACHED_TOOL_TEST).replace("MOCK", mock),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_agent" / "test_weather.ckpt"
    before = golden.read_bytes()
    monkeypatch.setenv("AGENT_NOTE", "changed")  # the final state differs: it diverges
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_agent.py::test_weather: the golden checkpoint was not written: its replay "
            "attempt just before called app.fetch_weather, and this recording did not*cache*"
            "Record the test in a process of its own: pytest --clearstone-record "
            "test_agent.py::test_weather*",
            "*test_agent.py::test_weather: its replay attempt called mock targets this recording "
            "did not",
        ]
    )
    assert golden.read_bytes() == before  # the old golden stays
    # the fix it gives works: recorded in a process of its own, the golden replays
    rerecord = pytester.runpytest("--clearstone-record", "test_agent.py::test_weather")
    rerecord.assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


CONVERSATION_APP = """
def complete(messages):
    return f"answer to {messages[-1]['content']}"

class Chat:
    def __init__(self):
        self.messages = []

    def say(self, text):
        self.messages.append({"role": "user", "content": text})
        self.messages.append({"role": "assistant", "content": complete(self.messages)})
        return self.messages[-1]["content"]
"""

CONVERSATION_TESTS = """
import os
import pytest
from app import Chat

pytestmark = pytest.mark.replay(mock={"llm": "app.complete"})

@pytest.fixture(scope="module")
def chat():
    return Chat()  # one conversation: each test adds a turn

def test_first(replay, chat):
    replay.run(chat.say, "to " + os.environ.get("CITY", "Oslo"))

def test_second(replay, chat):
    replay.run(chat.say, "a hotel")

def test_third(replay, chat):
    replay.run(chat.say, "a museum")
"""


def test_a_turn_of_a_conversation_given_to_replay_run_is_re_recorded_alone_and_replays_whole(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """update-goldens.md: a module-scoped conversation each test adds a turn to through
    ``replay.run`` is given each golden's recorded state on replay, so a turn re-recorded alone
    (a node id, -k, record-diverged) replays in the whole run (used without ``replay.run``, the
    object is what the tests before left, and such a golden diverges)."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(CONVERSATION_APP), test_chat=textwrap.dedent(CONVERSATION_TESTS)
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=3)
    monkeypatch.setenv("CITY", "Rome")  # the first turn changes; the later ones do not
    pytester.runpytest().assert_outcomes(passed=2, failed=1)
    pytester.runpytest("--clearstone-record", "test_chat.py::test_first").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=3)
    # the whole run, with the first turn as recorded; the third re-recorded alone, by -k
    monkeypatch.setenv("CITY", "Oslo")
    pytester.runpytest("--clearstone-mode=record-diverged").assert_outcomes(passed=3)
    pytester.runpytest("--clearstone-record", "-k", "third").assert_outcomes(passed=1, deselected=2)
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*3 checkpoint(s) replayed, 0 recorded, 0 diverged*"])


CACHED_BRIEFING_APP = """
import functools
import os

def fetch_weather(city):
    return {"city": city, "weather": "sunny"}

def fetch_news(city):
    return ["calm"]

@functools.cache
def briefing(city):  # both tools' answers are kept: a live run after the replay calls neither
    return f"{fetch_weather(city)['weather']}, {fetch_news(city)[0]}"

class Agent:
    def __init__(self):
        self.memory = []

    def handle(self, city):
        answer = briefing(city)
        self.memory.append([answer, os.environ.get("AGENT_NOTE", "")])
        return answer
"""


def test_record_diverged_names_every_call_its_replay_attempt_cached(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(CACHED_BRIEFING_APP),
        test_agent=textwrap.dedent(CACHED_TOOL_TEST).replace(
            "MOCK", '{"weather": "app.fetch_weather", "news": "app.fetch_news"}'
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("AGENT_NOTE", "changed")
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_agent.py::test_weather: the golden checkpoint was not written: its replay "
            "attempt just before called app.fetch_weather, app.fetch_news, and this recording "
            "did not*"
        ]
    )


def test_record_diverged_writes_a_non_strict_golden_missing_the_calls_its_replay_attempt_cached(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """strict=False says the test may no longer make its calls: the re-record is written."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(CACHED_TOOL_APP),
        test_agent=textwrap.dedent(CACHED_TOOL_TEST).replace("MOCK", MOCK_BOTH + ", strict=False"),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_agent" / "test_weather.ckpt"
    before = golden.read_bytes()
    monkeypatch.setenv("AGENT_NOTE", "changed")
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*the golden checkpoint was not written*")
    assert golden.read_bytes() != before
