"""A mock target that is a plain function returning an awaitable (the coroutine of an async
function it calls without awaiting, or a task) cannot be recorded: its answer is the awaitable,
not what awaiting it gives. The refusal said to teach the codec the type (no encoder can store
a running coroutine) or to mock "the function under this one"; it now says what the function
does and the two fixes that work: make it ``async def`` and await the call in it, or mock the
async function it calls. The first fix, followed, records and replays."""

from __future__ import annotations

import pytest

APP = """
import asyncio

async def _complete(prompt):
    await asyncio.sleep(0)
    return f"answer to {prompt}"

def ask(prompt):  # a thin wrapper handing back the coroutine
    return _complete(prompt)

def ask_task(prompt):
    return asyncio.ensure_future(_complete(prompt))

class Agent:
    def __init__(self):
        self.log = []

    async def run(self, how):
        answer = await (ask("Rome") if how == "coroutine" else ask_task("Rome"))
        self.log.append(answer)
        return answer
"""

TEST = """
import asyncio
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": ["app.ask", "app.ask_task"]})
@pytest.mark.parametrize("how", ["coroutine", "task"])
def test_it(replay, how):
    assert asyncio.run(replay.run(Agent().run, how)) == "answer to Rome"
"""


def test_a_function_returning_an_awaitable_is_refused_with_fixes_that_work(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=TEST)
    result = pytester.runpytest("--clearstone-record", "-W", "ignore::UserWarning")
    result.assert_outcomes(failed=2)
    for target, kind in (("app.ask", "a coroutine"), ("app.ask_task", "a _asyncio.Task")):
        result.stdout.fnmatch_lines(
            [
                f"*the golden checkpoint was not written: cannot serialise the answer of call "
                f"#1 to {target} ({kind}): {target} is a plain function that returns an "
                f"awaitable (of an async function it calls without awaiting it), and the "
                f"awaitable cannot be stored, only what awaiting it gives. Make {target} an "
                f"async def that awaits the call and returns its answer, or mock the async "
                f"function it calls.",
            ]
        )
    assert "teach the codec" not in result.stdout.str()
    # the first fix, followed
    app = pytester.path / "app.py"
    app.write_text(
        app.read_text()
        .replace("def ask(prompt):", "async def ask(prompt):")
        .replace("return _complete(prompt)", "return await _complete(prompt)")
        .replace("def ask_task(prompt):", "async def ask_task(prompt):")
        .replace("return asyncio.ensure_future(", "return await asyncio.ensure_future(")
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.runpytest().assert_outcomes(passed=2)
