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
