"""LangGraph reads the clock in the threads of its pool: the times it puts in what a node passes
to the model must be the agent's clock, also while another node's live call runs."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.graph  # noqa: F401
import pytest

from .harness import Stack

GATED = '''
import operator
import threading
from typing import Annotated, TypedDict

import httpx2
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_openai import ChatOpenAI
from langgraph.graph import START, StateGraph

import services

#: set when the `slow` node's request reaches the service; the `late` node's request releases it
SLOW_IN_FLIGHT = threading.Event()
LATE_ARRIVED = threading.Event()


def gated(request):
    if b"slow" in request.content:
        SLOW_IN_FLIGHT.set()
        LATE_ARRIVED.wait(timeout=10)
    elif b"late" in request.content:
        LATE_ARRIVED.set()
    return services.OPENAI.handler(request)


def make_llm():
    return ChatOpenAI(model="gpt-4o-mini", max_retries=0,
                      http_client=httpx2.Client(transport=httpx2.MockTransport(gated)))


class State(TypedDict, total=False):
    q: str
    notes: Annotated[list[str], operator.add]


class Gated:
    """`slow` asks the model while a subgraph beside it runs `late`, which passes its config on
    (`llm.invoke(messages, config)`) once `slow`'s call is in flight."""

    def __init__(self, llm):
        self.llm = llm
        self.notes = []

    def get_state(self):
        return {"notes": self.notes}

    def load_state(self, state):
        self.notes = list(state["notes"])

    def run(self, q):
        llm = self.llm

        def slow(state: State):
            return {"notes": [llm.invoke([HumanMessage("slow " + state["q"])]).content]}

        def pre(state: State):
            SLOW_IN_FLIGHT.wait(timeout=10)
            return {}

        def late(state: State, config: RunnableConfig):
            return {"notes": [llm.invoke([HumanMessage("late " + state["q"])], config).content]}

        inner = StateGraph(State)
        inner.add_node("pre", pre)
        inner.add_node("late", late)
        inner.add_edge(START, "pre")
        inner.add_edge("pre", "late")
        graph = StateGraph(State)
        graph.add_node("slow", slow)
        graph.add_node("sub", inner.compile())
        graph.add_edge(START, "slow")
        graph.add_edge(START, "sub")
        notes = sorted(graph.compile().invoke({"q": q, "notes": []})["notes"])
        self.notes.append(notes)
        return notes
'''

TEST = """
import pytest

import gated


@pytest.mark.replay("goldens/gated.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"},
                    ignore=["config.configurable.__pregel_call"])
def test_it(replay):
    if replay.mode == "replay":
        gated.SLOW_IN_FLIGHT.set()  # (no request reaches the service)
    notes = replay.run(gated.Gated(gated.make_llm()).run, "Rome")
    assert notes == ["Answer to 'late Rome'", "Answer to 'slow Rome'"]
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack()


def test_a_node_started_during_another_nodes_live_call_replays(stack: Stack) -> None:
    """LangGraph stamps each node run with ``time.time()`` (``execution_info``'s
    ``node_first_attempt_time``, in the config a node passes to the model). A sync node's live
    call puts the whole process on the real clock, so a node that started meanwhile recorded a
    real time, and its replay diverged ("Only clock readings differ") after the warning's own
    ``ignore=`` advice was followed."""
    (stack.path / "gated.py").write_text(GATED)
    stack.write_test("gated", TEST)
    stack.record()
    # (the config's other internals are stored as placeholders naming their type: not checked)
    stack.replay_passes()
    stack.replay_passes()
