"""A changed ``Flag`` in the state used to pass the replay: two different members (``A|C``
against ``A|B``) differ by ``==``, but deepdiff finds no attribute of a combined member that
differs, and an empty delta was taken as no difference. An enum member's change is now one line
naming the path and both members (a plain enum's was two lines: ``.name`` and ``.value``)."""

from __future__ import annotations

import enum

import pytest

from pytest_clearstone.diff import StateDelta

APP = """
import enum


class Perm(enum.Flag):
    READ = 1
    WRITE = 2
    ADMIN = 4


def llm(prompt):
    return "ok"


class Agent:
    def __init__(self):
        self.perms = Perm.READ | Perm.ADMIN

    def handle(self, q):
        llm(q)
        CHANGE
        return "done"
"""

TEST = """
import pytest
from flag_app import Agent


@pytest.mark.replay("goldens/flag.ckpt", mock={"llm": "flag_app.llm"})
def test_flag(replay):
    replay.run(Agent().handle, "hi")
"""


def test_a_changed_flag_fails_the_replay_naming_the_path(pytester: pytest.Pytester) -> None:
    change = "self.perms = Perm.READ | Perm.WRITE"
    line = "root['perms']: <Perm.READ|ADMIN: 5> -> <Perm.READ|WRITE: 3>"
    pytester.syspathinsert()
    pytester.makepyfile(flag_app=APP.replace("CHANGE", "pass"), test_flag=TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    pytester.makepyfile(flag_app=APP.replace("CHANGE", change))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    assert line in result.stdout.str()


class Perm(enum.Flag):
    READ = 1
    WRITE = 2
    ADMIN = 4


class Color(enum.Enum):
    RED = 1
    GREEN = 2


def test_the_delta_of_enum_members_is_one_line_naming_both() -> None:
    before = {"perms": Perm.READ | Perm.ADMIN, "color": Color.RED}
    after = {"perms": Perm.READ | Perm.WRITE, "color": Color.GREEN}
    assert StateDelta(before, after, verbosity=2).lines == [
        "root['color']: <Color.RED: 1> -> <Color.GREEN: 2>",
        "root['perms']: <Perm.READ|ADMIN: 5> -> <Perm.READ|WRITE: 3>",
    ]
    assert not StateDelta({"p": Perm.READ | Perm.ADMIN}, {"p": Perm.ADMIN | Perm.READ})
