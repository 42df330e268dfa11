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


DEBUG_STREAM = '''
import operator
import threading
from typing import Annotated, TypedDict

import httpx2
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from langgraph.graph import START, StateGraph

import services

#: set when the agent has seen `fast`'s result in the stream; `slow`'s request waits for it
FAST_DONE = threading.Event()


def gated(request):
    if b"slow" in request.content:
        FAST_DONE.wait(timeout=10)
    return services.OPENAI.handler(request)


def make_llm():
    return ChatOpenAI(model="gpt-4o-mini", max_retries=0,
                      http_client=httpx2.Client(transport=httpx2.MockTransport(gated)))


class State(TypedDict, total=False):
    q: str
    notes: Annotated[list[str], operator.add]


class Debugged:
    """Two parallel nodes, the graph streamed with stream_mode="debug" into the state: `fast`
    ends while `slow`'s call is in flight."""

    def __init__(self, llm):
        self.llm = llm
        self.events = []

    def get_state(self):
        return {"events": self.events}

    def load_state(self, state):
        self.events = list(state["events"])

    def run(self, q):
        llm = self.llm

        def ask(name):
            def node(state: State):
                return {"notes": [llm.invoke([HumanMessage(name + " " + state["q"])]).content]}
            return node

        graph = StateGraph(State)
        for name in ("slow", "fast"):
            graph.add_node(name, ask(name))
            graph.add_edge(START, name)
        rows = []
        for event in graph.compile().stream({"q": q, "notes": []}, stream_mode="debug"):
            name = event["payload"].get("name", "")
            if event["type"] == "task_result" and name == "fast":
                FAST_DONE.set()
            rows.append([event["type"], event["step"], name, event["timestamp"]])
        self.events.append(sorted(rows))
        return len(rows)
'''

DEBUG_TEST = """
import pytest

import debugged


@pytest.mark.replay("goldens/debug.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    assert replay.run(debugged.Debugged(debugged.make_llm()).run, "Rome") == 4
"""


def test_debug_stream_timestamps_of_parallel_nodes_replay(stack: Stack) -> None:
    """stream_mode="debug" stamps each event with ``datetime.now()`` when it is emitted; the
    result of a node that ended while a parallel node's sync call was live was stamped with the
    real time, so a state that kept the events failed its replay on those times."""
    (stack.path / "debugged.py").write_text(DEBUG_STREAM)
    stack.write_test("debugged", DEBUG_TEST)
    stack.roundtrip()


SUBGRAPH = '''
import operator
import threading
from typing import Annotated, TypedDict

import httpx2
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph

import services

#: set by the subgraph's last node; `slow`'s request waits for it
SUB_DONE = threading.Event()


def gated(request):
    if b"slow" in request.content:
        SUB_DONE.wait(timeout=10)
    return services.OPENAI.handler(request)


def make_llm():
    return ChatOpenAI(model="gpt-4o-mini", max_retries=0,
                      http_client=httpx2.Client(transport=httpx2.MockTransport(gated)))


class State(TypedDict, total=False):
    q: str
    notes: Annotated[list[str], operator.add]


class Checkpointed:
    """A subgraph with a checkpointer of its own runs beside `slow`, whose call is in flight
    while the subgraph's checkpoints are made; the agent keeps every checkpoint's time."""

    def __init__(self, llm):
        self.llm = llm
        self.checkpoints = []

    def get_state(self):
        return {"checkpoints": self.checkpoints}

    def load_state(self, state):
        self.checkpoints = list(state["checkpoints"])

    def run(self, q):
        llm = self.llm

        def slow(state: State):
            return {"notes": [llm.invoke([HumanMessage("slow " + state["q"])]).content]}

        def one(state: State):
            return {"notes": [llm.invoke([HumanMessage("one " + state["q"])]).content]}

        def two(state: State):
            SUB_DONE.set()
            return {"notes": ["two"]}

        inner = StateGraph(State)
        inner.add_node("one", one)
        inner.add_node("two", two)
        inner.add_edge(START, "one")
        inner.add_edge("one", "two")
        graph = StateGraph(State)
        graph.add_node("slow", slow)
        graph.add_node("sub", inner.compile(checkpointer=True))
        graph.add_edge(START, "slow")
        graph.add_edge(START, "sub")
        saver = InMemorySaver()
        graph.compile(checkpointer=saver).invoke({"q": q, "notes": []},
                                                 {"configurable": {"thread_id": "t"}})
        rows = sorted([c.config["configurable"]["checkpoint_ns"].split(":")[0], c.checkpoint["ts"]]
                      for c in saver.list(None))
        self.checkpoints.append(rows)
        return len(rows)
'''

SUBGRAPH_TEST = """
import pytest

import checkpointed


@pytest.mark.replay("goldens/sub.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    assert replay.run(checkpointed.Checkpointed(checkpointed.make_llm()).run, "Rome") > 3
"""


def test_checkpoint_times_of_a_subgraph_beside_a_live_call_replay(stack: Stack) -> None:
    """A subgraph with its own checkpointer makes its checkpoints in its node's thread: made
    while a parallel node's sync call was live, their ``ts`` (``created_at``) was the real
    time, and a state that kept them failed its replay on those times."""
    (stack.path / "checkpointed.py").write_text(SUBGRAPH)
    stack.write_test("checkpointed", SUBGRAPH_TEST)
    stack.roundtrip()


STORED = '''
import threading
from typing import TypedDict

import httpx2
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from langgraph.graph import START, StateGraph
from langgraph.store.memory import InMemoryStore

import services

#: set when `slow`'s request reaches the service, which waits until `remember` has written
SLOW_IN_FLIGHT = threading.Event()
STORED = threading.Event()


def gated(request):
    if b"slow" in request.content:
        SLOW_IN_FLIGHT.set()
        STORED.wait(timeout=10)
    return services.OPENAI.handler(request)


def make_llm():
    return ChatOpenAI(model="gpt-4o-mini", max_retries=0,
                      http_client=httpx2.Client(transport=httpx2.MockTransport(gated)))


class State(TypedDict, total=False):
    q: str
    answer: str


class Remembering:
    """`remember` writes to LangGraph's store while `slow`'s call is in flight; the agent keeps
    the items' times."""

    def __init__(self, llm):
        self.llm = llm
        self.items = []

    def get_state(self):
        return {"items": self.items}

    def load_state(self, state):
        self.items = list(state["items"])

    def run(self, q):
        llm = self.llm
        store = InMemoryStore()

        def slow(state: State):
            return {"answer": llm.invoke([HumanMessage("slow " + state["q"])]).content}

        def remember(state: State):
            SLOW_IN_FLIGHT.wait(timeout=10)
            store.put(("trips",), "last", {"q": state["q"]})
            STORED.set()
            return {}

        graph = StateGraph(State)
        graph.add_node("slow", slow)
        graph.add_node("remember", remember)
        graph.add_edge(START, "slow")
        graph.add_edge(START, "remember")
        graph.compile(store=store).invoke({"q": q})
        item = store.get(("trips",), "last")
        self.items.append([item.value, item.created_at.isoformat(), item.updated_at.isoformat()])
        return item.value
'''

STORED_TEST = """
import pytest

import remembering


@pytest.mark.replay("goldens/store.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    if replay.mode == "replay":
        remembering.SLOW_IN_FLIGHT.set()  # (no request reaches the service)
    assert replay.run(remembering.Remembering(remembering.make_llm()).run, "Rome") == {"q": "Rome"}
"""


def test_store_item_times_written_beside_a_live_call_replay(stack: Stack) -> None:
    """LangGraph's ``InMemoryStore`` stamps an item with ``datetime.now()`` when a node puts
    it: put while a parallel node's sync call was live, its ``created_at`` was the real time,
    and a state that kept it failed its replay on that time."""
    (stack.path / "remembering.py").write_text(STORED)
    stack.write_test("remembering", STORED_TEST)
    stack.roundtrip()
