"""A LangGraph node's ``RetryPolicy`` around a replay that failed in the node: its default
``retry_on`` retries any exception but a few built-in kinds, a replay error (an
``AssertionError``) among them. A replay error is no transient failure: the node is not run
again, so the failure is told once, with no backoff slept."""

from __future__ import annotations

import pytest

APP = """
from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy

PREFIX = "weather in"


def weather(question):
    return f"sunny ({question})"


class S(TypedDict):
    city: str
    forecast: str


def forecast(state: S):
    return {"forecast": weather(f"{PREFIX} {state['city']}")}


builder = StateGraph(S)
builder.add_node("forecast", forecast, retry_policy=RetryPolicy())
builder.add_edge(START, "forecast")
builder.add_edge("forecast", END)
graph = builder.compile()


def plan(city):
    return run({"city": city})["forecast"]
"""

TEST = """
import pytest
import app


@pytest.mark.replay(mock={"tool": "app.weather"})
def test_plan(replay):
    assert replay.run(app.plan, "Lisbon") == "sunny (weather in Lisbon)"


def test_graph_retries_as_before_after_the_replay():
    from langgraph.pregel import _retry

    assert _retry._should_retry_on.__module__ == "langgraph.pregel._retry"
"""


@pytest.mark.parametrize("entry", ["invoke", "ainvoke"])
def test_a_divergence_in_a_node_with_the_default_retry_policy_is_not_retried(
    pytester: pytest.Pytester, entry: str
) -> None:
    # Expected: the node whose mocked call diverged is run once; the divergence is told once.
    # Before the fix LangGraph retried it twice (max_attempts=3), sleeping its real backoff
    # (0.5 s, then 1 s, plus jitter) and adding its "During task" note at each attempt.
    pytest.importorskip("langgraph")
    pytester.syspathinsert()
    app = APP + ENTRIES[entry]
    pytester.makepyfile(app=app, test_planner=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.path.joinpath("app.py").write_text(
        app.replace('PREFIX = "weather in"', 'PREFIX = "forecast for"'), encoding="utf-8"
    )
    result = pytester.runpytest("--log-level=INFO")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayDivergenceError: replay diverged at call #1 to app.weather: its "
            "arguments differ from the recording",
            "E *'weather in Lisbon' -> 'forecast for Lisbon'",
        ]
    )
    output = result.stdout.str()
    assert output.count("During task with name 'forecast'") == 1, output
    assert "Retrying task forecast" not in output


#: how the agent runs the graph: ``graph.invoke(...)``, or its ``ainvoke`` in an event loop
ENTRIES = {
    "invoke": "\nrun = graph.invoke\n",
    "ainvoke": (
        "\nimport asyncio\n\n\ndef run(inputs):\n    return asyncio.run(graph.ainvoke(inputs))\n"
    ),
}


UNMOCKED = """
def weather(question):
    import socket

    # (a call the test does not mock: it reaches the network guard)
    socket.create_connection(("weather.example.com", 443), timeout=5)
    return f"sunny ({question})"
"""


@pytest.mark.parametrize("entry", ["invoke", "ainvoke"])
def test_a_connection_blocked_in_a_node_with_the_default_retry_policy_is_not_retried(
    pytester: pytest.Pytester, entry: str
) -> None:
    # Expected: the node whose unmocked call reached the network guard is run once; the
    # NetworkBlockedError is told once. Before the fix LangGraph retried it twice
    # (max_attempts=3: the default retry_on retries an AssertionError, which it is), sleeping
    # its real backoff and adding its "During task" note at each attempt.
    pytest.importorskip("langgraph")
    pytester.syspathinsert()
    app = APP + ENTRIES[entry]
    pytester.makepyfile(app=app, test_planner=TEST.replace('"tool": "app.weather"', '"tool": []'))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.path.joinpath("app.py").write_text(
        app.replace(APP[APP.index("def weather") : APP.index("class S")], UNMOCKED + "\n\n"),
        encoding="utf-8",
    )
    result = pytester.runpytest("--log-level=INFO")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["E *NetworkBlockedError: *weather.example.com*"])
    output = result.stdout.str()
    assert output.count("During task with name 'forecast'") == 1, output
    assert "Retrying task forecast" not in output
