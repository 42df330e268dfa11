"""The loader's fast path (issue 16): a checkpoint whose tag index is proven to reach every tag is
decoded by its index, and whether it holds a pickle is decided from the indexed values, without
searching the text for ``"pickle"``. Anything the shortcut cannot prove falls back to the full
check: an index that lies, an escaped key, a duplicate key, a tag-like string.

Every hostile payload here creates a directory when unpickled: proof that it ran."""

from __future__ import annotations

import datetime as dt
import json
import random
import types
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec import tags
from pytest_clearstone.errors import CheckpointCorruptError, DecodeError, UntrustedCheckpointError
from pytest_clearstone.golden import signing
from pytest_clearstone.golden.checkpoint import Checkpoint
from pytest_clearstone.tracing.span import Recorded, Span
from pytest_clearstone.tracing.trace import Trace
from tests.spies import calls_to
from tests.unit.hostile import pickle_payload

STATE = {
    "history": [("user", "hi"), ("bot", ("nested", b"\x00"))],
    "when": dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc),
    "note": "pickle",  # the word alone is data: the text search would have flagged it
}


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(signing.ENV_VAR, raising=False)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


def _golden() -> dict[str, Any]:
    tid = "a" * 32
    root = Span(trace_id=tid, span_id="1" * 16, parent_span_id=None, name="root",
                start_time_ns=1, end_time_ns=9, output=Recorded.of(("done", 1)))  # fmt: skip
    checkpoint = Checkpoint(
        checkpoint_id="ckpt_" + "c" * 32,
        state=Recorded.of(STATE),
        agent_class_name=None,
        agent_module=None,
        trace=Trace(tid, [root]),
        span_id=root.span_id,
        timestamp=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
        metadata={"test": "t"},
    )
    doc: dict[str, Any] = json.loads(checkpoint.dumps(signing_key=None))
    return doc


def _scan_and_parse(text: str | bytes) -> tuple[tags.DocumentScan, Any]:
    scan = tags.scan_document(text)
    return scan, tags.parse_document(text, scan)


def _load(doc: dict[str, Any] | str, **kwargs: Any) -> Checkpoint:
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    return Checkpoint.from_bytes(text.encode(), Path("g.ckpt"), signing_key=None, **kwargs)


# -- the fast path is taken for what the writer writes, and decides exactly ------------------
def test_a_written_golden_is_decoded_by_its_index_and_its_pickle_check_is_exact() -> None:
    text = json.dumps(_golden(), indent=2)
    scan, doc = _scan_and_parse(text)
    assert scan.index(doc) == doc["tag_index"]["paths"]
    # "pickle" is in the text (a plain string), yet the indexed values prove there is none
    assert '"pickle"' in text and not scan.may_hold_pickle
    checkpoint = _load(text)
    assert checkpoint.agent_state == STATE
    assert checkpoint.trace.spans[0].output == ("done", 1)


def test_without_an_index_the_text_decides_as_before() -> None:
    doc = _golden()
    del doc["tag_index"]
    scan, parsed = _scan_and_parse(json.dumps(doc))
    assert scan.index(parsed) is None
    assert scan.may_hold_pickle  # the string "pickle" and tags: the whole document is walked
    assert _load(doc).agent_state == STATE


# -- an index that lies falls back ------------------------------------------------------------
@pytest.mark.parametrize("allow", [False, True], ids=["refused", "allowed"])
def test_an_index_with_the_right_count_that_omits_a_pickle_falls_back(
    allow: bool, marker: Path
) -> None:
    doc = _golden()
    doc["metadata"]["extra"] = pickle_payload(marker)
    doc["tag_index"]["count"] = json.dumps(doc).count('"__cs__"')  # the count agrees...
    scan, parsed = _scan_and_parse(json.dumps(doc))  # ...the paths miss the pickle
    assert tags._index_paths(parsed, scan.tag_count) is not None
    assert scan.index(parsed) is None and scan.may_hold_pickle
    if not allow:
        with pytest.raises(UntrustedCheckpointError, match=r"evil\.Payload.*metadata"):
            _load(doc)
        assert not marker.exists()
    else:  # the control: the fallback decodes it
        _load(doc, allow_pickle=True)
        assert marker.is_dir()


def test_an_index_that_omits_a_tag_falls_back_and_decodes_it() -> None:
    doc = _golden()
    doc["metadata"]["extra"] = {"__cs__": "tuple", "v": [1, 2]}
    doc["tag_index"]["count"] = json.dumps(doc).count('"__cs__"')
    assert _load(doc).metadata["extra"] == (1, 2)


def test_a_pickle_nested_in_an_indexed_value_is_found_before_decoding(marker: Path) -> None:
    doc = _golden()
    doc["agent"]["state"]["history"][0]["v"].append(pickle_payload(marker))  # inside a tuple tag
    doc["tag_index"] = codec.tag_index({k: v for k, v in doc.items() if k != "tag_index"})
    scan, parsed = _scan_and_parse(json.dumps(doc))
    assert scan.index(parsed) is not None and scan.may_hold_pickle  # the fast path saw it
    with pytest.raises(UntrustedCheckpointError, match=r"evil\.Payload.*agent state"):
        _load(doc)
    assert not marker.exists()


def test_a_duplicate_tag_key_falls_back(marker: Path) -> None:
    """``{"__cs__": "tuple", "__cs__": "pickle"}``: one dict, two keys in the text."""
    doc = _golden()
    doc["metadata"]["extra"] = {"__cs__": "tuple", "v": [1]}
    doc["tag_index"] = codec.tag_index({k: v for k, v in doc.items() if k != "tag_index"})
    doc["tag_index"]["count"] += 1  # as the text will count: the index agrees with it
    payload = pickle_payload(marker)
    text = json.dumps(doc).replace(
        '{"__cs__": "tuple", "v": [1]}',
        f'{{"__cs__": "tuple", "__cs__": "pickle", "type": "evil.Payload", "v": "{payload["v"]}"}}',
    )
    scan, parsed = _scan_and_parse(text)
    assert tags._index_paths(parsed, scan.tag_count) is not None  # only the tags counted differ
    assert scan.index(parsed) is None
    # an edited file with a key twice in one object is refused before any trust decision
    with pytest.raises(CheckpointCorruptError, match="the key '__cs__' appears twice"):
        _load(text)
    assert not marker.exists()


# -- tag-like text that is not a tag ----------------------------------------------------------
def test_a_pickle_tag_hidden_inside_a_string_is_data(marker: Path) -> None:
    doc = _golden()
    doc["metadata"]["extra"] = json.dumps(pickle_payload(marker))  # a string holding a tag's text
    doc["tag_index"] = codec.tag_index({k: v for k, v in doc.items() if k != "tag_index"})
    scan, parsed = _scan_and_parse(json.dumps(doc))
    assert scan.index(parsed) is None  # the string holds the tag's name: the full check runs
    assert json.loads(_load(doc).metadata["extra"])["__cs__"] == "pickle"
    assert not marker.exists()


def test_the_tag_key_as_a_plain_string_falls_back_and_still_loads() -> None:
    doc = _golden()
    doc["metadata"]["extra"] = ["__cs__", {"__cs__ ": 1}]
    doc["tag_index"] = codec.tag_index({k: v for k, v in doc.items() if k != "tag_index"})
    scan, parsed = _scan_and_parse(json.dumps(doc))
    assert scan.index(parsed) is None  # the text has one more "__cs__" than there are tags
    loaded = _load(doc)
    assert loaded.metadata["extra"] == ["__cs__", {"__cs__ ": 1}]
    assert loaded.agent_state == STATE


# -- escapes: never the fast path -------------------------------------------------------------
def test_an_escaped_tag_key_with_an_index_that_agrees_with_the_text_falls_back() -> None:
    """The text counts no escaped key, so an index leaving it out agrees with the count: only
    the escape sends the document to the full decode."""
    doc = _golden()  # its index does not know the value added below
    doc["metadata"]["extra"] = {"__cs__": "tuple", "v": [1]}
    text = json.dumps(doc).replace('"extra": {"__cs__"', '"extra": {"\\u005f_cs__"')
    scan, parsed = _scan_and_parse(text)
    assert scan.tag_count == doc["tag_index"]["count"]
    assert scan.escaped and scan.index(parsed) is None
    assert _load(text).metadata["extra"] == (1,)


def test_an_escaped_pickle_with_a_valid_looking_index_is_refused(marker: Path) -> None:
    doc = _golden()
    doc["metadata"]["extra"] = pickle_payload(marker)
    doc["tag_index"] = codec.tag_index({k: v for k, v in doc.items() if k != "tag_index"})
    doc["tag_index"]["paths"].remove(["metadata", "extra"])
    doc["tag_index"]["count"] -= 1  # as if the escaped key below were not a tag
    text = json.dumps(doc).replace('"__cs__": "pickle"', '"\\u005f_cs__": "pick\\u006ce"')
    with pytest.raises(UntrustedCheckpointError, match=r"evil\.Payload"):
        _load(text)
    assert not marker.exists()


def test_a_pickle_tag_whose_name_is_spelt_with_an_escape_is_refused(marker: Path) -> None:
    """The tag key plain, its value ``"\\u0070ickle"``: no ``"pickle"`` left in the text."""
    doc = _golden()
    del doc["tag_index"]
    doc["metadata"]["extra"] = pickle_payload(marker)
    text = json.dumps(doc).replace('"pickle"', '"\\u0070ickle"')
    assert '"pickle"' not in text
    with pytest.raises(UntrustedCheckpointError, match=r"evil\.Payload"):
        _load(text)
    assert not marker.exists()


@pytest.mark.parametrize("backslashes", [0, 1, 15, 16, 17, 40])
def test_the_escape_search_finds_an_escape_after_many_backslashes(backslashes: int) -> None:
    text = '{"a": "' + "x\\n" * backslashes + '", "b": "\\u0041"}'
    raw = text.encode()
    assert tags._has_escape(raw) and tags.scan_document(raw).escaped
    plain = text.replace("\\u0041", "A").encode()
    assert not tags._has_escape(plain)
    assert tags._has_escape(b'"\\\\u"')  # an escaped backslash before u: flagged, as before


def test_the_escape_search_agrees_with_a_substring_search() -> None:
    rng = random.Random(16)
    for _ in range(3000):
        raw = bytes(rng.choice(b'\\un"a ') for _ in range(rng.randrange(60)))
        assert tags._has_escape(raw) == (b"\\u" in raw), raw


# -- the tags of the indexed values, counted in their JSON text ---------------------------------
def _walked(values: list[Any]) -> tuple[int, int]:
    acc = [0, 0]
    for value in values:
        tags._survey(value, acc)
    return acc[0], acc[1]


TAG_LIKE = [
    {"__cs__": "pickle", "type": "m.C", "v": "x"},
    {"__cs__": "tuple", "v": [{"__cs__": "pickle"}, {"__cs__": "set", "v": []}]},
    {"__cs__": "pickles"},
    {"__cs__": "pickle "},
    {"a": {"b": [[{"__cs__": "datetime", "v": "2024-01-01"}]]}},
    '{"__cs__":"pickle"}',  # the text of tags inside strings: data
    ',"__cs__":"pickle"',
    {'a"__cs__': "pickle", 'x{"__cs__': 1, "__cs__x": 2, "__cs__\\": 3},  # keys that end like one
    {"k": '\\"__cs__":"pickle"', "__cs__ ": "pickle"},
    ["__cs__", "pickle", {"v": "__cs__"}],
    {"é\u2028": {"__cs__": "pickle", "v": "\u0000"}},
]


def test_the_tags_counted_in_the_values_text_are_those_a_walk_finds() -> None:
    for value in TAG_LIKE:
        assert tags._tag_counts([value]) == _walked([value]), value
    assert tags._tag_counts(TAG_LIKE) == _walked(TAG_LIKE) == (8, 3)
    rng = random.Random(16)
    for _ in range(300):  # the pieces nested at random
        values = [rng.choice(TAG_LIKE)]
        for _ in range(rng.randrange(6)):
            piece = rng.choice(TAG_LIKE)
            values = (
                [{"__cs__": "tuple", "v": values}, piece]
                if rng.random() < 0.5
                else [{"k": values, "__cs__": rng.choice(["pickle", "set"])}, piece]
            )
        assert tags._tag_counts(values) == _walked(values), values


def test_values_orjson_cannot_write_have_their_tags_walked() -> None:
    values = [{"__cs__": "pickle", "v": 2**70}, {"__cs__": "tuple", "v": [-(2**65)]}]
    assert tags._tag_counts(values) == (2, 1)
    deep: Any = {"__cs__": "pickle"}
    for _ in range(300):  # deeper than orjson writes
        deep = {"__cs__": "tuple", "v": [deep]}
    assert tags._tag_counts([deep]) == (301, 1)


# -- integers orjson would read as floats ------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    # (beyond a double's range, 10**309: orjson refused the text, which the stdlib reads)
    [
        *(2**64, -(2**63) - 1, 10**30, -(10**25), 12345678901234567890123456789),
        pytest.param(10**309, id="10**309"),
        pytest.param(-(10**400), id="-10**400"),
    ],
)
@pytest.mark.parametrize("windows", [64, 0], ids=["sampled", "whole text"])
def test_a_wide_integer_is_read_exactly(
    value: int, windows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tags, "_MAX_WINDOWS", windows)
    doc = _golden()
    doc["agent"]["state"]["big"] = value
    for indent in (None, 2):
        text = json.dumps(doc, indent=indent)
        assert tags.has_long_digits(text)
        loaded = _load(text).agent_state["big"]
        assert loaded == value and type(loaded) is int
    assert codec.loads(json.dumps([value]), decode_tags=False) == [value]


@pytest.mark.parametrize("windows", [64, 0], ids=["sampled", "whole text"])
@pytest.mark.parametrize(
    "text",
    [
        '{"trace_id": "1009b0469db517860000000000000000"}',  # digits inside a string
        '{"x": 0.00012345678901234567890123}',  # a fraction
        '{"t": 1796072159394873042, "u": -922337203685477580}',  # 19 digits
        '{"s": "a 1234"}',
    ],
)
def test_digits_that_cannot_be_a_wide_integer_keep_the_fast_parser(
    text: str, windows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tags, "_MAX_WINDOWS", windows)
    assert not tags.has_long_digits(text)
    assert not tags.has_long_digits(" " * 7 + text)


def test_the_wide_integer_search_agrees_with_the_parsers() -> None:
    rng = random.Random(16)

    def value(depth: int = 0) -> Any:
        r = rng.random()
        if r < 0.3:
            return rng.choice([rng.randrange(-(10**25), 10**25), rng.randrange(-(2**64), 2**64)])
        if r < 0.4:
            return rng.random() * 10 ** rng.randrange(-8, 25)
        if r < 0.55:
            return "".join(rng.choice("0123456789abcdef-. ") for _ in range(rng.randrange(40)))
        if r < 0.75 and depth < 3:
            return [value(depth + 1) for _ in range(rng.randrange(6))]
        if depth < 3:
            return {str(i): value(depth + 1) for i in range(rng.randrange(6))}
        return None

    for i in range(1500):
        text = " " * (i % 11) + json.dumps(value(), indent=2 if i % 2 else None)
        wide = any(type(v) is int and not -(2**63) <= v < 2**64 for v in _leaves(json.loads(text)))
        if wide:
            assert tags.has_long_digits(text), text


def _leaves(x: Any) -> list[Any]:
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _leaves(v)]
    if isinstance(x, list):
        return [leaf for v in x for leaf in _leaves(v)]
    return [x]


# -- the codec's own reader agrees -------------------------------------------------------------
def test_loads_document_refuses_an_unindexed_pickle_behind_a_lying_index() -> None:
    doc = {"state": codec.encode({"t": (1,)}), "other": {"__cs__": "pickle", "v": "gAR9lC4="}}
    doc["tag_index"] = {"count": 2, "paths": [["state", "t"]]}
    with pytest.raises(DecodeError, match="refusing to unpickle"):
        codec.loads_document(json.dumps(doc))


# -- a file as written: its length says it was not edited, its text is not searched ----------
def _written() -> str:
    """The text the writer writes for :func:`_golden`'s checkpoint."""
    doc = _golden()
    del doc["tag_index"]
    checkpoint = Checkpoint.from_bytes(json.dumps(doc).encode(), Path("g.ckpt"), signing_key=None)
    return checkpoint.dumps(signing_key=None)


def test_the_writer_records_the_file_length_and_that_integers_fit_64_bits() -> None:
    text = _written()
    doc = json.loads(text)
    assert doc[tags.SIZE_FIELD] == len(text.encode("utf-8"))
    assert doc["tag_index"]["int64"] is True


def test_the_file_length_of_a_golden_with_text_beyond_ascii_counts_its_bytes() -> None:
    doc = _golden()
    del doc["tag_index"]
    doc["metadata"] = {"note": "café, 東京, ✓"}
    text = Checkpoint.from_bytes(json.dumps(doc).encode(), Path("g.ckpt")).dumps(signing_key=None)
    assert json.loads(text)[tags.SIZE_FIELD] == len(text.encode("utf-8")) > len(text)


def test_a_file_as_written_is_loaded_without_searching_its_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _written()

    def searched(*args: Any) -> Any:
        raise AssertionError("the text was searched")

    monkeypatch.setattr(tags, "has_long_digits", searched)
    monkeypatch.setattr(tags, "_has_escape", searched)
    monkeypatch.setattr(tags, "_TAG_NAME", types.SimpleNamespace(findall=searched))
    checkpoint = _load(text)
    assert checkpoint.agent_state == STATE
    assert checkpoint.trace.spans[0].output == ("done", 1)


def test_a_file_as_written_with_escapes_in_its_text_is_decoded_by_its_index() -> None:
    """Control characters are written as ``\\u`` escapes; the writer's index still reaches
    every tag, so the file is not decoded whole (an edited one with an escape would be)."""
    doc = json.loads(_written())
    doc["agent"]["state"]["note"] = "bell \x07, tab \t"
    written = Checkpoint.from_bytes(json.dumps(doc).encode(), Path("g.ckpt"), signing_key=None)
    text = written.dumps(signing_key=None)
    assert "\\u0007" in text
    scan, parsed = _scan_and_parse(text)
    assert scan.index(parsed) == parsed["tag_index"]["paths"]
    assert _load(text).agent_state == {**STATE, "note": "bell \x07, tab \t"}
    edited = text.replace('"file_bytes": ', '"file_bytes":  ')
    scan, parsed = _scan_and_parse(edited)
    assert scan.escaped and scan.index(parsed) is None
    assert _load(edited).agent_state == {**STATE, "note": "bell \x07, tab \t"}


def test_an_edited_file_is_searched_and_a_tag_added_by_hand_is_decoded() -> None:
    doc = json.loads(_written())
    doc["metadata"]["extra"] = {"__cs__": "tuple", "v": [1, 2]}  # not in the index
    text = json.dumps(doc, indent=2)
    assert len(text.encode()) != doc[tags.SIZE_FIELD]
    assert _load(text).metadata["extra"] == (1, 2)


def _forged(doc: dict[str, Any]) -> str:
    """``doc``'s text claiming to be as written: its length field says how long it is."""
    doc[tags.SIZE_FIELD] = 0
    text = json.dumps(doc, indent=2)
    for _ in range(3):  # the length's own digits count
        doc[tags.SIZE_FIELD] = len(text.encode())
        text = json.dumps(doc, indent=2)
    assert doc[tags.SIZE_FIELD] == len(text.encode())
    return text


@pytest.mark.parametrize("allow", [False, True], ids=["refused", "allowed"])
def test_a_forged_length_never_gets_an_unindexed_pickle_run(allow: bool, marker: Path) -> None:
    """A hostile file claiming to be as written, its index leaving a pickle out: the pickle is
    never decoded (it stays as stored), whatever the pickle policy."""
    doc = json.loads(_written())
    doc["metadata"]["extra"] = pickle_payload(marker)
    checkpoint = _load(_forged(doc), allow_pickle=allow)
    assert checkpoint.metadata["extra"]["__cs__"] == "pickle"
    assert checkpoint.agent_state == STATE
    assert not marker.exists()


def test_an_index_naming_a_value_twice_never_decodes_it_twice() -> None:
    """A dict holding the tag key as data is stored as a ``dict`` tag; decoded again, the data
    would be read as the tag it spells. An index naming its path twice is not trusted."""
    doc = json.loads(_written())
    data = {"__cs__": "tuple", "v": [1]}
    doc["metadata"]["extra"] = codec.encode(data)
    doc["tag_index"]["paths"] += [["metadata", "extra"], ["metadata", "extra"]]
    assert _load(_forged(doc)).metadata["extra"] == data


def test_an_index_naming_a_value_inside_another_is_not_trusted() -> None:
    """(as above: the inner value decoded first, then again as part of the outer one)"""
    doc = json.loads(_written())
    data = {"__cs__": "tuple", "v": [1]}
    doc["metadata"]["extra"] = codec.encode((data,))
    doc["tag_index"]["paths"] += [["metadata", "extra", "v", 0], ["metadata", "extra"]]
    assert _load(_forged(doc)).metadata["extra"] == (data,)


def test_an_index_naming_an_item_by_a_negative_position_is_not_trusted() -> None:
    """(``0`` and ``-1`` name the one item of a list of one: it would be decoded twice)"""
    doc = json.loads(_written())
    data = {"__cs__": "tuple", "v": [1]}
    doc["metadata"]["extra"] = [codec.encode(data)]
    doc["tag_index"]["paths"] += [["metadata", "extra", 0], ["metadata", "extra", -1]]
    assert _load(_forged(doc)).metadata["extra"] == [data]


def test_an_index_naming_the_document_itself_is_not_trusted() -> None:
    doc = {"__cs__": "tuple", "v": [1], "tag_index": {"count": 1, "paths": [[]]}}
    assert tags._index_paths(doc, None) is None


@pytest.mark.parametrize("allow", [False, True], ids=["refused", "allowed"])
def test_a_forged_length_never_gets_an_escaped_unindexed_pickle_run(
    allow: bool, marker: Path
) -> None:
    """As above, with the pickle's tag spelt with escapes (the text is not searched for them
    in a file that says it is as written)."""
    doc = json.loads(_written())
    doc["metadata"]["extra"] = pickle_payload(marker)

    def text_of(doc: dict[str, Any]) -> str:
        return json.dumps(doc, indent=2).replace('"__cs__": "pickle"', '"\\u005f_cs__": "pickle"')

    doc[tags.SIZE_FIELD] = 0
    for _ in range(3):  # the length's own digits count
        doc[tags.SIZE_FIELD] = len(text_of(doc).encode())
    text = text_of(doc)
    assert doc[tags.SIZE_FIELD] == len(text.encode()) and "\\u005f_cs__" in text
    checkpoint = _load(text, allow_pickle=allow)
    assert checkpoint.metadata["extra"]["__cs__"] == "pickle"
    assert checkpoint.agent_state == STATE
    assert not marker.exists()


def test_integers_wider_than_64_bits_are_read_exactly_from_a_written_file() -> None:
    doc = _golden()
    del doc["tag_index"]
    doc["agent"]["state"]["big"] = 2**70
    checkpoint = Checkpoint.from_bytes(json.dumps(doc).encode(), Path("g.ckpt"), signing_key=None)
    text = checkpoint.dumps(signing_key=None)
    assert json.loads(text)["tag_index"]["int64"] is False
    assert json.loads(text)[tags.SIZE_FIELD] == len(text.encode())
    assert _load(text).agent_state["big"] == 2**70


def test_a_signed_file_drops_the_length_and_is_read_as_edited() -> None:
    signed = signing.sign_text(_written(), "k" * 32)
    assert tags.SIZE_FIELD not in json.loads(signed)
    assert signing.verify_document(json.loads(signed), "k" * 32)
    assert _load(signed).agent_state == STATE


# -- recorded calls of a file decoded by its index ---------------------------------------------
WHEN = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)


def _with_calls() -> Checkpoint:
    tid = "a" * 32
    root = Span(trace_id=tid, span_id="1" * 16, parent_span_id=None, name="root",
                start_time_ns=1, end_time_ns=9)  # fmt: skip
    plain = Span(trace_id=tid, span_id="2" * 16, parent_span_id=root.span_id, name="ask",
                 span_type="llm", start_time_ns=2, end_time_ns=3,
                 input=Recorded.of({"prompt": "hi"}),
                 output=Recorded.of({"text": "hello", "tokens": [1, 2]}))  # fmt: skip
    tagged = Span(trace_id=tid, span_id="3" * 16, parent_span_id=root.span_id, name="ask",
                  span_type="llm", start_time_ns=4, end_time_ns=5,
                  input=Recorded.of({"prompt": ("a", "tuple")}),
                  output=Recorded.of({"when": WHEN}))  # fmt: skip
    checkpoint = Checkpoint(
        checkpoint_id="ckpt_" + "c" * 32,
        state=Recorded.of({}),
        agent_class_name=None,
        agent_module=None,
        trace=Trace(tid, [root, plain, tagged]),
        span_id=root.span_id,
        timestamp=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
        metadata={},
    )
    return Checkpoint.from_bytes(checkpoint.dumps(signing_key=None).encode(), Path("g.ckpt"))


def test_recorded_calls_read_by_the_index_are_fresh_copies_with_their_types() -> None:
    from pytest_clearstone.golden.responses import RecordedCall

    loaded = _with_calls()
    plain, tagged = (RecordedCall.from_span(s) for s in loaded.trace.spans[1:])
    first = plain.respond()
    assert first == {"text": "hello", "tokens": [1, 2]}
    first["tokens"].append(3)  # the agent changes its answer...
    assert plain.respond() == {"text": "hello", "tokens": [1, 2]}  # ...not the recording
    assert plain.output is not None and plain.output.encoded == {"text": "hello", "tokens": [1, 2]}
    assert tagged.respond() == {"when": WHEN}
    assert tagged.input is not None and tagged.input.value == {"prompt": ("a", "tuple")}


@pytest.mark.parametrize("allow", [False, True], ids=["refused", "allowed"])
@pytest.mark.parametrize("field", ["input", "output"])
def test_an_unindexed_pickle_in_a_recorded_call_is_answered_as_data(
    allow: bool, field: str, marker: Path
) -> None:
    """A forged length and an index that leaves out a pickle put in a call the index calls
    plain: the call is answered (and compared) with the pickle's stored form, never run."""
    from pytest_clearstone.golden.responses import RecordedCall

    doc = json.loads(_with_calls().dumps(signing_key=None))
    doc["trace"]["spans"][1][field]["v"] = {"text": pickle_payload(marker)}
    checkpoint = _load(_forged(doc), allow_pickle=allow)
    call = RecordedCall.from_span(checkpoint.trace.spans[1])
    answer = call.respond()
    recorded = call.input if field == "input" else call.output
    assert recorded is not None
    assert recorded.fresh_value()["text"]["__cs__"] == "pickle"
    assert codec.decode(recorded.encoded) == recorded.value  # its stored form is escaped
    assert (answer if field == "output" else {"text": "hello", "tokens": [1, 2]}) == answer
    assert not marker.exists()


def test_an_answer_stored_as_one_tagged_value_is_answered_from_the_file_s_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A recorded answer whose tag is at its root (an SDK's response model) is decoded from the
    tree read from the file, not decoded at load and encoded again to be copied."""
    from pytest_clearstone.golden.responses import RecordedCall
    from pytest_clearstone.tracing import span as span_module

    doc = json.loads(_with_calls().dumps(signing_key=None))
    written = doc["trace"]["spans"][2]["output"]["v"] = codec.encode(("late", WHEN, {"n": [1]}))
    doc["tag_index"] = codec.tag_index(doc)
    loaded = Checkpoint.from_bytes(json.dumps(doc).encode(), Path("g.ckpt"), signing_key=None)

    def encode(value: Any) -> Any:
        raise AssertionError(f"{value!r} was encoded again")

    monkeypatch.setattr(span_module.codec, "encode", encode)
    call = RecordedCall.from_span(loaded.trace.spans[2])
    assert call.output is not None and call.output.encoded == written
    first = call.respond()  # the value decoded at load, handed out once
    assert first == ("late", WHEN, {"n": [1]})
    first[2]["n"].append(2)  # the agent changes its answer...
    again = call.respond()  # ...not the recording: decoded again from the file's tree
    assert again == ("late", WHEN, {"n": [1]}) and again[2] is not first[2]
    assert call.output.value == ("late", WHEN, {"n": [1]})
    assert call.respond()[2] is not call.output.value[2]


def test_a_value_with_tagged_parts_keeps_the_file_s_tree_as_its_stored_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A recorded call's arguments holding tagged values (an SDK call's ``self``, a tuple) have
    the tree read from the file as their stored form: comparing them encodes nothing again. The
    containers leading to the tagged parts are the tree's own (its plain parts are shared with
    the decoded value, as a plain value's are)."""
    from pytest_clearstone.golden.responses import RecordedCall
    from pytest_clearstone.tracing import span as span_module

    doc = json.loads(_with_calls().dumps(signing_key=None))
    arguments = {"prompt": "hi", "when": WHEN, "options": {"stop": ("a", "b"), "n": [1, WHEN]}}
    written = doc["trace"]["spans"][2]["input"]["v"] = codec.encode(arguments)
    doc["tag_index"] = codec.tag_index(doc)
    assert len(doc["tag_index"]["paths"]) == 4  # inside the value, none at its root
    loaded = Checkpoint.from_bytes(json.dumps(doc).encode(), Path("g.ckpt"), signing_key=None)

    def encode(value: Any) -> Any:
        raise AssertionError(f"{value!r} was encoded again")

    monkeypatch.setattr(span_module.codec, "encode", encode)
    call = RecordedCall.from_span(loaded.trace.spans[2])
    assert call.input is not None
    assert call.input.value == arguments
    assert call.input.encoded_if_known(None) == written
    assert call.input.encoded == written
    call.input.value["options"]["n"].append(2)  # a container on the way to a tagged part
    assert call.input.encoded == written


def test_a_stored_form_is_given_only_when_at_hand() -> None:
    """``encoded_if_known`` encodes nothing to answer: a value read decoded gives the default;
    one recorded, or read as plain JSON, its stored form."""
    assert Recorded.read({"when": WHEN}).encoded_if_known(None) is None
    assert Recorded.of(("a", 1)).encoded_if_known(None) == codec.encode(("a", 1))
    assert Recorded.read({"n": [1]}, plain=True).encoded_if_known(None) == {"n": [1]}


def test_the_value_a_loader_decoded_is_the_first_copy_given_and_later_ones_are_new() -> None:
    decoded = {"n": [1]}
    recorded = Recorded.loaded({"n": [1]}, decoded)
    assert recorded.fresh_value() is decoded
    again = recorded.fresh_value()
    assert again == decoded and again is not decoded


# -- the agent's state of a file decoded by its index ------------------------------------------
def test_a_plain_state_is_its_own_stored_form_and_restored_as_a_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A state the index says holds no tag is not encoded again to be restored: its stored
    form is the tree read from the file, and each restore is a fresh copy of it."""
    from pytest_clearstone.tracing import span as span_module

    state = {"memory": [{"answer": "hello", "n": [1, 2]}], "cost": 0.25}
    doc = json.loads(_with_calls().dumps(signing_key=None))
    doc["agent"]["state"] = state
    loaded = _load(_forged(doc))

    def encode(value: Any) -> Any:
        raise AssertionError(f"{value!r} was encoded again")

    monkeypatch.setattr(span_module.codec, "encode", encode)
    assert loaded.encoded_state is loaded.agent_state == state
    restored = loaded.restore_state()
    assert restored == state and restored is not loaded.agent_state
    restored["memory"][0]["n"].append(3)  # the agent changes its state...
    assert loaded.restore_state() == state  # ...not the recording


def test_the_calls_of_a_golden_without_a_tag_are_their_own_stored_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(an index listing no tag at all says every call is plain JSON, as one listing others)"""
    from pytest_clearstone.tracing import span as span_module

    doc = json.loads(_with_calls().dumps(signing_key=None))
    del doc["trace"]["spans"][2]
    doc["tag_index"] = codec.tag_index(doc)
    assert doc["tag_index"]["paths"] == []
    loaded = _load(_forged(doc))

    def encode(value: Any) -> Any:
        raise AssertionError(f"{value!r} was encoded again")

    monkeypatch.setattr(span_module.codec, "encode", encode)
    call = loaded.trace.spans[1]
    assert call.recorded_input is not None and call.recorded_output is not None
    assert call.recorded_input.encoded == {"prompt": "hi"}
    assert call.recorded_output.encoded == {"text": "hello", "tokens": [1, 2]}


def test_a_state_the_index_says_holds_tags_keeps_its_stored_form() -> None:
    """(a state with tags, read through the index, is not taken for plain JSON)"""
    text = json.dumps(_golden(), indent=2)
    loaded = _load(text)
    assert loaded.encoded_state == json.loads(text)["agent"]["state"] == codec.encode(STATE)
    assert loaded.restore_state() == STATE


@pytest.mark.parametrize("allow", [False, True], ids=["refused", "allowed"])
def test_an_unindexed_pickle_in_a_plain_state_is_restored_as_data(
    allow: bool, marker: Path
) -> None:
    """A forged length and an index that leaves out a pickle put in the agent's state: the
    state is restored with the pickle's stored form as data, never run."""
    doc = json.loads(_with_calls().dumps(signing_key=None))
    doc["agent"]["state"] = {"memory": pickle_payload(marker)}
    loaded = _load(_forged(doc), allow_pickle=allow)
    assert loaded.restore_state()["memory"]["__cs__"] == "pickle"
    assert codec.decode(loaded.encoded_state) == loaded.agent_state  # its stored form is escaped
    assert not marker.exists()


def test_a_plain_answer_is_copied_without_looking_for_a_tag_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading a golden and answering its plain calls walks no value for a tag key: each
    answer is a copy of the file's tree; the walk is made when a stored form is asked for."""
    from pytest_clearstone.golden.responses import RecordedCall

    text = _with_calls().dumps(signing_key=None)
    looked = calls_to(monkeypatch, codec, "holds_tag")
    loaded = _load(text)
    call = RecordedCall.from_span(loaded.trace.spans[1])
    first = call.respond()
    first["tokens"].append(3)  # the agent changes its answer...
    assert call.respond() == {"text": "hello", "tokens": [1, 2]}  # ...not the recording
    assert call.input is not None and call.input.value == {"prompt": "hi"}
    assert looked == []
    assert call.output is not None and call.output.encoded == {"text": "hello", "tokens": [1, 2]}
    assert looked == [{"text": "hello", "tokens": [1, 2]}]


def test_an_untrusted_checkpoint_s_refusal_names_its_file() -> None:
    error = UntrustedCheckpointError("goldens/t.ckpt", "pickled values are not allowed")
    assert (
        str(error)
        == "refusing to unpickle values from goldens/t.ckpt: pickled values are not allowed"
    )
    assert error.path == Path("goldens/t.ckpt")
