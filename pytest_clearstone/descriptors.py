"""Whether this process has as many files open as it may, and what to do about it: a golden or
the trace store that cannot be opened then is not to be moved away, nor its directory made
writable (SQLite says only "unable to open database file")."""

from __future__ import annotations

import errno
import os

__all__ = ["TOO_MANY_OPEN", "out_of_descriptors", "too_many_open"]

#: the errors of an ``open()`` refused for the number of files open: the process's limit, the
#: system's
TOO_MANY_OPEN = frozenset({errno.EMFILE, errno.ENFILE})


def out_of_descriptors() -> bool:
    """Whether this process cannot open one more file for the number already open."""
    try:
        fd = os.open(os.devnull, os.O_RDONLY)
    except OSError as exc:
        return exc.errno in TOO_MANY_OPEN
    os.close(fd)
    return False


def too_many_open() -> str:
    """What is wrong and the fix, when :func:`out_of_descriptors` (or an ``OSError`` with an
    errno in :data:`TOO_MANY_OPEN`) says so: the process's limit named, where it has one."""
    try:
        import resource  # (POSIX only)

        limit = f"{resource.getrlimit(resource.RLIMIT_NOFILE)[0]}, ulimit -n"
    except (ImportError, OSError, ValueError):
        limit = "its limit"
    return (
        f"this process has as many files open as it may ({limit}): close the files, sockets "
        "and clients the tests or the agent leave open, or raise the limit"
    )
