"""The client libraries' plain classes that keep their state in ``__slots__`` — LangGraph's
store ``Item`` and ``SearchItem`` (what ``InMemoryStore.search``/``get`` return, kept in an
agent's long-term memory), its ``Send`` — are stored as readable JSON of their slots and read
back as the same class, without running its code (as a pickle would rebuild them). They were
pickles: recording an agent that kept a ``store.search()`` result failed unless pickles were
allowed, and with pickles the golden was unreadable in review."""

from __future__ import annotations

import datetime
import json
from typing import Any, Generic, TypeVar

import pytest

from pytest_clearstone.codec import TAG, decode, dumps, encode, loads
from pytest_clearstone.diff import StateDelta

store_base = pytest.importorskip("langgraph.store.base")
types = pytest.importorskip("langgraph.types")

WHEN = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


def _stored(value: Any) -> Any:
    """``value`` as a golden stores it: encoded without pickles, written and read as JSON."""
    return json.loads(dumps(encode(value, strict=True, allow_pickle=False)))


def _item(note: str = "likes tea", score: float | None = 0.75) -> Any:
    return store_base.SearchItem(("memories", "u1"), "n1", {"note": note}, WHEN, WHEN, score)


def test_a_store_item_is_stored_as_its_fields_and_read_back_as_itself() -> None:
    item = store_base.Item(
        value={"note": "likes tea"},
        key="n1",
        namespace=("memories", "u1"),
        created_at=WHEN,
        updated_at=WHEN,
    )
    tree = _stored({"memory": [item]})
    stored = tree["memory"][0]
    assert stored[TAG] == "slots"
    assert stored["cls"] == "langgraph.store.base:Item"
    assert stored["v"]["value"] == {"note": "likes tea"}
    assert stored["v"]["key"] == "n1"
    back = loads(dumps(tree))["memory"][0]
    assert type(back) is store_base.Item
    assert back == item
    assert back.namespace == ("memories", "u1")
    assert back.created_at == WHEN


def test_a_search_item_keeps_its_score() -> None:
    tree = _stored(_item())
    assert tree["cls"] == "langgraph.store.base:SearchItem"
    assert tree["v"]["score"] == 0.75
    back = decode(tree)
    assert type(back) is store_base.SearchItem
    assert back.score == 0.75
    assert back.dict() == _item().dict()


def test_a_send_is_stored_readably() -> None:
    send = types.Send("summarize", {"thread": "t1"})
    tree = _stored(send)
    assert tree[TAG] == "slots"
    assert tree["v"]["node"] == "summarize"
    assert tree["v"]["arg"] == {"thread": "t1"}
    assert decode(tree) == send


def test_a_changed_item_is_a_difference_named_by_its_field() -> None:
    recorded = loads(dumps(_stored({"memory": [_item()]})))
    delta = StateDelta(recorded, {"memory": [_item(note="likes coffee")]})
    assert delta
    text = str(delta)
    assert "value['note']" in text or "value" in text, text
    assert "'likes tea' -> 'likes coffee'" in text, text


def test_ignore_paths_go_through_the_slots() -> None:
    from pytest_clearstone.golden.ignore import IgnorePaths

    tree = encode({"memory": [_item()]}, allow_pickle=False)
    pruned = IgnorePaths(["memory.*.updated_at", "memory.*.score"]).prune(tree)
    assert set(pruned["memory"][0]["v"]) == {"value", "key", "namespace", "created_at"}


@pytest.mark.parametrize(
    ("cls", "refusal"),
    [
        ("collections:OrderedDict", "only those are stored as 'slots'"),
        ("langgraph.graph.state:StateGraph", "only those are stored as 'slots'"),
        ("os:system", "'os:system' is not a class"),
    ],
)
def test_a_stored_slots_value_of_another_class_is_refused_naming_it(cls: str, refusal: str) -> None:
    from pytest_clearstone.errors import DecodeError

    with pytest.raises(DecodeError, match=refusal):
        decode({TAG: "slots", "cls": cls, "v": {}})


def test_stored_slots_that_are_not_an_object_are_refused_naming_them() -> None:
    from pytest_clearstone.errors import DecodeError

    tree = _stored(types.Send("n", {}))
    tree["v"] = [1]
    with pytest.raises(DecodeError, match=r"the slots of a stored '.*:Send' are not a dict: \[1\]"):
        decode(tree)


def test_a_stored_slot_the_class_no_longer_has_is_named() -> None:
    from pytest_clearstone.errors import DecodeError

    tree = _stored(types.Send("n", {}))
    tree["v"]["gone"] = 1
    with pytest.raises(DecodeError, match=r"no longer has: \['gone'\]"):
        decode(tree)


BOX = """
T = TypeVar("T")


class Box(Generic[T]):
    __slots__ = ("content",)

    def __init__(self, content):
        self.content = content

    def __eq__(self, other):
        return type(other) is Box and other.content == self.content
"""


def test_a_generic_slotted_class_is_stored_readably_on_every_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A generic slotted class of a library: ``typing.Generic`` declares ``__slots__ = ()``
    before Python 3.12 and, written in C from 3.12 on, no ``__slots__`` at all (and still gives
    its subclasses no ``__dict__``): stored the same on every Python, so a golden recorded on
    one reads on the other."""
    space: dict[str, Any] = {"__name__": "langgraph.types", "Generic": Generic, "TypeVar": TypeVar}
    exec(BOX, space)  # (a class of the library's module, as its methods' globals say)
    box = space["Box"]
    monkeypatch.setattr(types, "Box", box, raising=False)
    tree = _stored(box("tea"))
    assert tree == {TAG: "slots", "cls": "langgraph.types:Box", "v": {"content": "tea"}}
    assert decode(tree) == box("tea")
