"""An agent whose state a replay cannot give back is refused when it is recorded, not by every
replay of the golden the recording wrote."""

from __future__ import annotations

import pytest

AGENTS = """
import dataclasses

import attrs


def llm(prompt):
    return prompt.upper()


@dataclasses.dataclass
class Memory:
    turns: list = dataclasses.field(default_factory=list)


class DataclassAgent:
    def __init__(self):
        self.memory = Memory()

    def get_state(self):
        return self.memory

    def ask(self, q):
        self.memory.turns.append(llm(q))
        return self.memory.turns[-1]


class RestoringAgent(DataclassAgent):
    def load_state(self, state):
        self.memory = state


class SlotsAgent:
    __slots__ = ("seen",)

    def __init__(self):
        self.seen = []

    def get_state(self):
        return {"seen": self.seen}

    def ask(self, q):
        self.seen.append(q)
        return llm(q)


@attrs.define
class AttrsAgent:
    seen: list = attrs.Factory(list)

    def ask(self, q):
        self.seen.append(q)
        return llm(q)


@dataclasses.dataclass(slots=True)
class SlottedDataclassAgent:
    seen: list = dataclasses.field(default_factory=list)

    def ask(self, q):
        self.seen.append(q)
        return llm(q)


class BareSlotsAgent:
    __slots__ = ("seen",)

    def __init__(self):
        self.seen = []

    def ask(self, q):
        self.seen.append(q)
        return llm(q)
"""


def _test(agent: str) -> str:
    return (
        "import pytest\nimport state_agents\n\n\n"
        "@pytest.mark.replay('g.ckpt', mock={'llm': 'state_agents.llm'})\n"
        f"def test_it(replay):\n    replay.run(state_agents.{agent}().ask, 'hi')\n"
    )


@pytest.mark.parametrize(
    ("agent", "why"),
    [
        ("DataclassAgent", "*DataclassAgent.get_state() returns a Memory, not a dict*"),
        ("SlotsAgent", "*SlotsAgent has no __dict__ (its class has __slots__)*"),
    ],
)
def test_a_state_no_replay_can_give_back_fails_the_recording_naming_the_fix(
    pytester: pytest.Pytester, agent: str, why: str
) -> None:
    # recorded green, the golden failed every replay: "cannot restore a Memory state from the
    # golden g.ckpt into DataclassAgent: give the agent a load_state(state) method, or, if the
    # golden g.ckpt was edited by hand, restore it" (it was not edited)
    pytester.syspathinsert()
    pytester.makepyfile(state_agents=AGENTS, test_it=_test(agent))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"{why}give {agent} a load_state(state) method*"])
    assert not (pytester.path / "g.ckpt").exists()


def test_an_agent_with_load_state_records_and_replays_its_dataclass_state(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(state_agents=AGENTS, test_it=_test("RestoringAgent"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_an_agent_with_slots_and_no_get_state_is_told_the_fix_that_works(
    pytester: pytest.Pytester,
) -> None:
    # was: "cannot serialise state (a BareSlotsAgent): the agent has no get_state() and no
    # __dict__. Make the value JSON-friendly, exclude it from get_state(), or implement
    # get_state()/load_state() on the agent." (the value is the agent, which has no get_state())
    pytester.syspathinsert()
    pytester.makepyfile(state_agents=AGENTS, test_it=_test("BareSlotsAgent"))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise state (a BareSlotsAgent): the agent has no get_state() and no "
            "__dict__ (its class has __slots__). Give BareSlotsAgent a get_state() returning a "
            "dict of what it needs and a load_state(state) method that sets it back."
        ]
    )
    result.stdout.no_fnmatch_line("*JSON-friendly*")
    assert not (pytester.path / "g.ckpt").exists()


@pytest.mark.parametrize(
    ("agent", "fix", "fixed"),
    [
        (
            "AttrsAgent",
            "@attrs.define(slots=False)",
            ("@attrs.define\n", "@attrs.define(slots=False)\n"),
        ),
        (
            "SlottedDataclassAgent",
            "@dataclass without slots=True",
            ("@dataclasses.dataclass(slots=True)", "@dataclasses.dataclass"),
        ),
    ],
)
def test_an_attrs_or_slotted_dataclass_agent_is_told_to_keep_its_fields_in_its_dict(
    pytester: pytest.Pytester, agent: str, fix: str, fixed: tuple[str, str]
) -> None:
    # (was told only to write get_state() and load_state(): the class declares no __slots__,
    # its decorator makes them, and one argument of it keeps the fields in __dict__)
    pytester.syspathinsert()
    pytester.makepyfile(state_agents=AGENTS, test_it=_test(agent))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*__dict__ (its class has __slots__)*{fix}*"])
    pytester.makepyfile(state_agents=AGENTS.replace(*fixed))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
