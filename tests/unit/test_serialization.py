"""The value codec: JSON passes through, other values round-trip through tagged encodings."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import json
import math
import os
import re
import subprocess
import sys
import uuid
import warnings
import zoneinfo
from decimal import Decimal
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec import (
    TAG,
    StoredRepr,
    UnencodableValueWarning,
    decode,
    dumps,
    encode,
    loads,
)
from pytest_clearstone.errors import DecodeError, SerializationError, StoredClassError


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


@dataclasses.dataclass
class Point:
    x: int
    y: tuple[int, int]


@dataclasses.dataclass(frozen=True)
class Frozen:
    when: dt.date
    tags: frozenset[str]


class Receipt:
    """A plain class: not JSON, not tagged, so it goes through dill."""

    def __init__(self, amount: Decimal, items: list[str]) -> None:
        self.amount = amount
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Receipt) and (other.amount, other.items) == (
            self.amount,
            self.items,
        )

    __hash__ = None  # type: ignore[assignment]


def roundtrip(value: Any) -> Any:
    """Through the text form, the way checkpoint files use the codec (pickles allowed: some
    cases are about them)."""
    return loads(dumps(encode(value)), allow_pickle=True)


def _tag(tree: Any) -> Any:
    return tree.get(TAG) if isinstance(tree, dict) else None


TAGGED = [
    pytest.param((1, "a", None), "tuple", id="tuple"),
    pytest.param({3, 1, 2}, "set", id="set"),
    pytest.param(frozenset({"x", "y"}), "frozenset", id="frozenset"),
    pytest.param(b"\x00\xffbytes", "bytes", id="bytes"),
    pytest.param(bytearray(b"\x01\x02"), "bytearray", id="bytearray"),
    pytest.param(dt.datetime(2025, 1, 15, 12, 0, 30, 123456), "datetime", id="datetime-naive"),
    pytest.param(
        dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        "datetime",
        id="datetime-aware",
    ),
    pytest.param(dt.date(2024, 2, 29), "date", id="date"),
    pytest.param(dt.time(23, 59, 58, 7), "time", id="time"),
    pytest.param(dt.timedelta(days=-2, seconds=5, microseconds=9), "timedelta", id="timedelta"),
    pytest.param(Decimal("0.1000000000000000055511151231257827"), "decimal", id="decimal"),
    pytest.param(uuid.UUID("12345678-1234-5678-1234-567812345678"), "uuid", id="uuid"),
    pytest.param(Path("/tmp/some dir/file.txt"), "path", id="path"),
    pytest.param(PurePosixPath("a/b"), "path", id="purepath"),
    pytest.param(complex(1.5, -2.25), "complex", id="complex"),
    pytest.param(float("inf"), "float", id="inf"),
    pytest.param(float("-inf"), "float", id="-inf"),
    pytest.param(Color.RED, "enum", id="enum-str"),
    pytest.param(Color.BLUE, "enum", id="enum-int"),
    pytest.param(Point(1, (2, 3)), "dataclass", id="dataclass"),
    pytest.param(Frozen(dt.date(2025, 1, 1), frozenset({"a"})), "dataclass", id="frozen-dc"),
    pytest.param({1: "one", (2, 3): "pair", None: 0}, "dict", id="dict-non-str-keys"),
    pytest.param({TAG: "tuple", "v": [1]}, "dict", id="dict-with-tag-key"),
    pytest.param(Receipt(Decimal("9.99"), ["tea"]), "pickle", id="custom-class-dill"),
    # a class passed as a value (`response_format=Verdict`, `with_structured_output(Recipe)`)
    pytest.param(Receipt, "class", id="class"),
    pytest.param(Decimal, "class", id="class-of-a-c-module"),
]


def test_a_class_is_stored_by_its_path_and_one_that_cannot_be_found_again_is_not() -> None:
    assert encode(Point) == {TAG: "class", "cls": f"{__name__}:Point"}

    class Local:
        pass

    with pytest.raises(SerializationError, match="pickles are not allowed"):
        encode(Local, strict=True, allow_pickle=False)
    # a class built at run time and named as if its module held it (LangChain's tool argument
    # schemas): its module has no such attribute, so it is not stored as a reference to it
    built = type("built_at_run_time", (), {"__module__": __name__})
    with pytest.raises(SerializationError, match="pickles are not allowed"):
        encode(built, strict=True, allow_pickle=False)
    with pytest.raises(DecodeError, match="is not a class"):
        loads('{"__cs__": "class", "cls": "os:system"}')


@pytest.mark.parametrize(("value", "tag"), TAGGED)
def test_tagged_values_round_trip(value: Any, tag: str) -> None:
    tree = encode(value)
    assert _tag(tree) == tag
    json.dumps(tree)  # the tree is plain JSON
    back = roundtrip(value)
    assert back == value
    assert type(back) is type(value) or isinstance(value, PurePosixPath)


def test_a_deque_reads_back_with_its_maxlen_even_one_of_zero() -> None:
    # (deques of other maxlens compare equal: only the maxlen read back tells them apart)
    maxlens = [roundtrip(collections.deque(maxlen=n)).maxlen for n in (0, 3, None)]
    assert maxlens == [0, 3, None]


def test_a_fraction_with_parts_longer_than_python_writes_as_text_reads_back() -> None:
    huge = Fraction(10**5000, 3)
    assert decode(encode(huge)) == huge


def test_pure_path_comes_back_as_a_path() -> None:
    assert roundtrip(PurePosixPath("a/b")) == Path("a/b")


def test_a_concrete_path_comes_back_as_a_concrete_path() -> None:
    assert type(roundtrip(Path("/srv/data/file.txt"))) is type(Path("/srv/data/file.txt"))


def test_aware_datetime_keeps_its_offset() -> None:
    value = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
    back = roundtrip(value)
    assert back.tzinfo is not None
    assert back.utcoffset() == dt.timedelta(0)
    assert roundtrip(dt.datetime(2025, 1, 15)).tzinfo is None


def test_nan_round_trips_as_nan() -> None:
    back = roundtrip(float("nan"))
    assert isinstance(back, float)
    assert math.isnan(back)


def test_json_values_pass_through_untouched() -> None:
    value = {"a": [1, 2.5, "x", None, True, {"b": []}], "c": {}}
    assert encode(value) == value
    assert TAG not in dumps(encode(value))
    assert roundtrip(value) == value


def test_nested_tags_inside_containers() -> None:
    value = {"when": [dt.date(2025, 1, 1), (1, {2, 3})], "raw": {b"k": Decimal("1.5")}}
    assert roundtrip(value) == value


def test_locally_defined_class_is_pickled_by_value() -> None:
    class Local:
        def __init__(self) -> None:
            self.n = 41

    back = roundtrip(Local())
    assert back.n == 41
    assert type(back).__name__ == "Local"


def test_int_wider_than_64_bits_survives_text_form() -> None:
    value = {"big": 10**30, "neg": -(2**63) - 1, "u64": 2**64 - 1}
    assert roundtrip(value) == value


def test_unpicklable_value_becomes_a_warned_repr() -> None:
    gen = (i for i in range(3))
    with pytest.warns(UnencodableValueWarning, match="generator"):
        tree = encode({"ok": 1, "bad": gen})
    assert tree["ok"] == 1
    assert _tag(tree["bad"]) == "repr"
    back = roundtrip_tree(tree)
    assert isinstance(back["bad"], StoredRepr)
    assert back["bad"].type_name == "generator"
    # its repr without the address, which differs on every run (and would change the golden at
    # every re-record)
    assert " at 0x" in repr(gen)
    assert repr(back["bad"]) == repr(gen).rpartition(" at 0x")[0] + ">"


def test_a_mocks_placeholder_has_no_id_either() -> None:
    # MagicMock's repr carries id(...) instead of an address: it changed at every re-record.
    from unittest import mock

    with pytest.warns(UnencodableValueWarning):
        tree = encode({"client": mock.MagicMock(name="client")}, allow_pickle=False)
    assert tree["client"]["v"] == "<MagicMock name='client'>"


@pytest.mark.parametrize("allow_pickle", [False, True])
def test_the_process_environment_is_never_stored(
    monkeypatch: pytest.MonkeyPatch, allow_pickle: bool
) -> None:
    """``os.environ`` holds every variable, secrets included: refused strictly (naming the fix,
    pickles allowed or not), else a placeholder naming its type, never its pickle or its repr
    (which holds every variable)."""
    monkeypatch.setenv("SOME_HOST", "db.corp.example")
    with pytest.raises(SerializationError, match=r"root\['env'\].*process's environment"):
        encode({"env": os.environ}, strict=True, allow_pickle=allow_pickle)
    with pytest.warns(UnencodableValueWarning, match="keep the variables the agent needs"):
        tree = encode({"env": os.environ}, allow_pickle=allow_pickle)
    assert tree["env"] == {TAG: "repr", "type": "os._Environ", "v": "<os._Environ: not stored>"}


def roundtrip_tree(tree: Any) -> Any:
    return loads(dumps(tree))


def test_without_pickle_a_custom_object_is_a_repr_with_a_warning() -> None:
    with pytest.warns(UnencodableValueWarning, match="pickles are not allowed"):
        tree = encode(Receipt(Decimal(1), []), allow_pickle=False)
    assert _tag(tree) == "repr"


def test_strict_mode_names_the_path_of_the_bad_value() -> None:
    gen = (i for i in range(3))
    with pytest.raises(SerializationError) as info:
        encode({"a": [0, gen]}, strict=True)
    assert info.value.path == "root['a'][1]"
    assert "root['a'][1]" in str(info.value)
    assert "generator" in str(info.value)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ((1, 2, (3, "G")), "root[2][1]"),
        ({"k": {"inner": "G"}}, "root['k']['inner']"),
        ({1: "G"}, "root[1]"),
    ],
)
def test_strict_paths_through_tuples_dicts_and_keyed_dicts(value: Any, path: str) -> None:
    gen = (i for i in range(1))

    def put(v: Any) -> Any:
        if v == "G":
            return gen
        if isinstance(v, tuple):
            return tuple(put(x) for x in v)
        if isinstance(v, dict):
            return {k: put(x) for k, x in v.items()}
        return v

    with pytest.raises(SerializationError) as info:
        encode(put(value), strict=True)
    assert info.value.path == path


def test_strict_mode_without_pickle_refuses_custom_objects() -> None:
    with pytest.raises(SerializationError, match=r"root\.amount|pickles are not allowed"):
        encode(Receipt(Decimal(1), []), strict=True, allow_pickle=False)


def test_without_pickle_an_exception_kept_as_a_value_is_refused_naming_the_fix() -> None:
    with pytest.raises(SerializationError) as refused:
        encode({"outcome": [1, ValueError("bad answer")]}, strict=True, allow_pickle=False)
    message = str(refused.value)
    assert "it is an exception kept as a value" in message
    assert 'f"{type(exc).__name__}: {exc}"' in message


def test_dataclass_field_path_in_strict_mode() -> None:
    with pytest.raises(SerializationError) as info:
        encode(Point(1, (2, (i for i in range(1)))), strict=True)  # type: ignore[arg-type]
    assert info.value.path == "root.y[1]"


def test_unknown_tag_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="unknown value tag 'martian'"):
        loads('{"__cs__": "martian", "v": 1}')
    with pytest.raises(DecodeError, match="martian"):
        decode({"x": [{TAG: "martian"}]})


def test_malformed_tag_value_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="datetime"):
        loads('{"__cs__": "datetime", "v": "not a date"}')
    with pytest.raises(DecodeError, match="base64"):
        loads('{"__cs__": "bytes", "v": "***"}')
    with pytest.raises(DecodeError, match="cannot import"):
        loads('{"__cs__": "enum", "cls": "no_such_module_xyz:Thing", "v": 1}')
    with pytest.raises(DecodeError, match=r"bad float value '1\.5'"):  # (NaN and infinities only)
        loads('{"__cs__": "float", "v": "1.5"}')
    with pytest.raises(DecodeError, match=r"a range is \[start, stop, step\]"):
        loads('{"__cs__": "range", "v": [0, 5]}')
    with pytest.raises(DecodeError, match="a fold is 1, not 0"):
        loads('{"__cs__": "datetime", "v": "2025-10-26T02:30:00", "fold": 0}')
    with pytest.raises(DecodeError, match="a fold is stored for a time without a zone only"):
        loads('{"__cs__": "time", "v": "02:30:00+01:00", "fold": 1}')
    with pytest.raises(DecodeError, match="bad stored pattern"):
        loads('{"__cs__": "pattern", "v": "a+", "flags": "I"}')
    with pytest.raises(DecodeError, match="'os:system' is not a class"):  # (no factory run)
        loads('{"__cs__": "defaultdict", "cls": "os:system", "v": []}')


def test_a_tag_without_one_of_its_fields_is_a_decode_error_naming_the_field() -> None:
    """A hand-edited golden's tag missing a field: the message said "KeyError: 'cls'"."""
    for stored, field in (
        ('{"__cs__": "class", "v": "os:system"}', "cls"),
        ('{"__cs__": "dataclass", "v": {}}', "cls"),
        ('{"__cs__": "datetime"}', "v"),
    ):
        with pytest.raises(DecodeError) as info:
            loads(stored)
        tag = json.loads(stored)[TAG]
        assert str(info.value) == f"bad {tag!r} value: it has no {field!r} field"


def test_decode_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        loads('{"__cs__": 7}')


def test_loads_with_and_without_tag_decoding() -> None:
    text = dumps(encode({"t": (1, 2), "d": dt.date(2025, 5, 1)}))
    assert loads(text) == {"t": (1, 2), "d": dt.date(2025, 5, 1)}
    raw = loads(text, decode_tags=False)
    assert raw == {"t": {TAG: "tuple", "v": [1, 2]}, "d": {TAG: "date", "v": "2025-05-01"}}
    assert loads(text.encode()) == loads(text)


def test_loads_refuses_pickles_unless_allowed() -> None:
    text = dumps(encode(Receipt(Decimal(2), ["x"])))
    assert codec.text_has_pickle(text)
    with pytest.raises(DecodeError, match="pickles not allowed"):
        loads(text)
    assert loads(text, allow_pickle=True) == Receipt(Decimal(2), ["x"])


def test_loads_of_non_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        loads("{not json")


@pytest.mark.parametrize(
    "value",
    [
        {"a": (1, [dt.timedelta(1), {b"x"}]), "b": Color.BLUE, "c": {2: Point(0, (1, 1))}},
        [float("inf"), Decimal("3.14"), uuid.UUID(int=5), {TAG: 1}],
        "plain",
        17,
        None,
    ],
)
def test_decode_of_a_tree_equals_loads_of_its_dumps(value: Any) -> None:
    tree = encode(value)
    snapshot = json.loads(json.dumps(tree))
    assert decode(tree) == loads(dumps(tree)) == value
    assert tree == snapshot  # decode() does not change its input


def test_dumps_pretty_is_stable_and_sorted() -> None:
    tree = encode({"b": 1, "a": {"d": 2, "c": 3}})
    text = dumps(tree, pretty=True)
    assert text == json.dumps(tree, indent=2, sort_keys=True)
    assert dumps(tree) == dumps(encode({"b": 1, "a": {"d": 2, "c": 3}}))


def test_encoding_snapshots_the_value() -> None:
    value = {"items": [1]}
    tree = encode(value)
    value["items"].append(2)
    assert decode(tree) == {"items": [1]}


def test_a_placeholder_read_back_encodes_as_it_was_stored() -> None:
    tree = {TAG: "repr", "type": "app.Client", "v": "<app.Client: not stored>"}
    value = decode(tree)
    assert isinstance(value, StoredRepr)
    assert encode(value) == tree


def test_a_reference_cycle_is_stored_as_a_placeholder_naming_it_not_a_recursion_error() -> None:
    # Found on pydantic-ai's run context (a dataclass that refers back to itself): encoding
    # recursed until RecursionError and failed the test with it.
    import warnings as _warnings

    from pytest_clearstone import codec
    from pytest_clearstone.errors import SerializationError, UnencodableValueWarning

    loop: list[object] = [1]
    loop.append({"back": loop})
    with _warnings.catch_warnings(record=True) as seen:
        _warnings.simplefilter("always")
        tree = codec.encode({"a": loop}, allow_pickle=False)
    assert tree["a"][1]["back"] == {
        "__cs__": "repr",
        "type": "list",
        "v": "<reference cycle: list>",
    }
    assert [w.category for w in seen] == [UnencodableValueWarning]
    with pytest.raises(SerializationError, match=r"root\['a'\]\[1\]\['back'\].*reference cycle"):
        codec.encode({"a": loop}, strict=True)


def test_a_value_shared_by_two_places_beside_a_cycle_is_stored_at_both() -> None:
    # (only a value inside itself is a cycle: one the state holds twice, as the message list
    # of a conversation and of its last turn, is stored in each place; so is a wide value)
    from pytest_clearstone import codec

    shared = {"role": "user", "content": "hi"}
    loop: list[object] = []
    loop.append(loop)
    state = {"history": [shared, shared], "last": shared, "loop": loop}
    state["turns"] = [[i] for i in range(2500)]  # (more containers than a value may be deep)
    with pytest.warns(codec.UnencodableValueWarning, match="reference cycle"):
        tree = codec.encode(state, allow_pickle=False)
    assert tree["history"] == [shared, shared] and tree["last"] == shared
    assert tree["turns"][-1] == [2499]
    assert tree["loop"] == [{"__cs__": "repr", "type": "list", "v": "<reference cycle: list>"}]


class _Renamed(Exception):
    """A private class that calls itself by a public base's name (as pydantic-ai's
    ``_HTTPModelRateLimitError`` does)."""


_Renamed.__name__ = _Renamed.__qualname__ = "PublicName"


class PublicName(Exception):
    pass


def test_an_exception_class_that_renamed_itself_is_recorded_by_where_it_is() -> None:
    from pytest_clearstone.golden.recorded_errors import rebuild_exception
    from pytest_clearstone.tracing.span import exception_record

    record = exception_record(_Renamed("slow down"))
    assert record["type"] == "_Renamed"
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is _Renamed and str(rebuilt) == "slow down"


def test_a_cached_property_of_a_model_is_not_stored() -> None:
    import functools

    pydantic = pytest.importorskip("pydantic")

    from pytest_clearstone import codec

    class Model(pydantic.BaseModel):
        name: str

        @functools.cached_property
        def expensive(self) -> str:
            return self.name * 2

    Model.__module__ = __name__
    Model.__qualname__ = "CachedModel"
    globals()["CachedModel"] = Model
    fresh, touched = Model(name="a"), Model(name="a")
    assert touched.expensive == "aa"
    assert codec.encode(touched) == codec.encode(fresh)
    assert codec.decode(codec.encode(touched)).expensive == "aa"  # computed again


class Shout(str):
    """A str subclass with no state of its own, whose ``__new__`` must not run on decode."""

    __slots__ = ()
    made = 0

    def __new__(cls, value: str) -> Shout:
        cls.made += 1
        return str.__new__(cls, value.upper())


def test_a_scalar_subclass_without_state_is_stored_readably_and_restored() -> None:
    from pytest_clearstone import codec

    tree = codec.encode({"text": Shout("hi")}, allow_pickle=False)
    assert tree["text"] == {
        "__cs__": "subclass",
        "cls": f"{__name__}:Shout",
        "base": "str",
        "v": "HI",
    }
    made = Shout.made
    value = codec.decode(tree)["text"]
    assert type(value) is Shout and value == "HI"
    assert Shout.made == made  # rebuilt without calling the stored class's __new__


class Labelled(str):
    """A str subclass whose instances keep state of their own."""


def test_a_scalar_subclass_with_state_of_its_own_is_not_stored_as_its_value_alone() -> None:
    value = Labelled("hi")
    value.source = "user"  # type: ignore[attr-defined]
    tree = codec.encode({"text": value})
    assert tree["text"][TAG] != "subclass"
    back = codec.decode(tree, allow_pickle=True)["text"]
    assert type(back) is Labelled and back == "hi" and back.source == "user"


class Marked(str):
    """A str subclass whose ``str()`` is itself, as Django's ``SafeString`` (what a template
    renders, ``mark_safe``), and an int subclass whose ``int()`` is itself."""

    __slots__ = ()

    def __str__(self) -> str:
        return self


class Count(int):
    def __int__(self) -> int:
        return self


def test_a_scalar_subclass_whose_conversion_returns_itself_is_stored_by_its_value() -> None:
    """It was stored as a repr compared by type only (an argument: an edited prompt replayed
    green), or refused as "a reference cycle" (in a state)."""
    value = {"text": Marked("<b>hi</b>"), "n": Count(3)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree = codec.encode(value, allow_pickle=False)
        assert codec.encode(value, allow_pickle=False, strict=True) == tree
    assert tree["text"] == {
        "__cs__": "subclass",
        "cls": f"{__name__}:Marked",
        "base": "str",
        "v": "<b>hi</b>",
    }
    assert tree["n"]["v"] == 3 and type(tree["n"]["v"]) is int
    back = codec.decode(tree)
    assert type(back["text"]) is Marked and back["text"] == "<b>hi</b>"
    assert type(back["n"]) is Count and back["n"] == 3


def test_a_class_found_before_is_found_again_as_it_is_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding remembers where a golden's classes are, but never hands back one its module no
    longer holds: a patched attribute, a module replaced in ``sys.modules``."""
    import sys
    import types

    from pytest_clearstone.codec.naming import import_class

    module = types.ModuleType("cs_probe_module")

    class Probe:
        pass

    module.Probe = Probe  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cs_probe_module", module)
    assert import_class("cs_probe_module:Probe") is Probe
    assert import_class("cs_probe_module:Probe") is Probe  # remembered

    class Patched:
        pass

    monkeypatch.setattr(module, "Probe", Patched)
    assert import_class("cs_probe_module:Probe") is Patched
    reloaded = types.ModuleType("cs_probe_module")
    reloaded.Probe = Probe  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cs_probe_module", reloaded)
    assert import_class("cs_probe_module:Probe") is Probe
    del reloaded.Probe  # type: ignore[attr-defined]
    with pytest.raises(DecodeError, match="cannot import 'cs_probe_module:Probe'"):
        import_class("cs_probe_module:Probe")


def test_an_enum_value_gone_from_its_class_is_a_change_of_the_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A structured-output model's enum member renamed since recording: the golden is sound,
    the code changed. The error was a plain DecodeError ("bad 'enum' value: ValueError"), and
    the golden's message told to restore the file from version control."""
    import types

    module = types.ModuleType("cs_enum_module")
    monkeypatch.setitem(sys.modules, "cs_enum_module", module)
    module.Color = enum.Enum("Color", {"RED": "red"}, module="cs_enum_module")  # type: ignore[attr-defined]
    tree = encode(module.Color.RED)  # type: ignore[attr-defined]
    module.Color = enum.Enum("Color", {"CRIMSON": "crimson"}, module="cs_enum_module")  # type: ignore[attr-defined]
    with pytest.raises(
        StoredClassError, match=r"'red' is no longer a value of the enum 'cs_enum_module:Color'"
    ):
        decode(tree)


def test_an_enum_tag_naming_a_class_that_is_no_enum_is_refused() -> None:
    with pytest.raises(StoredClassError, match=r"'decimal:Decimal' is not an Enum"):
        decode({TAG: "enum", "cls": "decimal:Decimal", "v": "1"})


def test_a_datetime_in_a_named_zone_comes_back_in_that_zone() -> None:
    # a calendar tool's answer in Europe/Lisbon: replayed with a fixed offset, the agent's
    # "10:00 WET" became "10:00 UTC" in its next prompt, and a day added across the DST change
    # kept the winter offset
    zone = zoneinfo.ZoneInfo("Europe/Lisbon")
    value = dt.datetime(2025, 3, 29, 10, 0, tzinfo=zone)
    back = roundtrip(value)
    assert back == value
    assert repr(back) == repr(value)  # (not fold=1: this time is not one a DST change repeats)
    assert back.tzinfo == zone
    assert back.tzname() == "WET"
    assert (back + dt.timedelta(days=1)).utcoffset() == dt.timedelta(hours=1)
    # the second 01:30 of the autumn change keeps its fold
    repeated = dt.datetime(2025, 10, 26, 1, 30, fold=1, tzinfo=zone)
    assert roundtrip(repeated).utcoffset() == dt.timedelta(0)
    assert roundtrip(repeated).fold == 1
    # a time of day in a zone (no offset of its own) keeps the zone too
    assert roundtrip(dt.time(10, 0, tzinfo=zone)).tzinfo == zone
    # a fixed offset stays a fixed offset, written as before
    assert encode(dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc)) == {
        TAG: "datetime",
        "v": "2025-01-15T00:00:00+00:00",
    }


def test_an_unknown_zone_is_a_decode_error_naming_it() -> None:
    for key in ("Mars/Olympus_Mons", "../../etc/passwd", 7):
        tree = {TAG: "datetime", "v": "2025-01-15T00:00:00+00:00", "tz": key}
        # (one the zone database lacks: named as such, not as a bad value)
        said = "time zone database" if key == "Mars/Olympus_Mons" else "bad 'datetime' value"
        with pytest.raises(DecodeError, match=said) as caught:
            decode(tree)
        assert str(key) in str(caught.value) and said in str(caught.value)


def test_a_set_is_written_in_one_order_whatever_the_hash_order(tmp_path: Path) -> None:
    # a set of enum members (or of mixed types) cannot be sorted by value: it was written in
    # hash order, which changes with PYTHONHASHSEED, so every re-record changed the golden
    (tmp_path / "tools.py").write_text(
        "import enum\n"
        "class Tool(enum.Enum):\n"
        "    SEARCH = 'search'; BOOK = 'book'; PAY = 'pay'; CANCEL = 'cancel'; REFUND = 'refund'\n"
    )
    script = (
        "from pytest_clearstone.codec import dumps, encode\n"
        "from tools import Tool\n"
        "print(dumps(encode({'tools': set(Tool), 'mixed': {'a', 1, None, ('x', 2), Tool.PAY},"
        " 'nested': {frozenset({'a'}), frozenset({'b'}), frozenset({'a', 'b'})}})))\n"
    )
    written = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=tmp_path,
            env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(6)
    }
    assert len(written) == 1, written
    assert '"__cs__": "pickle"' not in written.pop()
    # values that sort keep their own order
    assert encode({10.0, 9.5, 1})["v"] == [1, 9.5, 10.0]
    assert encode(frozenset({"b", "a"}))["v"] == ["a", "b"]


def test_a_set_of_numbers_holding_a_nan_is_written_in_one_order() -> None:
    # (a NaN compares neither less nor greater, so sorting by value would leave it where the
    # hash order put it: each NaN object hashes by its address, a new one on every run)
    nans = [float("nan") for _ in range(16)]
    numbers = [float(n) for n in range(22, 32)]  # (hashes placing most NaNs before them)
    written = {json.dumps(encode({*numbers, nan})["v"]) for nan in nans}
    assert written == {json.dumps([*numbers, {TAG: "float", "v": "nan"}])}


def test_a_path_of_the_other_platforms_flavour_keeps_it() -> None:
    # a PureWindowsPath (an agent reading a Windows user's paths on Linux) came back as a
    # PosixPath holding backslashes, which equals no Windows path
    from pathlib import PureWindowsPath

    windows = PureWindowsPath("C:\\Users\\ana\\report.txt")
    back = roundtrip(windows)
    assert back == windows and type(back) is PureWindowsPath
    assert back.name == "report.txt"
    assert encode(Path("a/b")) == {TAG: "path", "v": "a/b"}  # the platform's own: as before


@dataclasses.dataclass
class Session:
    """A dataclass whose ``token`` is set by a method, not by ``__init__``."""

    name: str
    token: str = dataclasses.field(init=False)


def test_a_dataclass_field_not_set_yet_reads_back_not_set() -> None:
    # a value stored before its field(init=False) was set reads back without it, from its
    # JSON text too (not refused as a class whose fields changed)
    back = loads(dumps(encode(Session("a"))))
    assert type(back) is Session and back.name == "a"
    assert not hasattr(back, "token")


def test_a_dataclass_field_not_set_yet_is_not_named_as_lacking_when_the_class_changed() -> None:
    tree = encode(Session("a"))
    tree["v"]["gone"] = 1  # (a field the class no longer has)
    with pytest.raises(StoredClassError) as info:
        loads(dumps(tree))
    assert str(info.value).endswith("the class has ['name', 'token']: the class lacks ['gone']")


def test_a_compiled_pattern_reads_back_with_its_flags() -> None:
    pattern = re.compile(r"refund\s+\d+", re.IGNORECASE | re.MULTILINE)
    back = loads(dumps(encode({"rule": pattern})))["rule"]
    assert back.pattern == pattern.pattern and back.flags == pattern.flags
    assert back.match("REFUND 12")


def test_a_logger_reads_back_as_the_logger_of_its_name_without_a_pickle() -> None:
    # (an agent's `self.log = logging.getLogger(__name__)` was stored as its repr: every
    # replay then failed at the agent's first `self.log.info(...)`)
    import logging

    for logger in (logging.getLogger("support.agent"), logging.getLogger()):
        tree = encode({"log": logger}, allow_pickle=False)["log"]
        assert tree[TAG] == "logger"
        assert loads(dumps(tree)) is logger


def test_a_logger_no_getlogger_call_gives_back_is_not_stored_by_its_name() -> None:
    import logging

    stray = logging.Logger("support.agent")  # (made directly: not the one of its name)
    with pytest.warns(UnencodableValueWarning):
        assert encode(stray, allow_pickle=False)[TAG] == "repr"


def test_placeholders_are_equal_only_with_the_same_type_and_text() -> None:
    # (a value stored as its repr: two of one type but another repr are two values)
    assert StoredRepr("db.Pool", "<Pool 1>") == StoredRepr("db.Pool", "<Pool 1>")
    assert StoredRepr("db.Pool", "<Pool 1>") != StoredRepr("db.Pool", "<Pool 2>")
    assert StoredRepr("db.Pool", "<Pool 1>") != StoredRepr("db.Lock", "<Pool 1>")
    # (one whose type was left out of the file reads back of type "?")
    assert loads('{"__cs__": "repr", "v": "<Pool 1>"}') == StoredRepr("?", "<Pool 1>")


@dataclasses.dataclass
class Order:
    """A dataclass whose ``__post_init__`` sets an attribute that is no field."""

    items: list[str]

    def __post_init__(self) -> None:
        self.count = len(self.items)


def test_a_dataclass_reads_back_with_the_attributes_its_post_init_set() -> None:
    value = Order(["tea", "cake"])
    value.count = 5  # (changed since: the stored value is what it holds, not a new one's)
    back = loads(dumps(encode(value)))
    assert type(back) is Order and back.items == ["tea", "cake"] and back.count == 5


@dataclasses.dataclass
class Ticket:
    title: str
    labels: list[str] = dataclasses.field(default_factory=list)
    priority: int = 3


def test_a_dataclass_stored_before_fields_with_defaults_were_added_reads_back_with_them() -> None:
    tree = encode(Ticket("refund"))
    del tree["v"]["labels"], tree["v"]["priority"]  # (recorded before the class had them)
    back = loads(dumps(tree))
    assert back == Ticket("refund", [], 3)
    del tree["v"]["title"]  # (one without a default: the class changed, said so)
    # (the fields stored are named as stored: it listed the defaults filled in among them)
    fields = r"has fields \[\], the class has \['labels', 'priority', 'title'\]"
    with pytest.raises(StoredClassError, match=r"the stored '[\w.]+:Ticket' " + fields):
        loads(dumps(tree))


def test_a_dataclass_stored_with_fields_the_class_lacks_names_them_apart_from_both_lists() -> None:
    """A golden recorded with pydantic-ai 2.78, replayed with 2.66: its ModelRequestParameters
    (a dataclass) has two fields the older class lacks, and the message listed the 21 stored
    fields and the class's 19, leaving the reader to find the two by eye."""
    tree = encode(Ticket("refund"))
    tree["v"]["_framing"] = tree["v"]["deferred"] = None  # (the newer release's fields)
    with pytest.raises(StoredClassError) as info:
        loads(dumps(tree))
    assert str(info.value).endswith(
        "the class has ['labels', 'priority', 'title']: the class lacks ['_framing', 'deferred']"
    )
    del tree["v"]["_framing"], tree["v"]["deferred"], tree["v"]["title"]
    with pytest.raises(StoredClassError) as info:
        loads(dumps(tree))
    assert str(info.value).endswith(": the stored one lacks the required ['title']")


def test_the_warning_about_a_stored_repr_reads_an_before_a_vowel() -> None:
    # the warning said "storing the repr of a itertools.count value" (and "a ellipsis")
    import itertools

    with pytest.warns(UnencodableValueWarning, match=r"storing the repr of an itertools\.count "):
        encode(itertools.count(), allow_pickle=False)
    with pytest.warns(UnencodableValueWarning, match=r"storing the repr of an ellipsis value"):
        encode(..., allow_pickle=False)


@dataclasses.dataclass
class _Box:
    items: tuple[Any, ...]
    note: Any


def test_a_place_in_a_stored_value_is_named_as_the_value_reads() -> None:
    """The refusal of an answer named the place of an unreadable value in the stored form
    (``answer['v']['output'][0]['v']...``), where deltas name a model's fields as attributes."""
    from pytest_clearstone.codec.tags import readable_path, tag_locations

    marker = object()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnencodableValueWarning)
        tree = encode(
            {"boxes": [_Box(items=(1, marker), note=None)], "by_id": {3: "x"}},
            allow_pickle=False,
        )
    ((where, _),) = tag_locations(tree, "repr")
    assert readable_path(tree, where, "answer") == "answer['boxes'][0].items[1]"
    keyed = tree["by_id"]
    assert readable_path(keyed, ["v", 0, 0], "state") == "state['v'][0][0]"  # pairs: as stored
    # a field name no attribute can spell (a model's extra key) is shown as a key
    extra = {TAG: "custom", "type": "app:Headers", "v": {"x-request-id": {TAG: "repr"}}}
    shown = readable_path(extra, ["v", "x-request-id"], "answer")
    assert shown.endswith("['x-request-id']") and ".x-request-id" not in shown
    # an object's other attributes, a model's extra and private fields: attributes too
    for kind, part in (("dataclass", "attrs"), ("pydantic", "extra"), ("pydantic", "private")):
        kept = {TAG: kind, "cls": "app:Order", "v": {}, part: {"total": {TAG: "repr"}}}
        assert readable_path(kept, [part, "total"], "state") == "state.total"


def test_a_pickled_value_whose_class_left_its_module_is_a_pickle_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (the file is sound, the code changed: the error that says so, not a damaged-data one)
    import types

    from pytest_clearstone.errors import PickleImportError

    module = types.ModuleType("cs_moved_receipts")
    exec("class Receipt:\n    total = 1\n", module.__dict__)
    monkeypatch.setitem(sys.modules, "cs_moved_receipts", module)
    text = dumps(encode({"r": module.Receipt()}))
    del module.Receipt  # (renamed or moved since the recording)
    with pytest.raises(PickleImportError, match="cannot unpickle a stored 'cs_moved_receipts"):
        loads(text, allow_pickle=True)


class AppNotReady(Exception):
    """An error of a library's own, raised while its value is rebuilt (Django's
    ``AppRegistryNotReady`` outside its application)."""


class NeedsItsApp:
    def __init__(self) -> None:
        self.pk = 1

    def __setstate__(self, state: dict[str, Any]) -> None:
        raise AppNotReady("Apps aren't loaded yet.")


def test_a_pickled_value_whose_own_code_fails_to_rebuild_it_is_no_missing_import() -> None:
    from pytest_clearstone.errors import PickleImportError

    text = dumps(encode({"order": NeedsItsApp()}))
    with pytest.raises(PickleImportError, match="AppNotReady: Apps aren't loaded yet") as info:
        loads(text, allow_pickle=True)
    assert info.value.imported is False  # (its code was found: it raised)


def test_json_differences_tell_a_number_from_a_boolean() -> None:
    from pytest_clearstone.codec.tags import json_differences

    old, new = {"minimum": 1, "title": "a"}, {"minimum": True, "title": "b"}
    assert list(json_differences(old, new)) == [("minimum", 1, True), ("title", "a", "b")]


def test_the_first_difference_of_two_schemas_names_a_key_added_removed_or_changed() -> None:
    from pytest_clearstone.codec.tags import first_difference

    assert first_difference({"a": 1}, {"a": 1, "b": 2}) == "b added"
    assert first_difference({"a": 1, "b": 2}, {"a": 1}) == "b removed"
    assert first_difference(1, 2) == "(the whole schema): 1 -> 2"
    # a value's repr of up to 40 characters is shown whole, a longer one cut to 37 and "..."
    assert first_difference({"a": "x" * 38}, {"a": "y"}) == f"a: '{'x' * 38}' -> 'y'"
    assert first_difference({"a": "x" * 39}, {"a": "y"}) == f"a: '{'x' * 36}... -> 'y'"


def test_a_model_class_stand_in_whose_slots_are_not_set_yet_has_no_such_attribute() -> None:
    from pytest_clearstone.codec.tags import ChangedModelClass

    bare = ChangedModelClass.__new__(ChangedModelClass)
    for name in ("cls", "schema", "difference"):
        with pytest.raises(AttributeError):
            getattr(bare, name)


def test_a_value_no_longer_of_a_library_enum_names_the_library_release() -> None:
    # (the fix of a golden naming a library's class names the release installed here)
    from pytest_clearstone.errors import decode_fix

    with pytest.raises(StoredClassError) as info:
        loads('{"__cs__": "enum", "cls": "pytest:ExitCode", "v": 99}')
    assert f"the class is pytest's, and pytest {pytest.__version__} is installed here" in (
        decode_fix(info.value)
    )


def test_a_value_no_longer_of_a_standard_library_class_names_the_python_release() -> None:
    """A class of the standard library is no code of the project's to put back: the golden was
    recorded with another Python or on another platform, or edited by hand. The fix said the
    file was sound and told to put the class back as the golden names it."""
    import platform

    from pytest_clearstone.errors import CODE_CHANGED, decode_fix

    for stored in (
        '{"__cs__": "enum", "cls": "signal:Signals", "v": 999}',
        '{"__cs__": "dataclass", "cls": "subprocess:Popen", "v": {"args": "ls"}}',
    ):
        with pytest.raises(StoredClassError) as info:
            loads(stored)
        fix = decode_fix(info.value)
        assert fix != CODE_CHANGED
        assert (
            f"The class is the standard library's, and this is Python "
            f"{platform.python_version()} on {sys.platform}"
        ) in fix
        assert fix.endswith("re-record it with: pytest --clearstone-record")


def test_a_value_of_a_standard_library_module_this_platform_lacks_names_the_python_release() -> (
    None
):
    """A golden recorded on Windows naming a class of ``winreg`` (on POSIX: ``fcntl``), replayed
    where the standard library has no such module, was told to install what provides the
    module: there is nothing to install, the golden was recorded on another platform."""
    import platform

    from pytest_clearstone.errors import decode_fix

    module = "winreg" if sys.platform != "win32" else "fcntl"
    with pytest.raises(StoredClassError) as info:
        loads(f'{{"__cs__": "enum", "cls": "{module}:Key", "v": 1}}')
    fix = decode_fix(info.value)
    assert fix.startswith(
        f"The class is the standard library's, and this is Python {platform.python_version()} "
        f"on {sys.platform}: the golden was recorded with another Python or on another platform"
    ), fix


def test_a_value_of_a_module_installed_nowhere_names_the_module_not_a_change_of_the_code() -> None:
    """A golden recorded with mcp 2 names its types' own package (``mcp_types:Tool``, of the
    mcp-types distribution mcp 2 brought); replayed with mcp 1 (a teammate's older lock file),
    which has no such module, the fix said the code changed and to put the class back: the
    project's code had not changed, and no class of it was to put back."""
    from pytest_clearstone.errors import CODE_CHANGED, decode_fix

    stored = '{"__cs__": "pydantic", "cls": "cs_types_installed_nowhere:Tool", "v": {"name": "x"}}'
    with pytest.raises(StoredClassError) as info:
        loads(stored)
    fix = decode_fix(info.value)
    assert fix != CODE_CHANGED
    assert fix.startswith(
        "The file is sound: no module 'cs_types_installed_nowhere' is installed here, nor is "
        "one in the project: the golden was likely recorded where a library (or another release "
        "of one) provided it"
    )
    assert fix.endswith("re-record it with: pytest --clearstone-record")


def test_a_golden_of_a_changed_library_class_keeps_the_library_s_fix_naming_the_test() -> None:
    from pytest_clearstone.errors import CODE_CHANGED, CheckpointClassChangedError, decode_fix

    with pytest.raises(StoredClassError) as info:
        loads('{"__cs__": "enum", "cls": "pytest:ExitCode", "v": 99}')
    fix = decode_fix(info.value)
    error = CheckpointClassChangedError("g.ckpt", "gone", fix, node_id="t.py::test_x")
    assert f"pytest {pytest.__version__} is installed here" in str(error)
    assert str(error).endswith("re-record it with: pytest --clearstone-record t.py::test_x")
    assert CODE_CHANGED in str(CheckpointClassChangedError("g.ckpt", "gone"))


def test_a_path_in_a_tree_is_written_with_its_keys_quoted() -> None:
    from pytest_clearstone.codec.tags import format_path

    assert format_path(["receipt", 0, "1"]) == "root['receipt'][0]['1']"
    assert format_path([], "state") == "state"


def test_pickles_are_replaced_by_placeholders_naming_their_type_and_why() -> None:
    from pytest_clearstone.codec.tags import replace_pickles

    pickled = {TAG: "pickle", "type": "app.Receipt", "v": "gARLAy4="}
    plain = {"a": [1, {"b": "c"}]}
    assert replace_pickles(plain, "not written") is plain  # (nothing to replace: not copied)
    tree = {"kept": plain, "r": [pickled]}
    replaced = replace_pickles(tree, "not written")
    placeholder = {TAG: "repr", "type": "app.Receipt", "v": "<app.Receipt: not written>"}
    assert replaced == {"kept": plain, "r": [placeholder]}
    assert replaced["kept"] is plain and tree["r"] == [pickled]


def test_tag_locations_are_found_in_document_order() -> None:
    # (the first is the one a refusal names: the first place in the file, not the last)
    from pytest_clearstone.codec.tags import tag_locations

    placeholder = {TAG: "repr", "type": "app.Handle", "v": "<Handle>"}
    tree = {"a": {"b": [placeholder]}, "c": placeholder}
    assert tag_locations(tree, "repr") == [(["a", "b", 0], "app.Handle")]
    assert [path for path, _ in tag_locations(tree, "repr", 2)] == [["a", "b", 0], ["c"]]
    # a found tag's own parts are not looked into (only its "v" is ever read)
    outer = {TAG: "repr", "type": "app.Outer", "v": "<Outer>", "x": placeholder}
    assert tag_locations({"n": outer}, "repr", 5) == [(["n"], "app.Outer")]


def test_an_opentelemetry_meter_reads_back_as_the_meter_of_its_name_without_a_pickle() -> None:
    # (an agent's `self.meter = metrics.get_meter(__name__)` could not be stored: dill cannot
    # pickle the SDK's meter, and the proxy one, before a provider is set, only as a pickle)
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider

    schema = "https://opentelemetry.io/schemas/1.26.0"
    proxy = metrics.get_meter("support.agent", "1.2", schema_url=schema)
    sdk = MeterProvider().get_meter("support.agent", "1.2", schema_url=schema)
    stored = [encode(meter, strict=True, allow_pickle=False) for meter in (proxy, sdk)]
    expected = {TAG: "otel_meter", "v": "support.agent", "version": "1.2", "schema_url": schema}
    assert stored[0] == stored[1] == expected
    back = loads(dumps(stored[0]))  # (a meter of the provider set now: none, the proxy)
    back.create_counter("asked").add(1)
    assert (back.name, back.version, back.schema_url) == ("support.agent", "1.2", schema)
    # (no version: the SDK's "" and the proxy's alike; a no-op meter by its name, as one)
    bare = MeterProvider().get_meter("bare")
    assert encode(bare) == encode(metrics.get_meter("bare")) == {TAG: "otel_meter", "v": "bare"}
    noop = loads(dumps(encode(metrics.NoOpMeter("quiet", "2"))))
    assert isinstance(noop, metrics.NoOpMeter) and (noop.name, noop.version) == ("quiet", "2")
    with pytest.raises(DecodeError, match="bad stored OpenTelemetry meter name 3"):
        loads('{"__cs__": "otel_meter", "v": 3}')


def test_an_opentelemetry_tracer_reads_back_as_the_tracer_of_its_name_without_a_pickle() -> None:
    # (an agent's `self.tracer = trace.get_tracer(__name__)` could not be stored: dill cannot
    # pickle the SDK's tracer, and the proxy one, before a provider is set, only as a pickle)
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    schema = "https://opentelemetry.io/schemas/1.26.0"
    proxy = trace.ProxyTracer("support.agent", "1.2", schema)
    sdk = TracerProvider().get_tracer("support.agent", "1.2", schema)
    stored = [encode(tracer, allow_pickle=False) for tracer in (proxy, sdk)]
    expected = {TAG: "otel_tracer", "v": "support.agent", "version": "1.2", "schema_url": schema}
    assert stored[0] == stored[1] == expected
    back = loads(dumps(stored[0]))  # (a tracer of the provider set now: none, the proxy)
    with back.start_as_current_span("ask"):
        pass
    # (no version: the SDK's "" and the proxy's None alike; a no-op tracer by no name)
    bare = TracerProvider().get_tracer("bare")
    assert encode(bare) == encode(trace.ProxyTracer("bare")) == {TAG: "otel_tracer", "v": "bare"}
    assert isinstance(loads(dumps(encode(trace.NoOpTracer()))), trace.NoOpTracer)
    with pytest.raises(DecodeError, match="bad stored OpenTelemetry tracer name 3"):
        loads('{"__cs__": "otel_tracer", "v": 3}')
