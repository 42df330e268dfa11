"""Properties of state deltas, tested with hypothesis: the delta of a value and that value read
back from a golden is empty; the delta of two values that differ in one leaf names exactly that
leaf's path and both values."""

from __future__ import annotations

import collections
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pytest_clearstone import codec
from pytest_clearstone.diff import StateDelta, set_verbosity
from pytest_clearstone.equality import same_state
from pytest_clearstone.printable import printable
from tests.unit.property_values import (
    BOUNDED,
    Color,
    Point,
    leaves,
    same_value,
    texts,
    values,
)


@pytest.fixture(autouse=True)
def _default_verbosity() -> Any:
    restore = set_verbosity(0)
    yield
    restore()


def _read_back(value: Any) -> Any:
    return codec.loads(codec.dumps(codec.encode(value)))


@BOUNDED
@given(values)
def test_a_value_read_back_has_no_delta(value: Any) -> None:
    delta = StateDelta({"state": value}, {"state": _read_back(value)})
    assert not delta, str(delta)
    assert delta.changes == []


@pytest.mark.parametrize(
    "value",
    [[Decimal("NaN")], (Decimal("NaN"), 1), {"__cs__": 0, "k": Decimal("NaN")},
     {"a": [Decimal("NaN"), "s"]}, [[complex("nan+1j")]], {1: [complex(1, math.nan)]}],
)  # fmt: skip
def test_a_decimal_or_complex_nan_read_back_is_no_change(value: Any) -> None:
    # Expected: a NaN is stored as NaN, so a state holding a Decimal or complex NaN equals
    # itself read back from its golden. It showed "root[0]: Decimal('NaN') -> Decimal('NaN')"
    # (Checkpoint.diff of two equal checkpoints was truthy, and a failing replay's delta listed
    # the NaN beside the real change): only a float NaN was taken as no change.
    back = _read_back(value)
    assert not StateDelta(value, back)
    delta = StateDelta({"v": value, "n": 1}, {"v": back, "n": 2})
    assert delta.lines == ["root['n']: 1 -> 2"]


# -- one changed leaf ----------------------------------------------------------------------
_trees = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=4)
        | st.dictionaries(texts, inner, min_size=1, max_size=4)
    ),
    max_leaves=10,
)


def _leaf_paths(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if type(tree) is dict:
        return [p for key, item in tree.items() for p in _leaf_paths(item, (*path, key))]
    if type(tree) is list:
        return [p for i, item in enumerate(tree) for p in _leaf_paths(item, (*path, i))]
    return [path]


def _replaced(tree: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if type(tree) is dict:
        return {k: _replaced(v, rest, new) if k == head else v for k, v in tree.items()}
    return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(tree)]


def _at(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        tree = tree[step]
    return tree


def _path_text(path: tuple[Any, ...]) -> str:
    # (a text key as deepdiff writes it: quoted, not escaped)
    return "root" + "".join(
        f"[{step}]" if type(step) is int else f'["{step}"]' if "'" in step else f"['{step}']"
        for step in path
    )


@BOUNDED
@given(st.data())
def test_one_changed_leaf_is_one_change_at_its_path(data: st.DataObject) -> None:
    tree = data.draw(_trees.filter(lambda t: type(t) in (dict, list)))
    path = data.draw(st.sampled_from(_leaf_paths(tree)))
    assume(path)
    old = _at(tree, path)
    # (a signalling NaN is left out: comparing it raises, left for the report)
    new = data.draw(leaves.filter(lambda v: not (isinstance(v, Decimal) and v.is_snan())))
    assume(not (isinstance(old, Decimal) and old.is_snan()))
    # (two NaNs are no change; nor, as for a replay, are values == takes as equal: 1 and True)
    assume(not same_value(old, new) and not (_nan(old) and _nan(new)) and not _equal(old, new))
    delta = StateDelta(tree, _replaced(tree, path, new))
    assert len(delta) == 1, str(delta)
    (change,) = delta.changes
    assert change.path == _path_text(path)
    (line,) = delta.lines  # one line, whatever the keys hold, its path shown escaped
    assert line.startswith(printable(change.path) + ": ")
    assert printable(line) == line
    assert change.kind in ("values_changed", "type_changes")
    for shown, value in ((change.old, old), (change.new, new)):
        if type(value) in _SHOWN_AS_THEY_ARE:  # (others are shown as their comparable view)
            assert same_value(shown, value) or (_nan(shown) and _nan(value))


_SHOWN_AS_THEY_ARE = (type(None), bool, int, float, str, bytes, Decimal)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # (a signalling NaN)
        return False


def _nan(value: Any) -> bool:
    return (
        isinstance(value, (float, complex, Decimal)) and value != value
        if not isinstance(value, Decimal)
        else value.is_nan()
    )


@pytest.mark.parametrize("key", ["a\nb", "x\u202ey", "\x1b[2J", "\x00", "tab\there"])
def test_a_key_with_a_control_character_is_shown_escaped_in_the_delta(key: str) -> None:
    # Expected: the delta of a value under a key holding a line break, a bidirectional control
    # or a terminal escape shows that key escaped, as it shows a changed text (by its repr), so
    # the failure's line is one line, read in order. It showed the key as it was: a key "a\nb"
    # broke the path over two lines, "\u202e" reordered the line, "\x1b[2J" cleared the screen.
    delta = StateDelta({"memory": {key: [1, "x"]}}, {"memory": {key: [2, "x"]}})
    assert delta.changes[0].path == f"root['memory']['{key}'][0]"  # (the path itself: as it is)
    assert str(delta) == f"root['memory']['{printable(key)}'][0]: 1 -> 2"
    many = StateDelta({key: list(range(60))}, {key: [-1] * 60}, verbosity=0)
    assert all(printable(line) == line for line in many.lines), many.lines[-1]


@pytest.mark.parametrize(
    "nan", [Decimal("NaN"), float("nan"), complex(math.nan, 1), (None, Decimal("NaN"))]
)
def test_a_set_holding_an_enum_member_and_a_nan_read_back_is_no_change(nan: Any) -> None:
    # Expected: no change. The set's NaN (its own object read back, never == the recorded
    # one) was shown both added and removed: "root['s']: added Decimal('NaN')" and "removed
    # Decimal('NaN')" (a set holding an enum member or a time is compared item by item).
    value = {"s": {nan, Color.RED}, "n": 1}
    back = _read_back(value)
    assert not StateDelta(value, back)
    assert StateDelta(value, {**back, "n": 2}).lines == ["root['n']: 1 -> 2"]
    assert StateDelta(value, {"s": {Color.RED}, "n": 1}).lines == [f"root['s']: removed {nan!r}"]


# -- any two values ------------------------------------------------------------------------
@BOUNDED
@given(values, values)
def test_the_delta_of_two_values_is_empty_only_when_they_are_equal(a: Any, b: Any) -> None:
    delta = StateDelta({"state": a}, {"state": b})
    if delta:
        assert not same_state({"state": a}, {"state": b})
        assert str(delta).startswith("root['state']")
    else:  # equal by ==, or stored the same (NaNs)
        assert _equal(a, b) or codec.same_tree(codec.encode(a), codec.encode(b))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [({"seen": set()}, {"seen": {b"\x80\x01"}}, ["root['seen']: added b'\\x80\\x01'"]),
     ({"seen": {b"\xff"}}, {"seen": {b"\xfe"}},
      ["root['seen']: added b'\\xfe'", "root['seen']: removed b'\\xff'"]),
     ({"s": frozenset({1})}, {"s": frozenset({(1, b"\xff")})},
      ["root['s']: added (1, b'\\xff')", "root['s']: removed 1"]),
     (Point(None, {b"\x81"}), Point(None, {b"\x80"}),
      ["root.y: added b'\\x80'", "root.y: removed b'\\x81'"])],
)  # fmt: skip
def test_a_set_of_binary_bytes_has_a_delta(before: Any, after: Any, expected: list[str]) -> None:
    # Expected: an agent keeping a set of raw digests (hashlib's digest(), not UTF-8) whose set
    # changed fails its replay naming what was added and removed. The delta raised deepdiff's
    # UnicodeDecodeError ("Can not produce a hash for root[0] ... pass ignore_encoding_errors"),
    # so the failure was a traceback: deepdiff hashes a set's bytes as UTF-8 text.
    assert StateDelta(before, after).lines == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [({"chunks": {"ok"}}, {"chunks": {"ok", "\ud83d"}}, ["root['chunks']: added '\\ud83d'"]),
     ({"s": {(1, "a")}}, {"s": {(1, "\ud83d")}},
      ["root['s']: added (1, '\\ud83d')", "root['s']: removed (1, 'a')"]),
     (Point(None, set()), Point(None, {"\udc80"}), ["root.y: added '\\udc80'"])],
)  # fmt: skip
def test_a_set_of_texts_with_a_lone_surrogate_has_a_delta(
    before: Any, after: Any, expected: list[str]
) -> None:
    # Expected: a set holding a text with a lone surrogate (a streamed chunk cut inside an
    # escaped emoji, which the golden stores as "\ud83d") that changed is a delta naming the
    # items. It raised UnicodeEncodeError ("surrogates not allowed"): deepdiff hashes a set's
    # texts as UTF-8.
    assert StateDelta(before, after).lines == expected


@pytest.mark.parametrize("nan", [Decimal("NaN"), float("nan")])
def test_a_dict_holding_the_tag_key_as_its_own_is_walked_as_a_dict(nan: Any) -> None:
    # Expected: a dict whose own key is "__cs__" (a raw JSON payload the agent keeps) is
    # compared key by key, as any dict: a NaN key under it read back is no change. The pair was
    # handed to deepdiff whole, which showed "root['state']['']: {Decimal('NaN'): None} ->
    # {Decimal('NaN'): None}".
    value = {"__cs__": None, "": {nan: None}, "n": 1}
    back = _read_back(value)
    assert not StateDelta({"state": value}, {"state": back})
    assert StateDelta(value, {**back, "n": 2}).lines == ["root['n']: 1 -> 2"]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [({"b": bytearray(b"\x00")}, {"b": bytearray(b"")},
      ["root['b']: bytearray(b'\\x00') -> bytearray(b'')"]),
     ({"b": [1, bytearray(b"hello")]}, {"b": [1, bytearray(b"help")]},
      ["root['b'][1]: bytearray(b'hello') -> bytearray(b'help')"]),
     (Point(bytearray(b"ab")), Point(bytearray(b"ac")),
      ["root.x: bytearray(b'ab') -> bytearray(b'ac')"])],
)  # fmt: skip
def test_a_changed_bytearray_is_one_change_shown_as_a_bytearray(
    before: Any, after: Any, expected: list[str]
) -> None:
    # Expected: one change at the bytearray's path, both values shown, as for bytes. deepdiff
    # walked it as a list of numbers: "root['b'][0]: removed 0", "root['b'][1][3]: 108 -> 112,
    # root['b'][1][4]: removed 111".
    assert StateDelta(before, after).lines == expected


def test_a_deque_is_walked_item_by_item() -> None:
    # Expected: a deque (a bounded memory of turns) is compared item by item, as a list is: a
    # NaN key in one of its dicts read back is no change. It was handed to deepdiff whole,
    # which showed "root['memory'][0]: defaultdict(<class 'list'>, {Decimal('NaN'): None}) ->
    # defaultdict(<class 'list'>, {Decimal('NaN'): None})".
    turn = collections.defaultdict(list, {Decimal("NaN"): None})
    value = {"memory": collections.deque([turn, {"a": 1}], maxlen=5)}
    back = _read_back(value)
    assert not StateDelta(value, back)
    changed = {"memory": collections.deque([turn, {"a": 2}], maxlen=5)}
    assert StateDelta(back, changed).lines == ["root['memory'][1]['a']: 1 -> 2"]
