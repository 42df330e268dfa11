"""Reading the files written by clearstone-sdk 0.1.2 (tests/fixtures/clearstone_sdk) and replaying
them: query_2's recorded answers come back, where the original library gave query_1's."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import pickle
import re
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.debugging import Checkpoint, CheckpointManager, ReplayEngine
from pytest_clearstone.errors import (
    CheckpointCorruptError,
    CheckpointError,
    CheckpointNotFoundError,
    SecretLeakError,
    TraceNotFoundError,
    TraceStoreError,
    UntrustedCheckpointError,
    UnusedResponsesWarning,
)
from pytest_clearstone.interop import clearstone_sdk

FIXTURE = Path(__file__).parent.parent / "fixtures" / "clearstone_sdk"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text())
QUERY = "What are the risks?"
QUERY_2_RESULT = {
    "answer": "LLM answer to: What are the risks?",
    "hits": 19,
    "rows": 2,
    "receipt": "Receipt(0.01, 2025-01-15T12:00:00+00:00)",
}


@pytest.fixture
def sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the fixture files (SQLite leaves -wal/-shm files next to a WAL
    database it reads), with make_samples importable, as the pickles need."""
    copy = tmp_path / "sdk"
    shutil.copytree(FIXTURE, copy)
    monkeypatch.syspath_prepend(str(copy))
    monkeypatch.delitem(sys.modules, "make_samples", raising=False)
    return copy


@pytest.fixture
def ckpt_path(sdk: Path) -> Path:
    return sdk / MANIFEST["checkpoint_file"]


def test_make_samples_is_importable_from_the_fixture_dir(sdk: Path) -> None:
    import make_samples

    assert Path(make_samples.__file__).parent == sdk
    assert make_samples.SeedAgent().run_query("x")["answer"] == "LLM answer to: x"


def test_read_traces_builds_the_span_tree_with_types_inputs_and_outputs(sdk: Path) -> None:
    import make_samples

    (trace,) = clearstone_sdk.read_traces(sdk / "traces.db", allow_pickle=True)
    assert trace.trace_id == MANIFEST["trace_id"]
    assert len(trace) == MANIFEST["spans_in_db"]
    # start order, not the order the rows were written (finish order)
    assert [s.name for s in trace.spans] == [
        "agent_workflow",
        *["query_1", "llm.generate", "tool.search", "sql_lookup", "billing"],
        *["query_2", "llm.generate", "tool.search", "sql_lookup", "billing"],
        "failing_step",
    ]
    assert [s.span_type for s in trace.spans[1:6]] == [
        "internal", "llm", "tool", "database", "billing"
    ]  # fmt: skip
    query_2 = trace.get_span(MANIFEST["checkpoint_span_id"])
    assert query_2.name == "query_2"
    assert query_2.attributes["step"] == 2
    assert trace.root_span is not None and trace.root_span.name == "agent_workflow"
    llm, tool, db, billing = trace.children(query_2.span_id)
    assert llm.input == {"args": [QUERY]}
    assert llm.output == "LLM answer to: What are the risks?"
    assert llm.attributes["llm.model"] == "fake-1"
    assert tool.output == {"tool": "search", "arg": QUERY, "hits": 19}
    assert db.output == [["row", 1], ["row", 2]]
    assert billing.output == make_samples.Receipt(
        0.01, dt.datetime(2025, 1, 15, 12, tzinfo=dt.timezone.utc)
    )
    failing = trace.spans[-1]
    assert (failing.span_type, failing.status, failing.status_message) == (
        "tool", "ERROR", "tool exploded"
    )  # fmt: skip
    assert failing.error is not None and failing.error["message"] == "tool exploded"
    assert failing.duration_ms is not None and failing.duration_ms > 0


def test_span_type_falls_back_to_name_prefix_then_kind(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE spans (span_id, trace_id, parent_span_id, name, kind, start_time_ns, "
        "end_time_ns, status, attributes_json, input_snapshot_json, output_snapshot_json, "
        "error_message, instrumentation_name, instrumentation_version)"
    )
    not_captured = json.dumps({"captured": False, "reason": "too large", "type": "bytes"})
    rows = [
        ("a", "t", None, "retriever.fetch", "CLIENT", 1, 2, "OK", "{}", "null", "null"),
        ("b", "t", "a", "work", "CLIENT", 3, 4, "OK", None, "null", not_captured),
        ("c", "t", "a", "work", "INTERNAL", 5, 6, "OK", '{"span_type": "llm"}', "null", "null"),
        # the prefix before the first dot; an empty span_type attribute names no type
        ("d", "t", "a", "tool.web.search", "INTERNAL", 7, 8, "OK", '{"span_type": ""}', "null",
         "null"),
        ("e", "t", "a", "work", "CLIENT", 9, 10, "OK", "null", "null", "null"),
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'x', '1')", rows
    )
    conn.commit()
    conn.close()
    trace = clearstone_sdk.read_trace(db, "t")
    assert [s.span_type for s in trace.spans] == ["retriever", "client", "llm", "tool", "client"]
    # the span kind is kept; a snapshot captured in full adds no note
    assert trace.spans[0].attributes == {"clearstone_sdk.kind": "CLIENT"}
    assert trace.spans[4].attributes == {"clearstone_sdk.kind": "CLIENT"}  # (attributes "null")
    assert not trace.spans[1].has_output
    assert trace.spans[1].attributes["clearstone_sdk.output"] == "not captured: too large (bytes)"
    with pytest.raises(TraceNotFoundError, match="'nope'"):
        clearstone_sdk.read_trace(db, "nope")


def test_pickled_outputs_are_refused_without_the_opt_in(sdk: Path) -> None:
    with pytest.raises(UntrustedCheckpointError) as info:
        clearstone_sdk.read_traces(sdk / "traces.db")
    message = str(info.value)
    assert "traces.db" in message and "'billing'" in message and "allow_pickle=True" in message


def test_read_checkpoint_refuses_the_pickled_state_without_the_opt_in(ckpt_path: Path) -> None:
    with pytest.raises(UntrustedCheckpointError) as info:
        clearstone_sdk.read_checkpoint(ckpt_path)
    assert str(ckpt_path) in str(info.value)
    assert "allow_pickle=True" in str(info.value) and "--allow-pickle" in str(info.value)


def _evil_checkpoint(ckpt_path: Path, payload: object) -> Path:
    doc = json.loads(ckpt_path.read_text())
    doc["agent_state_pickle_b64"] = base64.b64encode(pickle.dumps(payload)).decode()
    evil = ckpt_path.with_name("evil.ckpt")
    evil.write_text(json.dumps(doc))
    return evil


class _MakesADirectory:
    """Unpickling this runs os.makedirs: the kind of code a hostile pickle can run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.makedirs, (str(self.path),)


def test_refused_pickle_runs_no_code_and_the_opt_in_does(ckpt_path: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = _evil_checkpoint(ckpt_path, _MakesADirectory(marker))
    with pytest.raises(UntrustedCheckpointError):
        clearstone_sdk.read_checkpoint(evil)
    assert not marker.exists()
    clearstone_sdk.read_checkpoint(evil, allow_pickle=True)
    assert marker.is_dir()


def test_read_checkpoint_with_its_trace_store(ckpt_path: Path, sdk: Path) -> None:
    checkpoint = clearstone_sdk.read_checkpoint(
        ckpt_path, allow_pickle=True, trace_store_path=sdk / "traces.db"
    )
    assert checkpoint.checkpoint_id == MANIFEST["checkpoint_id"]
    assert checkpoint.span_id == MANIFEST["checkpoint_span_id"]
    assert checkpoint.span.name == "query_2"
    assert [s.name for s in checkpoint.upstream_spans] == ["agent_workflow"]
    assert checkpoint.agent_class_path == MANIFEST["agent_class_path"]
    expected_state = dict(MANIFEST["checkpoint_agent_state"])
    expected_state["last_seen"] = dt.datetime.fromisoformat(expected_state["last_seen"])
    assert checkpoint.agent_state == expected_state
    assert checkpoint.timestamp.tzinfo is not None
    assert checkpoint.timestamp.utcoffset() == dt.timedelta(0)
    assert checkpoint.timestamp_ns // 1000 == 1795677706865655952 // 1000
    assert len(checkpoint.trace) == MANIFEST["spans_in_db"]
    assert checkpoint.metadata["imported_from"] == "clearstone-sdk"


def test_read_checkpoint_alone_has_only_its_own_spans(ckpt_path: Path) -> None:
    checkpoint = clearstone_sdk.read_checkpoint(ckpt_path, allow_pickle=True)
    assert [s.name for s in checkpoint.trace.spans] == ["agent_workflow", "query_2"]
    assert checkpoint.metadata["trace_source"] == "checkpoint only"


def test_replay_from_the_checkpoint_returns_query_2s_answers(ckpt_path: Path, sdk: Path) -> None:
    checkpoint = clearstone_sdk.read_checkpoint(
        ckpt_path, allow_pickle=True, trace_store_path=sdk / "traces.db"
    )
    engine = ReplayEngine(checkpoint, strict=False)
    # failing_step is a tool span after the checkpoint that run_query does not reach
    with pytest.warns(UnusedResponsesWarning, match="make_samples.run_tool: 1 of 2 used"):
        result = engine.replay_from_checkpoint(
            "run_query", QUERY, mock_config=MANIFEST["mock_config_used_for_replay"]
        )
    assert result == QUERY_2_RESULT
    assert result != MANIFEST["replay_result"]  # what clearstone-sdk itself returned (query_1's)
    assert engine.last_session is not None
    answered_by = {c.span_id for c in engine.last_session.calls}
    query_2_children = {s.span_id for s in checkpoint.trace.children(checkpoint.span_id)}
    assert answered_by == query_2_children
    assert engine.agent.steps == 2
    assert [m["q"] for m in engine.agent.memory] == ["What is AI safety?", QUERY]


def test_import_files_from_a_directory_writes_replayable_checkpoints(
    sdk: Path, tmp_path: Path
) -> None:
    written = clearstone_sdk.import_files(sdk, tmp_path / "out", allow_pickle=True)
    assert [p.name for p in written] == [Path(MANIFEST["checkpoint_file"]).name]
    manager = CheckpointManager(tmp_path / "out")
    checkpoint = manager.load_checkpoint(written[0].name, allow_pickle=True)
    assert checkpoint.format_version == 1
    assert checkpoint.span.name == "query_2"
    assert len(checkpoint.trace) == MANIFEST["spans_in_db"]
    with pytest.warns(UnusedResponsesWarning):
        result = ReplayEngine(checkpoint, allow_pickle=True).replay_from_checkpoint(
            "run_query", QUERY, mock_config=MANIFEST["mock_config_used_for_replay"]
        )
    assert result == QUERY_2_RESULT


def test_import_files_from_a_lone_checkpoint_finds_its_traces_db(
    ckpt_path: Path, tmp_path: Path
) -> None:
    (path,) = clearstone_sdk.import_files(ckpt_path, tmp_path / "out", allow_pickle=True)
    checkpoint = Checkpoint.read(path, allow_pickle=True)
    assert len(checkpoint.trace) == MANIFEST["spans_in_db"]
    assert checkpoint.metadata["trace_source"] == "traces.db"


def test_import_files_from_a_traces_db_alone_writes_a_stateless_checkpoint(
    sdk: Path, tmp_path: Path
) -> None:
    (path,) = clearstone_sdk.import_files(sdk / "traces.db", tmp_path / "out", allow_pickle=True)
    checkpoint = Checkpoint.read(path, allow_pickle=True)
    assert checkpoint.agent_class_path is None and checkpoint.agent_state is None
    assert checkpoint.span.name == "agent_workflow"
    assert path.name == f"{MANIFEST['trace_id']}_ckpt_{MANIFEST['trace_id']}.ckpt"


def test_import_files_refuses_pickles_and_writes_nothing(sdk: Path, tmp_path: Path) -> None:
    with pytest.raises(UntrustedCheckpointError, match="allow_pickle=True"):
        clearstone_sdk.import_files(sdk, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unimportable_pickled_class_names_the_fix(
    sdk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(sdk)])
    with pytest.raises(CheckpointError, match=r"make_samples.*importable"):
        clearstone_sdk.read_traces(sdk / "traces.db", allow_pickle=True)


def test_a_state_pickle_of_a_class_gone_from_its_module_or_in_bad_base64_is_told(
    ckpt_path: Path,
) -> None:
    doc = json.loads(ckpt_path.read_text())
    changed = ckpt_path.with_name("changed.ckpt")
    # a class renamed since the recording: its module imports, the name is not in it
    doc["agent_state_pickle_b64"] = base64.b64encode(b"cos\nno_such_class\n.").decode()
    changed.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=r"AttributeError.*make the modules.*importable"):
        clearstone_sdk.read_checkpoint(changed, allow_pickle=True)
    # characters base64 has not: refused, not skipped into another pickle
    good = json.loads(ckpt_path.read_text())["agent_state_pickle_b64"]
    doc["agent_state_pickle_b64"] = "!" + good
    changed.write_text(json.dumps(doc))
    with pytest.raises(CheckpointCorruptError, match=r"changed\.ckpt.*the agent state: bad base64"):
        clearstone_sdk.read_checkpoint(changed, allow_pickle=True)


def test_bad_sources_get_clear_errors(tmp_path: Path, ckpt_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(CheckpointNotFoundError) as missing:
        clearstone_sdk.import_files(tmp_path / "nope.ckpt", out)
    assert isinstance(missing.value, FileNotFoundError)
    assert "nope.ckpt" in str(missing.value)

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointNotFoundError, match=r"no clearstone-sdk traces\.db or \.ckpt"):
        clearstone_sdk.import_files(empty, out)

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointCorruptError, match=r"notes\.txt.*neither"):
        clearstone_sdk.import_files(text, out)

    truncated = tmp_path / "cut.ckpt"
    truncated.write_text(ckpt_path.read_text()[:200])
    with pytest.raises(CheckpointCorruptError, match=r"cut\.ckpt.*truncated or not JSON"):
        clearstone_sdk.read_checkpoint(truncated, allow_pickle=True)

    other = tmp_path / "other.ckpt"
    other.write_text('{"hello": 1}')
    with pytest.raises(CheckpointCorruptError, match="not a clearstone-sdk checkpoint"):
        clearstone_sdk.read_checkpoint(other)

    ours = tmp_path / "ours.ckpt"
    ours.write_text('{"format": "pytest-clearstone-checkpoint", "format_version": 1}')
    with pytest.raises(CheckpointCorruptError, match="already a pytest-clearstone checkpoint"):
        clearstone_sdk.import_files(ours, out)

    db = tmp_path / "other.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(TraceStoreError, match=r"other\.db is not a clearstone-sdk trace store"):
        clearstone_sdk.import_files(db, out)
    assert not out.exists()


def test_import_into_a_folder_inside_the_source_can_be_repeated(sdk: Path) -> None:
    first = clearstone_sdk.import_files(sdk, sdk / "converted", allow_pickle=True)
    (sdk / "mine").mkdir()
    CheckpointManager(sdk / "mine").save_checkpoint(
        Checkpoint.read(first[0], allow_pickle=True), "ours.ckpt", allow_pickle=True
    )
    again = clearstone_sdk.import_files(sdk, sdk / "converted", allow_pickle=True)
    assert again == first  # neither the earlier output nor our own checkpoint is re-imported


def test_a_corrupt_trace_store_is_refused_and_its_connection_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the connection opened to find the file unreadable is closed (Python 3.13 warns
    # of an unclosed database when one is left to the garbage collector: an error under
    # filterwarnings = error, raised in whichever test the collection then runs).
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    db = tmp_path / "traces.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)  # the header, then garbage
    with pytest.raises(TraceStoreError, match=r"cannot open .*traces\.db as a SQLite database"):
        clearstone_sdk.import_files(db, tmp_path / "out")
    assert opened
    for conn in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


def test_deep_or_out_of_range_sdk_files_are_clear_errors_with_the_import_fix(
    tmp_path: Path, ckpt_path: Path, sdk: Path
) -> None:
    """A 100,000-deep JSON value raised RecursionError (a traceback from the command line), a
    timestamp beyond a datetime's range OverflowError; and every refusal told to "re-record it
    with: pytest --clearstone-record", which cannot make a clearstone-sdk file."""
    out = tmp_path / "out"
    deep = tmp_path / "deep.ckpt"
    deep.write_text('{"metadata": ' + "[" * 100_000 + "]" * 100_000 + "}")
    far = tmp_path / "far.ckpt"
    doc = json.loads(ckpt_path.read_text())
    doc["metadata"]["timestamp_ns"] = 10**30
    far.write_text(json.dumps(doc))
    store = tmp_path / "deep.db"
    shutil.copy(sdk / "traces.db", store)
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE spans SET attributes_json = ?", ["[" * 100_000 + "]" * 100_000])
    conn.close()
    for source, allow in ((deep, False), (far, True)):
        with pytest.raises(CheckpointCorruptError) as info:
            clearstone_sdk.import_files(source, out, allow_pickle=allow)
        assert source.name in str(info.value)
        assert "--clearstone-record" not in str(info.value)
    with pytest.raises(TraceStoreError, match=r"deep\.db"):
        clearstone_sdk.import_files(store, out)
    assert not out.exists()


def test_a_directory_import_skips_the_plugins_own_trace_store(sdk: Path, tmp_path: Path) -> None:
    # Expected: `import-clearstone .` in a project that ran the plugin converts the
    # clearstone-sdk files and leaves the plugin's own `.clearstone/traces.db` alone, as it
    # leaves the plugin's own checkpoints; it failed with "not a clearstone-sdk trace store".
    from pytest_clearstone.tracing import TracerProvider

    project = tmp_path / "project"
    shutil.copytree(sdk, project / "clearstone_run")
    provider = TracerProvider(project / ".clearstone" / "traces.db")
    with provider.get_tracer("tests").span("tests/test_agent.py::test_run"):
        pass
    provider.shutdown()
    store_bytes = (project / ".clearstone" / "traces.db").read_bytes()

    written = clearstone_sdk.import_files(project, tmp_path / "out", allow_pickle=True)

    assert [p.name for p in written] == [Path(MANIFEST["checkpoint_file"]).name]
    assert (project / ".clearstone" / "traces.db").read_bytes() == store_bytes
    # given by name, it is named for what it is, with the command that reads it
    with pytest.raises(TraceStoreError, match=r"trace store of pytest-clearstone.*traces "):
        clearstone_sdk.import_files(project / ".clearstone" / "traces.db", tmp_path / "out2")
    assert (project / ".clearstone" / "traces.db").read_bytes() == store_bytes


def test_import_into_the_source_directory_converts_and_replaces_no_source_file(
    sdk: Path,
) -> None:
    # Expected: `import-clearstone RUN RUN` converts the files of RUN into RUN (it said the
    # directory held no clearstone-sdk file: every file in DEST_DIR was skipped as an earlier
    # output); a DEST_DIR where a converted file would take the name of its clearstone-sdk
    # source is refused before anything is written, the source left as it was.
    source = sdk / MANIFEST["checkpoint_file"]
    original = source.read_bytes()

    (written,) = clearstone_sdk.import_files(sdk, sdk, allow_pickle=True)
    assert written.parent == sdk and Checkpoint.read(written, allow_pickle=True).span.name == (
        "query_2"
    )
    written.unlink()

    for src in (source.parent, source):
        with pytest.raises(CheckpointError, match=r"would replace .*another DEST_DIR"):
            clearstone_sdk.import_files(src, source.parent, allow_pickle=True)
        assert source.read_bytes() == original


def test_a_directory_import_skips_sqlite_files_of_other_programs(sdk: Path, tmp_path: Path) -> None:
    # Expected: a directory searched for clearstone-sdk files (a project, with its own
    # application database, or a virtualenv's) converts those and passes over SQLite files
    # without a 'spans' table; one such file failed the whole import ("not a clearstone-sdk
    # trace store"). Given by name, it is still refused.
    app_db = sdk / "app" / "app.db"
    app_db.parent.mkdir()
    sqlite3.connect(app_db).execute("CREATE TABLE orders (id)").connection.close()

    written = clearstone_sdk.import_files(sdk, tmp_path / "out", allow_pickle=True)

    assert [p.name for p in written] == [Path(MANIFEST["checkpoint_file"]).name]
    with pytest.raises(TraceStoreError, match=r"app\.db is not a clearstone-sdk trace store"):
        clearstone_sdk.import_files(app_db, tmp_path / "out2")


def test_import_refuses_a_secret_value_in_the_sdk_files_and_writes_nothing(
    sdk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the clearstone-sdk recorded without the plugin's redaction: a value of a secret variable
    # in its traces reached the converted golden, meant for git, unchecked
    monkeypatch.setenv("SHOP_API_KEY", QUERY_2_RESULT["answer"])
    out = tmp_path / "out"
    with pytest.raises(SecretLeakError, match=r"\$SHOP_API_KEY") as caught:
        clearstone_sdk.import_files(sdk, out, allow_pickle=True)
    assert QUERY_2_RESULT["answer"] not in str(caught.value)
    assert "import-clearstone" in str(caught.value) and "clearstone_redact_keys" not in str(
        caught.value
    )
    assert not list(out.glob("*.ckpt"))


def _sdk_store(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE spans (span_id, trace_id, parent_span_id, name, kind, start_time_ns, "
        "end_time_ns, status, attributes_json, input_snapshot_json, output_snapshot_json, "
        "error_message, instrumentation_name, instrumentation_version)"
    )
    conn.executemany(
        "INSERT INTO spans VALUES (?, ?, ?, ?, 'INTERNAL', ?, ?, ?, '{}', 'null', 'null', ?, "
        "'x', '1')",
        rows,
    )
    conn.commit()
    conn.close()
    return path


def test_statuses_of_any_case_and_empty_parents_are_read_as_ours(tmp_path: Path) -> None:
    db = _sdk_store(tmp_path / "traces.db", [
        ("a", "t", "", "root", 1, 9, "ok", None),
        ("b", "t", "a", "call", 2, 3, "error", "boom"),
        ("c", "t", "a", "odd", 4, 5, "CANCELLED", None),
    ])  # fmt: skip
    root, call, odd = clearstone_sdk.read_trace(db, "t").spans
    assert root.parent_span_id is None and root.status == "OK"
    assert (call.status, call.status_message) == ("ERROR", "boom")
    assert call.error is not None and call.error["message"] == "boom"
    assert odd.status == "UNSET" and odd.error is None


def test_a_span_left_open_is_read_open_and_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    db = _sdk_store(tmp_path / "traces.db", [("a", "t", None, "crashed", 1, None, "UNSET", None)])
    (span,) = clearstone_sdk.read_trace(db, "t").spans
    assert span.end_time_ns is None  # (the run ended before it did)
    snapshot = {"captured": True, "data": json.dumps({"__type__": "msgpack", "value": "x"})}
    conn = sqlite3.connect(db)
    conn.execute("UPDATE spans SET output_snapshot_json = ?", (json.dumps(snapshot),))
    conn.commit()
    conn.close()
    with pytest.raises(TraceStoreError, match=r"output of span a.*unknown snapshot encoding 'msgp"):
        clearstone_sdk.read_trace(db, "t")


def _set_columns(db: Path, **columns: Any) -> Path:
    conn = sqlite3.connect(db)
    for column, value in columns.items():
        conn.execute(f"UPDATE spans SET {column} = ?", (value,))
    conn.commit()
    conn.close()
    return db


def test_a_snapshot_without_captured_is_read_as_not_captured(tmp_path: Path) -> None:
    db = _sdk_store(tmp_path / "traces.db", [("a", "t", None, "call", 1, 2, "OK", None)])
    (span,) = clearstone_sdk.read_trace(_set_columns(db, output_snapshot_json="{}"), "t").spans
    assert not span.has_output
    assert span.attributes["clearstone_sdk.output"] == "not captured: no reason given (?)"


def test_snapshot_data_without_an_encoding_or_a_pickle_that_is_no_text_is_refused(
    tmp_path: Path,
) -> None:
    db = _sdk_store(tmp_path / "traces.db", [("a", "t", None, "call", 1, 2, "OK", None)])
    for data, why in (
        ({"value": 1}, "the output of span a ('call'): the snapshot data has no '__type__'"),
        ({"__type__": "pickle", "value": 7}, "the pickle is not a base64 string"),
    ):
        snapshot = {"captured": True, "data": json.dumps(data)}
        _set_columns(db, output_snapshot_json=json.dumps(snapshot))
        with pytest.raises(TraceStoreError, match=re.escape(why)):
            clearstone_sdk.read_trace(db, "t", allow_pickle=True)


def test_a_span_type_attribute_that_is_no_text_is_passed_over_and_no_kind_is_no_type(
    tmp_path: Path,
) -> None:
    db = _sdk_store(tmp_path / "traces.db", [
        ("a", "t", None, "tool.search", 1, 2, "OK", None),
        ("b", "t", "a", "work", 3, 4, "OK", None),
    ])  # fmt: skip
    _set_columns(db, attributes_json='{"span_type": 3}', kind=None)
    assert [s.span_type for s in clearstone_sdk.read_trace(db, "t").spans] == ["tool", None]


def test_an_error_without_a_message_and_the_instrumentation_are_read(tmp_path: Path) -> None:
    db = _sdk_store(tmp_path / "traces.db", [("a", "t", None, "call", 1, 2, "ERROR", None)])
    (span,) = clearstone_sdk.read_trace(db, "t").spans
    assert span.error == {"type": "Exception", "module": "builtins", "message": "", "args": [""]}
    assert (span.instrumentation_name, span.instrumentation_version) == ("x", "1")


def test_a_trace_id_that_is_no_file_name_is_hashed_into_the_destination(tmp_path: Path) -> None:
    # (a trace id is data of the file: it never names a path outside DEST_DIR)
    db = _sdk_store(tmp_path / "traces.db", [("a", "../../escape", None, "root", 1, 2, "OK", None)])
    out = tmp_path / "deep" / "out"
    (path,) = clearstone_sdk.import_files(db, out)
    assert path.parent == out and ".." not in path.name and "/" not in path.name
    assert not list(tmp_path.glob("*.ckpt"))


def test_a_checkpoints_policy_decisions_events_and_links_are_kept(ckpt_path: Path) -> None:
    plain = clearstone_sdk.read_checkpoint(ckpt_path, allow_pickle=True).span.attributes
    assert not [k for k in plain if k.endswith(("policy_decisions", "events", "links"))]  # (empty)
    doc = json.loads(ckpt_path.read_text())
    doc["current_span"].update(
        policy_decisions=[{"policy": "pii", "allowed": True}],
        events=[{"name": "retry"}],
        links=[{"trace_id": "other"}],
    )
    ckpt_path.write_text(json.dumps(doc))
    checkpoint = clearstone_sdk.read_checkpoint(ckpt_path, allow_pickle=True)
    attributes = checkpoint.span.attributes
    assert attributes["clearstone_sdk.policy_decisions"] == [{"policy": "pii", "allowed": True}]
    assert attributes["clearstone_sdk.events"] == [{"name": "retry"}]
    assert attributes["clearstone_sdk.links"] == [{"trace_id": "other"}]


def test_an_import_leaves_the_clearstone_sdk_files_as_they_were(sdk: Path, tmp_path: Path) -> None:
    # (read-only: SQLite would fold the WAL into traces.db and remove it on closing)
    before = {p.name: p.read_bytes() for p in sdk.glob("traces.db*")}
    assert "traces.db-wal" in before
    clearstone_sdk.import_files(sdk, tmp_path / "out", allow_pickle=True)
    assert {p.name: p.read_bytes() for p in sdk.glob("traces.db*")} == before


def test_traces_are_read_oldest_first(tmp_path: Path) -> None:
    db = _sdk_store(tmp_path / "traces.db", [
        ("b", "second", None, "run", 5, 6, "OK", None),
        ("a", "first", None, "run", 1, 2, "OK", None),
        ("c", "third", None, "run", 9, 10, "OK", None),
    ])  # fmt: skip
    assert [t.trace_id for t in clearstone_sdk.read_traces(db)] == ["first", "second", "third"]


def test_traces_are_ordered_by_their_first_span_not_their_last(tmp_path: Path) -> None:
    db = _sdk_store(tmp_path / "traces.db", [
        ("a", "long", None, "run", 1, 100, "OK", None),
        ("b", "short", None, "run", 5, 6, "OK", None),
        ("c", "long", "a", "late step", 90, 95, "OK", None),
    ])  # fmt: skip
    assert [t.trace_id for t in clearstone_sdk.read_traces(db)] == ["long", "short"]


def test_a_span_row_with_a_time_out_of_range_is_refused_naming_the_store(tmp_path: Path) -> None:
    db = _sdk_store(tmp_path / "traces.db", [("a", "t", None, "run", 1, 2, "OK", None)])
    _set_columns(db, start_time_ns=float("inf"))  # (a REAL column value int() cannot take)
    with pytest.raises(TraceStoreError, match=r"traces\.db: a span row is malformed \(Overflow"):
        clearstone_sdk.read_trace(db, "t")


def test_spans_started_at_once_keep_the_order_they_were_written_in(tmp_path: Path) -> None:
    # (clearstone-sdk's clock can give two calls one start time: the calls then replay in the
    # order the store holds them)
    db = _sdk_store(tmp_path / "traces.db", [
        ("r", "t", None, "run", 1, 9, "OK", None),
        ("x", "t", "r", "tool.first", 2, 3, "OK", None),
        ("y", "t", "r", "tool.second", 2, 3, "OK", None),
    ])  # fmt: skip
    names = [s.name for s in clearstone_sdk.read_trace(db, "t").spans]
    assert names == ["run", "tool.first", "tool.second"]
    (trace,) = clearstone_sdk.read_traces(db)
    assert [s.name for s in trace.spans] == names


def test_a_trace_without_checkpoint_is_imported_at_its_root_even_if_a_child_started_first(
    tmp_path: Path,
) -> None:
    # (clocks of two threads or hosts: a child's start stamped before its parent's)
    db = _sdk_store(tmp_path / "traces.db", [
        ("c", "t", "r", "tool.lookup", 1, 3, "OK", None),
        ("r", "t", None, "run", 2, 9, "OK", None),
    ])  # fmt: skip
    (path,) = clearstone_sdk.import_files(db, tmp_path / "out")
    checkpoint = CheckpointManager(tmp_path / "out").load_checkpoint(path)
    assert (checkpoint.span.span_id, checkpoint.span.name) == ("r", "run")


def test_a_trace_in_two_stores_is_imported_from_the_one_its_metadata_names(
    tmp_path: Path,
) -> None:
    # (a copy of a run's store beside the original: one trace id in both, the first store in
    # path order is read, and the converted golden names that file as its source)
    source = tmp_path / "src"
    source.mkdir()
    _sdk_store(source / "run1.db", [("r", "t", None, "run.first", 1, 9, "OK", None)])
    _sdk_store(source / "run2.db", [("r", "t", None, "run.second", 1, 9, "OK", None)])
    (path,) = clearstone_sdk.import_files(source, tmp_path / "out")
    checkpoint = CheckpointManager(tmp_path / "out").load_checkpoint(path)
    assert checkpoint.span.name == "run.first"
    assert checkpoint.metadata["source_file"] == "run1.db"


def test_a_checkpoint_whose_span_is_no_object_is_refused_naming_it(
    tmp_path: Path, ckpt_path: Path
) -> None:
    doc = json.loads(ckpt_path.read_text())
    doc["upstream_spans"] = ["llm.generate"]
    bad = tmp_path / "bad.ckpt"
    bad.write_text(json.dumps(doc))
    with pytest.raises(CheckpointCorruptError, match=r"bad\.ckpt.*a span is a str, not an object"):
        clearstone_sdk.read_checkpoint(bad, allow_pickle=True)


def test_a_converted_checkpoint_keeps_the_sdk_and_python_versions_it_was_made_with(
    ckpt_path: Path,
) -> None:
    meta = json.loads(ckpt_path.read_text())["metadata"]
    checkpoint = clearstone_sdk.read_checkpoint(ckpt_path, allow_pickle=True)
    kept = (checkpoint.metadata["clearstone_version"], checkpoint.metadata["python_version"])
    assert kept == (meta["clearstone_version"], meta["python_version"]) and None not in kept


def test_a_checkpoint_s_class_path_spans_and_keys_are_read_as_written(
    ckpt_path: Path, sdk: Path
) -> None:
    doc = json.loads(ckpt_path.read_text())
    changed = ckpt_path.with_name("changed.ckpt")
    # a class in a package: its module is all before the last dot
    doc["metadata"]["agent_class_path"] = "agents.research.SeedAgent"
    changed.write_text(json.dumps(doc))
    checkpoint = clearstone_sdk.read_checkpoint(changed, allow_pickle=True)
    named = (checkpoint.agent_module, checkpoint.agent_class_name)
    assert named == ("agents.research", "SeedAgent")
    # the checkpoint's own span, not (yet) in the run's traces.db, is kept with the stored ones
    span_id = MANIFEST["checkpoint_span_id"]
    conn = sqlite3.connect(sdk / "traces.db")
    conn.execute("DELETE FROM spans WHERE span_id = ?", (span_id,))
    conn.commit()
    conn.close()
    checkpoint = clearstone_sdk.read_checkpoint(
        ckpt_path, allow_pickle=True, trace_store_path=sdk / "traces.db"
    )
    assert checkpoint.span.span_id == span_id
    assert len(checkpoint.trace) == MANIFEST["spans_in_db"]
    # a checkpoint naming a span it does not hold, or without one of the keys, is refused
    doc = json.loads(ckpt_path.read_text())
    doc["metadata"]["span_id"] = "elsewhere"
    changed.write_text(json.dumps(doc))
    with pytest.raises(CheckpointCorruptError, match=r"its span 'elsewhere' is not among its"):
        clearstone_sdk.read_checkpoint(changed, allow_pickle=True)
    doc = json.loads(ckpt_path.read_text())
    del doc["current_span"]
    changed.write_text(json.dumps(doc))
    with pytest.raises(CheckpointCorruptError, match=r"changed\.ckpt.*not a clearstone-sdk"):
        clearstone_sdk.read_checkpoint(changed, allow_pickle=True)


def test_a_checkpoint_without_a_timestamp_or_a_class_path_is_told_or_read_without_a_class(
    ckpt_path: Path,
) -> None:
    doc = json.loads(ckpt_path.read_text())
    changed = ckpt_path.with_name("changed.ckpt")
    del doc["metadata"]["timestamp_ns"]
    changed.write_text(json.dumps(doc))
    with pytest.raises(CheckpointCorruptError, match=r"the field 'timestamp_ns' is missing"):
        clearstone_sdk.read_checkpoint(changed, allow_pickle=True)
    doc = json.loads(ckpt_path.read_text())
    doc["metadata"]["agent_class_path"] = ""
    changed.write_text(json.dumps(doc))
    checkpoint = clearstone_sdk.read_checkpoint(changed, allow_pickle=True)
    assert (checkpoint.agent_module, checkpoint.agent_class_name) == (None, None)


def test_a_checkpoint_file_starting_with_a_blank_line_is_imported(
    ckpt_path: Path, tmp_path: Path
) -> None:
    lone = tmp_path / "lone" / "run.ckpt"
    lone.parent.mkdir()
    lone.write_text("\n  " + ckpt_path.read_text())
    (path,) = clearstone_sdk.import_files(lone, tmp_path / "out", allow_pickle=True)
    assert Checkpoint.read(path, allow_pickle=True).span.span_id == MANIFEST["checkpoint_span_id"]


def test_a_directory_s_unreadable_trace_store_is_reported_not_passed_over(
    sdk: Path, tmp_path: Path
) -> None:
    (sdk / "traces.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    for stale in sdk.glob("traces.db-*"):
        stale.unlink()
    with pytest.raises(TraceStoreError, match=r"cannot open .*traces\.db as a SQLite database"):
        clearstone_sdk.import_files(sdk, tmp_path / "out", allow_pickle=True)


def test_a_lone_checkpoint_takes_the_traces_db_beside_it_before_the_one_above(
    sdk: Path, ckpt_path: Path, tmp_path: Path
) -> None:
    shutil.copy(sdk / "traces.db", ckpt_path.parent / "traces.db")
    (sdk / "traces.db").unlink()
    for stale in sdk.glob("traces.db-*"):
        stale.unlink()
    _sdk_store(sdk / "traces.db", [("a", "another run", None, "run", 1, 2, "OK", None)])
    written = clearstone_sdk.import_files(ckpt_path, tmp_path / "out", allow_pickle=True)
    traces = {Checkpoint.read(p, allow_pickle=True).trace.trace_id for p in written}
    assert traces == {MANIFEST["trace_id"]}


_OF_A = "span a ('call')"


@pytest.mark.parametrize(
    ("columns", "why"),
    [
        ({"output_snapshot_json": "{not json"}, f"the output of {_OF_A}: the snapshot is not JSON"),
        ({"input_snapshot_json": "[1]"}, f"the input of {_OF_A}: the snapshot is a list, not an"),
        ({"output_snapshot_json": json.dumps({"captured": True, "data": "{cut"})},
         f"the output of {_OF_A}: the snapshot data is not JSON"),
        ({"attributes_json": "{cut"}, f"{_OF_A}: attributes are not JSON"),
        ({"attributes_json": "[1, 2]"}, f"{_OF_A}: attributes are not an object"),
    ],
    ids=["snapshot", "snapshot_list", "snapshot_data", "attributes", "attributes_list"],
)  # fmt: skip
def test_a_span_row_whose_snapshot_or_attributes_cannot_be_read_is_refused_naming_it(
    tmp_path: Path, columns: dict[str, str], why: str
) -> None:
    # (never read as "no input", "no output" or "no attributes": that would lose what it holds)
    db = _sdk_store(tmp_path / "traces.db", [("a", "t", None, "call", 1, 2, "OK", None)])
    with pytest.raises(TraceStoreError, match=f"^{re.escape(f'{db}: {why}')}"):
        clearstone_sdk.read_trace(_set_columns(db, **columns), "t")


def test_a_missing_trace_store_or_checkpoint_is_named_as_missing(tmp_path: Path) -> None:
    missing = tmp_path / "traces.db"
    for read in (clearstone_sdk.read_traces, lambda p: clearstone_sdk.read_trace(p, "t")):
        with pytest.raises(TraceStoreError, match=f"^no clearstone-sdk trace store at {missing}$"):
            read(missing)
    with pytest.raises(CheckpointNotFoundError, match=re.escape(str(tmp_path / "run.ckpt"))):
        clearstone_sdk.read_checkpoint(tmp_path / "run.ckpt")


def test_a_checkpoint_without_its_agent_state_is_no_clearstone_sdk_checkpoint(
    ckpt_path: Path,
) -> None:
    doc = json.loads(ckpt_path.read_text())
    del doc["agent_state_pickle_b64"]
    ckpt_path.write_text(json.dumps(doc))
    with pytest.raises(CheckpointCorruptError, match="not a clearstone-sdk checkpoint"):
        clearstone_sdk.read_checkpoint(ckpt_path, allow_pickle=True)


def test_a_checkpoint_without_an_id_is_named_after_its_trace(
    ckpt_path: Path, tmp_path: Path
) -> None:
    doc = json.loads(ckpt_path.read_text())
    del doc["metadata"]["checkpoint_id"]
    lone = tmp_path / "lone" / "run.ckpt"
    lone.parent.mkdir()
    lone.write_text(json.dumps(doc))
    (path,) = clearstone_sdk.import_files(lone, tmp_path / "out", allow_pickle=True)
    trace_id = MANIFEST["trace_id"]
    assert path.name == f"{trace_id}_ckpt_{trace_id}.ckpt"
    assert Checkpoint.read(path, allow_pickle=True).checkpoint_id == f"ckpt_{trace_id}"


def test_a_directory_import_skips_whatever_its_dest_dir_inside_it_holds(
    sdk: Path, ckpt_path: Path
) -> None:
    # (DEST_DIR is the import's output: a clearstone-sdk file copied into it is not converted)
    out = sdk / "converted"
    out.mkdir()
    doc = json.loads(ckpt_path.read_text())
    doc["metadata"]["checkpoint_id"] = "copied"
    (out / "copied.ckpt").write_text(json.dumps(doc))
    written = clearstone_sdk.import_files(sdk, out, allow_pickle=True)
    assert [p.name for p in written] == [Path(MANIFEST["checkpoint_file"]).name]


def test_a_trace_without_checkpoint_is_stamped_with_its_root_s_start(tmp_path: Path) -> None:
    start = 1_767_225_600_123_456_789  # (2026-01-01 00:00:00.123456789 UTC)
    db = _sdk_store(tmp_path / "traces.db", [("r", "t", None, "run", start, start + 9, "OK", None)])
    (path,) = clearstone_sdk.import_files(db, tmp_path / "out")
    stamp = Checkpoint.read(path).timestamp
    assert stamp == dt.datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=dt.timezone.utc)
