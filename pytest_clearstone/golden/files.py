"""Reading a golden's bytes: whole, in one read where it can, and only from a regular file.

A golden comes from a repository, where its path can be a symlink to a device (``/dev/zero``,
``/dev/urandom``: reading never ends, and fills the memory) or a FIFO (opening it waits for a
writer: the run hangs). Every reader of goldens reads through :func:`read_file`, which refuses
them before the first read; :func:`read_golden` tells what went wrong as a checkpoint error.

A repository can also hold, in a golden's place, what version control left there: a file with
merge-conflict markers, or a Git LFS pointer (a checkout without LFS). Once a golden's text did
not parse, :func:`not_json` names them, with their own fix.

A file that ends in NUL bytes was never filled: a sparse file (``truncate -s 2G``), space
preallocated and not written, a copy cut short by a full disk. A large one is refused before it
is read (:class:`ZeroFilledError`: its gigabytes would be read into memory only to fail to
parse); a small one is named so once its text did not parse.
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
    MOVE_AWAY,
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
#: a file larger than this is looked at its end before it is read (:class:`ZeroFilledError`)
_LARGE = 1 << 20
#: what ends a file that was never filled, said by every reader of goldens
ZERO_FILLED = (
    "it ends in NUL bytes, not in JSON: a file never filled (sparse or preallocated, or a "
    "write cut short by a crash or a full disk)"
)
#: how a Git LFS pointer file begins (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md)
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
#: a line git writes around the sides of a conflict: ``<<<<<<< ours``, ``||||||| base``
#: (diff3), ``=======``, ``>>>>>>> theirs`` (a line of a golden's JSON never starts so)
_CONFLICT_MARKER = re.compile(rb"^(?:(?:<{7}|\|{7}|>{7})(?: |\r?$)|={7}\r?$)", re.MULTILINE)


class NotARegularFileError(OSError):
    """The path is a device, a FIFO or a socket: it is not read. ``strerror`` says which."""


class ZeroFilledError(OSError):
    """The file is large and ends in NUL bytes (:data:`ZERO_FILLED`, its ``strerror``): it is
    not read."""


def _zero_filled(tail: bytes) -> bool:
    """Whether the last bytes of a file, ``tail``, end in a NUL byte (trailing whitespace
    aside): JSON text never holds one."""
    return tail.rstrip(b" \t\r\n").endswith(b"\0")


def open_regular(path: str | os.PathLike[str]) -> tuple[int, int]:
    """A descriptor open for reading on the regular file at ``path`` (symlinks followed),
    opened without waiting for a FIFO's writer, and the file's size; the caller closes it.

    Raises :class:`IsADirectoryError` for a directory, :class:`NotARegularFileError` for anything
    else that is not a regular file (nothing is read from it), and the usual :class:`OSError`.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            kind = file_kind(info.st_mode)
            raise NotARegularFileError(errno.EINVAL, f"a {kind}, not a regular file", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def read_file(path: Path) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed), without a leading UTF-8
    byte order mark (what follows it is the text; the file is written again without it).

    Raises :class:`IsADirectoryError` for a directory, :class:`NotARegularFileError` for anything
    else that is not a regular file, :class:`ZeroFilledError` for a large file that ends in NUL
    bytes, and the usual :class:`OSError` otherwise.
    """
    fd, size = open_regular(path)
    try:
        if size > _LARGE:
            os.lseek(fd, size - 64, os.SEEK_SET)
            if _zero_filled(os.read(fd, 64)):
                raise ZeroFilledError(errno.EINVAL, ZERO_FILLED, str(path))
            os.lseek(fd, 0, os.SEEK_SET)
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
    (a directory, a device or a FIFO, a file that cannot be read). A directory in the golden's
    place, or a file in a folder's, is to be moved away: a recording cannot replace it."""
    try:
        return read_file(path)
    except FileNotFoundError:
        raise CheckpointNotFoundError([Path(path)]) from None
    except IsADirectoryError:
        if holds_goldens(path):  # (a marker given the goldens' folder: moving it loses them)
            problem = f"it is a directory of goldens (a golden is a file): {name_a_file_in(path)}"
            raise CheckpointCorruptError(path, problem, "") from None
        problem = "it is a directory (a golden is a file)"
        raise CheckpointCorruptError(path, problem, MOVE_AWAY) from None
    except NotADirectoryError as exc:
        blocking = _file_in_the_way(Path(path))
        if blocking is None:
            raise unreadable(path, exc) from None
        raise CheckpointCorruptError(
            path, f"{blocking} is a file, not a directory", MOVE_AWAY
        ) from None
    except OSError as exc:
        raise unreadable(path, exc) from None


def name_a_file_in(directory: Path) -> str:
    """The fix for a golden path that is a directory of goldens."""
    return f"name the golden's file in it ({os.path.join(directory, 'NAME.ckpt')})"


def holds_goldens(directory: Path) -> bool:
    """Whether the directory ``directory`` holds a ``.ckpt`` file, or a folder that does (one
    level down: ``goldens/<module stem>/``)."""
    try:
        with os.scandir(directory) as entries:
            found = list(entries)
    except OSError:
        return False
    if any(e.name.endswith(".ckpt") for e in found):
        return True
    for entry in found:
        try:
            if entry.is_dir() and any(n.endswith(".ckpt") for n in os.listdir(entry.path)):
                return True
        except OSError:
            continue
    return False


def _file_in_the_way(path: Path) -> Path | None:
    """The first folder of ``path`` that is a file (``None``: none is)."""
    return next((p for p in reversed(path.parents) if p.is_file()), None)


def unreadable(path: Path, exc: OSError) -> CheckpointCorruptError:
    """The error for the golden at ``path`` that :func:`read_file` refused with ``exc``."""
    if isinstance(exc, ZeroFilledError):
        return CheckpointCorruptError(path, ZERO_FILLED)
    return CheckpointCorruptError(path, f"cannot read it ({exc.strerror})")


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


def first_side(raw: bytes) -> bytes | None:
    """The text ``raw`` with every merge conflict in it resolved to its first side (the branch
    merged into: ``ours``), or ``None`` when it holds no conflict marker. Git writes a conflict
    as ``<<<<<<<``, the first side, (``|||||||``, the base, with diff3), ``=======``, the
    second side, ``>>>>>>>``; the lines outside conflicts are the same on both sides."""
    if _CONFLICT_MARKER.search(raw) is None:
        return None
    kept: list[bytes] = []
    keeping = True
    for line in raw.splitlines(keepends=True):
        if _CONFLICT_MARKER.match(line) is None:
            if keeping:
                kept.append(line)
        else:  # the first side is kept; the base and the second side are not
            keeping = line.startswith((b"<", b">"))
    return b"".join(kept)


def not_json(path: Path, raw: bytes, reason: str) -> CheckpointCorruptError:
    """The error for the golden at ``path`` whose text ``raw`` did not parse as JSON
    (``reason``: the parser's words): an integer longer than Python reads from text
    (:func:`too_long_to_read`), what version control left there
    (:func:`version_control_leftover`) and a file that ends in NUL bytes are named, anything
    else is "truncated or not JSON"."""
    if "integer string conversion" in reason:  # (Python's words for its limit)
        return CheckpointCorruptError(path, too_long_to_read(), fix="")  # (a sound file)
    found = version_control_leftover(path, raw)
    if found is None and _zero_filled(raw[-64:]):
        found = CheckpointCorruptError(path, ZERO_FILLED)
    return found or CheckpointCorruptError(path, f"truncated or not JSON ({reason})")


def too_deep_to_read() -> str:
    """Why a golden whose values nest deeper than the readers go (a ``RecursionError`` while
    reading it) cannot be read."""
    from ..codec.nesting import MAX_DEPTH  # (the codec: not imported by a plugin left unused)

    return (
        f"it is nested more than {MAX_DEPTH} levels deep (the most pytest-clearstone records "
        f"and replays)"
    )


def too_long_to_read() -> str:
    """Why a golden that holds an integer longer than Python reads from text
    (``sys.get_int_max_str_digits()``) cannot be read, and the fix."""
    # (the file is sound: whatever wrote it could turn the integer into text, so its limit
    # was higher than this process's — Python's default where this one is lowered, say with
    # `-X int_max_str_digits` — or lifted)
    return (
        "it holds an integer longer than Python reads from text here "
        f"({sys.get_int_max_str_digits()} digits, sys.get_int_max_str_digits()): the process "
        "that recorded it had a higher limit (Python's default: "
        f"{sys.int_info.default_max_str_digits}) or none; give this one as high a limit, or "
        "none: sys.set_int_max_str_digits(0) in conftest.py"
    )
