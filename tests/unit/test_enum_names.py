"""Enum members are stored with their names (``"name": "ACT"``) beside their values, and read
back by name: a member inserted before ``auto()`` ones renumbers the others, which a golden's
value alone would read back as the wrong member."""

from __future__ import annotations

import enum

import pytest

from pytest_clearstone import StateDelta, codec
from pytest_clearstone.errors import DecodeError, StoredClassError


class Phase(enum.Enum):
    PLAN = 1
    ACT = 3  # (was 2 when "recorded": a member was inserted before it)
    REVIEW = 2


class Perm(enum.Flag):
    READ = 1
    WRITE = 2


PATH = f"{__name__}:Phase"


def test_a_member_is_stored_with_its_name_and_read_back_by_it() -> None:
    assert codec.encode(Phase.ACT) == {"__cs__": "enum", "cls": PATH, "name": "ACT", "v": 3}
    assert codec.decode({"__cs__": "enum", "cls": PATH, "name": "ACT", "v": 2}) is Phase.ACT


def test_a_member_without_a_stored_name_or_renamed_reads_back_by_its_value() -> None:
    assert codec.decode({"__cs__": "enum", "cls": PATH, "v": 2}) is Phase.REVIEW
    assert codec.decode({"__cs__": "enum", "cls": PATH, "name": "DOING", "v": 3}) is Phase.ACT


def test_a_member_gone_by_name_and_value_is_named() -> None:
    with pytest.raises(StoredClassError, match="no member is named 'DOING' and 7 is no longer"):
        codec.decode({"__cs__": "enum", "cls": PATH, "name": "DOING", "v": 7})


def test_a_stored_name_that_is_no_text_is_refused() -> None:
    with pytest.raises(DecodeError, match="bad stored name of a member"):
        codec.decode({"__cs__": "enum", "cls": PATH, "name": ["ACT"], "v": 3})


def test_a_flag_combination_is_stored_by_its_value_only() -> None:
    both = Perm.READ | Perm.WRITE
    assert codec.encode(both) == {"__cs__": "enum", "cls": f"{__name__}:Perm", "v": 3}
    assert codec.decode(codec.encode(both)) is both
    assert codec.encode(Perm.WRITE)["name"] == "WRITE"


def test_a_delta_of_stored_members_names_them() -> None:
    gone = "cs_no_such_module:Phase"  # (a class the run has not imported: never imported)
    before = {"p": {"__cs__": "enum", "cls": gone, "name": "ACT", "v": 2}}
    after = {"p": {"__cs__": "enum", "cls": gone, "name": "PLAN", "v": 1}}
    assert StateDelta(before, after).lines == ["root['p']: Phase.ACT -> Phase.PLAN"]
    without = {"p": {"__cs__": "enum", "cls": gone, "v": 2}}
    assert StateDelta(without, {"p": {"__cs__": "enum", "cls": gone, "v": 1}}).lines == [
        "root['p']: Phase(2) -> Phase(1)"
    ]


def test_stored_forms_compare_members_by_class_and_value() -> None:
    """With ``ignore=`` paths arguments are compared as stored: a member stored before names
    were (its value only) equals the same member stored now."""
    old = {"__cs__": "enum", "cls": PATH, "v": 3}
    assert codec.same_tree(
        codec.by_type_where_unreadable(codec.encode(Phase.ACT)), codec.by_type_where_unreadable(old)
    )
