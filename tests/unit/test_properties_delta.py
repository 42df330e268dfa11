"""Properties of state deltas, tested with hypothesis: the delta of a value and that value read
back from a golden is empty; the delta of two values that differ in one leaf names exactly that
leaf's path and both values."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

from pytest_clearstone import codec
from pytest_clearstone.diff import StateDelta, set_verbosity
from tests.unit.property_values import BOUNDED, values


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
