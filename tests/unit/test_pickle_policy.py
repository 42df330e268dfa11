"""Pickles are opt-in (issue 14, findings 1-3): goldens refuse them unless allowed, with a
signing key they also need a valid signature, nothing is decoded twice, and the trace store
never writes nor unpickles them.

Every hostile payload here creates a directory when unpickled: proof that it ran."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.errors import SerializationError, UntrustedCheckpointError
from pytest_clearstone.golden import signing
from pytest_clearstone.golden.checkpoint import Checkpoint
from pytest_clearstone.golden.engine import ReplayEngine
from pytest_clearstone.golden.manager import CheckpointManager
from pytest_clearstone.golden.mocks import TARGET_ATTRIBUTE
from pytest_clearstone.golden.recorded_errors import rebuild_exception
from pytest_clearstone.tracing.span import Recorded, Span, exception_record
from pytest_clearstone.tracing.store import TraceStore
from pytest_clearstone.tracing.trace import Trace
from tests.unit.hostile import pickle_payload

KEY = b"test-signing-key"
TARGET = "tests.unit.test_pickle_policy.call_llm"
FIXES = (
    "clearstone_allow_pickle = true",
    "--clearstone-allow-pickle",
    "allow_pickle=True",
    "pytest_clearstone.codec.register",
)


def call_llm(prompt: str) -> str:  # the mock target of the hand-made golden
    raise AssertionError("replaced by the replay")


class Opaque:
    """A value only pickling can store (no tag, no registered encoder)."""

    def __init__(self, n: int) -> None:
        self.n = n


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(signing.ENV_VAR, raising=False)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


def _golden_doc() -> dict[str, Any]:
    """A valid golden without pickles: a root span, a call that answered, a call that raised."""
    tid = "a" * 32
    root = Span(trace_id=tid, span_id="1" * 16, parent_span_id=None, name="root",
                start_time_ns=1, end_time_ns=9)  # fmt: skip
    ok = Span(trace_id=tid, span_id="2" * 16, parent_span_id=root.span_id, name=TARGET,
              span_type="llm", attributes={TARGET_ATTRIBUTE: TARGET}, start_time_ns=2,
              end_time_ns=3, input=Recorded.of({"prompt": "hi"}),
              output=Recorded.of("hello"))  # fmt: skip
    failed = Span(trace_id=tid, span_id="3" * 16, parent_span_id=root.span_id, name=TARGET,
                  span_type="llm", attributes={TARGET_ATTRIBUTE: TARGET}, start_time_ns=4,
                  end_time_ns=5, input=Recorded.of({"prompt": "again"}),
                  error=exception_record(ValueError("rate limited", 429)))  # fmt: skip
    checkpoint = Checkpoint(
        checkpoint_id="ckpt_" + "c" * 32,
        state=Recorded.of({"history": []}),
        agent_class_name=None,
        agent_module=None,
        trace=Trace(tid, [root, ok, failed]),
        span_id=root.span_id,
        timestamp=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
        metadata={"test": "t"},
        outcome={
            "function": "run",
            "result": Recorded.of("done"),
            "final_state": Recorded.of({"history": ["hi"]}),
        },
    )
    doc: dict[str, Any] = json.loads(checkpoint.dumps(signing_key=None))
    return doc


def _place(doc: dict[str, Any], place: str, payload: Any) -> None:
    spans = doc["trace"]["spans"]
    if place == "agent state":
        doc["agent"]["state"]["history"] = [payload]
    elif place == "response":
        spans[1]["output"]["v"] = payload
    elif place == "input":
        spans[1]["input"]["v"]["prompt"] = payload
    elif place == "span attribute":
        spans[1]["attributes"]["extra"] = payload
    elif place == "result":
        doc["outcome"]["result"] = payload
    elif place == "final state":
        doc["outcome"]["final_state"] = {"history": payload}
    elif place == "metadata":
        doc["metadata"]["extra"] = payload
    elif place == "exception args":
        spans[2]["error"]["args"] = {"__cs__": "tuple", "v": ["rate limited", payload]}
    elif place == "exception attributes":
        spans[2]["error"]["attributes"] = {"status": payload}
    else:  # pragma: no cover
        raise AssertionError(place)


PLACES = [
    "agent state",
    "response",
    "input",
    "span attribute",
    "result",
    "final state",
    "metadata",
    "exception args",
    "exception attributes",
]


def _hostile(place: str, marker: Path, *, index: bool = True, key: bytes | None = None) -> bytes:
    doc = _golden_doc()
    doc.pop("signature", None)
    _place(doc, place, pickle_payload(marker))
    doc["tag_index"] = codec.tag_index({k: v for k, v in doc.items() if k != "tag_index"})
    if not index:
        del doc["tag_index"]
    if key is not None:
        doc = signing.sign_document(doc, key)
    return json.dumps(doc, indent=2).encode()


def _use(checkpoint: Checkpoint, *, allow_pickle: bool) -> None:
    """Touch every value the way replay does, the recorded exception included."""
    _ = checkpoint.agent_state, checkpoint.metadata, checkpoint.outcome
    for span in checkpoint.trace.spans:
        _ = span.input, span.output, span.attributes
    engine = ReplayEngine(checkpoint, allow_pickle=allow_pickle)
    calls = engine.mock_targets({"llm": [TARGET]})[TARGET].calls
    assert calls[0].respond() == "hello"
    with pytest.raises(ValueError, match="rate limited"):
        calls[1].respond()


# -- finding 1: refused by default, before anything is decoded ------------------------------
@pytest.mark.parametrize("index", [True, False], ids=["indexed", "no index"])
@pytest.mark.parametrize("place", PLACES)
def test_a_pickle_is_refused_by_default_before_anything_runs(
    place: str, index: bool, marker: Path, tmp_path: Path
) -> None:
    path = tmp_path / "golden.ckpt"
    path.write_bytes(_hostile(place, marker, index=index))
    loaders = [
        lambda: Checkpoint.read(path),
        lambda: Checkpoint.from_bytes(path.read_bytes(), path),
        lambda: CheckpointManager(tmp_path).load_checkpoint("golden"),
    ]
    for load in loaders:
        with pytest.raises(UntrustedCheckpointError) as info:
            load()
        assert not marker.exists()
    message = str(info.value)
    assert str(path) in message
    assert "evil.Payload" in message  # the stored type name
    assert any(where in message for where in ("trace.spans", "agent", "outcome", "metadata"))
    for fix in FIXES:
        assert fix in message


@pytest.mark.parametrize("place", PLACES)
def test_a_pickle_loads_when_allowed_without_a_key(place: str, marker: Path) -> None:
    raw = _hostile(place, marker)
    checkpoint = Checkpoint.from_bytes(raw, Path("g.ckpt"), allow_pickle=True, signing_key=None)
    # the payload replaced a value the replay checks; what matters is that it ran
    with contextlib.suppress(AssertionError, ValueError, TypeError, KeyError):
        _use(checkpoint, allow_pickle=True)
    assert marker.is_dir()


@pytest.mark.parametrize("signed_with", [None, b"another key"], ids=["unsigned", "other key"])
@pytest.mark.parametrize("allow", [True, False], ids=["allowed", "refused"])
@pytest.mark.parametrize("place", PLACES)
def test_with_a_key_a_pickle_needs_a_valid_signature(
    place: str, allow: bool, signed_with: bytes | None, marker: Path
) -> None:
    raw = _hostile(place, marker, key=signed_with)
    with pytest.raises(UntrustedCheckpointError, match=r"signature|signed"):
        Checkpoint.from_bytes(raw, Path("g.ckpt"), allow_pickle=allow, signing_key=KEY)
    assert not marker.exists()
    signed = _hostile(place, marker, key=KEY)
    if not allow:  # a valid signature does not replace the opt-in
        with pytest.raises(UntrustedCheckpointError):
            Checkpoint.from_bytes(signed, Path("g.ckpt"), allow_pickle=False, signing_key=KEY)
        assert not marker.exists()
    else:
        Checkpoint.from_bytes(signed, Path("g.ckpt"), allow_pickle=True, signing_key=KEY)


def test_an_escaped_or_spaced_pickle_tag_is_found_before_parsing(marker: Path) -> None:
    raw = _hostile("agent state", marker).decode()
    for spelling in ('"\\u005f_cs__": "pick\\u006ce"', '"__cs__"  :\n"pickle"'):
        text = raw.replace('"__cs__": "pickle"', spelling)
        with pytest.raises(UntrustedCheckpointError, match=r"evil\.Payload"):
            Checkpoint.from_bytes(text.encode(), Path("g.ckpt"), signing_key=None)
        assert not marker.exists()


def test_a_golden_without_pickles_loads_by_default() -> None:
    raw = json.dumps(_golden_doc()).encode()
    checkpoint = Checkpoint.from_bytes(raw, Path("g.ckpt"))
    _use(checkpoint, allow_pickle=False)
    assert checkpoint.agent_state == {"history": []}


# -- recording: the golden's encoding refuses pickles unless allowed -------------------------
def test_writing_a_golden_that_needs_a_pickle_fails_naming_the_value(tmp_path: Path) -> None:
    doc_checkpoint = Checkpoint.from_bytes(json.dumps(_golden_doc()).encode(), Path("g"))
    doc_checkpoint._state = Recorded.of({"history": [Opaque(1)]})
    target = tmp_path / "golden.ckpt"
    with pytest.raises(SerializationError) as info:
        doc_checkpoint.write(target, signing_key=None)
    message = str(info.value)
    assert "state" in message and "['history'][0]" in message
    assert "Opaque" in message
    for fix in FIXES:
        assert fix in message
    assert SerializationError.STATE_ADVICE in message  # (the state's own fixes)
    assert not target.exists()
    with pytest.raises(SerializationError):
        CheckpointManager(tmp_path).save_checkpoint(doc_checkpoint, "x.ckpt", signing_key=None)
    assert not (tmp_path / "x.ckpt").exists()
    doc_checkpoint.write(target, allow_pickle=True, signing_key=None)
    loaded = Checkpoint.read(target, allow_pickle=True, signing_key=None)
    assert loaded.agent_state["history"][0].n == 1


def test_a_pickle_in_a_recorded_response_names_the_span() -> None:
    doc = _golden_doc()
    checkpoint = Checkpoint.from_bytes(json.dumps(doc).encode(), Path("g"))
    checkpoint.trace.spans[1].set_output({"receipt": Opaque(2)})
    with pytest.raises(SerializationError) as info:
        checkpoint.dumps(signing_key=None)
    message = str(info.value)
    assert "output" in message and TARGET in message and "['receipt']" in message
    assert "get_state()" not in message and "metadata" not in message  # (no other part's fixes)


def test_a_pickle_in_the_metadata_is_refused_with_the_metadatas_fix() -> None:
    checkpoint = Checkpoint.from_bytes(json.dumps(_golden_doc()).encode(), Path("g"))
    checkpoint.metadata["ticket"] = Opaque(3)
    with pytest.raises(SerializationError) as info:
        checkpoint.dumps(signing_key=None)
    message = str(info.value)
    assert "['ticket']" in message and "Opaque" in message
    assert "Give the metadata JSON-friendly values" in message
    assert SerializationError.STATE_ADVICE not in message


def test_the_encoder_refuses_to_pickle_unless_allowed() -> None:
    with pytest.raises(SerializationError) as info:
        codec.Encoder(strict=True, allow_pickle=False).encode({"a": [Opaque(1)]}, root="state")
    message = str(info.value)
    assert "state['a'][0]" in message and "Opaque" in message
    for fix in FIXES:
        assert fix in message
    tree = codec.Encoder(strict=True, allow_pickle=True).encode(Opaque(1))
    assert tree["__cs__"] == "pickle"


# -- finding 2: trust is decided once, nothing is decoded twice ------------------------------
def _pickle_shaped_dict(marker: Path) -> dict[str, Any]:
    """A ``dict`` tag whose *decoded* value looks like a pickle tag (it is not one)."""
    payload = pickle_payload(marker)
    return {"__cs__": "dict", "v": [[k, v] for k, v in payload.items()]}


@pytest.mark.parametrize(
    ("allow", "key"),
    [(True, KEY), (False, None), (True, None), (False, KEY)],
    ids=["key, allowed", "no key, refused", "no key, allowed", "key, refused"],
)
@pytest.mark.parametrize("where", ["exception args", "exception attributes"])
def test_a_pickle_shaped_value_in_an_exception_is_never_unpickled(
    where: str, allow: bool, key: bytes | None, marker: Path
) -> None:
    doc = _golden_doc()
    doc.pop("signature", None)
    error = doc["trace"]["spans"][2]["error"]
    if where == "exception args":
        # a plain list: the writer of a hostile file chooses the form
        error["args"] = ["rate limited", _pickle_shaped_dict(marker)]
    else:
        error["attributes"] = {"status": _pickle_shaped_dict(marker)}
    doc["tag_index"] = codec.tag_index({k: v for k, v in doc.items() if k != "tag_index"})
    checkpoint = Checkpoint.from_bytes(
        json.dumps(doc).encode(), Path("g.ckpt"), allow_pickle=allow, signing_key=key
    )
    engine = ReplayEngine(checkpoint, allow_pickle=allow)
    calls = engine.mock_targets({"llm": [TARGET]})[TARGET].calls
    with pytest.raises(ValueError) as info:
        calls[1].respond()
    assert not marker.exists()
    value = info.value.args[1] if where == "exception args" else vars(info.value)["status"]
    assert value == {k: v for k, v in pickle_payload(marker).items()}  # plain data, as recorded


def test_the_span_error_holds_the_encoded_record_whatever_its_source(tmp_path: Path) -> None:
    doc = _golden_doc()
    checkpoint = Checkpoint.from_bytes(json.dumps(doc).encode(), Path("g.ckpt"))
    loaded_error = checkpoint.trace.spans[2].error
    live_error = exception_record(ValueError("rate limited", 429))
    assert loaded_error == live_error  # both encoded, e.g. args as a tuple tag
    assert loaded_error is not None and loaded_error["args"]["__cs__"] == "tuple"
    # written back, the record is the same as read
    again = json.loads(checkpoint.dumps(signing_key=None))
    assert again["trace"]["spans"][2]["error"] == doc["trace"]["spans"][2]["error"]


def test_rebuild_exception_decodes_once_with_the_policy(marker: Path) -> None:
    record = exception_record(ValueError("x"))
    record["args"] = {"__cs__": "tuple", "v": [pickle_payload(marker)]}
    rebuilt = rebuild_exception(record)  # pickles refused by default
    assert not marker.exists()
    assert type(rebuilt).__name__ == "RecordedError"
    rebuild_exception(record, allow_pickle=True)
    assert marker.is_dir()


@pytest.mark.parametrize("allow", [True, False])
def test_a_hostile_tag_index_cannot_decode_a_value_twice(allow: bool, marker: Path) -> None:
    """Index paths that repeat, or point inside another indexed value, would decode already
    decoded data: such an index is ignored."""
    doc = _golden_doc()
    doc["agent"]["state"] = {"inner": _pickle_shaped_dict(marker)}
    for paths in (
        [["agent", "state", "inner"], ["agent", "state", "inner"]],
        [["agent", "state", "inner"], ["agent", "state", "inner", "v"]],
    ):
        doc["tag_index"] = {"count": json.dumps(doc).count('"__cs__"'), "paths": paths}
        checkpoint = Checkpoint.from_bytes(
            json.dumps(doc).encode(), Path("g.ckpt"), allow_pickle=allow, signing_key=None
        )
        assert not marker.exists()
        assert checkpoint.agent_state["inner"]["__cs__"] == "pickle"  # data, not decoded


# -- finding 3: the trace store never writes pickles, never unpickles ------------------------
def _columns(db: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # (a with alone commits)
        row = conn.execute(
            "SELECT attributes_json, input_json, output_json, error_json FROM spans"
        ).fetchone()
    return [c for c in row if c is not None]


def test_the_store_writes_a_placeholder_naming_the_type_not_a_pickle(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    span = Span(trace_id="a" * 32, span_id="1" * 16, parent_span_id=None, name="call",
                attributes={"obj": Opaque(1)}, start_time_ns=1, end_time_ns=2,
                input=Recorded.of({"x": Opaque(2)}), output=Recorded.of([Opaque(3)]),
                error=exception_record(ValueError(Opaque(4))))  # fmt: skip
    span.freeze_attributes()
    live = Span(trace_id="a" * 32, span_id="2" * 16, parent_span_id=None, name="unfrozen",
                attributes={"obj": Opaque(5)}, start_time_ns=1, end_time_ns=2)  # fmt: skip
    store = TraceStore(db)
    assert store.write_spans([span, live]) == 2  # no span is dropped
    store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # (a with alone commits)
        texts = [c for row in conn.execute(
            "SELECT attributes_json, input_json, output_json, error_json FROM spans"
        ) for c in row if c is not None]  # fmt: skip
    assert texts and not any(codec.text_has_pickle(t) or '"pickle"' in t for t in texts)
    assert all("Opaque" in t for t in texts)
    trace = TraceStore(db).get_trace("a" * 32)
    back = trace.get_span("1" * 16)
    assert isinstance(back.attributes["obj"], codec.StoredRepr)
    assert "Opaque" in back.attributes["obj"].type_name
    assert isinstance(back.input["x"], codec.StoredRepr)
    assert isinstance(back.output[0], codec.StoredRepr)


def test_reading_the_store_never_unpickles(tmp_path: Path, marker: Path) -> None:
    db = tmp_path / "traces.db"
    span = Span(trace_id="a" * 32, span_id="1" * 16, parent_span_id=None, name="call",
                attributes={"n": 1}, start_time_ns=1, end_time_ns=2,
                input=Recorded.of({"x": 1}), output=Recorded.of(2),
                error=exception_record(ValueError("v")))  # fmt: skip
    store = TraceStore(db)
    store.write_spans([span])
    store.close()
    hostile = json.dumps(pickle_payload(marker))
    error = exception_record(ValueError("v"))
    error["args"] = {"__cs__": "tuple", "v": [pickle_payload(marker)]}
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # (a with alone commits)
        conn.execute(
            "UPDATE spans SET attributes_json = ?, input_json = ?, output_json = ?, error_json = ?",
            (json.dumps({"a": pickle_payload(marker)}), hostile, hostile, json.dumps(error)),
        )
    trace = TraceStore(db).get_trace("a" * 32)
    back = trace.spans[0]
    _ = back.attributes, back.input, back.output, back.error
    assert back.error is not None
    rebuild_exception(back.error, allow_pickle=True)
    assert not marker.exists()
    assert isinstance(back.attributes["a"], codec.StoredRepr)
    assert isinstance(back.output, codec.StoredRepr)


def test_reading_the_store_never_unpickles_a_pickle_tag_spelt_with_escapes(
    tmp_path: Path, marker: Path
) -> None:
    db = tmp_path / "traces.db"
    store = TraceStore(db)
    store.write_spans([Span(trace_id="a" * 32, span_id="1" * 16, parent_span_id=None,
                            name="call", start_time_ns=1, end_time_ns=2,
                            output=Recorded.of(2), attributes={"n": 1})])  # fmt: skip
    store.close()
    escaped = json.dumps(pickle_payload(marker)).replace('"pickle"', '"\\u0070ickle"')
    assert '"pickle"' not in escaped
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # (a with alone commits)
        conn.execute(
            "UPDATE spans SET attributes_json = ?, output_json = ?",
            ('{"a": ' + escaped + "}", escaped),
        )
    back = TraceStore(db).get_trace("a" * 32).spans[0]
    assert isinstance(back.attributes["a"], codec.StoredRepr)
    assert isinstance(back.output, codec.StoredRepr)
    assert not marker.exists()


def test_a_value_the_tracer_recorded_as_a_pickle_reads_back_as_itself() -> None:
    """(a span's values are trusted where they were recorded: the tracer pickled them)"""
    recorded = Recorded.of({"opaque": Opaque(3)})
    assert "pickle" in json.dumps(recorded.encoded)
    value = recorded.value["opaque"]
    assert type(value) is Opaque and value.n == 3
