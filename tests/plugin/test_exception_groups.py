"""A replay error raised inside an ``asyncio.TaskGroup`` reaches pytest in an exception group:
it is still a divergence (counted, re-recorded by record-diverged) and ``--pdb`` opens in the
agent's frame that made the call, as for an agent that gathers."""

from __future__ import annotations

import os
import re
import sys

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


#: a library between the agent and the mocked call, outside the rootdir as an installed one is
VENDORLIB = "async def relay(call, prompt):\n    return await call(prompt)\n"


def _project(pytester: pytest.Pytester, prompt: str = "Q: {}") -> None:
    library = pytester.path.parent / f"{pytester.path.name}_site"
    library.mkdir(exist_ok=True)
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
    library = changed.path.parent / f"{changed.path.name}_site"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(library), str(changed.path)]))
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
