"""LangChain's ``Runnable.with_retry()`` around a replay that failed in the runnable: its default
``retry_if_exception_type=(Exception,)`` retries any exception, a replay error (an
``AssertionError``) among them, after tenacity's real jittered backoff. A replay error is no
transient failure: the runnable is not run again, so the failure is told once, with no backoff
slept."""

from __future__ import annotations

import socket

import pytest

APP = """
import socket

from langchain_core.runnables import RunnableLambda

PREFIX = "weather in"
ATTEMPTS = []


def weather(question):
    return f"sunny ({question})"


def forecast(city):
    ATTEMPTS.append(city)
    return weather(f"{PREFIX} {city}")


step = RunnableLambda(forecast).with_retry(stop_after_attempt=3)


def plan(city):
    del ATTEMPTS[:]
    return step.invoke(city)


async def aplan(city):
    del ATTEMPTS[:]
    return await step.ainvoke(city)
"""

TEST = """
import asyncio

import pytest
import app


@pytest.mark.replay(mock={"tool": "app.weather"})
def test_plan(replay):
    try:
        assert replay.run(ENTRY, "Lisbon") == "sunny (weather in Lisbon)"
    finally:
        print(f"attempts: {len(app.ATTEMPTS)}")


def test_retries_as_before_after_the_replay():
    from tenacity import retry_if_exception

    assert retry_if_exception.__call__.__module__ == "tenacity.retry"
"""

#: how the test runs the agent: ``step.invoke``, or its ``ainvoke`` in an event loop
ENTRIES = {
    "invoke": "ENTRY = app.plan\n",
    "ainvoke": "ENTRY = lambda city: asyncio.run(app.aplan(city))\n",
}

UNMOCKED = """
def weather(question):
    # (a call the test does not mock: it reaches the network guard)
    socket.create_connection(("weather.example.com", 443), timeout=5)
    return f"sunny ({question})"
"""


def _project(pytester: pytest.Pytester, entry: str, mock: str = '"app.weather"') -> None:
    pytest.importorskip("langchain_core")
    pytester.syspathinsert()
    test = TEST.replace("import app\n", "import app\n\n" + ENTRIES[entry])
    pytester.makepyfile(app=APP, test_planner=test.replace('"app.weather"', mock))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)


@pytest.mark.parametrize("entry", ["invoke", "ainvoke"])
def test_a_divergence_in_a_runnable_with_retry_is_not_retried(
    pytester: pytest.Pytester, entry: str
) -> None:
    # Expected: the runnable whose mocked call diverged runs once. Before the fix with_retry
    # ran it three times (each attempt raising the same divergence again), sleeping its real
    # jittered backoff (about 1 s, then 2 s) between the attempts.
    _project(pytester, entry)
    pytester.path.joinpath("app.py").write_text(
        APP.replace('PREFIX = "weather in"', 'PREFIX = "forecast for"'), encoding="utf-8"
    )
    result = pytester.runpytest("-s")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*attempts: 1",
            "E *ReplayDivergenceError: replay diverged at call #1 to app.weather: its "
            "arguments differ from the recording",
        ]
    )


@pytest.mark.parametrize("entry", ["invoke", "ainvoke"])
def test_a_connection_blocked_in_a_runnable_with_retry_is_not_retried(
    pytester: pytest.Pytester, entry: str
) -> None:
    # Expected: the runnable whose unmocked call reached the network guard runs once. Before
    # the fix with_retry ran it three times, each connection blocked again, sleeping between.
    _project(pytester, entry, mock="[]")
    start = APP.index("def weather")
    pytester.path.joinpath("app.py").write_text(
        APP.replace(APP[start : APP.index("def forecast")], UNMOCKED + "\n\n"), encoding="utf-8"
    )
    result = pytester.runpytest("-s")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*attempts: 1", "E *NetworkBlockedError: *weather.example.com*"])


CHAT = """
import pytest
from langchain_core.runnables import RunnableLambda
from langchain_openai import ChatOpenAI

ATTEMPTS = []
llm = ChatOpenAI(model="gpt-4o-mini", base_url="http://127.0.0.1:PORT/v1", api_key="sk-test",
                 max_retries=0)


def ask(question):
    ATTEMPTS.append(question)
    return llm.invoke(question).content


step = RunnableLambda(ask).with_retry(stop_after_attempt=3)


def plan(question):
    try:
        return step.invoke(question)
    except Exception as exc:  # (the service is down while recording: the agent says so)
        return f"down: {type(exc).__name__}"


@pytest.mark.replay(mock={"llm": []})
def test_plan(replay):
    try:
        replay.run(plan, "Lisbon")
    finally:
        print(f"attempts: {len(ATTEMPTS)}")
"""


def test_a_chat_model_call_blocked_in_a_runnable_with_retry_is_not_retried(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the chat model's unmocked call, its connection blocked by the network guard on
    # replay (the openai SDK lets the NetworkBlockedError through), is made once. Before the
    # fix with_retry made it three times, sleeping its jittered backoff between the attempts.
    pytest.importorskip("langchain_openai")
    with socket.socket() as probe:  # (a port nothing listens on: taken, then let go)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pytester.makepyfile(test_chat=CHAT.replace("PORT", str(port)))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest("-s")
    result.assert_outcomes(failed=1)
    blocked = f"E *NetworkBlockedError: *127.0.0.1 port {port}*"
    result.stdout.fnmatch_lines(["*attempts: 1", blocked])
