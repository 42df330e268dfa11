"""The plain JSON form of stored values (what OpenTelemetry tools are shown)."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from typing import Any

import pydantic

from pytest_clearstone import codec
from pytest_clearstone.codec.nesting import MAX_DEPTH
from pytest_clearstone.codec.plain import plain_form


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: tuple[int, int]


class Loose(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    name: str


def _plain(value: Any) -> Any:
    return plain_form(codec.encode(value))


def test_values_of_other_types_become_the_json_a_reader_expects() -> None:
    value = {
        "tuple": (1, "a"),
        "set": {3, 1},
        "when": dt.datetime(2026, 12, 7, 5, tzinfo=dt.timezone.utc),
        "price": Decimal("1.10"),
        "id": uuid.UUID(int=1),
        "colour": Colour.RED,
        "point": Point(1, (2, 3)),
        "model": Loose(name="n", extra_field=(4,)),
        "by_number": {1: "one", (2, 3): "pair"},
        "counts": collections.Counter("aab"),
        "raw": b"hi",
        "key": pydantic.SecretStr("sk-not-shown"),
    }
    assert _plain(value) == {
        "tuple": [1, "a"],
        "set": [1, 3],
        "when": "2026-12-07T05:00:00+00:00",
        "price": "1.10",
        "id": "00000000-0000-0000-0000-000000000001",
        "colour": "red",
        "point": {"x": 1, "y": [2, 3]},
        "model": {"name": "n", "extra_field": [4]},
        "by_number": {"1": "one", "[2,3]": "pair"},
        "counts": {"a": 2, "b": 1},
        "raw": "aGk=",
        "key": "**********",
    }
    json.dumps(_plain(value))  # (plain JSON: no value of another type is left)


def test_a_pickle_is_a_placeholder_naming_its_type_never_its_bytes() -> None:
    tree = {"__cs__": "pickle", "type": "app.Receipt", "v": "gASVAAAA"}
    text = plain_form({"receipt": tree})["receipt"]
    assert text.startswith("<pickled app.Receipt sha256:")
    assert "gASV" not in text


def test_a_value_without_v_is_shown_by_its_fields_not_the_names_of_its_class() -> None:
    tree = {
        "__cs__": "sdk_resource",
        "cls": "openai:Completions",
        "path": "chat.completions",
        "client": {"__cs__": "sdk_client", "cls": "openai:OpenAI", "v": {"max_retries": 2}},
    }
    assert plain_form(tree) == {"path": "chat.completions", "client": {"max_retries": 2}}


def test_plain_json_and_values_nested_as_deeply_as_the_codec_stores_are_kept() -> None:
    plain = {"a": [1, {"b": None}], "c": "text"}
    assert plain_form(plain) == plain
    deep: Any = "end"
    for _ in range(MAX_DEPTH - 1):
        deep = (deep,)
    walked = plain_form(codec.encode(deep))
    for _ in range(MAX_DEPTH - 1):
        (walked,) = walked
    assert walked == "end"


class Blank(enum.Enum):
    NOTHING = None


def test_ordered_and_default_dicts_are_json_objects_and_a_value_of_none_stays_null() -> None:
    value = {
        "ordered": collections.OrderedDict([(1, "a"), ("b", 2)]),
        "default": collections.defaultdict(list, {(1,): [2]}),
        "blank": Blank.NOTHING,
    }
    assert _plain(value) == {
        "ordered": {"1": "a", "b": 2},
        "default": {"[1]": [2]},
        "blank": None,
    }


def test_a_models_extra_fields_come_after_its_declared_ones() -> None:
    assert list(_plain(Loose(extra_field=1, name="n"))) == ["name", "extra_field"]


def test_a_dict_of_pairs_edited_into_another_shape_keeps_what_is_a_pair() -> None:
    # (a golden edited by hand: plain_form shows what it can, and does not fail)
    pairs = {"__cs__": "dict", "v": [["a", 1], "bc", ["d"], ["e", 2, 3]]}
    assert plain_form(pairs) == {"a": 1}
    assert plain_form({"__cs__": "dict", "v": {"a": 1}}) == {"a": 1}
