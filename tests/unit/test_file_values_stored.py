"""File objects as a golden stores them: spooled temporary files (binary or text) with their
content, a file that cannot be read without being consumed (write-only, a pipe) left as it is,
its base name whatever the separator or type of its ``name``; what an SDK upload sends for a
path (the file it names, by its base name, also in a tuple and a list), and a stored upload
without its content."""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from pathlib import Path

import pytest

from pytest_clearstone.codec import TAG, decode, encode
from pytest_clearstone.codec.files import as_uploaded, without_contents
from pytest_clearstone.errors import DecodeError


@pytest.mark.parametrize(("mode", "kind"), [("w+b", "binary"), ("w+", "text")])
def test_a_spooled_temporary_file_is_stored_with_its_content(mode: str, kind: str) -> None:
    with tempfile.SpooledTemporaryFile(mode=mode) as f:
        f.write(b"notes" if "b" in mode else "notes")
        f.seek(0)
        tree = encode(f, allow_pickle=False)
    assert tree[TAG] == "file" and tree["kind"] == kind and tree["content"] == "notes"


@pytest.mark.parametrize("mode", ["r+b", "rb", "r+"])
def test_a_file_opened_for_reading_and_writing_is_stored_with_its_content(
    tmp_path: Path, mode: str
) -> None:
    (tmp_path / "batch.jsonl").write_bytes(b"{}\n")
    with open(tmp_path / "batch.jsonl", mode) as f:
        tree = encode(f, allow_pickle=False)
    assert tree[TAG] == "file" and tree["content"] == "{}\n" and tree["name"] == "batch.jsonl"


def test_a_write_only_file_or_a_pipe_is_not_read(tmp_path: Path) -> None:
    warnings.simplefilter("ignore")  # (stored as any other value: a warning says how)
    with open(tmp_path / "out.txt", "wb") as written:
        assert encode(written, allow_pickle=True)[TAG] != "file"
    read_end, write_end = os.pipe()
    os.write(write_end, b"stream")
    os.close(write_end)
    with open(read_end, "rb") as pipe:
        assert encode(pipe, allow_pickle=True)[TAG] != "file"
        assert pipe.read() == b"stream"  # (still there for the agent)


def test_a_text_file_whose_bytes_do_not_decode_is_not_read(tmp_path: Path) -> None:
    warnings.simplefilter("ignore")  # (stored as any other value: a warning says how)
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 au lait")
    with open(tmp_path / "latin1.txt", encoding="utf-8") as f:
        assert encode(f, allow_pickle=True)[TAG] != "file"
        assert f.tell() == 0  # (its position kept for the agent)


def test_a_file_is_named_by_its_base_name(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_bytes(b"x")
    with open(os.fsencode(tmp_path / "report.txt"), "rb") as f:  # (its name is bytes)
        assert encode(f, allow_pickle=False)["name"] == "report.txt"
    windows = io.BytesIO(b"x")
    windows.name = "C:\\docs\\report.pdf"  # type: ignore[misc]
    assert encode(windows, allow_pickle=False)["name"] == "report.pdf"


@pytest.mark.parametrize("name", ["", "uploads/", "C:\\"])
def test_a_file_whose_name_has_no_base_name_is_stored_without_one(name: str) -> None:
    f = io.BytesIO(b"x")
    f.name = name  # type: ignore[attr-defined]
    tree = encode(f, allow_pickle=False)
    assert tree[TAG] == "file" and "name" not in tree
    assert not hasattr(decode(tree), "name")


def test_a_stored_files_name_must_be_text() -> None:
    with pytest.raises(DecodeError, match="its name 3 is not a string"):
        decode({TAG: "file", "kind": "binary", "name": 3, "content": "x"})


@pytest.mark.parametrize(
    ("content", "type_name"), [({TAG: "bytes", "v": "eA=="}, "bytes"), (None, "NoneType")]
)
def test_a_stored_text_file_must_hold_text(content: object, type_name: str) -> None:
    # (a golden edited by hand: one message naming the value, not a TypeError of StringIO, nor
    # an empty file for a missing content)
    tree = {TAG: "file", "kind": "text", "content": content}
    if content is None:
        del tree["content"]
    with pytest.raises(DecodeError, match=f"kind 'text' with content of type {type_name}"):
        decode(tree)


def test_a_stored_upload_without_its_content_keeps_the_rest() -> None:
    stored = {TAG: "file", "kind": "binary", "name": "a.txt", "content": "x"}
    value = [{"file": stored}, ("n", stored)]
    assert without_contents(value) == [
        {"file": {TAG: "file", "kind": "binary", "name": "a.txt"}},
        ("n", stored),  # (a tuple is stored as a tagged tree, not as a Python tuple)
    ]


def test_an_upload_of_a_path_sends_the_file_it_names(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(b"quarterly")
    sent = as_uploaded(path)
    assert isinstance(sent, io.BytesIO) and sent.getvalue() == b"quarterly"
    assert sent.name == "report.txt"
    name, file = as_uploaded(("renamed.txt", path))
    assert name == "renamed.txt" and file.getvalue() == b"quarterly"
    assert [f.getvalue() for f in as_uploaded([path, path])] == [b"quarterly"] * 2
    missing = tmp_path / "missing.txt"
    assert as_uploaded(missing) is missing  # (the SDK says it is missing)
