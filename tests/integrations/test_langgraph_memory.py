"""A LangGraph chat with long-term memory in an ``InMemoryStore``: the agent keeps the store's
``SearchItem``s in its state. They are recorded as readable JSON (they were pickles: the
recording failed unless pickles were allowed), replay green, and a changed memory is a delta
naming the item's field."""

from __future__ import annotations

import json

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.graph  # noqa: F401
import pytest

from .harness import Stack

TEST = """
import pytest

import langgraph_memory_agent as app

QUESTIONS = ["tea or coffee?", "hello", "I like green tea", "what about me?", "and now?"]


@pytest.mark.replay("goldens/memory.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    agent = app.StoreMemoryChat(app.make_llm())
    answers = replay.run(agent.converse, QUESTIONS)
    assert answers[0] == "Answer to 'tea or coffee?'"
    [first, *_] = agent.memories["user-0"]
    assert type(first).__name__ == "SearchItem" and first.namespace == ("memories", "user-0")
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("langchain_agent", "langgraph_memory_agent")


def test_store_items_in_the_state_record_readably_and_replay(stack: Stack) -> None:
    stack.write_test("memory", TEST)
    stack.roundtrip()
    golden = json.loads((stack.path / "goldens" / "memory.ckpt").read_text())
    [first, *_] = golden["outcome"]["final_state"]["memories"]["user-0"]
    assert first["__cs__"] == "slots"
    assert first["cls"] == "langgraph.store.base:SearchItem"
    assert first["v"]["value"] == {"note": "Answer to 'tea or coffee"}
    assert first["v"]["key"] == "note-1"

    # the agent now rewrites a memory once the conversation is over
    stack.edit(
        "langgraph_memory_agent",
        "        for user in range(users):",
        '        self.store.put(("memories", "user-0"), "note-1", {"note": "edited"})\n'
        "        for user in range(users):",
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    changed = "root['memories']['user-0'][0].value['note']: \"Answer to 'tea or coffee\" -> "
    assert changed + "'edited'" in result.stdout.str()


def test_a_passing_replay_redacts_each_call_s_arguments_once(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat model's ``self`` holds SDK clients (compared by reference, never ``==``), so each
    call of a long conversation is compared through the redaction: its arguments, the whole
    history, were walked twice per call (redacted by the replay's transform, then again by the
    matcher), the work growing with the square of the turns."""
    from pytest_clearstone.redaction import Redactor

    stack.write_test("memory", TEST)
    stack.record()
    walks: list[object] = []
    redact = Redactor.redact

    def spy(self: Redactor, value: object) -> object:  # (the matcher's second walk)
        walks.append(value)
        return redact(self, value)

    monkeypatch.setattr(Redactor, "redact", spy)
    stack.replay_passes()
    assert walks == []


ASYNC_SQLITE = """
import asyncio

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, MessagesState, StateGraph

import langchain_agent as app

CONFIG = ["config.callbacks", "config.configurable", "config.metadata"]


class Chat:
    def __init__(self, llm, db):
        self.llm, self.db, self.history = llm, db, []

    def get_state(self):
        return {"history": self.history}

    def load_state(self, state):
        self.history = list(state["history"])

    async def converse(self, questions):
        async def chat(state, config):
            return {"messages": [await self.llm.ainvoke(state["messages"], config)]}

        graph = StateGraph(MessagesState)
        graph.add_node("chat", chat)
        graph.add_edge(START, "chat")
        graph.add_edge("chat", END)
        async with AsyncSqliteSaver.from_conn_string(self.db) as saver:
            app_graph = graph.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "user-1"}}
            for question in questions:
                await app_graph.ainvoke({"messages": [HumanMessage(question)]}, config)
            self.history = [
                (s.config["configurable"]["checkpoint_id"], s.created_at, len(s.values["messages"]))
                async for s in app_graph.aget_state_history(config)
            ]
        return self.history[0][2]


@pytest.mark.replay(mock={"llm": "langchain_openai.ChatOpenAI.ainvoke"}, ignore=CONFIG)
def test_it(replay, tmp_path):
    chat = Chat(app.make_llm(), str(tmp_path / "threads.sqlite"))
    assert asyncio.run(replay.run(chat.converse, ["tea or coffee?", "why?"])) == 4
"""


def test_a_graph_on_an_async_sqlite_checkpointer_file_records_replays_and_re_records_the_same(
    stack: Stack,
) -> None:
    """The ``aiosqlite`` connection the checkpointer passes to each node in its config was
    copied by the redaction of each call's arguments; each copy, collected, warned that the
    connection "was deleted before being closed", failing the test under
    ``filterwarnings = error`` (the inner runs keep the outer filters)."""
    stack.write_test("async_sqlite", ASYNC_SQLITE)
    stack.roundtrip()
    first = stack.unmeasured_goldens()
    stack.record()
    assert stack.unmeasured_goldens() == first
