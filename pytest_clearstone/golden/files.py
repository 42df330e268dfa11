"""Reading a golden's bytes: whole, in one read where it can, and only from a regular file.

A golden comes from a repository, where its path can be a symlink to a device (``/dev/zero``,
``/dev/urandom``: reading never ends, and fills the memory) or a FIFO (opening it waits for a
writer: the run hangs). Every reader of goldens reads through :func:`read_file`, which refuses
them before the first read; :func:`read_golden` tells what went wrong as a checkpoint error.

A repository can also hold, in a golden's place, what version control left there: a file with
merge-conflict markers, a Git LFS pointer (a checkout without LFS), or a symbolic link checked
out as a plain file holding its target (``core.symlinks`` false, Git for Windows' default). Once
a golden's text did not parse, :func:`not_json` names them, with their own fix.

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
    ClearstoneError,
    check_out_link,
    resolve_conflict,
)
from ..file_kinds import file_kind
from .paths import SHORTER_PATH, too_long

#: open without waiting for a FIFO's writer (the file is refused right after), in binary mode
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)

#: the UTF-8 byte order mark some editors put in front of a file they save (Notepad, Windows
#: PowerShell 5's ``Set-Content -Encoding utf8``); RFC 8259 lets a JSON parser ignore it
_BOM = b"\xef\xbb\xbf"
#: the byte order marks of UTF-16, little and big endian, in front of the text Windows
#: PowerShell 5 writes (``git show HEAD:x.ckpt > x.ckpt``, ``Out-File``) and Notepad's "Unicode"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: a file larger than this is looked at its end before it is read (:class:`ZeroFilledError`)
_LARGE = 1 << 20
#: what ends a file that was never filled, said by every reader of goldens
ZERO_FILLED = (
    "it ends in NUL bytes, not in JSON: a file never filled (sparse or preallocated, or a "
    "write cut short by a crash or a full disk)"
)
#: how a Git LFS pointer file begins (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md)
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
#: the integer's digits in Python's words for its limit ("... value has 5000 digits; ...")
_INTEGER_DIGITS = re.compile(r"value has (\d+) digits")
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
    byte order mark (what follows it is the text; the file is written again without it), as
    UTF-8 where a UTF-16 one begins it (:func:`without_bom`).

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
    golden's ``file_bytes`` counts the text, so an edit besides the mark is still seen); text
    that a UTF-16 byte order mark begins, as UTF-8 (its length is another: read as edited)."""
    if data.startswith(_BOM):
        return data[len(_BOM) :]
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16").encode("utf-8", "surrogatepass")
        except UnicodeDecodeError:  # (bytes that only begin like it: not text, said so)
            return data
    return data


def read_golden(path: Path) -> bytes:
    """:func:`read_file`, with what prevents it told as a checkpoint error naming the file:
    :class:`CheckpointNotFoundError` when there is none, else :class:`CheckpointCorruptError`
    (a directory, a device or a FIFO, a file that cannot be read). A directory in the golden's
    place, or a file in a folder's, is to be moved away: a recording cannot replace it."""
    try:
        return read_file(path)
    except FileNotFoundError:
        # (a folder missing is told before a name too long: no recording can make the file)
        problem = too_long(os.path.abspath(path))
        if problem:
            raise CheckpointCorruptError(path, problem, SHORTER_PATH) from None
        raise CheckpointNotFoundError([Path(path)]) from None
    except IsADirectoryError:
        raise CheckpointCorruptError(path, *directory_in_the_way(path)) from None
    except NotADirectoryError as exc:
        blocking = _file_in_the_way(Path(path))
        if blocking is None:
            raise unreadable(path, exc) from None
        raise folder_in_the_way(path, blocking) from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            problem = too_long(os.path.abspath(path))
            if problem:
                raise CheckpointCorruptError(path, problem, SHORTER_PATH) from None
        raise unreadable(path, exc) from None


def directory_in_the_way(path: Path) -> tuple[str, str]:
    """What the directory at the golden's ``path`` is, and the fix: to be moved away, unless it
    holds goldens (a marker given the goldens' folder: moving it loses them)."""
    if holds_goldens(path):
        return f"it is a directory of goldens (a golden is a file): {name_a_file_in(path)}", ""
    return "it is a directory (a golden is a file)", MOVE_AWAY


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
    # (os.path: False for a path too long to be one, which pathlib's raises for)
    return next((p for p in reversed(path.parents) if os.path.isfile(p)), None)


def folder_in_the_way(path: Path, blocking: Path) -> CheckpointCorruptError:
    """The error for the golden at ``path`` one of whose folders, ``blocking``, is a file."""
    try:
        target = checked_out_link(blocking, read_file(blocking)[: LINK_MAX + 1])
    except OSError:
        target = None
    if target is not None:
        problem = f"{blocking} holds only the path {target!r}: {_LINK_AS_FILE}"
        return CheckpointCorruptError(path, problem, check_out_link(blocking))
    return CheckpointCorruptError(path, f"{blocking} is a file, not a directory", MOVE_AWAY)


def refuse_link_as_file(path: Path, raw: bytes | None) -> None:
    """Raise the error of :func:`read_golden` when the golden at ``path`` (``raw``: its bytes,
    ``None`` when it cannot be read), or one of its folders, is a symbolic link checked out as
    a plain file: a recording must not write over it (git would store the golden's text as the
    link's target); and a :class:`ClearstoneError` when it is a directory or one of its folders
    is a file (no golden can be written there), or a folder of it to make is a link to nothing
    (:func:`link_to_nothing`). Only before a recording, before the test's live calls."""
    if raw is not None:
        target = checked_out_link(path, raw)
        if target is not None:
            raise CheckpointCorruptError(path, _holds_link(target), check_out_link(path))
    elif os.path.isdir(path) and not os.path.islink(path):  # (a link the write replaces)
        problem, fix = directory_in_the_way(path)
        fix = _RECORD_AGAIN if fix == MOVE_AWAY else ""
        raise ClearstoneError(f"the golden {path} cannot be written: {problem}{fix}")
    elif not os.path.lexists(path):
        if not os.path.isdir(path.parent):
            dangling = link_to_nothing(path)
            if dangling is not None:
                raise ClearstoneError(f"the golden {path} cannot be written: {dangling}")
        blocking = _file_in_the_way(path)
        if blocking is not None:  # (the golden cannot be written: the test's calls not made)
            error = folder_in_the_way(path, blocking)
            if error.fix != MOVE_AWAY:  # (a link checked out as a file: restore it)
                raise error
            raise ClearstoneError(
                f"the golden {path} cannot be written: {blocking} is a file, not a directory"
                f"{_RECORD_AGAIN}"
            )


#: the fix of what stands where a recording writes a golden, told before the test runs
_RECORD_AGAIN = ". Move it away and record again"


def link_to_nothing(path: Path) -> str | None:
    """Why the golden at ``path`` cannot be there: a folder of it is a symbolic link to a
    place that does not exist (a folder of goldens linked to another checkout, missing), with
    the fix; ``None`` when none is. Only for a golden found missing, or a folder to make: a
    recording makes no folder through such a link, outside the checkout."""
    for folder in reversed(path.parents):
        if os.path.islink(folder) and not os.path.exists(folder):
            return (
                f"{folder} is a link to {os.readlink(folder)!r}, which does not exist. Create "
                f"that directory (check out what it links to), or give the marker another path"
            )
    return None


#: what a file holding only a link's target is
_LINK_AS_FILE = "a symbolic link that git checked out as a plain file (core.symlinks false)"
#: the longest target :func:`checked_out_link` takes for one (the longest path, on Linux)
LINK_MAX = 4096


def through_link_as_file(path: str) -> str | None:
    """The path that ``path`` would reach in a checkout with links, when the golden at ``path``
    or one of its folders is a symbolic link checked out as a plain file (:func:`checked_out_link`;
    ``None``: neither is): the file a golden two suites share, which is in use."""
    here = Path(path)
    for link in (here, *here.parents):
        try:
            fd, size = open_regular(link)
        except IsADirectoryError:  # (the folders above it are folders too)
            return None
        except OSError:
            continue
        with open(fd, "rb") as handle:
            raw = handle.read(LINK_MAX + 1) if size <= LINK_MAX else b""
        target = checked_out_link(link, raw)
        if target is None:
            return None
        return os.path.normpath(os.path.join(link.parent, target, here.relative_to(link)))
    return None


def _holds_link(target: str) -> str:
    return f"it holds only the path {target!r}: {_LINK_AS_FILE}"


def checked_out_link(path: Path, raw: bytes) -> str | None:
    """The target of the symbolic link whose plain file stands at ``path`` (``raw``: its
    bytes), or ``None`` when it is no such file. Where git makes no links (``core.symlinks``
    false, as Git for Windows sets it without Developer Mode), it writes each as a file holding
    the link's target, one line without a newline; taken for one when what it names exists
    beside it, or is a golden."""
    if not raw or len(raw) > LINK_MAX or b"\n" in raw or b"\0" in raw or raw[:1] in b"{[ \t":
        return None
    if os.path.islink(path):  # (a link made: what it reaches is no link's text)
        return None
    try:
        target = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if target.endswith(".ckpt") or os.path.exists(os.path.join(os.path.dirname(path), target)):
        return target
    return None


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
        return CheckpointCorruptError(path, too_long_to_read(reason), fix="")  # (a sound file)
    found = version_control_leftover(path, raw)
    target = None if found is not None else checked_out_link(path, raw)
    if target is not None:
        found = CheckpointCorruptError(path, _holds_link(target), check_out_link(path))
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


def too_long_to_read(reason: str) -> str:
    """Why a golden that holds an integer longer than Python reads from text
    (``sys.get_int_max_str_digits()``) cannot be read, and the fix (``reason``: the parser's
    words, which give the integer's digits)."""
    # (the file is sound: whatever wrote it could turn the integer into text, so its limit
    # was higher than this process's — Python's default where this one is lowered, say with
    # `-X int_max_str_digits` — or lifted. Lifting it here is safe for goldens of one's own
    # only: Python's limit is what keeps a hostile file's huge integers from taking minutes
    # to read.)
    found = _INTEGER_DIGITS.search(reason)
    digits = found.group(1) if found is not None else None
    return (
        "it holds an integer longer than Python reads from text here "
        f"({sys.get_int_max_str_digits()} digits, sys.get_int_max_str_digits())"
        f"{f', of {digits} digits' if digits else ''}: the process that recorded it had a "
        f"higher limit (Python's default: {sys.int_info.default_max_str_digits}) or none; if "
        "the golden is yours, give this one as high a limit: "
        f"sys.set_int_max_str_digits({digits or 'its digits'}) in conftest.py (not 0, no "
        "limit, for a golden from others: a hostile file's huge integers can take minutes to "
        "read)"
    )
