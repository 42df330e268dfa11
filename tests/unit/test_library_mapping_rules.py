"""Which client-library dict subclasses are read back as their own class, and which as a plain
dict of their items (``"plain": true``): the class must be found again by its path and keep its
state in its items and ``__dict__`` only (no ``__slots__``, no pickling hooks, on itself or a
base below ``dict``), and that ``__dict__`` must be plain data. A class the codec cannot rebuild
exactly is read back as its items, never as an instance missing its state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_clearstone.codec import TAG, decode, dumps, encode
from pytest_clearstone.errors import DecodeError

utils = pytest.importorskip("langchain_core.runnables.utils")
MODULE = "langchain_core.runnables.utils"


def _library_class(monkeypatch: pytest.MonkeyPatch, name: str, namespace: dict[str, Any]) -> Any:
    """A dict subclass of ``AddableDict`` defined as ``langchain_core.runnables.utils.<name>``
    (found there by its path, as a class of the library is)."""
    cls = type(name, (utils.AddableDict,), {"__module__": MODULE, **namespace})
    monkeypatch.setattr(utils, name, cls, raising=False)
    return cls


def _stored(value: Any) -> Any:
    return json.loads(dumps(encode(value, strict=True, allow_pickle=False)))


def test_a_library_class_keeping_its_state_in_items_and_dict_reads_back_as_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cls = _library_class(monkeypatch, "CsProbePlain", {})
    value = cls(a=1)
    value.note = "kept"
    tree = _stored(value)
    assert tree == {
        TAG: "mapping",
        "cls": f"{MODULE}:CsProbePlain",
        "v": {"a": 1},
        "attrs": {"note": "kept"},
    }
    back = decode(tree)
    assert type(back) is cls and back == {"a": 1} and back.note == "kept"


@pytest.mark.parametrize(
    "namespace",
    [
        {"__slots__": ("extra",)},
        {"__reduce__": lambda self: (dict, (dict(self),))},
        {"__getstate__": lambda self: {}},
        {"__reduce_ex__": lambda self, protocol: (dict, (dict(self),))},
        {"__getnewargs__": lambda self: ()},
    ],
    ids=["slots", "reduce", "getstate", "reduce_ex", "getnewargs"],
)
def test_a_library_class_with_state_of_its_own_reads_back_as_its_items(
    monkeypatch: pytest.MonkeyPatch, namespace: dict[str, Any]
) -> None:
    cls = _library_class(monkeypatch, "CsProbeOwnState", namespace)
    tree = _stored(cls(a=1))
    assert tree == {
        TAG: "mapping",
        "cls": f"{MODULE}:CsProbeOwnState",
        "v": {"a": 1},
        "plain": True,
    }
    back = decode(tree)
    assert type(back) is dict and back == {"a": 1}


def test_a_library_class_declaring_empty_slots_reads_back_as_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (``__slots__ = ()`` adds no state of its own: its items and ``__dict__`` are all of it)
    cls = _library_class(monkeypatch, "CsProbeNoSlots", {"__slots__": ()})
    value = cls(a=1)
    value.note = "kept"
    tree = _stored(value)
    assert "plain" not in tree and tree["attrs"] == {"note": "kept"}
    back = decode(tree)
    assert type(back) is cls and back == {"a": 1} and back.note == "kept"


def test_a_subclass_of_a_class_with_slots_reads_back_as_its_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = _library_class(monkeypatch, "CsProbeSlotted", {"__slots__": ("extra",)})
    cls = type("CsProbeBelow", (base,), {"__module__": MODULE})
    monkeypatch.setattr(utils, "CsProbeBelow", cls, raising=False)
    assert _stored(cls(a=1)).get("plain") is True


def test_a_library_class_right_below_dict_with_slots_reads_back_as_its_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cls = type("CsProbeRightBelow", (dict,), {"__module__": MODULE, "__slots__": ("extra",)})
    monkeypatch.setattr(utils, "CsProbeRightBelow", cls, raising=False)
    assert _stored(cls(a=1)).get("plain") is True


def test_a_library_class_not_found_by_its_path_reads_back_as_its_items() -> None:
    cls = type("CsProbeNowhere", (utils.AddableDict,), {"__module__": MODULE})  # (not in it)
    tree = _stored(cls(a=1))
    assert tree.get("plain") is True
    assert decode(tree) == {"a": 1} and type(decode(tree)) is dict


def test_a_class_that_gained_state_of_its_own_since_reads_back_as_its_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A golden written when the class was rebuildable, read with a version that is not."""
    _library_class(monkeypatch, "CsProbeChanged", {"__reduce__": lambda self: (dict, ())})
    tree = {TAG: "mapping", "cls": f"{MODULE}:CsProbeChanged", "v": {"a": 1}, "attrs": {"n": 1}}
    back = decode(tree)
    assert type(back) is dict and back == {"a": 1}


@pytest.mark.parametrize(
    ("attribute", "plain"),
    [
        ({"k": [1, "two", 3.0, True, None, (4,)]}, False),
        ({1: "a key that is not text"}, True),
        ([1, object()], True),
        (type("Local", (), {}), True),  # (a class not found by its path)
        (utils.AddableDict, False),  # (an importable class: a model class)
    ],
    ids=["plain-data", "non-text-key", "object-in-list", "local-class", "importable-class"],
)
def test_only_plain_data_attributes_are_kept(
    monkeypatch: pytest.MonkeyPatch, attribute: Any, plain: bool
) -> None:
    cls = _library_class(monkeypatch, "CsProbeAttrs", {})
    value = cls(a=1)
    value.attribute = attribute
    tree = encode(value, allow_pickle=False)
    assert (tree.get("plain") is True) is plain
    assert ("attrs" in tree) is not plain


def test_a_too_deep_attribute_is_not_plain_data(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = _library_class(monkeypatch, "CsProbeDeep", {})
    deep: Any = "leaf"
    for _ in range(40):
        deep = [deep]
    value = cls(a=1)
    value.attribute = deep
    assert encode(value, allow_pickle=False).get("plain") is True


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({TAG: "mapping", "cls": f"{MODULE}:AddableDict", "v": [1]}, "are not a dict"),
        ({TAG: "mapping", "cls": "collections:OrderedDict", "v": {}}, "not a dict subclass"),
        ({TAG: "mapping", "cls": f"{MODULE}:ConfigurableField", "v": {}}, "not a dict subclass"),
        ({TAG: "mapping", "cls": f"{MODULE}:AddableDict", "v": {}, "attrs": [1]}, "attributes"),
    ],
    ids=["items", "not-a-library-class", "a-library-class-not-a-dict", "attributes"],
)
def test_an_edited_mapping_is_refused_naming_what_is_wrong(tree: Any, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode(tree)


def test_a_class_of_a_private_module_is_named_by_the_package_exporting_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (as a library's public name: the golden stays when the library moves its private module)
    tools = pytest.importorskip("openai.lib._tools")
    lib = pytest.importorskip("openai.lib")
    cls = type("CsProbeExported", (dict,), {"__module__": "openai.lib._tools"})
    monkeypatch.setattr(tools, "CsProbeExported", cls, raising=False)
    monkeypatch.setattr(lib, "CsProbeExported", cls, raising=False)
    tree = _stored(cls(a=1))
    assert tree == {TAG: "mapping", "cls": "openai.lib:CsProbeExported", "v": {"a": 1}}
    assert type(decode(tree)) is cls


def test_a_library_class_that_renamed_itself_is_named_by_the_attribute_holding_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (as pydantic-ai's private classes calling themselves by a public base's name)
    cls = _library_class(monkeypatch, "CsProbeRenamed", {"__qualname__": "CsProbePublic"})
    tree = _stored(cls(a=1))
    assert tree["cls"] == f"{MODULE}:CsProbeRenamed"
    assert type(decode(tree)) is cls
