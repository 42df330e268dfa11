"""Reading a golden's bytes: whole, in one read where it can, and only from a regular file.

A golden comes from a repository, where its path can be a symlink to a device (``/dev/zero``,
``/dev/urandom``: reading never ends, and fills the memory) or a FIFO (opening it waits for a
writer: the run hangs). Every reader of goldens reads through :func:`read_file`, which refuses
them before the first read; :func:`read_golden` tells what went wrong as a checkpoint error.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import CheckpointCorruptError, CheckpointNotFoundError

#: open without waiting for a FIFO's writer (the file is refused right after), in binary mode
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class NotARegularFileError(OSError):
    """The path is a device, a FIFO or a socket: it is not read. ``strerror`` says which."""


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def read_file(path: Path) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed).

    Raises :class:`IsADirectoryError` for a directory, :class:`NotARegularFileError` for anything
    else that is not a regular file, and the usual :class:`OSError` otherwise.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            kind = _kind(info.st_mode)
            raise NotARegularFileError(errno.EINVAL, f"a {kind}, not a regular file", str(path))
        size = info.st_size
        data = os.read(fd, size + 1)
        if len(data) != size:  # it grew or shrank meanwhile, or a short read: read to the end
            parts = [data]
            while chunk := os.read(fd, 1 << 20):
                parts.append(chunk)
            data = b"".join(parts)
        return data
    finally:
        os.close(fd)


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
