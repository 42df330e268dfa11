"""Goldens no collected test uses: found under the collected tests' directories, and pruned.

Only files the plugin wrote (``"recorded_by": "pytest-clearstone"`` in their metadata) count:
checkpoints an application saved next to its tests are not goldens. The report is only true
for a whole suite: a run that selected a subset of the tests (file or directory arguments,
node ids, ``-k``, ``-m``, ``--lf``, deselection) or failed to collect some cannot tell, so it
is left out there, and pruning is refused.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path

from .paths import as_listed, other_case

#: directories never searched for goldens (nor are hidden ones)
NOT_SEARCHED = frozenset({"__pycache__", "node_modules", "site-packages"})
_MARK = '"recorded_by": "pytest-clearstone"'


def _written_by_the_plugin(path: str) -> bool:
    """Whether the file at ``path`` is a golden the plugin wrote: never one that is not a
    regular file (a FIFO, which opening would wait on; a device), which is not read."""
    from .files import open_regular  # (when a file is found: it imports the errors module)

    try:
        fd, _size = open_regular(path)
        with open(fd, encoding="utf-8", errors="replace") as handle:
            return _MARK in handle.read(1 << 20)
    except OSError:
        return False


def unused_goldens(test_dirs: Iterable[str], referenced: set[str]) -> list[Path]:
    """The goldens under ``test_dirs`` (recursively; hidden and cache directories skipped)
    that no path in ``referenced`` names (both absolute and normalised), sorted.

    Paths are compared as the files they reach (symlinks resolved): a golden committed as a
    link to a shared file makes that file used, and a link no test names to a used file is
    used too, so pruning never leaves a link dangling. A file that is a named one under another
    name is used too: on a file system that folds case (macOS, Windows) a test naming
    ``goldens/Foo.ckpt`` reads ``goldens/foo.ckpt`` (as one renamed in case only reads its old
    golden), and so does a hard link.
    """
    # (as the search lists them: a name outside ASCII that file names here cannot hold; a name
    # holding a NUL is no file's)
    referenced = {as_listed(named) for named in referenced if "\x00" not in named}
    found: set[str] = set()
    # (resolved only when a file is not named as it is found: the usual suite names them all,
    # and resolving costs a system call per directory level of each path)
    used: set[str] | None = None
    same: set[tuple[int, int]] | None = None  # the named files' identities, when needed
    roots = sorted(set(test_dirs))
    # a directory under another listed one is searched with it
    tops = [d for d in roots if not any(d != o and d.startswith(o + os.sep) for o in roots)]
    for top in tops:
        for directory, subdirs, files in os.walk(top):
            subdirs[:] = [d for d in subdirs if not d.startswith(".") and d not in NOT_SEARCHED]
            for name in files:
                if name.endswith(".ckpt") and not name.startswith("."):
                    path = os.path.join(directory, name)
                    if path in referenced:
                        continue
                    if used is None:
                        used = {os.path.realpath(named) for named in referenced}
                    if os.path.realpath(path) in used or not _written_by_the_plugin(path):
                        continue
                    if same is None:
                        same = _identities(referenced)
                    if _identity(path) not in same:
                        found.add(path)
    return [Path(p) for p in sorted(found)]


def _identities(referenced: set[str]) -> set[tuple[int, int]]:
    """The identities of the files the ``referenced`` paths reach (:func:`_identity`), also
    through a symbolic link checked out as a plain file (git's ``core.symlinks`` false), the
    golden itself or a folder of it: the golden the link names is in use; and for a path that
    reaches none, the file whose path differs from it only in case (:func:`.paths.other_case`):
    the golden a test renamed in case only reads on macOS and Windows, which its failure here
    says to rename."""
    from .files import LINK_MAX, through_link_as_file  # (when a file is not named as found)

    same: set[tuple[int, int] | None] = set()
    for named in referenced:
        try:
            info: os.stat_result | None = os.stat(named)
        except (OSError, ValueError):
            info = None
        if info is None or info.st_size <= LINK_MAX:  # (a golden is larger than a link's text)
            reached = through_link_as_file(named)
            if reached is not None:
                same.add(_identity(reached))
        if info is None:  # (its test renamed in case only: what macOS and Windows read for it)
            twin = other_case(named)
            if twin is not None:
                same.add(_identity(twin))
        if info is not None and info.st_ino:
            same.add((info.st_dev, info.st_ino))
    return {identity for identity in same if identity is not None}


def _identity(path: str) -> tuple[int, int] | None:
    """The device and file number of the file ``path`` reaches (``None``: none, or a file
    system that gives no file numbers: 0 for every file)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if info.st_ino else None


def prune(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """Delete ``paths``; for each, ``""`` or why it could not be deleted (and the fix, where
    this user may not delete it: a read-only checkout)."""
    done = []
    for path in paths:
        try:
            path.unlink()
        except OSError as exc:
            done.append((path, f"{type(exc).__name__}: {exc}{_prune_fix(path, exc)}"))
        else:
            done.append((path, ""))
    return done


def _prune_fix(path: Path, exc: OSError) -> str:
    """The fix, told after the error, for a golden ``path`` that ``exc`` kept from being
    deleted by this user (``""``: another error, whose text is enough)."""
    if exc.errno == errno.EROFS:  # (a sandbox, a read-only volume)
        return ". Prune in a checkout on a file system mounted read-write"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f". Make {path.parent} writable for this user (deleting a file changes its "
            f"folder), or prune as a user who may write it"
        )
    return ""
