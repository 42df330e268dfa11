"""Async tests written with pytest-asyncio (``@pytest.mark.asyncio``, its auto mode, loops
shared by a module or a class, async fixtures that build the agent): they record and replay
like sync ones, an unchanged re-record leaves every golden as it was, byte for byte, a changed
prompt fails naming the call, and a golden recorded under pytest-asyncio replays under
``asyncio.run`` and the reverse. The inner runs leave pytest-asyncio out (``LEAN_ADDOPTS``):
``-p pytest_asyncio.plugin`` loads it, as an installed pytest-asyncio is loaded in a user's run
(``-p asyncio`` would name the standard library's module).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

APP = """
import asyncio
import random
import time
import uuid

PROMPT = "a day in {city}"

async def chat(prompt):
    await asyncio.sleep(0)
    return "plan for " + prompt

async def lookup(kind, city):
    await asyncio.sleep(0)
    return {"kind": kind, "city": city}

class Agent:
    def __init__(self):
        self.log = []

    async def plan(self, city):
        plan = await chat(PROMPT.format(city=city))
        museum, park = await asyncio.gather(lookup("museum", city), lookup("park", city))
        self.log.append({"plan": plan, "at": time.time(), "id": str(uuid.uuid4()),
                         "pick": random.random(), "open": [museum["kind"], park["kind"]]})
        return plan
"""

STRICT_MODE = """
import pytest
import pytest_asyncio
from app import Agent

MOCK = {"llm": "app.chat", "tool": "app.lookup"}

@pytest_asyncio.fixture
async def agent():
    return Agent()

@pytest.mark.asyncio
@pytest.mark.replay(mock=MOCK)
async def test_function_loop(replay, agent):
    assert await replay.run(agent.plan, "Lisbon") == "plan for a day in Lisbon"

@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.replay(mock=MOCK)
async def test_module_loop_1(replay):
    await replay.run(Agent().plan, "Porto")

@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.replay(mock=MOCK)
async def test_module_loop_2(replay, checkpoint):
    await replay.run(Agent().plan, "Faro")

@pytest.mark.asyncio(loop_scope="class")
@pytest.mark.replay(mock=MOCK)
class TestClassLoop:
    async def test_one(self, replay):
        await replay.run(Agent().plan, "Braga")

    async def test_two(self, replay):
        await replay.run(Agent().plan, "Evora")
"""

AUTO_MODE = """
import pytest
from app import Agent

pytestmark = pytest.mark.replay(mock={"llm": "app.chat", "tool": "app.lookup"})

@pytest.fixture
async def agent():
    return Agent()

async def test_function_loop(replay, agent):
    await replay.run(agent.plan, "Lisbon")

@pytest.mark.parametrize("city", ["Porto", "Faro"])
async def test_parametrized(replay, city):
    await replay.run(Agent().plan, city)

class TestClass:
    async def test_method(self, replay):
        await replay.run(Agent().plan, "Braga")
"""

INI = {
    "strict": "[pytest]\nasyncio_default_fixture_loop_scope = function\n",
    "auto": (
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "asyncio_default_test_loop_scope = session\n"
    ),
}

#: pytest-asyncio loaded, and every warning an error (none of the plugin's may come from its use)
#: but pytest's that the outer run imported the plugin before the inner one could rewrite it
ARGS = (
    "-p", "pytest_asyncio.plugin", "-p", "no:randomly", "-W", "error",
    "-W", "ignore:Module already imported so cannot be rewritten; pytest_asyncio"
    ":pytest.PytestAssertRewriteWarning",
)  # fmt: skip


def _goldens(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.ckpt"))}


@pytest.mark.parametrize(
    ("mode", "tests", "count"), [("strict", STRICT_MODE, 5), ("auto", AUTO_MODE, 4)]
)
def test_async_tests_of_pytest_asyncio_record_replay_and_rerecord_unchanged(
    pytester: pytest.Pytester, mode: str, tests: str, count: int
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(tests))
    pytester.makeini(INI[mode])
    pytester.runpytest(*ARGS, "--clearstone-record").assert_outcomes(passed=count)
    recorded = _goldens(pytester.path)
    assert len(recorded) == count
    pytester.runpytest(*ARGS).assert_outcomes(passed=count)
    rerecorded = pytester.runpytest(*ARGS, "--clearstone-record")
    rerecorded.assert_outcomes(passed=count)
    assert _goldens(pytester.path) == recorded
    pytester.makepyfile(app=textwrap.dedent(APP).replace("a day in", "one day in"))
    changed = pytester.runpytest(*ARGS)
    changed.assert_outcomes(failed=count)
    changed.stdout.fnmatch_lines(
        ["*ReplayDivergenceError: replay diverged at call #1 to app.chat*",
         "*root?'prompt'?: 'a day in Lisbon' -> 'one day in Lisbon'*"]
    )  # fmt: skip


RUNNERS = """
import asyncio
import os
import pytest
from app import Agent

MOCK = {"llm": "app.chat", "tool": "app.lookup"}
RUNNER = os.environ["RUNNER"]

@pytest.fixture
def anyio_backend():
    return "asyncio"

if RUNNER == "anyio with an async fixture":
    @pytest.fixture
    async def ready():  # (anyio's runner starts here, in a context copied before the test's call)
        return True
else:
    @pytest.fixture
    def ready():
        return True

if RUNNER == "pytest-asyncio":
    @pytest.mark.asyncio
    @pytest.mark.replay("goldens/lisbon.ckpt", mock=MOCK)
    async def test_lisbon(replay):
        await replay.run(Agent().plan, "Lisbon")
elif RUNNER.startswith("anyio"):
    @pytest.mark.anyio
    @pytest.mark.replay("goldens/lisbon.ckpt", mock=MOCK)
    async def test_lisbon(replay, ready):
        await replay.run(Agent().plan, "Lisbon")
else:
    @pytest.mark.replay("goldens/lisbon.ckpt", mock=MOCK)
    def test_lisbon(replay):
        asyncio.run(replay.run(Agent().plan, "Lisbon"))
"""

RUNNER_NAMES = ("pytest-asyncio", "asyncio.run", "anyio", "anyio with an async fixture")


@pytest.mark.parametrize("recorder", RUNNER_NAMES)
def test_a_golden_recorded_under_one_runner_replays_and_rerecords_unchanged_under_the_others(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recorder: str
) -> None:
    # Before the fix anyio's runner ran the test in a task of its own (its calls keyed
    # "0/_run_tests_and_fixtures#0/lookup#0"), or, once an async fixture had started it, in a
    # context copied before the test's branch began (keyed ""): a re-record under another
    # runner, or after an async fixture was added, rewrote every branch key of the golden
    pytest.importorskip("anyio")
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(RUNNERS))
    pytester.makeini(INI["strict"])
    args = (*ARGS, "-p", "anyio")
    monkeypatch.setenv("RUNNER", recorder)
    pytester.runpytest(*args, "--clearstone-record").assert_outcomes(passed=1)
    recorded = _goldens(pytester.path)
    for replayer in RUNNER_NAMES:
        monkeypatch.setenv("RUNNER", replayer)
        pytester.runpytest(*args).assert_outcomes(passed=1)
        pytester.runpytest(*args, "--clearstone-record").assert_outcomes(passed=1)
        assert _goldens(pytester.path) == recorded, f"re-recorded under {replayer}"


BACKGROUND = """
import asyncio

async def acomplete(prompt):
    await asyncio.sleep(0.05)
    return "answer to " + prompt

class Agent:
    def __init__(self, tasks):
        self.tasks = tasks  # (not part of its state)
        self.log = []

    def get_state(self):
        return {"log": self.log}

    def load_state(self, state):
        self.log = list(state["log"])

    async def _summarize(self, text):
        self.log.append(await acomplete("summarize: " + text))

    async def handle(self, q):
        answer = await acomplete(q)
        self.tasks.add(asyncio.create_task(self._summarize(answer)))
        self.log.append(answer)
        return answer
"""

BACKGROUND_TESTS = """
import asyncio
import os
import pytest
import pytest_asyncio
import app

@pytest_asyncio.fixture
async def tasks():
    tasks = set()
    yield tasks
    await asyncio.gather(*tasks)  # too late: the golden is written when the call ends

@pytest.mark.asyncio
@pytest.mark.replay(mock={"llm": "app.acomplete"})
async def test_it(replay, tasks):
    assert await replay.run(app.Agent(tasks).handle, "q") == "answer to q"
    if os.environ.get("AWAIT") == "1":
        await asyncio.gather(*tasks)
"""


def test_background_tasks_are_awaited_in_the_test_not_in_a_fixture_teardown(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # docs/how-to/async-agents.md advised awaiting the agent's background tasks "in a
    # fixture's teardown": a teardown runs after the test's call, when its golden is written,
    # so the call the task still made then failed the recording. The page now says so.
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(BACKGROUND), test_it=textwrap.dedent(BACKGROUND_TESTS))
    pytester.makeini(INI["strict"])
    result = pytester.runpytest(*ARGS, "--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*call #2 to app.acomplete was still running when the test ended*"]
    )
    assert not _goldens(pytester.path)
    monkeypatch.setenv("AWAIT", "1")
    pytester.runpytest(*ARGS, "--clearstone-record").assert_outcomes(passed=1)
    (golden,) = _goldens(pytester.path).values()
    assert b"summarize: answer to q" in golden
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)
