"""A replay error raised inside an ``asyncio.TaskGroup`` reaches pytest in an exception group:
it is still a divergence (counted, re-recorded by record-diverged) and ``--pdb`` opens in the
agent's frame that made the call, as for an agent that gathers."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.inner_runs import LEAN_ADDOPTS

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup")

APP = """
import asyncio
import vendorlib


async def complete(prompt):
    await asyncio.sleep(0)
    return prompt.upper()


class Agent:
    def __init__(self):
        self.asked = []

    def get_state(self):
        return {"asked": self.asked}

    def load_state(self, state):
        self.asked = list(state["asked"])

    async def ask(self, question):
        answer = await vendorlib.relay(complete, PROMPT.format(question))
        return answer

    async def fan_out(self, questions):
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self.ask(q)) for q in questions]
        self.asked = [t.result() for t in tasks]
        return self.asked

    async def gather(self, questions):
        self.asked = list(await asyncio.gather(*(self.ask(q) for q in questions)))
        return self.asked
"""

TEST = """
import asyncio
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_fan_out(replay):
    asyncio.run(replay.run(Agent().fan_out, ["one", "two"]))

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_gather(replay):
    asyncio.run(replay.run(Agent().gather, ["one", "two"]))
"""


#: a library between the agent and the mocked call, in site-packages as an installed one is
VENDORLIB = "async def relay(call, prompt):\n    return await call(prompt)\n"


def _project(pytester: pytest.Pytester, prompt: str = "Q: {}") -> None:
    library = pytester.path.parent / f"{pytester.path.name}_site" / "site-packages"
    library.mkdir(parents=True, exist_ok=True)
    (library / "vendorlib.py").write_text(VENDORLIB)
    pytester.syspathinsert(library)
    pytester.syspathinsert()
    pytester.makepyfile(app=f"PROMPT = {prompt!r}\n" + APP, test_agent=TEST)


@pytest.fixture
def changed(pytester: pytest.Pytester) -> pytest.Pytester:
    """Recorded, then the prompt changed: both tests diverge."""
    _project(pytester)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    _project(pytester, prompt="Question: {}")
    return pytester


@pytest.mark.parametrize("test", ["test_fan_out", "test_gather"])
def test_divergence_in_a_group_is_counted_as_diverged(changed, test):
    result = changed.runpytest(f"test_agent.py::{test}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replayed, 0 recorded, 1 diverged*",
            "*re-record what diverged with: pytest --clearstone-mode=record-diverged*",
        ]
    )


@pytest.mark.parametrize("test", ["test_fan_out", "test_gather"])
def test_record_diverged_rerecords_a_divergence_in_a_group(changed, test):
    golden = changed.path / "goldens" / "test_agent" / f"{test}.ckpt"
    before = golden.read_bytes()
    result = changed.runpytest("--clearstone-mode=record-diverged", f"test_agent.py::{test}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"re-recorded (diverged on replay): test_agent.py::{test}"])
    assert golden.read_bytes() != before
    changed.runpytest(f"test_agent.py::{test}").assert_outcomes(passed=1)


def test_the_replay_error_in_a_group_ends_in_the_agent(changed):
    result = changed.runpytest("test_agent.py::test_fan_out")
    text = result.stdout.str()
    before = text[: text.index("ReplayDivergenceError: replay diverged")]
    frames = re.findall(r'File "[^"]*", line \d+, in (\w+)', before)
    assert frames[-1] == "ask", frames  # not the library's relay


def test_pdb_opens_in_the_agent_frame_of_a_divergence_in_a_group(changed, monkeypatch):
    pexpect = pytest.importorskip("pexpect")
    if sys.platform == "win32":
        pytest.skip("needs a pseudo-terminal")
    library = changed.path.parent / f"{changed.path.name}_site" / "site-packages"
    root = Path(__file__).resolve().parents[2]  # (this checkout's plugin, not an installed one)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(library), str(changed.path), str(root)]))
    child = changed.spawn_pytest(
        f"{LEAN_ADDOPTS} --pdb test_agent.py::test_fan_out", expect_timeout=30
    )
    child.expect(r"PDB post_mortem")
    child.expect(r"app\.py\(\d+\)ask\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p question")
    child.expect(r"'one'")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


TOOL_GROUP_APP = """
import asyncio


class ToolError(Exception):
    def __init__(self, tool, code):
        super().__init__(f"{tool} failed with {code}")
        self.tool = tool
        self.code = code


async def fail(error):
    await asyncio.sleep(0)
    raise error


async def fetch_all(query):
    async with asyncio.TaskGroup() as group:
        group.create_task(fail(ToolError("flights", 503)))
        group.create_task(fail(KeyError(query)))
    return "never"


class Agent:
    def __init__(self):
        self.notes = []

    async def run(self, query):
        try:
            await fetch_all(query)
        except* ToolError as group:
            self.notes += [[str(e), e.tool, e.code] for e in group.exceptions]
        except* KeyError as group:
            self.notes += [repr(e) for e in group.exceptions]
        return self.notes

    async def report(self, query):
        try:
            await fetch_all(query)
        except ExceptionGroup as group:
            return [str(group), len(group.exceptions)]
"""

TOOL_GROUP_TEST = """
import asyncio
import pytest
from app import Agent

@pytest.mark.replay(mock={"tool": "app.fetch_all"})
def test_except_star(replay):
    assert asyncio.run(replay.run(Agent().run, "Lisbon")) == [
        ["flights failed with 503", "flights", 503], "KeyError('Lisbon')"]

@pytest.mark.replay(mock={"tool": "app.fetch_all"})
def test_group_text(replay):
    assert asyncio.run(replay.run(Agent().report, "Lisbon")) == [
        "unhandled errors in a TaskGroup (2 sub-exceptions)", 2]
"""


def test_an_exception_group_a_mocked_call_raised_replays_with_its_exceptions(
    pytester: pytest.Pytester,
) -> None:
    # A tool running its work in an asyncio.TaskGroup raises an ExceptionGroup: the replay
    # raises the group again, holding the recorded exceptions (except* and .exceptions read
    # them as recorded), and a re-record writes the same golden. Before the fix: the group's
    # exceptions were stored as repr placeholders and every replay failed with RecordedError
    # ("BaseExceptionGroup.__new__() takes exactly 2 arguments").
    pytester.syspathinsert()
    pytester.makepyfile(app=TOOL_GROUP_APP, test_agent=TOOL_GROUP_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    golden = pytester.path / "goldens" / "test_agent" / "test_except_star.ckpt"
    first = re.sub(r'"(start|end)_time_ns": \d+', "", golden.read_text())
    assert '"__cs__": "repr"' not in first
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    assert re.sub(r'"(start|end)_time_ns": \d+', "", golden.read_text()) == first
    pytester.runpytest().assert_outcomes(passed=2)
