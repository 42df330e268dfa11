"""A golden recorded with an older release of a library whose dataclass, passed to a mocked
call, has gained a field since (the OpenAI Agents SDK's ``FunctionTool`` given to
``OpenAIResponsesModel.stream_response`` gains one in most releases), replayed after the
upgrade: the value reads back with the field at its default, and a live value holding the
default is the one recorded — with and without ``ignore=`` paths."""

from __future__ import annotations

import textwrap

import pytest

LIBRARY = """
import dataclasses
import threading

_LOCK = threading.Lock()


@dataclasses.dataclass
class FunctionTool:
    name: str
    on_invoke_tool: object  # (a closure holding a lock: stored as a placeholder)
{added}

def tool(name):
    def invoke():
        return _LOCK
    return FunctionTool(name, invoke)


def stream_response(instructions, tools, run_id):
    return "It is 21 degrees."
"""

TEST = """
import itertools

import pytest

import toolkit

RUN = itertools.count()


def agent(instructions):
    return toolkit.stream_response(instructions, [toolkit.tool("get_weather")], run_id=next(RUN))


@pytest.mark.replay(mock={{"llm": "toolkit.stream_response"}}, ignore={ignore})
def test_agent(replay):
    assert replay.run(agent, "{instructions}") == "It is 21 degrees."
"""


@pytest.mark.parametrize(
    "ignore", ['["tools.*.on_invoke_tool"]', '["tools.*.on_invoke_tool", "run_id"]']
)
def test_a_field_a_library_dataclass_gained_since_the_recording_replays_at_its_default(
    pytester: pytest.Pytester, ignore: str
) -> None:
    """With ``ignore=`` paths, the arguments were compared with the tree the golden holds, which
    lacks the field: the replay diverged (``root['tools'][0].timeout_seconds: added None``)
    though nothing the call sends had changed. A changed instruction still diverges."""
    pytester.syspathinsert()
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(toolkit=LIBRARY.format(added=""))

    def write_test(instructions: str) -> None:
        test = TEST.format(ignore=ignore, instructions=instructions)
        pytester.makepyfile(test_it=textwrap.dedent(test))

    write_test("Answer briefly.")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    upgraded = LIBRARY.format(added="    timeout_seconds: float | None = None\n")
    pytester.makepyfile(toolkit=upgraded)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    write_test("Answer at length.")
    changed = pytester.runpytest("-p", "no:cacheprovider")
    changed.assert_outcomes(failed=1)
    text = changed.stdout.str()
    assert "root['instructions']: 'Answer briefly.' -> 'Answer at length.'" in text
    assert "timeout_seconds" not in text  # (no field at its default told as added)
