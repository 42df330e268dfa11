"""LangGraph graphs of ``ChatOpenAI`` nodes end to end: parallel sync nodes, async, streamed
updates, a tool-calling loop, a 429 with a LangChain fallback, an agent without get_state()."""

from __future__ import annotations

import os
import sys
from typing import Any

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.graph  # noqa: F401
import pytest

from .harness import Stack, params

HEADER = """
import asyncio

import pytest

import langgraph_agent as app

MOCK = {"llm": "langchain_openai.ChatOpenAI.invoke", "tool": "langgraph_agent.lookup"}
# the SDK method under ChatOpenAI: its arguments are the request, not LangGraph's config
SDK_MOCK = {"llm": "openai.resources.chat.completions.Completions.create",
            "tool": "langgraph_agent.lookup"}
# what a node's Runnable wrapper (bind_tools, with_fallbacks) passes on: LangGraph's config
CONFIG = ["config.callbacks", "config.configurable", "**.run_id"]
"""

SCENARIOS = {
    "sequential_nodes": """
@pytest.mark.replay("goldens/sequential.ckpt", mock=MOCK)
def test_it(replay):
    agent = app.TripAgent(app.make_llm(), parallel=False)
    answer = replay.run(agent.plan, "Lisbon")
    assert answer.startswith("Answer to 'merge Answer to 'flights")
""",
    "parallel_sync_nodes": """
@pytest.mark.replay("goldens/parallel.ckpt", mock=MOCK)
def test_it(replay):
    agent = app.TripAgent(app.make_llm())
    app.REPLIES.clear()
    answer = replay.run(agent.plan, "Lisbon")
    assert answer.startswith("Answer to 'merge Answer to 'flights")
    # the replayed answers of ChatOpenAI.invoke are the recorded type
    assert app.REPLIES == ["langchain_core.messages.ai.AIMessage"] * 4
""",
    "async_graph": """
@pytest.mark.replay("goldens/async.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    agent = app.TripAgent(app.make_llm(), parallel=False)
    assert asyncio.run(replay.run(agent.aplan, "Porto")).startswith("Answer to 'merge")
""",
    "stream_updates": """
@pytest.mark.replay("goldens/stream.ckpt", mock=MOCK)
def test_it(replay):
    agent = app.TripAgent(app.make_llm(), parallel=False)
    answer = replay.run(agent.stream_plan, "Lisbon")
    assert answer.startswith("Answer to 'merge Answer to 'flights flights for Lisbon")
    assert agent.trips[0]["nodes"] == ["plan", "flights", "hotels", "merge"]
""",
    "tool_calls": """
@pytest.mark.replay("goldens/tools.ckpt", mock=MOCK, ignore=CONFIG)
def test_it(replay):
    agent = app.ToolAgent(app.make_llm())
    answer = replay.run(agent.run, "Rome")
    assert answer == ("Answer to 'Rome' using flights for Rome #0: 7 options; "
                      "hotels for Rome #1: 7 options")
    # the replayed AIMessage carries its tool calls: the graph routed to the tools node
    assert agent.runs[0]["kinds"] == ["SystemMessage", "HumanMessage", "AIMessage",
                                      "ToolMessage", "ToolMessage", "AIMessage"]
    assert agent.runs[0]["tools"] == ["search_flights", "search_hotels"]
""",
    "tool_calls_sdk_target": """
@pytest.mark.replay("goldens/tools_sdk.ckpt", mock=SDK_MOCK)
def test_it(replay):
    agent = app.ToolAgent(app.make_llm())
    answer = replay.run(agent.run, "Rome")
    assert answer == ("Answer to 'Rome' using flights for Rome #0: 7 options; "
                      "hotels for Rome #1: 7 options")
    assert agent.runs[0]["tools"] == ["search_flights", "search_hotels"]
""",
    "stream_messages": """
# stream_mode="messages" reads the tokens from the chat model's streaming callbacks: mock the
# method that streams them (its run_manager, LangChain's callback manager, left out of matching)
@pytest.mark.replay("goldens/tokens.ckpt", mock={"llm": "langchain_openai.ChatOpenAI._stream"},
                    ignore=["**.run_manager"])
def test_it(replay):
    parts = replay.run(app.TokenStreamer(app.make_llm()).tokens, "Oslo")
    assert [node for node, _ in parts][:1] == ["plan"] and len(parts) > 4
    assert "".join(text for node, text in parts if node == "merge").startswith("Answer to 'merge")
""",
    "astream_messages": """
@pytest.mark.replay("goldens/atokens.ckpt", mock={"llm": "langchain_openai.ChatOpenAI._stream"},
                    ignore=["**.run_manager"])
def test_it(replay):
    parts = asyncio.run(replay.run(app.TokenStreamer(app.make_llm()).atokens, "Oslo"))
    assert [node for node, _ in parts][:1] == ["plan"] and len(parts) > 4
    assert "".join(text for node, text in parts if node == "merge").startswith("Answer to 'merge")
""",
    "checkpointer_memory": """
@pytest.mark.replay("goldens/memory.ckpt", mock=MOCK, ignore=CONFIG)
def test_it(replay):
    # LangGraph resumes a thread from its checkpoint of the greatest id (uuid6, time-ordered):
    # seeded ids must keep that order, or a turn resumes from an early checkpoint and forgets
    seen = replay.run(app.MemoryChat(app.make_llm()).talk, "Rome", "Oslo", "Bern", "Riga")
    # the first turn: question, tool calls, their two results, answer; then question and answer
    # (each turn sees the earlier ones: with early checkpoints resumed it was [5, 7, 7, 7])
    assert seen == [5, 7, 9, 11]
""",
    "rate_limit_fallback": """
@pytest.mark.replay("goldens/fallback.ckpt", mock=MOCK, ignore=CONFIG)
def test_it(replay):
    agent = app.TripAgent(app.make_llm(), parallel=False, busy_plan="with_fallbacks")
    app.REPLIES.clear()
    answer = replay.run(agent.plan, "Lisbon")
    assert answer.startswith("Answer to 'merge Answer to 'flights flights for Lisbon")
    assert agent.trips[0]["plan"] == "Answer to 'plan Lisbon'"
    assert app.REPLIES == ["langchain_core.messages.ai.AIMessage"] * 4
""",
    "rate_limit_caught": """
@pytest.mark.replay("goldens/rate_limit.ckpt", mock=MOCK)
def test_it(replay):
    agent = app.TripAgent(app.make_llm(), parallel=False, busy_plan="except")
    app.ERRORS.clear()
    answer = replay.run(agent.plan, "Lisbon")
    assert answer.startswith("Answer to 'merge Answer to 'flights flights for Lisbon")
    assert agent.trips[0]["plan"] == "Answer to 'plan Lisbon'"
    [error] = app.ERRORS
    # langchain-openai re-raises the SDK error as its own subclass of openai.RateLimitError
    assert error["type"] == "langchain_openai.chat_models.base.OpenAIRateLimitError"
    assert error["status"] == 429
    assert error["code"] == "rate_limit_exceeded" and error["request_id"].startswith("req_")
""",
    "client_in_attribute_no_get_state": """
from langchain_openai import ChatOpenAI

@pytest.mark.replay("goldens/client.ckpt", mock=MOCK)
def test_it(replay):
    agent = app.ClientPlanner(app.make_llm())
    answer = replay.run(agent.plan, "Oslo")
    assert answer.startswith("Answer to 'merge Answer to 'flights flights for Oslo")
    assert agent.answers == [answer]
    assert isinstance(agent.llm, ChatOpenAI)
""",
    "llm_in_attribute_no_get_state": """
from langchain_openai import ChatOpenAI

@pytest.mark.replay("goldens/plain.ckpt", mock=MOCK)
def test_it(replay):
    agent = app.PlainPlanner(app.make_llm())
    answer = replay.run(agent.plan, "Oslo")
    assert answer.startswith("Answer to 'merge Answer to 'flights flights for Oslo")
    assert agent.answers == [answer]
    assert isinstance(agent.llm, ChatOpenAI)
""",
}

XFAIL: dict[str, str] = {
    "tool_calls_sdk_target": (
        "ChatOpenAI calls Completions.create through with_raw_response, so its answer is an "
        "openai._legacy_response.LegacyAPIResponse the codec cannot store: the recording fails "
        "('cannot serialise the answer of call #1 ... it is the SDK's raw response', naming "
        "the chat model's method to mock instead)"
    ),
    "llm_in_attribute_no_get_state": (
        "the agent's __dict__ is its state and state['graph'] (a "
        "langgraph.graph.state.CompiledStateGraph) could only be stored as a pickle: "
        "SerializationError, no golden written"
    ),
}


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("langchain_agent", "langgraph_agent")


#: LangGraph streams an astream's messages through contextvars asyncio copies into tasks only
#: from Python 3.11 (its docs: on 3.10, pass the config on by hand); the live run streams nothing
NEEDS_311 = {"astream_messages"}


def _runnable(names: list[Any]) -> list[Any]:
    skip = pytest.mark.skipif(sys.version_info < (3, 11), reason="LangGraph: Python 3.11+")
    return [
        pytest.param(n, marks=skip) if isinstance(n, str) and n in NEEDS_311 else n for n in names
    ]


@pytest.mark.parametrize("name", _runnable(params(SCENARIOS, XFAIL)))
def test_records_and_replays(stack: Stack, name: str) -> None:
    stack.write_test(name, HEADER + SCENARIOS[name])
    stack.roundtrip()


def test_edited_system_prompt_fails_naming_the_call_and_the_text(stack: Stack) -> None:
    stack.write_test("sequential", HEADER + SCENARIOS["sequential_nodes"])
    stack.record()
    stack.replay_passes()
    stack.edit(
        "langgraph_agent",
        'SYSTEM = "You plan short trips."',
        'SYSTEM = "You plan endless voyages!"',
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*ChatOpenAI.invoke*"])
    result.stdout.fnmatch_lines(["*You plan short trips.*You plan endless voyages!*"])


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_pdb_opens_in_the_node_and_walks_no_frame_of_the_plugin(stack: Stack) -> None:
    """``--pdb`` on a prompt a node changed, the graph run by ``ainvoke`` (its sync nodes in an
    executor thread): the debugger opens in the node's code that made the call; ``where``
    listed the plugin's frames (``replay.run()``, its steps, the wrapper of the executor's job)
    among LangGraph's and the test's, and ``up`` went into them; now it shows none of them."""
    pexpect = pytest.importorskip("pexpect")
    stack.write_test("async_graph", HEADER + SCENARIOS["async_graph"])
    stack.record()
    stack.edit("langgraph_agent", 'ask(f"flights {found}")', 'ask(f"flight {found}")')
    child = stack.pytester.spawn_pytest("--pdb", expect_timeout=60)
    child.expect(r"langgraph_agent\.py\(\d+\)ask\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("where")
    child.expect(r"\(Pdb\)")
    frames = child.before.decode()
    assert "test_async_graph.py" in frames
    assert f"{os.sep}langgraph{os.sep}" in frames
    assert f"{os.sep}pytest_clearstone{os.sep}" not in frames
    child.sendline("up")
    child.expect(r"langgraph_agent\.py\(\d+\)flights\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p state['question']")
    child.expect("'Porto'")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


def test_parallel_nodes_are_green_five_times_in_a_row(stack: Stack) -> None:
    stack.write_test("parallel", HEADER + SCENARIOS["parallel_sync_nodes"])
    for _ in range(5):
        stack.record()
        stack.replay_passes()


def test_streamed_messages_are_green_five_times_in_a_row(stack: Stack) -> None:
    """``stream_mode="messages"``: LangGraph hands its pool one or two stream waiter jobs per
    step, as timing has it, and each node's job must still get its own recorded calls."""
    for name in ("stream_messages", "astream_messages"):
        if name not in NEEDS_311 or sys.version_info >= (3, 11):
            stack.write_test(name, HEADER + SCENARIOS[name])
    for _ in range(5):
        stack.record()
        stack.replay_passes()
        stack.replay_passes()


GRAPH_AS_AGENT = """
def run_graph(graph, inputs):
    return graph.invoke(inputs)


@pytest.mark.replay("goldens/graph.ckpt", mock=MOCK)
def test_it(replay):
    graph = app.build_graph(app.make_llm(), parallel=False)
    result = replay.run(graph.invoke, {"question": "Lisbon", "notes": []})
    assert result["answer"].startswith("Answer to 'merge")
"""


def test_a_graph_given_to_replay_run_fails_naming_the_fix(stack: Stack) -> None:
    """``replay.run(graph.invoke, ...)``: the graph is taken for the agent, and LangGraph's
    ``get_state(config)`` (a thread's checkpoint) for its state method: the recording failed
    with a bare ``TypeError: Pregel.get_state() missing 1 required positional argument``."""
    stack.write_test("graph", HEADER + GRAPH_AS_AGENT)
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot capture the state of the agent of replay.run() "
            "(a langgraph.graph.state.CompiledStateGraph): its get_state() needs arguments "
            "(config), so it is not an agent's state method: give replay.run() a function of "
            "your own that takes it instead (def run(agent, *args): return agent.method(*args); "
            "then replay.run(run, agent, *args))*",
        ]
    )
    result.stdout.no_fnmatch_line("*missing 1 required positional argument*")
    assert stack.goldens() == []
    # the fix it names records and replays
    stack.edit("test_graph", "replay.run(graph.invoke, ", "replay.run(run_graph, graph, ")
    stack.roundtrip()


NODE_GRAPH = """
from typing import TypedDict

from langchain_core.messages import HumanMessage
from langgraph.graph import END, START, StateGraph

import langchain_agent


class State(TypedDict, total=False):
    question: str
    answer: str


def call_model(state):
    llm = langchain_agent.make_llm()
    return {"answer": llm.invoke([HumanMessage(state["question"])]).content}


def build():
    graph = StateGraph(State)
    graph.add_node("call_model", call_model)
    graph.add_edge(START, "call_model")
    graph.add_edge("call_model", END)
    return graph.compile()


graph = build()  # compiled at import: the node holds call_model itself


class Asker:
    def __init__(self):
        self.answers = []

    def ask(self, question):
        answer = graph.invoke({"question": question})["answer"]
        self.answers.append(answer)
        return answer
"""

NODE_TEST = """
import pytest

import node_graph


@pytest.mark.replay("goldens/node.ckpt", mock={"node": "node_graph.call_model"})
def test_it(replay):
    assert replay.run(node_graph.Asker().ask, "Soup?") == "Answer to 'Soup?'"
"""


def test_a_node_function_of_a_graph_compiled_at_import_is_named_as_held(stack: Stack) -> None:
    """Mocking a node's function by its module path patches the name, but a graph compiled
    when its module was imported holds the function itself: nothing was recorded, and the only
    advice was the import path where the agent looks the function up (it looks nothing up)."""
    (stack.path / "node_graph.py").write_text(NODE_GRAPH)
    stack.write_test("node", NODE_TEST)
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*node_graph.call_model*",
            "*`node_graph.call_model` is also held by a langgraph.*RunnableCallable* made before "
            "the test patched the name (a graph's node, a registered tool): it calls the function "
            "it holds, never the mock. Mock a function that it calls instead, or make what holds "
            "it while the test runs (in the agent's method), where it takes the patched name",
        ]
    )
    # the fix it names records and replays
    stack.edit(
        "node_graph", "graph = build()  # compiled at import: the node holds call_model itself", ""
    )
    stack.edit("node_graph", "answer = graph.invoke(", "answer = build().invoke(")
    stack.roundtrip()


MIXED_GRAPH = """
import asyncio
from typing import TypedDict

from langchain_core.messages import HumanMessage
from langgraph.graph import END, START, StateGraph

from langchain_agent import make_llm


class State(TypedDict):
    question: str
    draft: str
    answer: str


def ask(question, mode):
    llm = make_llm()

    async def draft(state):  # an async node: ainvoke
        return {"draft": (await llm.ainvoke([HumanMessage("draft " + state["question"])])).content}

    def answer(state):  # a sync node beside it: invoke
        return {"answer": llm.invoke([HumanMessage("answer " + state["draft"])]).content}

    graph = StateGraph(State)
    graph.add_node("draft", draft)
    graph.add_node("answer", answer)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "answer")
    graph.add_edge("answer", END)
    compiled = graph.compile()

    async def run():
        if mode == "invoke":
            return (await compiled.ainvoke({"question": question}))["answer"]
        parts = []
        async for chunk, meta in compiled.astream({"question": question}, stream_mode="messages"):
            if meta["langgraph_node"] == "answer":
                parts.append(chunk.content)
        return "".join(parts)

    return asyncio.run(run())
"""

MIXED_TEST = """
import pytest

import mixed_graph


@pytest.mark.replay("goldens/mixed.ckpt", mock={"llm": TARGETS}, ignore=["**.run_manager"])
def test_it(replay):
    assert replay.run(mixed_graph.ask, "Oslo", MODE) == "Answer to 'answer Answer to 'draft Oslo''"
"""


@pytest.mark.parametrize(
    ("mode", "mocked", "live", "kind"),
    [("stream", "_astream", "_stream", "sync"), ("invoke", "_agenerate", "_generate", "sync")],
    ids=["astream_messages", "ainvoke"],
)
def test_a_sync_node_beside_async_nodes_calling_the_twin_live_warns_naming_it(
    stack: Stack, mode: str, mocked: str, live: str, kind: str
) -> None:
    """A graph whose async node calls the mocked ``_astream`` (``_agenerate``) and whose sync
    node calls its sync twin ``_stream`` (``_generate``): the sync node's call ran live with no
    word, its answer was not in the golden, and every replay made it live again."""
    if mode == "stream" and sys.version_info < (3, 11):
        pytest.skip("LangGraph streams an astream's messages from async nodes on 3.11+")
    (stack.path / "mixed_graph.py").write_text(MIXED_GRAPH)
    target = f"langchain_openai.ChatOpenAI.{mocked}"
    twin = f"langchain_openai.ChatOpenAI.{live}"
    test = MIXED_TEST.replace("MODE", repr(mode))
    stack.write_test("mixed", test.replace("TARGETS", repr(target)))
    result = stack.try_record("-W", "default::UserWarning")
    result.assert_outcomes(passed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        f"UnmockedCallWarning: test_mixed.py::test_it: {twin!r} was called while recording and "
        f"ran live: it is the {kind} twin of the mock target {target!r}, which makes the same "
        "request without calling it, so its calls are not in the golden and run live on every "
        f"replay. Mock it too (mock={{'llm': [{target!r}, {twin!r}]}})"
    ) in text, text
    # the fix it names records without the warning, and replays with the service sealed
    stack.write_test("mixed", test.replace("TARGETS", repr([target, twin])))
    result = stack.try_record("-W", "error::pytest_clearstone.errors.UnmockedCallWarning")
    result.assert_outcomes(passed=1)
    stack.replay_passes()
