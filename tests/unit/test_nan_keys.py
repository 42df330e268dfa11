"""A NaN as a dict's key, or as an item of a set or a deque, equals the recorded NaN (two float
objects ``==`` never finds equal, stored the same), in the replay's comparison and in a state
delta; what changed beside it is still shown, and only that."""

from __future__ import annotations

import collections
import enum
from typing import Any

import pytest

from pytest_clearstone.codec.compare import same_stored_form
from pytest_clearstone.diff import StateDelta


def _nan() -> float:
    return float("nan")  # (a new object each time: the recorded one and the replayed one)


def _pairs() -> list[tuple[Any, Any]]:
    a, b = _nan(), _nan()
    return [
        ({a: 1, "x": 2}, {b: 1, "x": 2}),
        ({a, 1.0}, {b, 1.0}),
        (frozenset({a}), frozenset({b})),
        (collections.deque([a, 3.0]), collections.deque([b, 3.0])),
        (collections.Counter({a: 2}), collections.Counter({b: 2})),
        (collections.OrderedDict([(a, 1), ("x", 2)]), collections.OrderedDict([(b, 1), ("x", 2)])),
        (collections.defaultdict(list, {a: [1]}), collections.defaultdict(list, {b: [1]})),
    ]


@pytest.mark.parametrize("index", range(7))
def test_a_nan_key_or_item_equals_the_recorded_one(index: int) -> None:
    recorded, replayed = _pairs()[index]
    assert same_stored_form(replayed, recorded)
    assert not StateDelta(recorded, replayed)


def test_what_changed_beside_a_nan_key_is_shown_alone() -> None:
    a, b = _nan(), _nan()
    delta = StateDelta({"scores": {a: "low", 1.0: "b"}}, {"scores": {b: "high", 1.0: "b"}})
    assert delta.lines == ["root['scores'][nan]: 'low' -> 'high'"]
    assert not same_stored_form({b: "high"}, {a: "low"})


def test_an_ordered_dict_with_a_nan_key_in_another_order_differs() -> None:
    a, b = _nan(), _nan()
    recorded = collections.OrderedDict([(a, 1), ("x", 2)])
    assert not same_stored_form(collections.OrderedDict([("x", 2), (b, 1)]), recorded)


def test_a_delta_under_keys_deepdiff_cannot_parse_logs_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Expected: deepdiff logged "ERROR deepdiff.model: stringify_param was not able to get a
    # proper repr for "frozenset({1, 2})" ... Add instructions for this object to DeepDiff's
    # helper.literal_eval_extended", shown under a failing replay's "Captured log call" and on
    # the stderr of `python -m pytest_clearstone diff`, once per change
    a, b = _nan(), _nan()
    before = {frozenset({1, 2}): "fs", a: "low", ("t", 1): "tuple"}
    after = {frozenset({1, 2}): "FS", b: "high", ("t", 1): "TUPLE"}
    with caplog.at_level("DEBUG"):
        lines = StateDelta({"keys": before}, {"keys": after}).lines
    assert lines == [
        "root['keys'][('t', 1)]: 'tuple' -> 'TUPLE'",
        "root['keys'][frozenset({1, 2})]: 'fs' -> 'FS'",
        "root['keys'][nan]: 'low' -> 'high'",
    ]
    assert not [r for r in caplog.records if r.name.startswith("deepdiff")]


class Color(enum.Enum):
    RED = 1
    BLUE = 2


def test_a_change_under_an_enum_key_names_the_member() -> None:
    # Expected: root['k'][<tests.unit.test_nan_keys:Color>] — the class, not which member
    # (then root['k'][Color(1)], its value, not its name)
    before = {"k": {Color.RED: "a"}, "n": 1}
    assert StateDelta(before, {"k": {Color.RED: "b"}, "n": 1}).lines == [
        "root['k'][<Color.RED: 1>]: 'a' -> 'b'"
    ]
    assert StateDelta({"k": {Color.BLUE: "a"}}, {"k": {Color.BLUE: "b"}}).lines == [
        "root['k'][<Color.BLUE: 2>]: 'a' -> 'b'"
    ]
