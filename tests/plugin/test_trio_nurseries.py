"""Concurrent calls of an agent run by trio (anyio's ``trio`` backend): the tasks of a nursery
(an anyio task group) are branches of execution, as asyncio's tasks are.

trio runs the tasks that are ready in a random order (its scheduler reverses each batch with a
chance of one half), so the tasks of a nursery start their calls in another order on every run.
Before the fix they were no branches: a replay answered each target's calls in the order made,
and failed, with nothing changed, with a ``ReplayDivergenceError`` ("the calls to app.chat may
have been reordered") about half the time; a re-record of the unchanged agent renumbered the calls
("llm call #2 to app.chat arguments"). Now each task's calls are answered from its own
recordings, and listed in the golden in the order of the tasks' keys.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.inner_runs import LEAN_ARGS

APP = """
import anyio

async def chat(prompt):
    await anyio.sleep(0.01)
    return "answer to " + prompt

class Agent:
    def __init__(self):
        self.answers = []

    async def fan_out(self):
        topics = ("flights", "hotels", "trains", "weather")
        self.answers = [""] * len(topics)
        async with anyio.create_task_group() as group:
            for place, topic in enumerate(topics):
                async def ask(place=place, topic=topic):
                    self.answers[place] = await chat(topic)
                group.start_soon(ask)
        return self.answers
"""

CONFTEST = """
import os
import pytest

@pytest.fixture
def anyio_backend():
    return "trio"

@pytest.fixture(autouse=True)
def trio_scheduler_seed():
    # each inner run seeds trio's scheduler with another seed: the tasks run in another order
    import trio._core._run as run
    run._r.seed(int(os.environ["TRIO_SEED"]))
"""

TESTS = {
    "anyio": """
import pytest
from app import Agent

@pytest.mark.anyio
@pytest.mark.replay("g.ckpt", mock={"llm": "app.chat"})
async def test_fan_out(replay):
    assert len(await replay.run(Agent().fan_out)) == 4
""",
    # anyio's runner starts (and copies its context) while the async fixture is set up
    "anyio with an async fixture": """
import pytest
from app import Agent

@pytest.fixture
async def agent():
    return Agent()

@pytest.mark.anyio
@pytest.mark.replay("g.ckpt", mock={"llm": "app.chat"})
async def test_fan_out(replay, agent):
    assert len(await replay.run(agent.fan_out)) == 4
""",
    "trio.run": """
import pytest
import trio
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.chat"})
def test_fan_out(replay):
    assert len(trio.run(replay.run, Agent().fan_out)) == 4
""",
}


def _prompts(pytester: pytest.Pytester) -> list[str]:
    spans = json.loads((pytester.path / "g.ckpt").read_text())["trace"]["spans"]
    return [s["input"]["v"]["prompt"] for s in spans if "clearstone.target" in s["attributes"]]


@pytest.mark.parametrize("runner", list(TESTS))
def test_the_tasks_of_a_trio_nursery_replay_and_re_record_in_any_order(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, runner: str
) -> None:
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    pytester.syspathinsert()
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(app=APP, test_it=TESTS[runner])
    monkeypatch.setenv("TRIO_SEED", "0")
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=1)
    recorded = _prompts(pytester)
    # listed by task, in the order the tasks were started
    assert recorded == ["flights", "hotels", "trains", "weather"]
    # each task a branch of the test's main flow, whichever runner started the trio run (anyio
    # runs each task of its task group in a wrapper of its own, on asyncio too)
    spans = json.loads((pytester.path / "g.ckpt").read_text())["trace"]["spans"]
    branches = [s["attributes"]["clearstone.branch"] for s in spans if s["input"] is not None]
    assert branches == [f"0/_run_coro#{n}" for n in range(4)]
    for seed in range(1, 4):
        monkeypatch.setenv("TRIO_SEED", str(seed))
        result = pytester.runpytest("-p", "anyio")
        assert "reordered" not in result.stdout.str()
        result.assert_outcomes(passed=1)
    for seed in range(4, 5):
        monkeypatch.setenv("TRIO_SEED", str(seed))
        result = pytester.runpytest("-p", "anyio", "--clearstone-record")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*g.ckpt: unchanged"])
        assert _prompts(pytester) == recorded


IDS_APP = """
import uuid
import anyio

async def chat(prompt):
    await anyio.sleep(0.01)
    return "answer to " + prompt

class Agent:
    def __init__(self):
        self.steps = []

    async def fan_out(self):
        self.steps = [None] * 4
        async with anyio.create_task_group() as group:
            for place in range(4):
                async def step(place=place):
                    await anyio.sleep(0)
                    self.steps[place] = {"id": str(uuid.uuid4()), "answer": await chat(str(place))}
                group.start_soon(step)
        return self.steps
"""


def test_ids_drawn_in_the_tasks_of_a_trio_nursery_do_not_depend_on_their_order(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each task draws its ``uuid4()`` ids from a seeded stream of its own, as a thread-pool job
    does: trio runs the tasks in a random order, and before the fix they drew from the main
    flow's one stream in that order, so a replay failed with a ``GoldenMismatchError`` in the
    ids about half the time."""
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    pytester.syspathinsert()
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(app=IDS_APP, test_it=TESTS["anyio"])
    monkeypatch.setenv("TRIO_SEED", "0")
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=1)
    for seed in range(1, 4):
        monkeypatch.setenv("TRIO_SEED", str(seed))
        pytester.runpytest("-p", "anyio").assert_outcomes(passed=1)


ANYIO_RUN_TEST = """
import anyio
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.chat"})
def test_fan_out(replay):
    import sys
    assert "trio" not in sys.modules
    assert len(anyio.run(replay.run, Agent().fan_out, backend="trio")) == 4
"""


def test_a_trio_run_started_by_anyio_run_in_the_test_that_imports_trio(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``anyio.run(..., backend="trio")`` in a sync test imports trio there, in the first such
    test of a process: before the fix the propagation had found no trio to patch when the test
    began, the tasks the agent spawned before its first mocked call got no branches, and the
    replay failed (the ids each task drew swapped: a ``GoldenMismatchError``). In a process of
    its own, so that trio is imported by the test."""
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    root = Path(__file__).resolve().parents[2]
    paths = [str(pytester.path), str(root), *sys.path]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    # (each task draws its id after its answer: when recorded, after the live call's sleep)
    app = IDS_APP.replace(
        '{"id": str(uuid.uuid4()), "answer": await chat(str(place))}',
        '{"answer": await chat(str(place)), "id": str(uuid.uuid4())}',
    )
    assert app != IDS_APP
    pytester.makepyfile(app=app, test_it=ANYIO_RUN_TEST)
    lean = (*LEAN_ARGS, "-p", "no:anyio")
    pytester.runpytest_subprocess(*lean, "--clearstone-record").assert_outcomes(passed=1)
    spans = json.loads((pytester.path / "g.ckpt").read_text())["trace"]["spans"]
    branches = [s["attributes"]["clearstone.branch"] for s in spans if s["input"] is not None]
    # before the fix: ["0", "0", "0", "0"]
    assert branches == [f"0/_run_coro#{n}" for n in range(4)]  # (anyio runs each task so)
    for _ in range(3):
        pytester.runpytest_subprocess(*lean).assert_outcomes(passed=1)
