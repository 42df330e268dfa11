"""LangGraph's ``Send`` map-reduce end to end: one ``summarise`` task per topic in the same
superstep (sync nodes on LangGraph's thread pool, async nodes as asyncio tasks under
``ainvoke``), reduced with ``operator.add``; also streamed token by token, each task's tokens
grouped by its ``langgraph_checkpoint_ns`` (the branches share their node's name). An unchanged
replay passes; a changed prompt in one branch is that branch's delta; a topic more or less gives
the plugin's own message."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.graph  # noqa: F401
import pytest

from .harness import Stack

TEST = """
import asyncio

import pytest

import langgraph_fanout_agent as app

TOPICS = ["alps", "bees", "cats"]
MOCK = {"llm": "langchain_openai.ChatOpenAI.invoke", "allm": "langchain_openai.ChatOpenAI.ainvoke"}


@pytest.mark.replay(mock=MOCK)
def test_sync(replay):
    answer = replay.run(app.Summariser(app.make_llm()).run, TOPICS)
    assert answer.startswith("Answer to 'reduce Answer to 'summarise alps'")


@pytest.mark.replay(mock=MOCK)
def test_async(replay):
    agent = app.Summariser(app.make_llm(), use_async=True)
    answer = asyncio.run(replay.run(agent.arun, TOPICS))
    assert answer.startswith("Answer to 'reduce Answer to 'summarise alps'")


# the summarise tasks await ainvoke (streamed by _astream), reduce calls invoke (by _stream)
STREAMS = {
    "llm": "langchain_openai.ChatOpenAI._stream",
    "allm": "langchain_openai.ChatOpenAI._astream",
}


@pytest.mark.replay(mock=STREAMS, ignore=["**.run_manager"])
def test_async_tokens(replay):
    agent = app.Summariser(app.make_llm(), use_async=True)
    texts = asyncio.run(replay.run(agent.atokens, TOPICS))
    # three summarise tasks and the reduce step, each its own text
    assert len(texts) == 4 and "Answer to 'summarise alps'" in texts.values()
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    stack = make_stack("langchain_agent", "langgraph_fanout_agent")
    stack.write_test("fan_out", TEST)
    return stack


def test_a_fan_out_records_and_replays(stack: Stack) -> None:
    stack.roundtrip()


def test_a_changed_prompt_in_one_branch_is_that_branchs_delta(stack: Stack) -> None:
    stack.record()
    stack.edit("test_fan_out", '"cats"]', '"cows"]')
    result = stack.replay()
    result.assert_outcomes(failed=3, passed=0)
    text = result.stdout.str()
    assert text.count("root['input'][1].content: 'summarise cats' -> 'summarise cows'") == 2
    assert "summarise alps' ->" not in text and "summarise bees' ->" not in text


def test_one_topic_more_is_a_call_its_branch_did_not_record(stack: Stack) -> None:
    """A fan-out over one item more: the extra task's call took the recorded answer of another
    branch (the ``reduce`` call after the fan-out, or a sibling task that had not called yet)
    and failed with a delta against that call's prompt, as if the prompt had changed."""
    stack.record()
    stack.edit("test_fan_out", '"cats"]', '"cats", "dune"]')
    result = stack.replay()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*ReplayExhaustedError: langchain_openai.ChatOpenAI.invoke: call #? was made in a "
            "branch of execution the recording does not have ('0/run_with_retry#3': the "
            "recording has 3 job(s) or task(s) running run_with_retry there)*",
            "*call #? arguments: *summarise dune*",
            "*The agent now makes more calls than when it was recorded, in a job or task the "
            "recording does not have: *starts more jobs or tasks (a Send fan-out or a batch "
            "over more items)*",
            "*ReplayExhaustedError: langchain_openai.ChatOpenAI.ainvoke: call #4 was made in a "
            "branch of execution the recording does not have ('0/arun_with_retry#3': the "
            "recording has 3 job(s) or task(s) running arun_with_retry there)*",
        ]
    )
    text = result.stdout.str()
    assert "-> 'summarise dune'" not in text and 'HumanMessage(content="reduce' not in text


def test_one_topic_less_is_the_reduce_calls_delta(stack: Stack) -> None:
    stack.record()
    stack.edit("test_fan_out", '"bees", "cats"]', '"bees"]')
    result = stack.replay()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*ChatOpenAI.invoke*call 4 of 4*"])
    result.stdout.fnmatch_lines(["*- ...swer to 'summarise bees' | Answer to 'summarise cats'"])


DRAFTS = """
import asyncio

import pytest

import langgraph_fanout_agent as app


@pytest.mark.replay(mock={"allm": "langchain_openai.ChatOpenAI.ainvoke"})
def test_drafts(replay):
    agent = app.Drafter(app.make_slow_llm())
    chunks = asyncio.run(replay.run(agent.astream, ["alps", "bees", "cats"]))
    # cats is answered at once, bees after 0.3 s, alps after 0.9 s: each branch's update comes
    # after its custom writes, and cats's before the slower branches' first write
    assert chunks[:3] == [
        ["custom", {"drafted": "cats"}],
        ["custom", {"polished": "cats"}],
        ["updates", {"draft": {"summaries": ["Answer to 'polish cats: Answer to 'draft cats''"]}}],
    ]
"""


def test_async_branches_stream_in_the_order_they_finished_when_recorded(stack: Stack) -> None:
    """Async ``Send`` branches that each ask twice, streamed with their custom writes: once the
    slower branch's call had waited for the quicker branch's calls to be answered, it completed
    at once, before the quicker branch's node had returned and its update been streamed, so an
    unchanged replay failed ("only the order of the items differs") however often re-recorded."""
    (stack.path / "test_fan_out.py").unlink()
    stack.write_test("drafts", DRAFTS)
    stack.roundtrip()
