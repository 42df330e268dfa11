"""An enum member was stored by its value only, and read back by it: a member inserted before
others numbered by ``auto()`` renumbers them, and the golden's ``ACT`` (``2``) read back as the
new member (``REVIEW``), so an unchanged agent's replay failed naming a member the recording
never held (``<Phase.REVIEW: 2> -> <Phase.ACT: 3>``), and a state loaded from the golden held
the wrong member without a word. A member is now stored with its name too, and read back by
it; a golden recorded before (its value only) reads back by its value, as before."""

from __future__ import annotations

import json

import pytest

APP = """
import enum


class Phase(enum.Enum):
    PLAN = enum.auto()
    INSERTED
    ACT = enum.auto()


def tool(phase):
    return phase.name.lower()


class Agent:
    def __init__(self):
        self.phase = Phase.PLAN
        self.log = []

    def handle(self):
        self.phase = Phase.ACT
        self.log.append(tool(Phase.ACT))
        return self.phase
"""

TEST = """
import pytest
from phase_app import Agent


@pytest.mark.replay(mock={"tool": "phase_app.tool"})
def test_act(replay):
    replay.run(Agent().handle)
"""


def _app(inserted: str) -> str:
    return APP.replace("INSERTED", inserted)


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(phase_app=_app("pass"), test_act=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    return pytester


def _golden(pytester: pytest.Pytester) -> dict:  # type: ignore[type-arg]
    (path,) = pytester.path.rglob("*.ckpt")
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_a_member_is_stored_with_its_name(recorded: pytest.Pytester) -> None:
    state = _golden(recorded)["outcome"]["final_state"]
    assert state["phase"] == {"__cs__": "enum", "cls": "phase_app:Phase", "name": "ACT", "v": 2}


def test_an_unchanged_agent_replays_after_a_member_is_inserted_before_auto_ones(
    recorded: pytest.Pytester,
) -> None:
    recorded.makepyfile(phase_app=_app("REVIEW = enum.auto()"))
    result = recorded.runpytest()
    result.assert_outcomes(passed=1)
    assert "REVIEW" not in result.stdout.str()


def test_a_changed_member_still_fails_named(recorded: pytest.Pytester) -> None:
    recorded.makepyfile(
        phase_app=_app("REVIEW = enum.auto()").replace("= Phase.ACT", "= Phase.REVIEW")
    )
    result = recorded.runpytest()
    result.assert_outcomes(failed=1)
    assert "<Phase.ACT: 3> -> <Phase.REVIEW: 2>" in result.stdout.str()


def _without_names(tree: object) -> object:
    if isinstance(tree, dict):
        return {
            k: _without_names(v)
            for k, v in tree.items()
            if not (k == "name" and tree.get("__cs__") == "enum")
        }
    if isinstance(tree, list):
        return [_without_names(v) for v in tree]
    return tree


def test_a_golden_holding_values_only_reads_them_back_by_value(recorded: pytest.Pytester) -> None:
    """A golden recorded before names were stored: its members read back by value, so it
    replays as it did before the member was inserted, and fails (by value) after."""
    (path,) = recorded.path.rglob("*.ckpt")
    doc = _without_names(json.loads(path.read_text()))
    assert '"name": "ACT"' not in json.dumps(doc)
    path.write_text(json.dumps(doc, indent=2))
    recorded.runpytest().assert_outcomes(passed=1)
    recorded.makepyfile(phase_app=_app("REVIEW = enum.auto()"))
    result = recorded.runpytest()
    result.assert_outcomes(failed=1)
    assert "<Phase.REVIEW: 2> -> <Phase.ACT: 3>" in result.stdout.str()


def test_a_golden_holding_values_only_replays_with_ignore_paths(pytester: pytest.Pytester) -> None:
    """With ``ignore=`` paths a call's arguments are compared as stored: a member stored with
    its value only (an older golden) equals the same member stored with its name."""
    pytester.syspathinsert()
    test = TEST.replace(
        'mock={"tool": "phase_app.tool"}', 'mock={"tool": "phase_app.tool"}, ignore=["note"]'
    )
    app = _app("pass").replace("def tool(phase):", "def tool(phase, note=None):")
    pytester.makepyfile(
        phase_app=app.replace("tool(Phase.ACT)", "tool(Phase.ACT, 'n')"), test_act=test
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    (path,) = pytester.path.rglob("*.ckpt")
    path.write_text(json.dumps(_without_names(json.loads(path.read_text())), indent=2))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
