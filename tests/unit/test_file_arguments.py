"""Readable file arguments (an upload: ``files.create(file=io.BytesIO(data))``,
``file=open("batch.jsonl", "rb")``) are stored with their content and a portable name, and a
changed content is a difference."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec.compare import same_stored_form
from pytest_clearstone.diff import StateDelta
from pytest_clearstone.golden.secrets import find_leak
from pytest_clearstone.redaction import Redactor

BATCH = b'{"custom_id": "t1", "body": {"messages": [{"content": "Summarise the ticket"}]}}\n'
AUDIO = bytes(range(256)) * 4  # not UTF-8


@pytest.fixture
def batch_file(tmp_path: Path) -> Iterator[io.BufferedReader]:
    path = tmp_path / "uploads" / "batch.jsonl"
    path.parent.mkdir()
    path.write_bytes(BATCH)
    with open(path, "rb") as f:
        yield f


def test_an_in_memory_upload_is_stored_with_its_content_as_text() -> None:
    upload = io.BytesIO(BATCH)
    tree = codec.encode({"file": upload, "purpose": "batch"})
    assert tree["file"] == {"__cs__": "file", "kind": "binary", "content": BATCH.decode()}
    assert upload.tell() == 0  # the call still reads the whole of it
    assert upload.read() == BATCH


def test_an_opened_file_is_stored_by_its_base_name(batch_file: io.BufferedReader) -> None:
    tree = codec.encode(batch_file)
    # the base name: the path of one checkout would differ in another
    assert tree == {
        "__cs__": "file",
        "kind": "binary",
        "name": "batch.jsonl",
        "content": BATCH.decode(),
    }
    assert batch_file.read() == BATCH


def test_the_content_is_read_from_the_current_position_and_the_position_kept(
    batch_file: io.BufferedReader,
) -> None:
    batch_file.seek(2)
    assert codec.encode(batch_file)["content"] == BATCH[2:].decode()
    assert batch_file.tell() == 2


def test_a_text_file_is_stored_as_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("line one\nline two\n")
    with open(path, encoding="utf-8") as f:
        tree = codec.encode(f)
        assert f.read() == "line one\nline two\n"
    assert tree == {
        "__cs__": "file",
        "kind": "text",
        "name": "notes.txt",
        "content": "line one\nline two\n",
    }
    assert codec.encode(io.StringIO("hi"))["kind"] == "text"


def test_binary_content_that_is_not_utf8_is_stored_as_bytes() -> None:
    tree = codec.encode(io.BytesIO(AUDIO))
    assert tree["content"] == codec.encode(AUDIO)  # the bytes tag: base64
    assert codec.decode(tree).read() == AUDIO


@pytest.mark.parametrize(
    ("upload", "cls", "content"),
    [
        (io.BytesIO(BATCH), io.BytesIO, BATCH),
        (io.BytesIO(AUDIO), io.BytesIO, AUDIO),
        (io.StringIO("some text"), io.StringIO, "some text"),
    ],
)
def test_a_stored_file_reads_back_as_an_in_memory_file(
    upload: io.IOBase, cls: type, content: object
) -> None:
    upload.name = "dir/speech.mp3"  # type: ignore[attr-defined]
    back = codec.loads(codec.dumps(codec.encode(upload)))
    assert type(back) is cls
    assert back.name == "speech.mp3"
    assert back.read() == content


def test_an_opened_file_reads_back_with_its_name(batch_file: io.BufferedReader) -> None:
    back = codec.loads(codec.dumps(codec.encode({"file": batch_file})))["file"]
    assert (type(back), back.name, back.read()) == (io.BytesIO, "batch.jsonl", BATCH)


def test_a_stream_that_cannot_be_read_back_is_not_consumed(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"streamed")
    os.close(write_end)
    with open(read_end, "rb") as pipe, pytest.warns(codec.UnencodableValueWarning):
        tree = codec.encode(pipe)
        assert pipe.read() == b"streamed"  # not consumed: stored as before, by its type
    assert tree["__cs__"] == "repr"
    closed = io.BytesIO(BATCH)
    closed.close()
    quiet = codec.Encoder(warn=False)
    assert quiet.encode(closed)["__cs__"] != "file"
    with open(tmp_path / "out.bin", "wb") as written:  # not readable
        assert quiet.encode(written)["__cs__"] != "file"


def test_a_recorded_upload_equals_a_live_one_of_the_same_name_and_content(
    batch_file: io.BufferedReader, tmp_path: Path
) -> None:
    tree = codec.encode({"file": batch_file})
    recorded = codec.decode(tree)
    assert same_stored_form({"file": batch_file}, recorded, tree)
    assert same_stored_form({"file": batch_file}, recorded)
    assert batch_file.tell() == 0

    changed = tmp_path / "batch.jsonl"
    changed.write_bytes(BATCH.replace(b"Summarise", b"Ignore"))
    with open(changed, "rb") as f:
        assert not same_stored_form({"file": f}, recorded, tree)
    renamed = io.BytesIO(BATCH)
    renamed.name = "other.jsonl"
    assert not same_stored_form({"file": renamed}, recorded, tree)
    as_text = io.StringIO(BATCH.decode())
    as_text.name = "batch.jsonl"
    assert not same_stored_form({"file": as_text}, recorded, tree)


def test_a_changed_upload_shows_its_content_in_the_delta(tmp_path: Path) -> None:
    upload = io.BytesIO(BATCH)
    upload.name = "batch.jsonl"
    recorded = codec.decode(codec.encode({"file": upload, "purpose": "batch"}))
    path = tmp_path / "batch.jsonl"
    path.write_bytes(BATCH.replace(b"Summarise", b"Ignore"))
    with open(path, "rb") as f:
        lines = StateDelta(recorded, {"file": f, "purpose": "batch"}, width=400).lines
    assert len(lines) == 1
    assert lines[0].startswith("root['file']['content']: ")
    assert "Summarise the ticket" in lines[0] and "Ignore the ticket" in lines[0]


def test_the_content_of_a_text_upload_is_redacted_and_scanned() -> None:
    key = "sk-" + "a1B2c3D4e5F6g7H8i9J0" * 2
    upload = io.BytesIO(json.dumps({"body": {"api": f"Bearer {key}"}}).encode())
    upload.name = "batch.jsonl"
    redactor = Redactor()
    redacted = redactor({"file": upload}, "input", "app.upload")
    stored = codec.encode(redacted)["file"]
    assert key not in stored["content"] and stored["name"] == "batch.jsonl"
    assert upload.read().decode().count(key) == 1  # the agent's file is left as it was
    assert key in redactor.secret_values()  # what the scan of the golden looks for
    # a replay redacts the live file the same way: the two compare equal
    upload.seek(0)
    assert same_stored_form(redactor.redact({"file": upload}), codec.decode(codec.encode(redacted)))


@pytest.mark.parametrize("binary", [False, True], ids=["text", "base64"])
def test_a_secret_in_an_uploaded_file_is_found_before_the_golden_is_written(binary: bool) -> None:
    secret = "hunter2-db-password-xyz"
    content = (AUDIO if binary else b"") + f"password={secret}\n".encode()
    text = codec.dumps({"input": codec.encode({"file": io.BytesIO(content)})})
    leak = find_leak(text, {secret: "the value of $DB_PASSWORD"})
    assert leak is not None and leak.what == "the value of $DB_PASSWORD"
    assert ("base64" in leak.location) is binary
