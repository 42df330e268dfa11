"""Sync tools run in trio's worker threads (``anyio.to_thread.run_sync`` on anyio's ``trio``
backend, ``trio.to_thread.run_sync``): each job is a branch of execution of its own, keyed as on
asyncio (``"0/tool#0"``), whichever worker runs it.

trio keeps its worker threads and reuses an idle one for the next job, also in the next test.
Before the fix a new worker thread was a branch (``"0/_work#0"``) and a reused one none (the
job ran in the task's ``"0"``): the ids a tool drew while it was recorded came from another
seeded stream when its test ran after another one than when it ran alone, so re-recording one
test of an unchanged suite changed its golden ("final state").
"""

from __future__ import annotations

import json

import pytest

APP = """
import uuid
import anyio
import trio

def search(city):
    return {"city": city}

def lookup(city):  # the tool: its ids come from the seeded stream of its branch
    return {"id": str(uuid.uuid4()), **search(city)}

class Agent:
    def __init__(self):
        self.found = []

    async def plan(self, city):
        self.found.append(await anyio.to_thread.run_sync(lookup, city))
        self.found.append(await trio.to_thread.run_sync(lookup, city + "!"))
        return len(self.found)
"""

TEST = """
import pytest
from app import Agent

@pytest.fixture
def anyio_backend():
    return "trio"

@pytest.mark.anyio
@pytest.mark.parametrize("city", ["Lisbon", "Porto"])
@pytest.mark.replay(mock={"tool": "app.search"})
async def test_plan(replay, city):
    assert await replay.run(Agent().plan, city) == 2
"""


def _branches(pytester: pytest.Pytester, name: str) -> list[str]:
    golden = pytester.path / "goldens" / "test_it" / f"{name}.ckpt"
    spans = json.loads(golden.read_text())["trace"]["spans"]
    return [s["attributes"]["clearstone.branch"] for s in spans if s["input"] is not None]


def test_jobs_of_trio_worker_threads_are_branches_whichever_worker_runs_them(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=TEST)
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=2)
    # before the fix: ["0/_work#0", "0/_work#1"] for the first test, ["0", "0"] for the second
    for name in ("test_plan[Lisbon]", "test_plan[Porto]"):
        assert _branches(pytester, name) == ["0/lookup#0", "0/lookup#1"]
    again = pytester.runpytest("-p", "anyio", "--clearstone-record", "-k", "Porto")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*test_plan?Porto?.ckpt: unchanged"])
    pytester.runpytest("-p", "anyio").assert_outcomes(passed=2)
