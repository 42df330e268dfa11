"""The directories stored paths are relative to, so that a golden is portable.

A path under one of a test session's *roots* is stored relative to it, with the root's name::

    {"__cs__": "path", "v": "notes.txt", "root": "tmp_path"}
    {"__cs__": "path", "v": "data0/corpus.txt", "root": "basetemp"}
    {"__cs__": "path", "v": "docs/guide.md", "root": "rootdir"}

and read back under that root of the reading run: a test's ``tmp_path`` recorded on one machine
is the same test's ``tmp_path`` on another, a file of the checkout the same file in another
checkout. The roots, the most specific (longest) first, equal ones in this order:

- ``tmp_path``: the running test's own ``tmp_path`` (:func:`use_tmp_path`), whose name carries a
  number pytest gives per run and per xdist worker (``test_x0``, ``test_x1``), which is not
  stored;
- ``basetemp``: pytest's base temporary directory (``tmp_path_factory.getbasetemp()``);
- ``rootdir``: pytest's rootdir;
- ``home``: the user's home directory.

A root named through a symlink (pytest run on a path that links to the checkout) also holds the
paths under the directory it links to, the form ``Path.resolve()`` and ``os.getcwd()`` give: a
path is stored relative to the root either way, and a path the agent passes compares with a
recorded one by that stored form (:mod:`pytest_clearstone.codec.compare`).

A path under none of them, a relative path, and a path of the other platform's flavour are
stored as they are. A root that is a filesystem root (``HOME=/`` in a container)
holds every path and is left out. The part below a root is written with ``/`` on every platform.

The pytest plugin sets a session's roots (:func:`use_roots`) at configure time, in each xdist
worker too, and a test's ``tmp_path`` while that test runs; the codec
(:mod:`pytest_clearstone.codec.tags`, the ``path`` tag) stores and reads paths through this
module and knows nothing of pytest. A module of its own, below the codec, so that setting the
roots imports nothing else (a run that uses no golden never imports the codec).

The roots are the process's, not a context variable's: pytest runs one test at a time in a
process, and the threads an agent starts (``threading.Thread``, thread pools) do not inherit
context variables, yet record and replay their calls while the test runs.

Outside a session (the library API, the command line) paths are stored as they are, and a stored
relative path is read under the current directory (``rootdir``), the home directory (``home``)
or the system's temporary directory (``basetemp``, :func:`tempfile.gettempdir`) — as it is in a
session that lacks that root. Outside a test that has a ``tmp_path`` (between tests, in a test
that does not use it, outside a session), a ``tmp_path`` path is read under the directory
``tmp_path`` of the base temporary directory, a directory no test has: it shows where the path
came from and is never another test's file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

#: the roots, in the order equally specific ones are tried
ROOT_NAMES = ("tmp_path", "basetemp", "rootdir", "home")

_Given = Path | str | Callable[[], Path | str | None] | None


class PathRoots:
    """A session's roots (and its running test's ``tmp_path``): absolute directories, ``None``
    for a root the session does not know.
    A root may be given as a function that gives it (``basetemp``: pytest creates its base
    temporary directory when asked for it), called once, when a path is first stored or read;
    one that raises ``OSError`` (pytest could not make the directory) gives no root, and so
    does a value that is not a path (a ``tmp_path`` fixture overridden to return another
    thing)."""

    __slots__ = ("_directories", "_given", "_lock", "_prefixes")

    def __init__(
        self,
        *,
        tmp_path: _Given = None,
        basetemp: _Given = None,
        rootdir: _Given = None,
        home: _Given = None,
    ) -> None:
        self._given = {"tmp_path": tmp_path, "basetemp": basetemp, "rootdir": rootdir, "home": home}
        self._lock = threading.Lock()
        self._directories: dict[str, str] = {}
        #: (directory with a trailing separator, directory, name), longest first
        self._prefixes: tuple[tuple[str, str, str], ...] | None = None

    def prefixes(self) -> tuple[tuple[str, str, str], ...]:
        prefixes = self._prefixes
        if prefixes is None:
            with self._lock:  # (pytest's base temp must be asked for once)
                if self._prefixes is None:
                    self._prefixes = self._resolve()
                prefixes = self._prefixes
        return prefixes

    def directory(self, name: str) -> str | None:
        self.prefixes()
        return self._directories.get(name)

    def _resolve(self) -> tuple[tuple[str, str, str], ...]:
        for name in ROOT_NAMES:
            given = self._given[name]
            if callable(given):
                try:
                    given = given()
                except OSError:
                    given = None
            text = os.fspath(given) if isinstance(given, str | os.PathLike) else ""
            if os.path.isabs(text) and os.path.dirname(text) != text:
                self._directories[name] = text
        found = [(os.path.join(d, ""), d, name) for name, d in self._directories.items()]
        # a root named through a symlink (`pytest /ci/workspace`, /tmp on macOS) also holds the
        # paths the agent resolved (`Path(__file__).resolve()`, `os.getcwd()`)
        for name, directory in list(self._directories.items()):
            real = os.path.realpath(directory)
            if real != directory and os.path.dirname(real) != real:
                found.append((os.path.join(real, ""), real, name))
        return tuple(sorted(found, key=lambda prefix: -len(prefix[0])))  # (stable: ties keep order)


_roots: PathRoots | None = None


def use_roots(roots: PathRoots | None) -> Callable[[], None]:
    """Store and read paths relative to ``roots`` (``None``: as outside a session) from now on,
    in every thread; returns a function that puts back the roots it replaced."""
    global _roots
    previous, _roots = _roots, roots

    def restore() -> None:
        global _roots
        _roots = previous

    return restore


def use_tmp_path(tmp_path: _Given) -> Callable[[], None]:
    """While a test runs: also store paths under its ``tmp_path`` relative to it, and read
    ``tmp_path`` paths under it (the roots of the session stay, asked for once by the session);
    returns a function that puts back the roots it replaced, to call when the test ends."""
    session = _roots
    if session is None:
        return use_roots(PathRoots(tmp_path=tmp_path))
    return use_roots(
        PathRoots(
            tmp_path=tmp_path,
            basetemp=partial(session.directory, "basetemp"),
            rootdir=partial(session.directory, "rootdir"),
            home=partial(session.directory, "home"),
        )
    )


def rooted(text: str) -> tuple[str, str] | None:
    """``(root name, path below it)`` for the absolute path ``text`` under one of the roots
    (``"."`` for the root itself), or ``None``."""
    roots = _roots
    if roots is None:
        return None
    for prefix, directory, name in roots.prefixes():
        if text.startswith(prefix):
            below = text[len(prefix) :]
            return name, below if os.sep == "/" else below.replace(os.sep, "/")
        if text == directory:
            return name, "."
    return None


def root_directories() -> tuple[tuple[str, str], ...]:
    """``(directory, root name)`` for each root of this run, the most specific (longest) first,
    a root named through a symlink also by the directory it links to; none outside a
    session."""
    roots = _roots
    if roots is None:
        return ()
    return tuple((directory, name) for _, directory, name in roots.prefixes())


def anchored(name: object, below: object) -> str:
    """The path stored as ``below`` root ``name``, under that root of this run."""
    from .errors import DecodeError

    if name not in ROOT_NAMES:
        raise DecodeError(
            f"a path is stored relative to an unknown root {name!r} (one of "
            f"{', '.join(ROOT_NAMES)}): fix the file, or re-record the golden"
        )
    if type(below) is not str or below.startswith(("/", "\\")) or os.path.isabs(below):
        raise DecodeError(
            f"a path stored relative to the {name} must be relative, not {below!r}: fix the "
            f"file, or re-record the golden"
        )
    return os.path.join(_directory(str(name)), below)


def _directory(name: str) -> str:
    """A root's directory in this run, or where it is read without one (see the module
    docstring)."""
    roots = _roots
    directory = None if roots is None else roots.directory(name)
    if directory is not None:
        return directory
    if name == "tmp_path":
        return os.path.join(_directory("basetemp"), "tmp_path")
    if name == "rootdir":
        return os.getcwd()
    if name == "home":
        return os.path.expanduser("~")
    import tempfile

    return tempfile.gettempdir()
