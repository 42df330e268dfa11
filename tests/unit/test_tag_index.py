"""The tag index of a checkpoint: a fast path for loading that never changes what is loaded."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pytest_clearstone import codec
from pytest_clearstone.errors import DecodeError

STATE = {
    "history": [("user", "hi"), ("bot", ("nested", b"\x00"))],
    "when": dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc),
    "plain": {"a": [1, 2, {"b": "c"}]},
}


def _document() -> dict:
    doc = {"agent": {"state": codec.encode(STATE)}, "other": [1, {"x": None}]}
    doc["tag_index"] = codec.tag_index(doc)
    return doc


def test_index_counts_nested_tags_and_lists_outermost_paths():
    index = codec.tag_index(_document())
    assert index["count"] == 5  # two tuples, the nested tuple, bytes, datetime
    assert index["paths"] == [
        ["agent", "state", "history", 0],
        ["agent", "state", "history", 1],
        ["agent", "state", "when"],
    ]


def test_a_list_has_its_tags_counted_and_indexed_too():
    tree = [1, {"__cs__": "tuple", "v": [{"__cs__": "bytes", "v": ""}]}]
    assert codec.tag_index(tree) == {"count": 2, "paths": [[1]]}


def test_a_copied_tree_shares_none_of_its_containers():
    tree = {"a": [{"b": [1]}, [{"c": 2}]], "__cs__": "data"}
    copied = codec.copy_tree(tree)
    assert copied == tree
    copied["a"][0]["b"].append(2)
    copied["a"][1][0]["c"] = 3
    assert tree == {"a": [{"b": [1]}, [{"c": 2}]], "__cs__": "data"}


@pytest.mark.parametrize("indent", [None, 2])
def test_indexed_and_hook_loading_agree(indent):
    text = json.dumps(_document(), indent=indent)
    loaded = codec.loads_document(text)
    assert loaded["agent"]["state"] == STATE
    no_index = json.dumps({k: v for k, v in _document().items() if k != "tag_index"})
    assert codec.loads_document(no_index)["agent"]["state"] == STATE


def test_a_hand_added_tag_is_decoded_although_the_index_misses_it():
    doc = _document()
    doc["other"][1]["x"] = {"__cs__": "tuple", "v": [1, 2]}  # count no longer matches
    loaded = codec.loads_document(json.dumps(doc))
    assert loaded["other"][1]["x"] == (1, 2)
    assert loaded["agent"]["state"] == STATE


def test_a_moved_tag_with_the_same_count_falls_back_to_decoding_all():
    doc = _document()
    doc["agent"]["state"]["moved"] = doc["agent"]["state"].pop("when")
    loaded = codec.loads_document(json.dumps(doc))
    assert loaded["agent"]["state"]["moved"] == STATE["when"]
    assert loaded["agent"]["state"]["history"] == STATE["history"]


@pytest.mark.parametrize(
    "paths",
    [[[]], [["agent", "nope"]], "junk", [[0, 1]], None, [["agent", ["state"]]],
     [["agent", {"state": 1}]], [["agent", "state", "history", True]],
     [["agent", "state", "history", 0.0]], [["agent", "state", "history", -1]],
     [["agent", "state", "when"], ["agent", "state", "when", "v"]],
     [["agent", "state", "when", "v"], ["agent", "state", "when"]],
     [["agent", "state", "when"], ["agent", "state", "when"]], [["agent", "state", "plain"]]],
)  # fmt: skip
def test_a_nonsense_index_is_ignored(paths):
    doc = _document()
    doc["tag_index"]["paths"] = paths
    assert codec.loads_document(json.dumps(doc))["agent"]["state"] == STATE


def test_refused_pickles_are_refused_on_both_paths():
    doc = {"state": codec.encode({"f": frozenset({1})})}
    doc["state"]["g"] = {"__cs__": "pickle", "type": "x", "v": "gAR9lC4="}
    doc["tag_index"] = codec.tag_index(doc)
    for candidate in (doc, {k: v for k, v in doc.items() if k != "tag_index"}):
        with pytest.raises(DecodeError, match="refusing to unpickle"):
            codec.loads_document(json.dumps(candidate), allow_pickle=False)


def test_a_tag_spelt_with_escapes_is_still_decoded_or_refused():
    text = json.dumps({"state": {"__cs__": "tuple", "v": [1]}}).replace("__cs__", "\\u005f_cs__")
    assert codec.loads_document(text) == {"state": (1,)}
    assert codec.loads(text) == {"state": (1,)}
    pickled = text.replace('"tuple", "v": [1]', '"pickle", "type": "x", "v": "gAR9lC4="')
    for load in (codec.loads_document, codec.loads):
        with pytest.raises(DecodeError, match="refusing to unpickle"):
            load(pickled, allow_pickle=False)


@pytest.mark.parametrize(
    ("tree", "holds"),
    [
        ("__cs__", False),
        ({"k": "__cs__"}, False),
        ([1, "x", None, [], {}], False),
        ({"a": [{"b": {"c": [1, 2]}}], "d": {"e": "f"}}, False),
        ({"__cs__": "tuple", "v": [1]}, True),
        ([[{"deep": [{"x": 1}, {"__cs__": "bytes", "v": ""}]}]], True),
        ({"a": 1, "b": [2, {"c": {"__cs__": "pickle", "v": ""}}]}, True),
        (codec.encode(STATE), True),
        (codec.encode({"plain": [1, "two", {"three": 3.0}]}), False),
    ],
)
def test_holds_tag_finds_a_tag_key_at_any_depth(tree, holds):
    assert codec.holds_tag(tree) is holds
