"""LangChain's ``create_agent`` with two tools the model calls at once: each tool call runs as a
task of its own on LangGraph's thread pool, and LangGraph gives each ``ToolMessage`` its uuid4
when the task is committed, in the order the tasks finish. The ids come from the branch of each
task, so the replays are green whichever task finishes first."""

from __future__ import annotations

import pytest

# (imported once here, so the in-process inner runs reuse them; langchain 1.x needs Python 3.11)
pytest.importorskip("langchain.agents")
import langchain_openai  # noqa: F401
import langgraph.graph  # noqa: F401

from .harness import Stack

ORDER_ENV = "CLEARSTONE_TEST_FIRST_TOOL"

AGENT = """
import os
import threading

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

import langgraph_agent as app

MOCK = {"llm": "langchain_openai.ChatOpenAI.invoke", "tool": "langgraph_agent.lookup"}
CONFIG = ["config.callbacks", "config.configurable"]
FINISHED = {"flights": threading.Event(), "hotels": threading.Event()}


def finish_in_turn(name):
    # the tool named in CLEARSTONE_TEST_FIRST_TOOL finishes first, the other one after it
    first = os.environ["CLEARSTONE_TEST_FIRST_TOOL"]
    if name != first:
        assert FINISHED[first].wait(30), "the other tool call never ran"
    FINISHED[name].set()


@tool
def search_flights(query: str) -> str:
    \"\"\"Search flights.\"\"\"
    try:
        return app.lookup("flights", query)
    finally:
        finish_in_turn("flights")


@tool
def search_hotels(query: str) -> str:
    \"\"\"Search hotels.\"\"\"
    try:
        return app.lookup("hotels", query)
    finally:
        finish_in_turn("hotels")


class Helper:
    def __init__(self):
        for event in FINISHED.values():
            event.clear()
        self.agent = create_agent(app.make_llm(), tools=[search_flights, search_hotels],
                                  system_prompt="You are a travel helper.")
        self.messages = []

    def get_state(self):
        return {"messages": self.messages}

    def load_state(self, state):
        self.messages = list(state["messages"])

    def ask(self, question):
        out = self.agent.invoke({"messages": self.messages + [HumanMessage(question)]})
        self.messages = out["messages"]
        return out["messages"][-1].content

    def stream_ask(self, question):
        # the updates of the two tool calls come in the order they finish: keep the messages in
        # the order the model asked for them
        messages, nodes = self.messages + [HumanMessage(question)], []
        for update in self.agent.stream({"messages": messages}, stream_mode="updates"):
            for node, value in update.items():
                nodes.append(node)
                messages = messages + list(value["messages"])
        # ..., the question, the tool calls, the answer
        others = [m for m in messages if m.type != "tool"]
        results = {m.tool_call_id: m for m in messages if m.type == "tool"}
        self.messages = (others[:-1] + [results[c["id"]] for c in others[-2].tool_calls]
                         + others[-1:])
        return nodes
"""

TESTS = """

@pytest.mark.replay("goldens/invoke.ckpt", mock=MOCK, ignore=CONFIG)
def test_invoke(replay):
    helper = Helper()
    answer = replay.run(helper.ask, "Lisbon")
    assert answer == ("Answer to 'Lisbon' using flights for Lisbon #0: 9 options; "
                      "hotels for Lisbon #1: 9 options")
    assert [type(m).__name__ for m in helper.messages] == [
        "HumanMessage", "AIMessage", "ToolMessage", "ToolMessage", "AIMessage"]


@pytest.mark.replay("goldens/stream.ckpt", mock=MOCK, ignore=CONFIG)
def test_stream_updates(replay):
    helper = Helper()
    nodes = replay.run(helper.stream_ask, "Porto")
    assert nodes[0] == "model" and sorted(nodes[1:3]) == ["tools", "tools"]
    assert nodes[3:] == ["model"]
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("langchain_agent", "langgraph_agent")
    stack.write_test("create_agent", AGENT + TESTS)
    return stack


def test_parallel_tool_calls_replay_green_whichever_call_finishes_first(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ORDER_ENV, "flights")
    stack.record()
    # every replay finishes the tool calls in the other order than the recording, then the same
    for first in ("hotels", "flights", "hotels", "flights", "hotels"):
        monkeypatch.setenv(ORDER_ENV, first)
        stack.replay_passes()


RUNTIME_TOOL = """
import dataclasses
import os

import pytest
from langchain.agents import create_agent
from langchain.tools import ToolRuntime, tool
from langchain_core.messages import HumanMessage

import langgraph_agent as app


@dataclasses.dataclass
class Ctx:
    user: str


def flights_backend(query, runtime):
    return f"flights for {query} ({runtime.context.user}, {runtime.tool_call_id is not None})"


@tool
def search_flights(query: str, runtime: ToolRuntime[Ctx]) -> str:
    \"\"\"Search flights.\"\"\"
    return flights_backend(query, runtime)


class Helper:
    def __init__(self):
        self.agent = create_agent(app.make_llm(), tools=[search_flights], context_schema=Ctx)
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    def ask(self, question):
        out = self.agent.invoke({"messages": [HumanMessage(question)]},
                                context=Ctx(user=os.environ.get("AGENT_USER", "ann")))
        self.answers.append(out["messages"][-1].content)
        return self.answers[-1]


# the paths the recording's warnings named, one by one: LangGraph's functions in the runtime's
# config, and the tool's schema class and its private memo of it (a pydantic private attribute)
@pytest.mark.replay(
    mock={"llm": "langchain_openai.ChatOpenAI.invoke",
          "tool": "test_runtime_tool.flights_backend"},
    ignore=["config.callbacks", "config.configurable", "runtime.config.configurable.__pregel_call",
            "runtime.config.configurable.__pregel_read_state", "runtime.tools.0.args_schema",
            "runtime.tools.0._tool_call_schema_memo"],
)
def test_runtime_tool(replay):
    assert replay.run(Helper().ask, "Oslo").startswith("Answer to 'Oslo' using flights for")
"""


def test_a_tool_backend_given_the_tool_runtime_records_with_the_paths_its_warnings_name(
    make_stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (filterwarnings = error: a path named by a warning that, followed, still warned failed)
    stack: Stack = make_stack("langchain_agent", "langgraph_agent")
    stack.write_test("runtime_tool", RUNTIME_TOOL)
    stack.record()
    stack.replay_passes()
    monkeypatch.setenv("AGENT_USER", "bob")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*replay diverged at call #1 to test_runtime_tool.flights_backend*"]
    )
    assert "root['runtime'].context.user: 'ann' -> 'bob'" in result.stdout.str()
