"""same_stored_form: values compared as they are stored, never by pickle bytes."""

from __future__ import annotations

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
