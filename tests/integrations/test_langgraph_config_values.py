"""A LangGraph ``bind_tools`` node passes LangGraph's run config on to ``ChatOpenAI.invoke``:
functions, counters and a ``functools.partial`` that no codec form holds. Without ``ignore=``:
recording under ``filterwarnings = error`` fails with a warning naming the value's path, the call
and the fix (before: no path, no fix, and dill, though pickles were never enabled); and a changed
prompt diverges with one line (before: seven lines of placeholders of LangGraph's ``Runtime`` and
scratchpad dataclasses came first, with memory addresses)."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.graph  # noqa: F401
import pytest

from .harness import Stack

TEST = """
import pytest

import langgraph_agent as app


@pytest.mark.replay("goldens/tools.ckpt",
                    mock={"llm": "langchain_openai.ChatOpenAI.invoke",
                          "tool": "langgraph_agent.lookup"})
def test_it(replay):
    assert replay.run(app.ToolAgent(app.make_llm()).run, "Rome").startswith("Answer to 'Rome'")
"""

#: the warning about LangGraph's partial, shown but not raised
SHOWN = ("-W", "default::pytest_clearstone.errors.UnencodableValueWarning")


@pytest.fixture
def stack(make_stack) -> Stack:
    stack = make_stack("langchain_agent", "langgraph_agent")
    stack.write_test("tools", TEST)
    return stack


def test_recording_under_filterwarnings_error_names_the_path_and_the_fix(stack: Stack) -> None:
    # (the in-process inner runs keep this project's filterwarnings = error)
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnencodableValueWarning: storing the repr of a functools.partial value at "
            "config.configurable.__pregel_call in the arguments of call #1 to "
            "langchain_openai.ChatOpenAI.invoke: *"
            "leave it out of the comparison with the marker's "
            "ignore=[[]'config.configurable.__pregel_call']*",
        ]
    )
    warned = [line for line in result.stdout.lines if "Warning: storing the repr" in line]
    assert not [line for line in warned if "dill" in line]


def test_a_changed_prompt_is_one_line_of_the_delta(stack: Stack) -> None:
    stack.record(*SHOWN)
    stack.replay_passes(*SHOWN)
    stack.edit("test_tools", '"Rome").startswith', '"Roma").startswith')
    result = stack.replay(*SHOWN)
    result.assert_outcomes(failed=1)
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "recorded -> actual:" in line)
    end = next(i for i, line in enumerate(lines) if i > start and "re-record with" in line)
    delta = [line.split("E", 1)[1].strip() for line in lines[start + 1 : end]]
    assert delta == ["root['input'][1].content: 'Rome' -> 'Roma'"]
