"""LangGraph human-in-the-loop and persistence end to end: a graph that stops with
``interrupt()`` to ask for approval of a tool call and is resumed with ``Command(resume=...)`` on
one ``thread_id``, its threads kept in LangGraph's ``InMemorySaver`` or in
``langgraph-checkpoint-sqlite``'s ``SqliteSaver``; ``update_state`` before resuming and a run
from an earlier ``checkpoint_id`` (time travel). The golden keeps the interrupt (its id) and the
thread's checkpoints (ids, steps, times): they replay as recorded and a re-record in a new
process writes them again byte for byte; a changed resume value or prompt fails naming it."""

from __future__ import annotations

import json

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.checkpoint.sqlite
import langgraph.graph  # noqa: F401
import pytest

from .harness import Stack

TEST = """
import pytest

import langgraph_hitl_agent as app

MOCK = {"llm": "langchain_openai.ChatOpenAI.invoke", "tool": "langgraph_hitl_agent.lookup"}
# what bind_tools passes on inside a graph: LangGraph's config
CONFIG = ["config.callbacks", "config.configurable", "config.metadata", "**.run_id"]


@pytest.mark.replay(mock=MOCK, ignore=CONFIG)
@pytest.mark.parametrize("saver", ["memory", "sqlite"])
def test_approved(replay, saver):
    agent = app.Booker(app.make_llm(), saver)
    answer = replay.run(agent.book, "flights to Rome", "yes")
    assert answer == "Answer to 'flights to Rome' using flights: 18 matches for flights to Rome #0"
    [asked] = agent.runs[0]["interrupt"]
    assert asked.value == {"run": "search_flights", "args": {"query": "flights to Rome #0"}}


@pytest.mark.replay(mock=MOCK, ignore=CONFIG)
def test_edited_then_time_travel(replay):
    agent = app.Booker(app.make_llm())
    answer = replay.run(agent.edit, "flights to Rome")
    assert answer.endswith("using flights: 13 matches for Lisbon in May")
    assert agent.runs[0]["again"] == answer
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    stack = make_stack("langchain_agent", "langgraph_hitl_agent")
    stack.pytester.makeini("[pytest]\nfilterwarnings = error\n")
    stack.write_test("hitl", TEST)
    return stack


def test_interrupted_graphs_record_readably_and_replay(stack: Stack) -> None:
    stack.roundtrip()
    golden = json.loads((stack.path / "goldens/test_hitl/test_approved[sqlite].ckpt").read_text())
    [run] = golden["outcome"]["final_state"]["runs"]
    [asked] = run["interrupt"]
    assert asked["cls"] == "langgraph.types:Interrupt"
    assert [c["next"] for c in run["checkpoints"]] == [
        [],
        ["agent"],
        ["tools"],
        ["approve"],
        ["agent"],
        ["__start__"],
    ]


def test_a_re_record_in_a_new_process_writes_the_same_ids(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interrupt's id, the checkpoint ids and times of the thread: seeded and frozen, so a
    re-record in another process writes them again. The config LangGraph passes to the model
    after a run from an earlier checkpoint_id holds ``thread_id`` and ``checkpoint_id`` in its
    metadata in the order of a frozenset's strings, another under another PYTHONHASHSEED: that
    re-record rewrote the golden with the keys in the other order ("llm call #3 arguments (key
    order only)"), churning it in git at every re-record of an unchanged agent."""

    def record(hash_seed: str) -> dict[str, str]:
        monkeypatch.setenv("PYTHONHASHSEED", hash_seed)
        result = stack.pytester.runpytest_subprocess("--clearstone-record", timeout=90)
        result.assert_outcomes(passed=3)
        return stack.unmeasured_goldens()

    first = record("1")
    assert record("2") == first


def test_a_changed_resume_value_fails_naming_what_the_graph_no_longer_did(stack: Stack) -> None:
    stack.record()
    stack.edit("test_hitl", '"flights to Rome", "yes"', '"flights to Rome", "not today"')
    result = stack.replay("-k", "approved")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "langgraph_hitl_agent.lookup: 0 of 1 recorded response(s) used" in out
    assert "root: \"Answer to 'flights to Rome' using flights: 18 matches" in out
    assert "-> 'refused: not today'" in out


def test_a_changed_prompt_fails_at_the_call_before_the_interrupt(stack: Stack) -> None:
    stack.record()
    stack.edit("langgraph_hitl_agent", "You book flights.", "You book cheap flights.")
    result = stack.replay("-k", "memory")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "replay diverged at call #1 to langchain_openai.ChatOpenAI.invoke" in out
    assert "root['input'][0].content: 'You book flights.' -> 'You book cheap flights.'" in out
