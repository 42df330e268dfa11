"""``replay.run()`` given a classmethod (``replay.run(Runner.run_sync, agent, question)``, as the
OpenAI Agents SDK's ``Runner`` is called): the class was taken for the agent and its ``__dict__``
for the agent's state, so recording failed with "cannot serialise the agent state at
state['run'] (a classmethod)" and the advice to implement ``get_state()``/``load_state()`` on
the agent. A classmethod, like a module's function, has no agent: the call records and replays."""

from __future__ import annotations

import pytest

APP = """
def complete(prompt):
    return "answer to " + prompt


class Runner:
    runs = 0

    @classmethod
    def run(cls, question):
        return complete(question)

    @staticmethod
    def run_static(question):
        return complete(question)
"""

TEST = """
import pytest
from runner_app import Runner

@pytest.mark.replay(mock={"llm": "runner_app.complete"})
def test_classmethod(replay):
    assert replay.run(Runner.run, "Oslo?") == "answer to Oslo?"

@pytest.mark.replay(mock={"llm": "runner_app.complete"})
def test_staticmethod(replay):
    assert replay.run(Runner.run_static, "Oslo?") == "answer to Oslo?"
"""


def test_a_classmethod_records_and_replays_with_no_agent_state(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(runner_app=APP, test_runner=TEST)
    result = pytester.runpytest_inprocess("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert "agent state" not in result.stdout.str()
    pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=2)
    (pytester.path / "runner_app.py").write_text(APP.replace('"answer to "', '"reply to "'))
    pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=2)
    (pytester.path / "test_runner.py").write_text(TEST.replace('"Oslo?")', '"Rome?")', 1))
    failed = pytester.runpytest_inprocess("-p", "no:randomly")
    failed.assert_outcomes(passed=1, failed=1)
    failed.stdout.fnmatch_lines(["*'Oslo?' -> 'Rome?'*"])
