"""Which client-library classes are stored as their ``__slots__`` (``"slots"``) and read back as
themselves: every class of it below ``object`` declares ``__slots__`` (none holding
``__dict__``), none is a builtin or defines pickling hooks, and the class is found again by its
path. Any other one is left to a pickle (refused without pickles), never rebuilt missing state.
Slots are stored bases first, a private ``__name`` slot by the attribute holding it, an unset
slot left out (and unset when read back)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_clearstone.codec import TAG, decode, dumps, encode

base = pytest.importorskip("langgraph.store.base")
MODULE = "langgraph.store.base"


def _library_class(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    namespace: dict[str, Any],
    bases: tuple[type, ...] = (),
) -> Any:
    """A class defined as ``langgraph.store.base.<name>`` (found there by its path, as a class
    of the library is)."""
    cls = type(name, bases, {"__module__": MODULE, **namespace})
    monkeypatch.setattr(base, name, cls, raising=False)
    return cls


def _stored(value: Any) -> Any:
    return json.loads(dumps(encode(value, strict=True, allow_pickle=False)))


def test_slots_are_stored_bases_first_private_ones_by_their_attribute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    top = _library_class(monkeypatch, "_CsTop", {"__slots__": ("__secret", "z")})
    cls = _library_class(monkeypatch, "CsBelow", {"__slots__": ("a", "__weakref__")}, (top,))
    value = object.__new__(cls)
    value.a = 1
    value._CsTop__secret = "s"  # (what ``self.__secret`` in ``_CsTop`` names)
    value.z = 2
    tree = _stored(value)
    assert tree == {
        TAG: "slots",
        "cls": f"{MODULE}:CsBelow",
        "v": {"_CsTop__secret": "s", "z": 2, "a": 1},
    }
    assert list(tree["v"]) == ["_CsTop__secret", "z", "a"]
    back = decode(tree)
    assert type(back) is cls and (back.a, back._CsTop__secret, back.z) == (1, "s", 2)


def test_a_single_slot_named_by_a_string_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = _library_class(monkeypatch, "CsOne", {"__slots__": "only"})
    value = object.__new__(cls)
    value.only = "x"
    assert _stored(value)["v"] == {"only": "x"}


def test_a_slot_with_a_dunder_name_is_stored_by_that_name(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = _library_class(monkeypatch, "CsDunder", {"__slots__": ("__meta__",)})
    value = object.__new__(cls)
    value.__meta__ = "m"
    tree = _stored(value)
    assert tree["v"] == {"__meta__": "m"}
    assert decode(tree).__meta__ == "m"


def test_an_unset_slot_is_left_out_and_stays_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = _library_class(monkeypatch, "CsUnset", {"__slots__": ("a", "b")})
    value = object.__new__(cls)
    value.a = 1
    tree = _stored(value)
    assert tree["v"] == {"a": 1}
    assert not hasattr(decode(tree), "b")


@pytest.mark.parametrize(
    "namespace",
    [
        {"__slots__": ("a", "__dict__")},
        {"__slots__": ("a",), "__reduce__": lambda self: (object, ())},
        {"__slots__": ("a",), "__getstate__": lambda self: {}},
    ],
    ids=["dict-slot", "reduce", "getstate"],
)
def test_a_class_with_state_beyond_its_slots_is_not_stored_as_slots(
    monkeypatch: pytest.MonkeyPatch, namespace: dict[str, Any]
) -> None:
    cls = _library_class(monkeypatch, "CsOwnState", namespace)
    value = object.__new__(cls)
    value.a = 1
    assert encode(value)[TAG] == "pickle"


def test_a_class_with_a_base_without_slots_is_not_stored_as_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    top = _library_class(monkeypatch, "CsNoSlots", {})
    cls = _library_class(monkeypatch, "CsOnTop", {"__slots__": ("a",)}, (top,))
    assert encode(object.__new__(cls))[TAG] == "pickle"


def test_a_class_on_a_builtin_base_is_not_stored_as_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = _library_class(monkeypatch, "CsError", {"__slots__": ("a",)}, (ValueError,))
    assert encode(cls("boom"), allow_pickle=True)[TAG] != "slots"


def test_a_class_not_found_by_its_path_is_not_stored_as_slots() -> None:
    cls = type("CsNowhere", (), {"__module__": MODULE, "__slots__": ("a",)})
    value = object.__new__(cls)
    value.a = 1
    assert encode(value)[TAG] == "pickle"
