"""Where a test's golden lives: the one resolver used by recording, replay, the unused-goldens
report and the check that no two tests record the same file.

An explicit marker path is relative to the test file's directory. Without one the golden lives
beside the test file at ``goldens/<module stem>/<test name>.ckpt`` —
``<Class>.<test name>.ckpt`` for a method of a test class, one file per parameter for a
parametrized test (``test_x[en].ckpt``). Characters unsafe in file names are replaced by ``_``
and an over-long name is shortened, keeping a hash of the whole name so it stays unique.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import PurePath

GOLDENS_DIR = "goldens"
SUFFIX = ".ckpt"
MAX_NAME = 120  # characters of a file name before the suffix; most file systems allow 255 bytes

# anything but letters, digits and a few punctuation marks common in parametrize ids
_UNSAFE = re.compile(r"[^\w.\-\[\]=,+@]", re.ASCII)


def safe_file_name(name: str) -> str:
    """``name`` as a portable file name (without the suffix): unsafe characters become ``_``,
    a leading dot is kept out, and over-long names are cut with a hash of the whole name."""
    safe = _UNSAFE.sub("_", name).lstrip(".") or "_"
    if len(safe) > MAX_NAME:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
        safe = f"{safe[: MAX_NAME - 13]}-{digest}"
    return safe


def default_relative_path(module_stem: str, names: Sequence[str]) -> str:
    """``goldens/<module stem>/<Class>.<test name>.ckpt`` for the node names below the module
    (``["TestX", "test_y[en]"]``)."""
    return f"{GOLDENS_DIR}/{safe_file_name(module_stem)}/{safe_file_name('.'.join(names))}{SUFFIX}"


def node_names(node_id: str) -> tuple[str, str]:
    """The module's stem and the names below it (``TestX.test_y[en]``) of the test ``node_id``
    (``tests/test_m.py::TestX::test_y[en]``), of which its default golden path is made
    (:func:`default_relative_path`); the directories of its node id, which depend on the
    rootdir, are left out."""
    file, _, below = node_id.partition("::")
    head, bracket, ids = below.partition("[")
    stem = os.path.splitext(file.rpartition("/")[2])[0]
    return stem, head.replace("::", ".") + bracket + ids


def apart_only_where_made_safe(names: tuple[str, str], other: tuple[str, str]) -> bool:
    """Whether two tests of one directory, by their :func:`node_names`, have the same default
    golden path though their names differ in more than case: only in characters a file name
    cannot hold (``test_x[a/b]`` and ``test_x[a_b]``)."""
    return [n.casefold() for n in names] != [n.casefold() for n in other] and [
        safe_file_name(n) for n in names
    ] == [safe_file_name(n) for n in other]


def other_case(path: str | os.PathLike[str]) -> str | None:
    """The file whose path differs from the missing ``path`` only in case, when there is one
    (``None``: none, or more than one): the golden a checkout on macOS or Windows reads for
    ``path``, where the file system ignores case, and Linux does not. Only for a golden found
    missing: it lists the directories along the path."""
    current, *parts = PurePath(os.path.normpath(path)).parts  # (the first: "/" or "C:\\")
    for part in parts:
        found = os.path.join(current, part)
        if not os.path.lexists(found):
            try:
                names = [n for n in os.listdir(current) if n.casefold() == part.casefold()]
            except OSError:
                return None
            if len(names) != 1:
                return None
            found = os.path.join(current, names[0])
        current = found
    return current if os.path.isfile(current) and current != os.path.normpath(path) else None


def golden_path(
    test_file: str, marker_path: str | os.PathLike[str] | None, names: Sequence[str]
) -> str:
    """The absolute, normalised path of a test's golden (string operations only: a large
    suite resolves hundreds of them at collection).

    ``test_file``: the test module's absolute path; ``marker_path``: the marker's path or
    ``None``; ``names``: the node names from the module down (classes, then the test).
    """
    directory = os.path.dirname(test_file)
    if marker_path is None:
        stem = os.path.splitext(os.path.basename(test_file))[0]
        relative = default_relative_path(stem, names)
    else:
        relative = os.fspath(marker_path)
    return os.path.normpath(os.path.join(directory, relative))


def unnameable(path: str) -> str:
    """Why ``path`` cannot be a file name in this Python, or ``""``: it holds a NUL character,
    or a name outside ASCII where file names are encoded as ASCII (a C or POSIX locale with
    UTF-8 mode off); every file operation on it refuses it (``ValueError``,
    ``UnicodeEncodeError``)."""
    if "\x00" in path:
        return "a file name cannot hold a NUL character ('\\x00')"
    if path.isascii():
        return ""
    try:
        os.fsencode(path)
    except UnicodeEncodeError:
        import sys

        return (
            f"this Python encodes file names as {sys.getfilesystemencoding()} (a C or POSIX "
            "locale, LANG=C or LC_ALL=C, with UTF-8 mode off); run pytest with PYTHONUTF8=1 or "
            "in a UTF-8 locale (LC_ALL=C.UTF-8), or give the golden an ASCII path"
        )
    return ""


#: what a file name and a path may be at most, in bytes, where the file system does not say
#: (``os.pathconf``): the limits of Linux's file systems, of APFS and of NTFS (in characters)
_NAME_MAX, _PATH_MAX = 255, 4096
#: the fix for a golden path no file can have
SHORTER_PATH = "Give the marker a shorter path (@pytest.mark.replay(PATH, ...))"


def too_long(path: str) -> str:
    """Why no file can have the absolute path ``path``, or ``""``: it is longer than a path may
    be, or one of its names is longer than a file name may be (what the file system that would
    hold it says, ``os.pathconf``). Only for a path found missing or refused (the system calls
    of the nearest directory that exists)."""
    try:
        encoded = os.fsencode(path)
    except UnicodeEncodeError:  # (said by unnameable)
        return ""
    existing = os.path.dirname(path)
    while existing and not os.path.isdir(existing) and existing != os.path.dirname(existing):
        existing = os.path.dirname(existing)
    path_max, name_max = (
        _limit(existing, n, d) for n, d in (("PC_PATH_MAX", _PATH_MAX), ("PC_NAME_MAX", _NAME_MAX))
    )
    if len(encoded) >= path_max:  # (PATH_MAX counts the terminating NUL)
        return f"it is {len(encoded)} bytes long, more than a path may be here ({path_max} bytes)"
    *folders, name = encoded.split(os.fsencode(os.sep))
    longest = max(folders, key=len, default=b"")
    if len(name) > name_max:
        what = f"its file name is {len(name)} bytes long"
    elif len(longest) > name_max:
        shown = os.fsdecode(longest[:24]) + "..."
        what = f"the name of its folder {shown} is {len(longest)} bytes long"
    else:
        return ""
    return f"{what}, more than a file name may be here ({name_max} bytes)"


def _limit(directory: str, name: str, default: int) -> int:
    pathconf = getattr(os, "pathconf", None)  # (POSIX)
    try:
        limit = int(pathconf(directory or os.sep, name)) if pathconf else default
    except (OSError, ValueError):  # (a limit the system does not know)
        return default
    return limit if limit > 0 else default  # (-1: no limit said)


def as_listed(path: str) -> str:
    """``path`` as ``os.walk`` lists the file, where a name outside ASCII cannot be encoded
    (:func:`unnameable`): its UTF-8 bytes, as ``os.fsdecode`` reads them."""
    if path.isascii() or not unnameable(path):
        return path
    return os.fsdecode(path.encode("utf-8", "surrogateescape"))
