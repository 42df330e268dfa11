"""same_state: the first question a replay's comparison and a state delta ask. Equal by ``==``
and of one type; a value whose ``==`` raises or is ambiguous is never taken as equal (only a
delta tells then)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_clearstone.diff import StateDelta
from pytest_clearstone.equality import same_state


class _Raising:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparison")

    __hash__ = object.__hash__


@pytest.mark.parametrize(
    ("before", "after"), [(1, True), (True, 1), (1, 1.0), (1.0, 1), ([1], (1,))]
)
def test_values_equal_by_eq_but_of_another_type_are_a_change(before: Any, after: Any) -> None:
    assert not same_state(before, after)
    delta = StateDelta(before, after)
    assert delta and type(after).__name__ in str(delta)


def test_a_value_whose_eq_raises_is_not_taken_as_equal() -> None:
    value = _Raising()
    assert not same_state(value, value)


def test_arrays_whose_eq_is_ambiguous_are_not_taken_as_equal() -> None:
    np = pytest.importorskip("numpy")
    before, after = np.array([1, 2]), np.array([1, 3])
    assert not same_state(before, after)
    assert StateDelta(before, after)
    assert not StateDelta(before, np.array([1, 2]))
