"""A LangGraph graph compiled at import with a checkpointer (LangGraph's quickstart:
``graph = builder.compile(checkpointer=InMemorySaver())``) and tests that use one ``thread_id``:
the thread outlives each test, so a test's node sees the turns the tests before it left there.
Recorded in one order, replayed alone (``-k``, another xdist worker), the node's input differs
though nothing changed, and re-recording only moves the failure to the other selection. The
divergence says so, with the fix.

The runs are subprocesses: the graph a run compiles at import stays alive in this process."""

from __future__ import annotations

import pytest

APP = """
from typing import Annotated, TypedDict
import operator

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph


def reply(turns):
    return f"reply to {turns[-1]}"


class Chat(TypedDict):
    turns: Annotated[list, operator.add]


def chatbot(state: Chat):
    return {"turns": [reply(state["turns"])]}


builder = StateGraph(Chat)
builder.add_node("chatbot", chatbot)
builder.add_edge(START, "chatbot")
memory = InMemorySaver()
graph = builder.compile(checkpointer=memory)


def chat(text, thread="1"):
    out = graph.invoke({"turns": [text]}, {"configurable": {"thread_id": thread}})
    return out["turns"][-1]
"""

TEST = """
import pytest

import app


@pytest.mark.replay(mock={"llm": "app.reply"})
def test_hello(replay):
    assert replay.run(app.chat, "hello") == "reply to hello"


@pytest.mark.replay(mock={"llm": "app.reply"})
def test_bye(replay):
    assert replay.run(app.chat, "bye") == "reply to bye"
"""


def test_a_thread_of_a_checkpointer_made_at_import_is_named_when_a_replay_alone_diverges(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the divergence names the checkpointer made at import, the thread and the
    # node, and the fix. Before the fix it said only "The prompt or arguments changed. If the
    # change is intended, re-record", and the re-record of test_bye alone failed the next run
    # of the whole file the other way round.
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_chat=TEST)
    pytester.runpytest_subprocess("--clearstone-record", "-p", "no:randomly").assert_outcomes(
        passed=2
    )
    result = pytester.runpytest_subprocess("-k", "bye")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayDivergenceError: replay diverged at call #1 to app.reply*",
            "*: removed 'hello'",
            "*This call ran in LangGraph node 'chatbot' on thread '1' of a checkpointer made "
            "at import (app.memory, a langgraph.checkpoint.memory.InMemorySaver): it outlives "
            "the test*re-recording does not fix that. Give each test its own checkpointer*or "
            "its own thread_id. If that is not what makes it differ, the agent changed. If the "
            "change is intended, re-record with: pytest --clearstone-record test_chat.py::test_bye",
        ]
    )
    assert "The prompt or arguments changed" not in result.stdout.str()


def test_the_thread_is_not_named_for_a_checkpointer_made_in_the_test(
    pytester: pytest.Pytester,
) -> None:
    # A graph compiled in the test keeps its thread to the test: a divergence there is a
    # change of the agent, told as such.
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP.replace(
            "graph = builder.compile(checkpointer=memory)\n",
            "",
        ).replace(
            "    out = graph.invoke(",
            "    graph = builder.compile(checkpointer=InMemorySaver())\n    out = graph.invoke(",
        ),
        test_chat=TEST,
    )
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=2)
    edited = pytester.path.joinpath("app.py").read_text()
    pytester.makepyfile(app=edited.replace('{"turns": [text]}', '{"turns": [text + "!"]}'))
    result = pytester.runpytest_subprocess("-k", "bye")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*The prompt or arguments changed*"])
    assert "checkpointer made at import" not in result.stdout.str()


FIXTURE_TEST = """
import pytest
from langgraph.checkpoint.memory import InMemorySaver

import app


@pytest.fixture(scope="module")
def graph():
    return app.builder.compile(checkpointer=InMemorySaver())


@pytest.mark.replay(mock={"llm": "app.reply"})
def test_hello(replay, graph):
    assert replay.run(app.chat_on, graph, "hello") == "reply to hello"


@pytest.mark.replay(mock={"llm": "app.reply"})
def test_bye(replay, graph):
    assert replay.run(app.chat_on, graph, "bye") == "reply to bye"
"""

CHAT_ON = """

def chat_on(graph, text, thread="1"):
    out = graph.invoke({"turns": [text]}, {"configurable": {"thread_id": thread}})
    return out["turns"][-1]
"""


def test_a_thread_of_a_checkpointer_a_module_scoped_fixture_made_is_named(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix the hint looked for the checkpointer among the modules' names only: one
    # a fixture of module scope made (shared by the module's tests as one made at import is)
    # was not found, and the divergence said "The prompt or arguments changed".
    pytester.syspathinsert()
    app = APP.replace(
        "memory = InMemorySaver()\ngraph = builder.compile(checkpointer=memory)\n", ""
    )
    pytester.makepyfile(app=app + CHAT_ON, test_chat=FIXTURE_TEST)
    pytester.runpytest_subprocess("--clearstone-record", "-p", "no:randomly").assert_outcomes(
        passed=2
    )
    result = pytester.runpytest_subprocess("-k", "bye")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "*This call ran in LangGraph node 'chatbot' on thread '1' of a checkpointer made "
            "by fixture 'graph' of module scope (a langgraph.checkpoint.memory.InMemorySaver): "
            "it outlives the test*Give each test its own checkpointer*",
        ]
    )
    assert "The prompt or arguments changed" not in result.stdout.str()


#: a node that summarises the earlier turns, before or after its reply to the last one, when
#: the thread holds any: alone on the thread, it makes one call fewer
SUMMARISING = """

def summarize(turns):
    return f"{len(turns)} turns"


def chatbot(state: Chat):
    turns = state["turns"]
    if len(turns) > 1 and FIRST:
        summarize(turns[:-1])
    said = reply(turns[-1:])
    if len(turns) > 1 and not FIRST:
        summarize(turns[:-1])
    return {"turns": [said]}
"""


@pytest.mark.parametrize(
    ("first", "told"),
    [
        (True, "*ReplayDivergenceError: replay diverged at call #1 to app.reply*out of its*"),
        (False, "*UnusedResponsesError: the replay made fewer calls than the recording:*"),
    ],
    ids=["call-out-of-place", "calls-left-unused"],
)
def test_a_thread_of_a_checkpointer_made_at_import_is_named_when_calls_are_left_out(
    pytester: pytest.Pytester, first: bool, told: str
) -> None:
    # Before the fix the hint was given only where a call's arguments differ: alone on the
    # thread, the node leaves out the call that summarises the turns before, which came out as
    # the next call out of its recorded place, or as recorded calls left unused, and neither
    # named the thread.
    pytester.syspathinsert()
    app = APP.replace("\n\nclass Chat", f"\n\nFIRST = {first}\n\n\nclass Chat")
    start, end = app.index("def chatbot"), app.index("builder = StateGraph")
    app = app[:start] + SUMMARISING.strip() + "\n\n\n" + app[end:]
    test = TEST.replace('"app.reply"', '["app.reply", "app.summarize"]')
    pytester.makepyfile(app=app, test_chat=test)
    pytester.runpytest_subprocess("--clearstone-record", "-p", "no:randomly").assert_outcomes(
        passed=2
    )
    result = pytester.runpytest_subprocess("-k", "bye")
    result.assert_outcomes(failed=1, deselected=1)
    lines = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            told,
            "*LangGraph node 'chatbot' on thread '1' of a checkpointer made at import "
            "(app.memory, a langgraph.checkpoint.memory.InMemorySaver): it outlives the test*",
        ]
    )
    assert lines.count("it outlives the test") == 1


def test_a_thread_of_a_checkpointer_made_at_import_is_named_for_a_call_beyond_the_recorded(
    pytester: pytest.Pytester,
) -> None:
    # The other way round: recorded alone, the node makes one call fewer than it makes after
    # the other test; the call beyond the recorded ones named neither the thread nor the
    # checkpointer.
    pytester.syspathinsert()
    app = APP.replace("\n\nclass Chat", "\n\nFIRST = False\n\n\nclass Chat")
    start, end = app.index("def chatbot"), app.index("builder = StateGraph")
    app = app[:start] + SUMMARISING.strip() + "\n\n\n" + app[end:]
    test = TEST.replace('"app.reply"', '["app.reply", "app.summarize"]')
    pytester.makepyfile(app=app, test_chat=test)
    recorded = pytester.runpytest_subprocess("--clearstone-record", "-k", "bye")
    recorded.assert_outcomes(passed=1, deselected=1)
    pytester.runpytest_subprocess("--clearstone-record", "-k", "hello").assert_outcomes(
        passed=1, deselected=1
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayExhaustedError*app.summarize*",
            "*This call ran in LangGraph node 'chatbot' on thread '1' of a checkpointer made at "
            "import (app.memory, a langgraph.checkpoint.memory.InMemorySaver): it outlives the "
            "test*",
        ]
    )
