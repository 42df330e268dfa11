"""A call that anyio's cancel scope cut off (``fail_after``, ``move_on_after`` on asyncio) is
recorded as cancelled with a message that is the same on every recording: anyio's
``CancelledError`` names the scope by its memory address (and the task that cancelled it), which
changed the golden on every re-record of an unchanged agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_clearstone.cli import main

APP = """
import anyio

async def slow(prompt):
    await anyio.sleep(5)  # the model stalls: the agent's timeout cuts the call off
    return "never"

class Agent:
    def __init__(self):
        self.status = ""

    async def fail_after(self):
        try:
            with anyio.fail_after(0.05):
                await slow("q")
        except TimeoutError:
            self.status = "timed out"
        return self.status

    async def move_on(self):
        with anyio.move_on_after(0.05) as scope:
            await slow("q")
        self.status = f"moved on: {scope.cancelled_caught}"
        return self.status

    async def cancelled_by_task(self):
        async with anyio.create_task_group() as group:
            async def stop():
                await anyio.sleep(0.05)
                group.cancel_scope.cancel("the user gave up")
            group.start_soon(stop)
            await slow("q")
        self.status = "stopped"
        return self.status
"""

TEST = """
import pytest
from app import Agent

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
@pytest.mark.replay(mock={"llm": "app.slow"})
@pytest.mark.parametrize("how", ["fail_after", "move_on", "cancelled_by_task"])
async def test_it(replay, how):
    await replay.run(getattr(Agent(), how))
"""


def _messages(golden: Path) -> list[str]:
    spans = json.loads(golden.read_text())["trace"]["spans"]
    return [s["error"]["message"] for s in spans if s.get("error")]


def _canonical(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["show", str(path), "--canonical"]) == 0
    return capsys.readouterr().out


def test_a_call_cut_off_by_an_anyio_cancel_scope_records_a_stable_message(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("anyio")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=TEST)
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=3)
    goldens = sorted((pytester.path / "goldens" / "test_it").glob("*.ckpt"))
    assert len(goldens) == 3
    messages = {golden.stem: _messages(golden) for golden in goldens}
    # before the fix: "Cancelled via cancel scope 7f3a9c1d2e40; reason: deadline exceeded", and
    # "... 7f3a9c1d2f10 by <Task pending name='Task-7' coro=<...> at .../app.py:41>; reason: ..."
    assert messages == {
        "test_it[fail_after]": ["Cancelled via cancel scope; reason: deadline exceeded"],
        "test_it[move_on]": ["Cancelled via cancel scope; reason: deadline exceeded"],
        "test_it[cancelled_by_task]": ["Cancelled via cancel scope; reason: the user gave up"],
    }
    before = {golden: _canonical(golden, capsys) for golden in goldens}
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=3)
    assert {golden: _canonical(golden, capsys) for golden in goldens} == before
    pytester.runpytest("-p", "anyio").assert_outcomes(passed=3)


def test_a_call_cut_off_by_a_trio_cancel_scope_records_a_stable_message(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """On trio the cancellation names the task that cancelled the scope by its memory address
    (``from task <Task '...stop' at 0x7f3a9c1d2e40>``, in its message, its arguments and its
    ``source_task``): before the fix every re-record of the unchanged agent changed the golden.
    The task's name is kept, its address is not."""
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=TEST.replace('return "asyncio"', 'return "trio"'))
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=3)
    goldens = sorted((pytester.path / "goldens" / "test_it").glob("*.ckpt"))
    messages = {golden.stem: _messages(golden) for golden in goldens}
    assert messages == {
        "test_it[fail_after]": ["cancelled due to deadline"],
        "test_it[move_on]": ["cancelled due to deadline"],
        "test_it[cancelled_by_task]": [
            "cancelled due to explicit with reason 'the user gave up' from task "
            "<Task 'app.Agent.cancelled_by_task.<locals>.stop'>"
        ],
    }
    before = {golden: golden.read_text() for golden in goldens}
    assert " at 0x" not in "".join(before.values())
    before_canonical = {golden: _canonical(golden, capsys) for golden in goldens}
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=3)
    assert {golden: _canonical(golden, capsys) for golden in goldens} == before_canonical


def test_a_call_cut_off_by_a_trio_cancel_scope_replays_cancelled_again(
    pytester: pytest.Pytester,
) -> None:
    """On replay the call waits to be cancelled again, as on asyncio: the scope's deadline (or
    the task that cancels it) fires and the agent takes the path it took when recorded. Before
    the fix the replay failed with a ``RecordedError`` ("supported on asyncio only")."""
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    pytester.syspathinsert()
    test = TEST.replace('return "asyncio"', 'return "trio"').replace(
        "    await replay.run(getattr(Agent(), how))",
        "    assert await replay.run(getattr(Agent(), how)) == STATUS[how]",
    )
    status = (
        'STATUS = {"fail_after": "timed out", "move_on": "moved on: True", '
        '"cancelled_by_task": "stopped"}\n'
    )
    pytester.makepyfile(app=APP, test_it=status + test)
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=3)
    pytester.runpytest("-p", "anyio").assert_outcomes(passed=3)
