"""Parts of the suite a run did not collect, and the goldens their tests may own.

A test module that skips itself at import (``pytest.skip(..., allow_module_level=True)``,
``pytest.importorskip("an_sdk")``) or a path in a conftest's ``collect_ignore`` has tests the
run never saw: their goldens would look unused. They are kept out of the unused-goldens report
and never pruned (as syrupy keeps the snapshots of skipped tests):

- for a module: the goldens in its default folder ``goldens/<module stem>/``, and those its
  source names as a string literal ending in ``.ckpt`` (resolved against its directory; a golden
  with such a file name anywhere is kept too, the path being perhaps built otherwise), or as an
  f-string ending so, each replacement field matching any text (``f"goldens/{topic}.ckpt"``
  keeps ``goldens/*.ckpt``; a file name pattern is matched anywhere only when it has text of
  its own besides ``.ckpt``);
- for a directory: every golden under it, and those named by the test modules in it; a
  directory that holds no test module (``python_files``) keeps none (a conftest that leaves out
  a folder of goldens or data to save collection time has no tests there).

A path made at run time without a literal or f-string ending in ``.ckpt`` in the module cannot
be known: such a golden outside the module's folder may still look unused.
"""

from __future__ import annotations

import ast
import fnmatch
import glob
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from .golden.paths import GOLDENS_DIR, SUFFIX, safe_file_name


def _named_goldens(module: str) -> set[str]:
    """The golden paths the Python file ``module`` names (parsed, never imported), as
    :mod:`fnmatch` patterns: its string literals ending in ``.ckpt``, escaped, and its f-strings
    ending so, a replacement field matching any text."""
    try:
        with open(module, encoding="utf-8", errors="replace") as handle:
            tree = ast.parse(handle.read(), module)
    except (OSError, SyntaxError, ValueError):
        return set()
    patterns: set[str] = set()
    in_fstrings: set[int] = set()  # the literal pieces of the f-strings (walked after them)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            in_fstrings.update(id(value) for value in node.values)
            pattern = "".join(
                glob.escape(value.value)
                if isinstance(value, ast.Constant) and isinstance(value.value, str)
                else "*"
                for value in node.values
            )
            if pattern.endswith(SUFFIX):
                patterns.add(pattern)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.endswith(SUFFIX)
            and id(node) not in in_fstrings
        ):
            patterns.add(glob.escape(node.value))
    return patterns


class Uncollected:
    """The parts of the suite not collected (absolute paths of modules or directories), each
    with why, and which goldens they keep."""

    def __init__(self, parts: dict[str, str], test_files: Sequence[str]) -> None:
        """``parts``: path -> why it was not collected; ``test_files``: the ini's
        ``python_files`` patterns (the modules of a directory searched for golden names)."""
        self.parts = parts
        self.test_files = test_files
        # per part: the folders whose goldens it keeps, the paths and file names it names (as
        # fnmatch patterns)
        self._kept: list[tuple[str, tuple[str, ...], set[str], set[str]]] | None = None

    def _modules(self, part: str) -> Iterable[str]:
        if not os.path.isdir(part):
            yield part
            return
        for directory, subdirs, files in os.walk(part):
            subdirs[:] = [d for d in subdirs if not d.startswith(".") and d != "__pycache__"]
            for name in files:
                if any(fnmatch.fnmatch(name, p) for p in self.test_files):
                    yield os.path.join(directory, name)

    def _index(self) -> list[tuple[str, tuple[str, ...], set[str], set[str]]]:
        if self._kept is None:
            self._kept = []
            for part, why in sorted(self.parts.items()):
                modules = list(self._modules(part))
                if os.path.isdir(part):
                    folders: tuple[str, ...] = (part,) if modules else ()
                else:
                    stem = os.path.splitext(os.path.basename(part))[0]
                    folder = os.path.join(os.path.dirname(part), GOLDENS_DIR, safe_file_name(stem))
                    folders = (folder,)
                paths, names = set(), set()
                for module in modules:
                    for pattern in _named_goldens(module):
                        base = os.path.dirname(module)
                        paths.add(os.path.normpath(os.path.join(base, pattern)))
                        name = os.path.basename(pattern)
                        if name.strip("*") != SUFFIX:  # (not just any golden anywhere)
                            names.add(name)
                self._kept.append((why, folders, paths, names))
        return self._kept

    def why_kept(self, golden: str) -> str:
        """Why the golden at the absolute path ``golden`` may belong to a test not collected
        (``""``: it does not)."""
        if not self.parts:
            return ""
        for why, folders, paths, names in self._index():
            name = os.path.basename(golden)
            if (
                any(golden.startswith(folder + os.sep) for folder in folders)
                or any(fnmatch.fnmatchcase(golden, path) for path in paths)
                or any(fnmatch.fnmatchcase(name, pattern) for pattern in names)
            ):
                return why
        return ""


def in_norecursedirs(path: Path, patterns: Sequence[str]) -> bool:
    """Whether the absolute directory ``path`` matches one of the ``norecursedirs`` ``patterns``
    as pytest matches them: its name, or for a pattern with a separator (``tests/manual``) its
    whole path, the pattern anchored below any directory unless it is absolute."""
    for pattern in patterns:
        if "/" not in pattern and os.sep not in pattern:
            if fnmatch.fnmatch(path.name, pattern):
                return True
            continue
        if not os.path.isabs(pattern):
            pattern = f"*{os.sep}{pattern}"
        if fnmatch.fnmatch(str(path), os.path.normpath(pattern)):
            return True
    return False


def doctest_goldens(goldens: Iterable[Path], doctest_modules: bool) -> dict[Path, str]:
    """The goldens of ``goldens`` (unused by the tests this run collected) that a marked
    doctest it did not collect may own, each with why: a doctest's default golden is
    ``goldens/<file stem>/<its name>.ckpt`` beside its file, named ``<module>.<function>`` for
    a docstring's (collected only with ``--doctest-modules``: ``doctest_modules``, whether the
    run gave it) and after the file for a text file's (``guide.md``, collected only when
    ``--doctest-glob`` matches it). A golden whose file is gone is not kept."""
    kept: dict[Path, str] = {}
    for golden in goldens:
        folder = golden.parent
        if folder.parent.name != GOLDENS_DIR or not golden.name.endswith(SUFFIX):
            continue
        stem, directory = folder.name, folder.parent.parent
        name = golden.name[: -len(SUFFIX)]
        dotted = name.startswith(f"{stem}.") or f".{stem}." in name
        if not doctest_modules and dotted and (directory / f"{stem}.py").is_file():
            kept[golden] = (
                f"the doctests of {stem}.py, whose golden it may be, are collected only with "
                "--doctest-modules"
            )
        elif (
            name.startswith(f"{stem}.")
            and not name.endswith(".py")
            and (directory / name).is_file()
        ):
            kept[golden] = (
                f"{name}, whose doctest's golden it may be, is collected only when "
                "--doctest-glob matches it"
            )
    return kept
