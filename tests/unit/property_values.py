"""Hypothesis strategies for the values agents hold, and a strict comparison of two of them, for
the property tests of the codec, the goldens and the deltas (``test_properties_*.py``).

The classes here are importable (``tests.unit.property_values:Point``), as the codec needs an
enum's or a dataclass's class to be, and as an agent's are.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import math
from decimal import Decimal
from typing import Any

import pydantic
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: bounded, derandomized runs: the same inputs every time, seconds per test on 2 cores
BOUNDED = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Color(enum.Enum):
    RED = "red"
    BLUE = 2
    PAIR = (1, "x")


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Flag(enum.Flag):
    A = 1
    B = 2


@dataclasses.dataclass
class Point:
    x: Any
    y: Any = None


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: Any


class Model(pydantic.BaseModel):
    name: str
    value: Any = None


def same_value(a: Any, b: Any) -> bool:
    """Whether ``b`` is ``a`` read back: equal, of the same types all the way down (keys too,
    in the same order), a NaN for a NaN of the same kind and sign, ``-0.0`` for ``-0.0``, a
    ``Decimal`` with the same digits and exponent, a time in the same zone at the same offset,
    a naive one with the same fold."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, Decimal):
        return str(a) == str(b)
    if isinstance(a, (list, tuple, collections.deque)):
        if isinstance(a, collections.deque) and a.maxlen != b.maxlen:
            return False
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        if isinstance(a, collections.defaultdict) and a.default_factory is not b.default_factory:
            return False
        return len(a) == len(b) and all(
            same_value(ka, kb) and same_value(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, (set, frozenset)):
        return len(a) == len(b) and all(any(same_value(x, y) for y in b) for x in a)
    if isinstance(a, (dt.datetime, dt.time)):
        return (
            a == b
            and a.replace(fold=0) == b.replace(fold=0)
            and a.utcoffset() == b.utcoffset()
            and a.tzinfo == b.tzinfo
            and a.tzname() == b.tzname()
            and (a.tzinfo is not None or a.fold == b.fold)  # (naive: its fold tells the hour)
        )
    if isinstance(a, Point):
        return same_value(a.x, b.x) and same_value(a.y, b.y)
    if isinstance(a, Model):
        return same_value(a.name, b.name) and same_value(a.value, b.value)
    return bool(a == b)


_SPECIAL_TEXT = ["__cs__", "v", "cls", "\r\n", "\x00", "\u202e", "\u2066", "\u2028", "\ud83d", ""]
texts = st.text(max_size=6) | st.sampled_from(_SPECIAL_TEXT)
floats = st.floats() | st.sampled_from([-0.0, 5e-324, -5e-324, math.inf, -math.inf, math.nan])
#: decimals that can be hashed (a signalling NaN cannot: it is only a value, never a key)
decimals = st.decimals(allow_nan=True, allow_infinity=True).filter(
    lambda d: not d.is_snan()
) | st.sampled_from(
    [Decimal("-0"), Decimal("1E+5"), Decimal("NaN"), Decimal("-NaN"), Decimal("1.000")]
)
_ZONES = st.none() | st.timezones() | st.sampled_from(
    [dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=30)),
     dt.timezone(dt.timedelta(hours=-3), "BRT")]
)  # fmt: skip
datetimes = st.builds(
    lambda d, fold: d.replace(fold=fold),
    st.datetimes(timezones=_ZONES, allow_imaginary=True),
    st.integers(0, 1),
)
times = st.builds(
    lambda t, fold: t.replace(fold=fold), st.times(timezones=_ZONES), st.integers(0, 1)
)
_MEMBERS = [*Color, *Level, Flag.A | Flag.B, Frozen(1), Frozen((1, "a"))]
hashable_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63, max_value=2**200)
    | floats
    | texts
    | st.binary(max_size=6)
    | decimals
    | st.dates()
    | datetimes
    | times
    | st.timedeltas()
    | st.sampled_from(_MEMBERS)
)
hashables = st.recursive(
    hashable_leaves, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=4,
)  # fmt: skip
leaves = hashable_leaves | st.binary(max_size=6).map(bytearray) | st.just(Decimal("sNaN"))


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.sets(hashables, max_size=3)
        | st.frozensets(hashables, max_size=3)
        | st.dictionaries(texts, inner, max_size=3)
        | st.dictionaries(hashables, inner, max_size=3)
        | st.builds(collections.deque, st.lists(inner, max_size=3), st.none() | st.just(5))
        | st.builds(collections.OrderedDict, st.dictionaries(texts, inner, max_size=3))
        | st.builds(
            lambda items: collections.defaultdict(list, items),
            st.dictionaries(hashables, inner, max_size=3),
        )
        | st.builds(Point, inner, inner)
        | st.builds(Model, name=texts, value=inner)
    )


#: nested values of what agents hold
values = st.recursive(leaves, _containers, max_leaves=12)
