"""same_stored_form: values compared as they are stored, never by pickle bytes."""

from __future__ import annotations

import dataclasses

from pytest_clearstone import codec
from pytest_clearstone.codec import StoredRepr, same_stored_form


class Handle:
    """No __eq__."""

    def __init__(self, number: int) -> None:
        self.number = number


class Pool:
    """A value that cannot be stored readably (no __eq__, holds a lock-like object)."""


def test_objects_without_equality_compare_by_their_attributes() -> None:
    assert same_stored_form({"h": Handle(1)}, {"h": Handle(1)})
    assert not same_stored_form({"h": Handle(1)}, {"h": Handle(2)})


def test_a_placeholder_compares_by_type_name() -> None:
    recorded = StoredRepr(f"{__name__}.Pool", "<Pool: not stored>")
    assert same_stored_form({"pool": Pool()}, {"pool": recorded})
    assert not same_stored_form({"pool": Handle(1)}, {"pool": recorded})


def test_containers_must_match_in_shape() -> None:
    assert not same_stored_form([Handle(1)], [Handle(1), Handle(1)])
    assert not same_stored_form({"a": 1}, {"b": 1})
    assert not same_stored_form((1,), [1])


@dataclasses.dataclass
class Settings:
    """A library value: compared by its stored form when == says no."""

    temperature: float


class Loose:
    """An object equal to anything: compared by ==, at any depth."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


def test_values_equal_by_equality_are_equal_at_any_depth() -> None:
    # the Handle (no __eq__) sends the comparison down the tree; the rest still compares by ==
    assert same_stored_form({"h": Handle(1), "x": [Loose()]}, {"h": Handle(1), "x": [object()]})
    assert not same_stored_form({"h": Handle(1), "x": [2]}, {"h": Handle(1), "x": [1]})


def test_a_library_value_is_compared_with_its_part_of_the_recorded_tree() -> None:
    """The recorded tree is the form the value was recorded in: the recorded value is not
    encoded again (here the decoded value stands for another one)."""
    live = {"model": Settings(0.2), "prompt": "hi"}
    tree = {"model": codec.encode(Settings(0.2)), "prompt": "hi"}
    decoded = {"model": Settings(0.7), "prompt": "hi"}
    assert not same_stored_form(live, decoded)
    assert same_stored_form(live, decoded, tree)
    assert not same_stored_form(
        {"model": Settings(0.9), "prompt": "hi"}, decoded, tree
    )  # a live value that differs from the tree
    # a tree that does not have the value's shape is not used
    assert not same_stored_form(live, decoded, {"other": tree["model"]})
    assert not same_stored_form([live], [decoded], [tree, tree])
