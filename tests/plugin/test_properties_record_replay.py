"""End-to-end properties of record and replay, tested with hypothesis on random agents
(:mod:`tests.plugin.random_agents`): a recorded agent replays; re-recording it unchanged leaves
its golden byte for byte; changing one argument, or adding or removing one call, fails the
replay naming the call; the golden holds no secret the agent did not put there.

Each example writes its own agent module and test file (fresh names: pytester's in-process runs
restore ``sys.modules``, and no ``.pyc`` of an earlier example may be read) into one pytester
project and runs pytest in-process."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.plugin.random_agents import (
    Step,
    agent_module,
    agent_test_file,
    agents,
    steps,
    values,
)

E2E = settings(
    max_examples=5,
    derandomize=True,
    # a failing example runs pytest three times per try: shrinking it takes minutes
    phases=(Phase.explicit, Phase.generate),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

_names = itertools.count()


class Example:
    """One random agent, its module and test file in the pytester project."""

    def __init__(self, pytester: pytest.Pytester, agent: list[Step]) -> None:
        self.pytester = pytester
        self.number = next(_names)
        self.module = f"agent_{self.number}"
        self.golden = pytester.path / f"g_{self.number}.ckpt"
        self.test = pytester.path / f"test_agent_{self.number}.py"
        self.write(agent)
        self.test.write_text(agent_test_file(self.module, self.golden.name), encoding="utf-8")

    def write(self, agent: list[Step]) -> None:
        (self.pytester.path / f"{self.module}.py").write_text(agent_module(agent), "utf-8")

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest(str(self.test), *args)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    return pytester


@E2E
@given(agent=agents)
def test_a_recorded_agent_replays_and_rerecords_byte_for_byte(
    project: pytest.Pytester, agent: list[Step]
) -> None:
    example = Example(project, agent)
    example.run("--clearstone-record").assert_outcomes(passed=1)
    first = example.golden.read_bytes()
    result = example.run()
    assert result.parseoutcomes() == {"passed": 1}, "\n".join(result.outlines)
    example.run("--clearstone-record").assert_outcomes(passed=1)
    assert example.golden.read_bytes() == first


_PARAMETER = {"llm": "prompt", "tool": "arguments", "allm": "prompt"}


@E2E
@given(data=st.data(), agent=agents)
def test_changing_one_argument_fails_the_replay_naming_the_call_and_the_path(
    project: pytest.Pytester, data: st.DataObject, agent: list[Step]
) -> None:
    example = Example(project, agent)
    example.run("--clearstone-record").assert_outcomes(passed=1)
    index = data.draw(st.integers(0, len(agent) - 1), label="index")
    old = agent[index].argument
    new = data.draw(values.filter(lambda value: repr(value) != repr(old)), label="new")
    changed = list(agent)
    changed[index] = dataclasses.replace(agent[index], argument=new)
    example.write(changed)
    result = example.run()
    output = "\n".join(result.outlines)
    # (a call made in a thread of the agent's own fails the thread too: pytest reports it)
    assert result.parseoutcomes().get("failed") == 1, output
    # (the number is the call's in the golden's call order, where sibling branches that start at
    # one place are ordered by their function's name: not always the agent's code order)
    assert f" to {example.module}.{agent[index].target}" in output, output
    assert f"root['{_PARAMETER[agent[index].target]}']" in output, output


@E2E
@given(data=st.data(), agent=agents)
def test_removing_or_adding_one_call_fails_the_replay_naming_it(
    project: pytest.Pytester, data: st.DataObject, agent: list[Step]
) -> None:
    example = Example(project, agent)
    example.run("--clearstone-record").assert_outcomes(passed=1)
    if data.draw(st.booleans(), label="remove") and len(agent) > 1:
        index = data.draw(st.integers(0, len(agent) - 1), label="index")
        changed = agent[:index] + agent[index + 1 :]
        named = agent[index]
    else:
        index = data.draw(st.integers(0, len(agent)), label="index")
        named = data.draw(steps, label="added")
        changed = [*agent[:index], named, *agent[index:]]
    example.write(changed)
    result = example.run()
    output = "\n".join(result.outlines)
    assert result.parseoutcomes().get("failed") == 1, output
    assert f"{example.module}.{named.target}" in output, output


SECRET = "sk-proj-" + "Zq9" * 16


@E2E
@given(agent=agents)
def test_the_golden_holds_no_secret_the_agent_did_not_put_there(
    project: pytest.Pytester, agent: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    example = Example(project, agent)
    example.run("--clearstone-record").assert_outcomes(passed=1)
    assert SECRET not in example.golden.read_text(encoding="utf-8")


@E2E
@given(data=st.data(), agent=agents)
def test_changing_one_answers_use_in_the_state_fails_the_replay_naming_the_path(
    project: pytest.Pytester, data: st.DataObject, agent: list[Step]
) -> None:
    example = Example(project, agent)
    example.run("--clearstone-record").assert_outcomes(passed=1)
    index = data.draw(st.integers(0, len(agent) - 1), label="index")
    step = agent[index]
    changed = list(agent)
    changed[index] = dataclasses.replace(step, in_state=not step.in_state)
    example.write(changed)
    result = example.run()
    output = "\n".join(result.outlines)
    if step.answer is None:  # (the state holds None either way)
        assert result.parseoutcomes() == {"passed": 1}, output
        return
    assert result.parseoutcomes().get("failed") == 1, output
    assert "final state" in output, output
    assert f"root['state']['s{index}'][0]" in output, output


@settings(E2E, max_examples=3)  # (five runs of pytest per example)
@given(data=st.data(), agent=agents)
def test_record_diverged_rerecords_a_changed_call_and_then_replays(
    project: pytest.Pytester, data: st.DataObject, agent: list[Step]
) -> None:
    example = Example(project, agent)
    example.run("--clearstone-record").assert_outcomes(passed=1)
    index = data.draw(st.integers(0, len(agent) - 1), label="index")
    old = agent[index].argument
    new = data.draw(values.filter(lambda value: repr(value) != repr(old)), label="new")
    changed = list(agent)
    changed[index] = dataclasses.replace(agent[index], argument=new)
    example.write(changed)
    result = example.run("--clearstone-mode=record-diverged")
    output = "\n".join(result.outlines)
    assert result.parseoutcomes().get("passed") == 1, output
    assert f"{example.golden.name}: " in output and " arguments" in output, output
    rerecorded = example.golden.read_bytes()
    result = example.run()
    assert result.parseoutcomes() == {"passed": 1}, "\n".join(result.outlines)
    example.run("--clearstone-record").assert_outcomes(passed=1)
    assert example.golden.read_bytes() == rerecorded
