"""Readable file objects, stored with their content: an upload
(``client.files.create(file=io.BytesIO(data))``, ``file=open("batch.jsonl", "rb")``) is the
request, so a changed upload must be a changed argument.

A file of :data:`FILE_TYPES` that is open, readable and seekable is stored as::

    {"__cs__": "file", "kind": "binary", "name": "batch.jsonl", "content": "<text>"}

``kind`` is ``"binary"`` or ``"text"``; ``name`` the base name of the file's ``name`` (the path
of one checkout would differ in another), absent when it has none (a ``BytesIO``); ``content``
what is left to read from its current position — read, then the position restored, so the call
still reads all of it — as text when it is UTF-8 and else as a ``bytes`` value. It reads back as
an ``io.BytesIO`` or ``io.StringIO`` holding that content, its ``name`` set. Two files are equal
when their stored forms are: kind, name and content.

A file that cannot be read without being consumed (a pipe, a socket: not seekable), a closed or
a write-only one, is not one of these: it is stored as any other value (a placeholder naming its
type).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from typing import Any

from ..errors import DecodeError
from .naming import TAG

#: the classes of the file objects stored with their content (exactly these: a subclass may read
#: otherwise); a ``SpooledTemporaryFile`` is what FastAPI's and Starlette's ``UploadFile.file``
#: is, the upload an agent behind an endpoint passes on
FILE_TYPES: frozenset[type] = frozenset(
    {
        io.BytesIO,
        io.StringIO,
        io.BufferedReader,
        io.BufferedRandom,
        io.FileIO,
        io.TextIOWrapper,
        tempfile.SpooledTemporaryFile,
    }
)

_TEXT_TYPES = (io.StringIO, io.TextIOWrapper)
#: the tag of a stored file
FILE_TAG = "file"


def is_file(t: type) -> bool:
    """Whether values of type ``t`` are file objects the codec stores with their content (when
    they can be read back)."""
    return t in FILE_TYPES


def stored_content(f: Any) -> str | bytes | None:
    """What is left to read in file ``f`` as it is stored, its position kept: text (of a text
    file, or of a binary one that is UTF-8) or bytes; ``None`` when it cannot be read without
    being consumed (closed, write-only, not seekable, or failing to read)."""
    try:
        # (a SpooledTemporaryFile before Python 3.11 has neither method: it reads and seeks)
        readable, seekable = getattr(f, "readable", None), getattr(f, "seekable", None)
        if f.closed or (readable is not None and not readable()):
            return None
        if seekable is not None and not seekable():
            return None
        at = f.tell()
        try:
            content: str | bytes = f.read()
        finally:
            f.seek(at)
    except (OSError, ValueError):  # (a text file whose bytes do not decode: ValueError)
        return None
    if isinstance(content, bytes):
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            return content
    return content


def file_name(f: Any) -> str | None:
    """The base name of file ``f``'s ``name``, or ``None`` (none, or a file descriptor)."""
    name = getattr(f, "name", None)
    return _base_name(name) if isinstance(name, (str, bytes)) else None


def _base_name(path: str | bytes) -> str | None:
    """The last part of ``path`` (``None``: none), after either separator: the name a Windows
    recording wrote reads the same on POSIX."""
    return os.fsdecode(path).replace("\\", "/").rpartition("/")[2] or None


def encode_file(f: Any, enc_at: Callable[[str, Any], Any]) -> dict[str, Any] | None:
    """The tagged tree of file ``f`` (``enc_at`` encodes its content when it is bytes), or
    ``None`` when it cannot be read back (it is stored as any other value then)."""
    content = stored_content(f)
    if content is None:
        return None
    tree: dict[str, Any] = {TAG: FILE_TAG, "kind": _kind(f)}
    name = file_name(f)
    if name is not None:
        tree["name"] = name
    tree["content"] = enc_at(".content", content) if isinstance(content, bytes) else content
    return tree


def without_contents(tree: Any) -> Any:
    """The encoded value ``tree`` with the content of each stored file in it left out: what a
    call that reads the files it is given (an SDK sending a list of uploads) leaves as it was,
    though the files' positions moved to their end."""
    if type(tree) is list:
        return [without_contents(item) for item in tree]
    if type(tree) is not dict:
        return tree
    if tree.get(TAG) == FILE_TAG:
        return {k: v for k, v in tree.items() if k != "content"}
    return {k: without_contents(v) for k, v in tree.items()}


def _kind(f: Any) -> str:
    if isinstance(f, tempfile.SpooledTemporaryFile):
        return "binary" if "b" in f.mode else "text"
    return "text" if isinstance(f, _TEXT_TYPES) else "binary"


def with_content(f: Any, content: str | bytes) -> io.BytesIO | io.StringIO:
    """An in-memory file of ``f``'s kind and name holding ``content`` (a binary file's text as
    UTF-8): what file ``f`` is stored as, its content replaced (redacted)."""
    return _in_memory(_kind(f), content, file_name(f))


def decode_file(tree: dict[str, Any]) -> io.BytesIO | io.StringIO:
    """An in-memory file holding a stored file's content (its nested values decoded)."""
    name = tree.get("name")
    if name is not None and type(name) is not str:
        raise DecodeError(f"bad 'file' value: its name {name!r} is not a string")
    return _in_memory(tree.get("kind"), tree.get("content"), name)


def as_uploaded(value: Any) -> Any:
    """What an SDK's upload parameter (openai's and anthropic's ``FileTypes``: ``file=``,
    ``image=``) sends for ``value``: a path (``os.PathLike``) as the file it names, read into an
    in-memory file of its base name — the SDK reads the path and sends the content, so the
    content is the request — also as the file of a ``(name, path, ...)`` tuple and in a list of
    uploads; any other value as it is. A path that cannot be read is kept (stored as a path)."""
    if isinstance(value, os.PathLike):
        try:
            with open(value, "rb") as f:
                content = f.read()
        except OSError:
            return value
        return _in_memory("binary", content, _base_name(os.fspath(value)))
    if type(value) is tuple and len(value) >= 2 and isinstance(value[1], os.PathLike):
        return (value[0], as_uploaded(value[1]), *value[2:])
    if type(value) is list:
        return [as_uploaded(item) for item in value]
    return value


def _in_memory(kind: Any, content: Any, name: str | None) -> io.BytesIO | io.StringIO:
    f: io.BytesIO | io.StringIO
    if kind == "binary" and type(content) in (str, bytes):
        f = io.BytesIO(content.encode("utf-8") if type(content) is str else content)
    elif kind == "text" and type(content) is str:
        f = io.StringIO(content)
    else:
        raise DecodeError(
            f"bad 'file' value: kind {kind!r} with content of type {type(content).__name__}"
        )
    if name is not None:
        f.name = name
    return f
