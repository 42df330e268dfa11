"""Reading a golden's bytes: whole, in one read where it can, and only from a regular file.

A golden comes from a repository, where its path can be a symlink to a device (``/dev/zero``,
``/dev/urandom``: reading never ends, and fills the memory) or a FIFO (opening it waits for a
writer: the run hangs). Every reader of goldens reads through :func:`read_file`, which refuses
them before the first read; :func:`read_golden` tells what went wrong as a checkpoint error.

A repository can also hold, in a golden's place, what version control left there: a file with
merge-conflict markers, or a Git LFS pointer (a checkout without LFS). Once a golden's text did
not parse, :func:`not_json` names them, with their own fix.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from pathlib import Path

from ..errors import (
    FETCH_FROM_LFS,
    CheckpointCorruptError,
    CheckpointNotFoundError,
    resolve_conflict,
)
from ..file_kinds import file_kind

#: open without waiting for a FIFO's writer (the file is refused right after), in binary mode
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)

#: the UTF-8 byte order mark some editors put in front of a file they save (Notepad, Windows
#: PowerShell 5's ``Set-Content -Encoding utf8``); RFC 8259 lets a JSON parser ignore it
_BOM = b"\xef\xbb\xbf"
#: how a Git LFS pointer file begins (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md)
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
#: a line git writes around the sides of a conflict: ``<<<<<<< ours``, ``||||||| base``
#: (diff3), ``=======``, ``>>>>>>> theirs`` (a line of a golden's JSON never starts so)
_CONFLICT_MARKER = re.compile(rb"^(?:(?:<{7}|\|{7}|>{7})(?: |\r?$)|={7}\r?$)", re.MULTILINE)


class NotARegularFileError(OSError):
    """The path is a device, a FIFO or a socket: it is not read. ``strerror`` says which."""


def read_file(path: Path) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed), without a leading UTF-8
    byte order mark (what follows it is the text; the file is written again without it).

    Raises :class:`IsADirectoryError` for a directory, :class:`NotARegularFileError` for anything
    else that is not a regular file, and the usual :class:`OSError` otherwise.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            kind = file_kind(info.st_mode)
            raise NotARegularFileError(errno.EINVAL, f"a {kind}, not a regular file", str(path))
        size = info.st_size
        data = os.read(fd, size + 1)
        if len(data) != size:  # it grew or shrank meanwhile, or a short read: read to the end
            parts = [data]
            while chunk := os.read(fd, 1 << 20):
                parts.append(chunk)
            data = b"".join(parts)
        return without_bom(data)
    finally:
        os.close(fd)


def without_bom(data: bytes) -> bytes:
    """``data`` without a leading UTF-8 byte order mark: the text that follows it (the
    golden's ``file_bytes`` counts the text, so an edit besides the mark is still seen)."""
    return data[len(_BOM) :] if data.startswith(_BOM) else data


def read_golden(path: Path) -> bytes:
    """:func:`read_file`, with what prevents it told as a checkpoint error naming the file:
    :class:`CheckpointNotFoundError` when there is none, else :class:`CheckpointCorruptError`
    (a directory, a device or a FIFO, a file that cannot be read)."""
    try:
        return read_file(path)
    except FileNotFoundError:
        raise CheckpointNotFoundError([Path(path)]) from None
    except IsADirectoryError:
        raise CheckpointCorruptError(path, "it is a directory") from None
    except OSError as exc:
        raise CheckpointCorruptError(path, f"cannot read it ({exc.strerror})") from None


def version_control_leftover(path: Path, raw: bytes) -> CheckpointCorruptError | None:
    """The error naming what version control left at ``path`` instead of a golden (``raw``: its
    bytes), with its fix: a Git LFS pointer, or unresolved merge-conflict markers (the line of
    the first); ``None`` when ``raw`` is neither. Looked for only in text that did not parse."""
    if raw.startswith(_LFS_POINTER):
        return CheckpointCorruptError(
            path, "it is a Git LFS pointer, not the golden", FETCH_FROM_LFS
        )
    marker = _CONFLICT_MARKER.search(raw)
    if marker is None:
        return None
    line = raw.count(b"\n", 0, marker.start()) + 1
    return CheckpointCorruptError(
        path,
        f"it holds unresolved merge-conflict markers (line {line})",
        resolve_conflict(path),
    )


def not_json(path: Path, raw: bytes, reason: str) -> CheckpointCorruptError:
    """The error for the golden at ``path`` whose text ``raw`` did not parse as JSON
    (``reason``: the parser's words): an integer longer than Python reads from text
    (:func:`too_long_to_read`) and what version control left there
    (:func:`version_control_leftover`) are named, anything else is "truncated or not JSON"."""
    if "integer string conversion" in reason:  # (Python's words for its limit)
        return CheckpointCorruptError(path, too_long_to_read())
    found = version_control_leftover(path, raw)
    return found or CheckpointCorruptError(path, f"truncated or not JSON ({reason})")


def too_long_to_read() -> str:
    """Why a golden that holds an integer longer than Python reads from text
    (``sys.get_int_max_str_digits()``) cannot be read, and the fix."""
    return (
        "it holds an integer longer than Python reads from text "
        f"({sys.get_int_max_str_digits()} digits, sys.get_int_max_str_digits()); "
        "a golden recorded with the limit lifted needs it lifted to replay too: "
        "sys.set_int_max_str_digits(0) in conftest.py"
    )
