"""Atomic file replacement: readers see the old file or the new one, never a torn one."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

#: A temporary file of the same target older than this was left by a writer that was killed
#: (a live writer's file is seconds old): it is removed after the next successful write.
STALE_AFTER_S = 600.0


def atomic_write_text(
    path: Path, text: str, *, through: Callable[[Path], bool] | None = None
) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory.

    The temporary file is flushed and fsynced, then renamed over ``path`` (atomic on POSIX and
    Windows), then the directory is fsynced so the rename itself survives a crash. A failure at
    any point leaves the previous file untouched and no temporary file behind; temporary files
    of killed writers (``.NAME.*.tmp``, older than :data:`STALE_AFTER_S`) are cleaned up after
    the next successful write.

    A ``path`` that is a symlink to a regular file (or to a new one in a directory that exists)
    is written through, as ``open(path, "w")`` writes: the file it points to is replaced (its
    temporary file beside it) and the link stays a link (a golden committed as a link to a file
    shared by two suites updates the shared file), when ``through`` (given the file) says so,
    or is not given. A link to anything else — a device, a FIFO, a directory, a place in a
    directory that does not exist, a file ``through`` refuses, a loop of links — is replaced
    itself, by a file with a new file's mode: a link a repository holds never makes a write
    replace what it points to (nor take its mode and owner), nor create directories.
    """
    path = _written_path(path, through)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        with contextlib.suppress(FileNotFoundError):  # a file rewritten keeps its mode, owner
            previous = path.lstat()  # (a link replaced itself: not what it points to, if any)
            if not stat.S_ISLNK(previous.st_mode):
                _keep_mode_and_owner(tmp, previous)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    _remove_stale(path)


def _written_path(path: Path, through: Callable[[Path], bool] | None) -> Path:
    """The absolute path a write of ``path`` replaces (see :func:`atomic_write_text`)."""
    given = Path(os.path.abspath(path))
    real = Path(os.path.realpath(path))
    if not given.is_symlink():
        return real
    try:
        kept = stat.S_ISREG(real.stat().st_mode) and (through is None or through(real))
    except FileNotFoundError:  # a dangling link: its file is made where a directory awaits it
        kept = real.parent.is_dir()
    except OSError:  # (a loop of links, a directory it may not look into)
        kept = False
    return real if kept else given


def _keep_mode_and_owner(tmp: str, previous: os.stat_result) -> None:
    """Give the temporary file ``tmp`` the mode, owner and group of the file it replaces, as
    ``open(path, "w")`` keeps them: a golden of a user's checkout that root re-records (a
    container given the checkout) stays the user's. Where the owner cannot be kept (only root
    may give a file away), the group is, if the writer may; else the writer's stay."""
    os.chmod(tmp, stat.S_IMODE(previous.st_mode))
    chown = getattr(os, "chown", None)  # (POSIX)
    if chown is None:
        return
    current = os.stat(tmp)
    uid = previous.st_uid if previous.st_uid != current.st_uid else -1
    gid = previous.st_gid if previous.st_gid != current.st_gid else -1
    for owner in ((uid, gid), (-1, gid)):
        if owner == (-1, -1):
            return
        try:
            chown(tmp, *owner)
            return
        except OSError:  # not permitted: try the group alone, then leave the writer's
            continue


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path``, created with the mode the umask gives a new file
    (``tempfile.mkstemp`` makes every file 0600: a golden then was not readable by the group)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits taken already
            continue


def _remove_stale(path: Path) -> None:
    """Remove the temporary files of ``path`` older than :data:`STALE_AFTER_S`: those named as
    :func:`_create_temporary` names them, compared as text (a golden's name is no pattern: the
    ``[c0]`` of a parametrized test's would be a set of characters to a glob)."""
    cutoff = time.time() - STALE_AFTER_S
    prefix = f".{path.name}."
    try:
        with os.scandir(path.parent) as scan:
            entries = list(scan)
    except OSError:  # pragma: no cover - the directory went away meanwhile
        return
    for entry in entries:
        name = entry.name
        token = name[len(prefix) : -len(".tmp")]
        if not (name.startswith(prefix) and name.endswith(".tmp") and _is_token(token)):
            continue
        with contextlib.suppress(OSError):  # gone already, or not ours to remove
            if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)


def _is_token(text: str) -> bool:
    """Whether ``text`` can be the random part of a temporary file's name: hex digits (no dot:
    ``.a.ckpt.b.ckpt.1f.tmp`` is a temporary file of ``a.ckpt.b.ckpt``, not of ``a.ckpt``)."""
    return bool(text) and all(c in "0123456789abcdef" for c in text)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)
