"""LangChain's retry middleware around a replay that failed: ``ToolRetryMiddleware`` and
``ModelRetryMiddleware`` retry any exception by default (their ``default_retry_on``), a replay
error (an ``AssertionError``) among them, sleeping their real jittered backoff between the
attempts, and their default ``on_failure="continue"`` then hands the error to the model as a
message. A replay error is no transient failure: the tool (the model) is called once, and the
replay error goes up at once, as an error their ``retry_on`` does not accept."""

from __future__ import annotations

import pytest

# (imported once here, so the in-process inner runs reuse them; langchain 1.x needs Python 3.11)
pytest.importorskip("langchain.agents.middleware")
import langchain_openai  # noqa: F401
import langgraph.graph  # noqa: F401

from .harness import Stack

AGENT = """
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRetryMiddleware, ToolRetryMiddleware
from langchain.agents.middleware import wrap_model_call
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

import langchain_agent as app

SYSTEM = "You are a travel helper."
KIND = "flights"
ATTEMPTS = {"tool": 0, "model": 0}


@tool
def search_flights(query: str) -> str:
    \"\"\"Search flights.\"\"\"
    ATTEMPTS["tool"] += 1
    return app.lookup(KIND, query)


@wrap_model_call
def count_model_calls(request, handler):
    ATTEMPTS["model"] += 1
    return handler(request)


def ask(question):
    agent = create_agent(app.make_llm(), tools=[search_flights], system_prompt=SYSTEM,
                         middleware=[ModelRetryMiddleware(), ToolRetryMiddleware(),
                                     count_model_calls])
    return agent.invoke({"messages": [HumanMessage(question)]})["messages"][-1].content


@pytest.mark.replay("goldens/ask.ckpt",
                    mock={"llm": "langchain_openai.ChatOpenAI.invoke",
                          "tool": "langchain_agent.lookup"},
                    ignore=["config.callbacks", "config.configurable", "**.run_id"])
def test_ask(replay):
    try:
        assert "Lisbon" in replay.run(ask, "Lisbon")
    finally:
        print(f"attempts: tool {ATTEMPTS['tool']}, model {ATTEMPTS['model']}")
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("langchain_agent")
    stack.write_test("ask", AGENT)
    stack.record()
    stack.replay_passes()
    return stack


def test_tool_retry_middleware_does_not_retry_a_divergence(stack: Stack) -> None:
    # Expected: the tool whose mocked call diverged runs once and the divergence fails the test
    # with its delta. Before the fix ToolRetryMiddleware ran it three times (max_retries=2),
    # sleeping about 1 s, then 2 s, between the attempts.
    stack.edit("test_ask", 'KIND = "flights"', 'KIND = "flight"')
    result = stack.replay("-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*attempts: tool 1, model 1",
            "E *ReplayDivergenceError: replay diverged at call #1 to langchain_agent.lookup*",
            "E *root[[]'kind'[]]: 'flights' -> 'flight'",
        ]
    )


def test_model_retry_middleware_does_not_retry_a_divergence(stack: Stack) -> None:
    # Expected: the model call that diverged is made once. Before the fix ModelRetryMiddleware
    # made it three times (max_retries=2), sleeping between the attempts, then answered the
    # agent with an AIMessage holding the error text (on_failure="continue").
    stack.edit("test_ask", 'SYSTEM = "You are a travel helper."', 'SYSTEM = "You help."')
    result = stack.replay("-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*attempts: tool 0, model 1",
            "E *ReplayDivergenceError: replay diverged at call #1 to "
            "langchain_openai.ChatOpenAI.invoke*",
        ]
    )
