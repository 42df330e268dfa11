"""StateDelta: one line per changed path, falsy when equal, no deepdiff for equal states."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_clearstone.diff import StateDelta, state_delta


def test_nested_value_change_names_the_full_path() -> None:
    before = {"memory": [{"q": "x", "result": "a"}, {"q": "y", "result": "a"}]}
    after = {"memory": [{"q": "x", "result": "a"}, {"q": "y", "result": "b"}]}
    delta = StateDelta(before, after)
    assert delta
    assert delta.lines == ["root['memory'][1]['result']: 'a' -> 'b'"]
    assert str(delta) == "root['memory'][1]['result']: 'a' -> 'b'"
    assert len(delta) == 1
    assert repr(delta) == "<StateDelta 1 change(s)>"


def test_several_changes_are_one_line_each() -> None:
    delta = StateDelta(
        {"total_cost": 0.01, "config": {"model": "m1", "retries": 2}, "memory": [1]},
        {"total_cost": 0.02, "config": {"model": "m2", "retries": 2}, "memory": [1]},
    )
    assert sorted(delta) == [
        "root['config']['model']: 'm1' -> 'm2'",
        "root['total_cost']: 0.01 -> 0.02",
    ]


def test_type_change_shows_both_types() -> None:
    delta = StateDelta({"count": 1}, {"count": "1"})
    assert delta.lines == ["root['count']: 1 (int) -> '1' (str)"]


def test_a_tuple_becoming_a_list_is_a_change() -> None:
    assert StateDelta((1, 2), [1, 2]).lines == ["root: (1, 2) (tuple) -> [1, 2] (list)"]
    assert StateDelta({"t": (1, 2)}, {"t": [1, 2]}).lines == [
        "root['t']: (1, 2) (tuple) -> [1, 2] (list)"
    ]


def test_added_and_removed_items() -> None:
    delta = StateDelta(
        {"keep": 1, "old": "gone", "memory": ["a"]},
        {"keep": 1, "new": [1, 2], "memory": ["a", "b"]},
    )
    assert sorted(delta.lines) == [
        "root['memory'][1]: added 'b'",
        "root['new']: added [1, 2]",
        "root['old']: removed 'gone'",
    ]


def test_set_items_added_and_removed() -> None:
    lines = StateDelta({"tags": {"a", "b"}}, {"tags": {"b", "c"}}).lines
    assert sorted(lines) == ["root['tags']: added 'c'", "root['tags']: removed 'a'"]


def test_long_strings_are_shortened_around_the_difference() -> None:
    prefix = "x" * 500
    before = {"prompt": prefix + "the old ending" + "y" * 500}
    after = {"prompt": prefix + "the new ending" + "y" * 500}
    (line,) = StateDelta(before, after).lines
    path, _, change = line.partition(": ")
    assert path == "root['prompt']"
    old, new = change.split(" -> ")
    assert "old ending" in old and "new ending" in new
    assert old.startswith("...") and old.endswith("...")
    assert len(old) < 100 and len(new) < 100


def test_falsy_and_cheap_when_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    import deepdiff

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("DeepDiff must not run for equal states")

    monkeypatch.setattr(deepdiff, "DeepDiff", refuse)
    state = {"memory": [{"role": "user", "content": "c" * 1000} for _ in range(100)], "n": 1}
    copy = {"memory": [dict(m) for m in state["memory"]], "n": 1}
    delta = StateDelta(state, copy)
    assert not delta
    assert delta.lines == []
    assert str(delta) == "(no differences)"
    assert list(delta) == []
    assert not state_delta(None, None)


def test_objects_whose_equality_raises_still_get_a_delta() -> None:
    class Weird:
        def __init__(self, v: int) -> None:
            self.v = v

        def __eq__(self, other: object) -> bool:
            raise ValueError("ambiguous")

        __hash__ = None  # type: ignore[assignment]

    delta = StateDelta({"w": Weird(1)}, {"w": Weird(2)})
    assert delta
    assert "root['w'].v: 1 -> 2" in delta.lines
