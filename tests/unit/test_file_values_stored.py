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


def test_a_file_is_named_by_its_base_name(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_bytes(b"x")
    with open(os.fsencode(tmp_path / "report.txt"), "rb") as f:  # (its name is bytes)
        assert encode(f, allow_pickle=False)["name"] == "report.txt"
    windows = io.BytesIO(b"x")
    windows.name = "C:\\docs\\report.pdf"  # type: ignore[misc]
    assert encode(windows, allow_pickle=False)["name"] == "report.pdf"


def test_a_stored_files_name_must_be_text() -> None:
    with pytest.raises(DecodeError, match="its name 3 is not a string"):
        decode({TAG: "file", "kind": "binary", "name": 3, "content": "x"})


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
