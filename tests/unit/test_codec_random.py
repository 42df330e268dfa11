"""A ``random.Random`` in a stored value is stored readably, by its generator's state, not as a
pickle: it records without pickles allowed, reads back drawing the same numbers, and a golden
holding one runs no stored code when it is read."""

from __future__ import annotations

import json
import random

import pytest

from pytest_clearstone.codec import TAG, decode, dumps, encode, loads
from pytest_clearstone.errors import DecodeError


def test_a_random_generator_is_stored_by_its_state_without_a_pickle() -> None:
    # Before the fix: stored as a pickle, which a golden refuses unless pickles are allowed
    rng = random.Random(42)
    rng.random()
    rng.gauss(0, 1)  # (keeps the second of its pair of normal numbers: part of its state)
    tree = encode({"rng": rng}, strict=True, allow_pickle=False)
    stored = tree["rng"]
    assert stored[TAG] == "random" and "pickle" not in json.dumps(tree)
    back = decode(tree)["rng"]
    assert type(back) is random.Random and back.getstate() == rng.getstate()
    assert [back.random(), back.gauss(0, 1)] == [rng.random(), rng.gauss(0, 1)]
    again = loads(dumps(encode({"rng": back}, strict=True, allow_pickle=False)))["rng"]
    assert again.getstate() == back.getstate()


def test_the_stored_state_is_one_line_of_text_and_the_same_for_the_same_state() -> None:
    stored = encode(random.Random(7), strict=True, allow_pickle=False)
    assert stored == encode(random.Random(7), strict=True, allow_pickle=False)
    assert type(stored["v"]) is str and len(stored["v"]) == 625 * 8
    assert stored != encode(random.Random(8), strict=True, allow_pickle=False)


class _Dice(random.Random):
    pass


def test_a_subclass_is_not_stored_so() -> None:
    # (its own attributes and methods are not the state: a pickle as before)
    assert encode(_Dice(1))[TAG] == "pickle"


@pytest.mark.parametrize(
    "changed",
    [
        {"v": "00"},
        {"v": "zz" * 2500},
        {"v": 5},
        {"version": 2},
        {"gauss": "x"},
        {"v": "f" * 8 * 624 + "00000400"},  # (its position past the end of the state)
    ],
)
def test_a_bad_stored_random_generator_is_a_decode_error(changed: dict[str, object]) -> None:
    tree = {**encode(random.Random(1), strict=True, allow_pickle=False), **changed}
    with pytest.raises(DecodeError, match=r"bad stored random\.Random state"):
        decode(tree)
