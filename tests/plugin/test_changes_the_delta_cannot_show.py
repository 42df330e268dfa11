"""A final state that differs from the golden's where deepdiff finds no difference used to pass
the replay: the empty delta was taken as no difference. Such changes: combined ``Flag`` members
in a set, an ``OrderedDict`` reordered inside another, an attribute whose name starts with
``__`` (deepdiff leaves those out), a ``Decimal`` written with another exponent in a model that
differs elsewhere too (its ``SecretStr``). All but the third are now shown; any other still
fails the replay, saying the values differ in their stored forms."""

from __future__ import annotations

import collections
import decimal
import enum

import pydantic
import pytest

from pytest_clearstone.diff import StateDelta

APP = """
def llm(prompt):
    return "ok"


class Note:
    def __init__(self, text):
        self.__dict__["__text"] = text

    def __eq__(self, other):
        return type(other) is Note and other.__dict__ == self.__dict__


class Agent:
    def __init__(self):
        self.note = Note("draft")

    def handle(self, q):
        llm(q)
        CHANGE
        return "done"
"""

TEST = """
import pytest
from note_app import Agent


@pytest.mark.replay("goldens/note.ckpt", mock={"llm": "note_app.llm"})
def test_note(replay):
    replay.run(Agent().handle, "hi")
"""


def test_a_difference_the_delta_cannot_show_still_fails_the_replay(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(note_app=APP.replace("CHANGE", "pass"), test_note=TEST)
    allow = ("-p", "no:randomly", "--clearstone-allow-pickle")
    pytester.runpytest("--clearstone-record", *allow).assert_outcomes(passed=1)
    pytester.runpytest(*allow).assert_outcomes(passed=1)
    pytester.makepyfile(note_app=APP.replace("CHANGE", "self.note = Note('final')"))
    result = pytester.runpytest(*allow)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*the replayed final state differs*", "*(they differ in their stored forms)"]
    )


class Perm(enum.Flag):
    READ = 1
    WRITE = 2
    ADMIN = 4


def test_combined_flags_in_a_set_are_shown() -> None:
    before = {"roles": {Perm.READ | Perm.ADMIN}}
    after = {"roles": {Perm.READ | Perm.WRITE}}
    assert StateDelta(before, after, verbosity=2).lines == [
        "root['roles']: added <Perm.READ|WRITE: 3>",
        "root['roles']: removed <Perm.READ|ADMIN: 5>",
    ]


def test_an_ordered_dict_reordered_inside_another_is_shown() -> None:
    inner = collections.OrderedDict([("x", 1), ("y", 2)])
    moved = collections.OrderedDict([("y", 2), ("x", 1)])
    before = {"o": collections.OrderedDict([("a", inner)])}
    after = {"o": collections.OrderedDict([("a", moved)])}
    assert StateDelta(before, after, verbosity=2).lines == [
        f"root['o']['a']: {inner!r} -> {moved!r}"
    ]


class Wallet(pydantic.BaseModel):
    balance: decimal.Decimal
    key: pydantic.SecretStr
    extra: object = None


@pytest.mark.parametrize(
    ("before", "after", "line"),
    [
        (
            decimal.Decimal("1234.50"),
            decimal.Decimal("1234.5"),
            "root['wallet'].balance: Decimal('1234.50') -> Decimal('1234.5')",
        ),
        (
            decimal.Decimal("2"),
            decimal.Decimal("2.00"),
            "root['wallet'].balance: Decimal('2') -> Decimal('2.00')",
        ),
    ],
    ids=["fewer-places", "more-places"],
)
def test_a_decimal_of_another_exponent_in_a_model_holding_a_secret_is_shown(
    before: decimal.Decimal, after: decimal.Decimal, line: str
) -> None:
    """Equal by ``==`` but stored as another text: before, no line at all, and the replay said
    only "(they differ in their stored forms)"."""
    recorded = {"wallet": Wallet(balance=before, key=pydantic.SecretStr("recorded"))}
    replayed = {"wallet": Wallet(balance=after, key=pydantic.SecretStr("sk-live-1"))}
    assert StateDelta(recorded, replayed, verbosity=2).lines == [line]
