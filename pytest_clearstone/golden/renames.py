"""The unused golden that is a missing one under its old path: a test renamed or moved to
another module after its recording looks for a golden that is not there, while its old golden
is left beside it unused. Renaming the file (``git mv``) keeps the recorded answers, where
recording the test again calls the live service.

A pair is named only where nothing else could be the old golden: in one folder, the one unused
golden of the same test name and parameter id beside the one missing golden, its class renamed
(``TestRefunds.test_refund.ckpt`` pairs with ``TestRefund.test_refund.ckpt``) or the test moved
into or out of a class; else the one unused golden beside it of the same parameter id (a test
renamed in its module; ``test_x[en].ckpt`` pairs with ``test_y[en].ckpt``), else of any (an id
changed); else the one unused golden of the same file name in a sibling folder
(``goldens/<module>/``: a test moved to another module); else the one of the same file name in
a folder of the same name elsewhere (a test module moved to another directory:
``tests/goldens/test_x/`` to ``tests/agents/goldens/test_x/``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def renamed_goldens(missing: Iterable[Path], unused: Iterable[Path]) -> list[tuple[Path, Path]]:
    """The ``(old, new)`` pairs of an unused golden and the missing golden it likely is under
    its old path, in the order of ``missing``; each path in one pair at most."""
    wanted = list(dict.fromkeys(Path(os.path.normpath(p)) for p in missing))
    left = list(dict.fromkeys(Path(os.path.normpath(p)) for p in unused))
    found: dict[Path, Path] = {}
    keys = (_reclassed_key, _renamed_key, _folder_key, _moved_key, _relocated_key)
    for key in keys:  # (nearest first)
        for new in [p for p in wanted if p not in found]:
            mine = key(new)
            olds = [old for old in left if key(old) == mine]
            news = [other for other in wanted if other not in found and key(other) == mine]
            if len(olds) == 1 and len(news) == 1:
                found[new] = olds[0]
                left.remove(olds[0])
    return [(found[new], new) for new in wanted if new in found]


def _reclassed_key(path: Path) -> tuple[str, str]:
    """The folder, and the golden's name without the test class's (``<Class>.<test>[id]``:
    ``test[id]``; a parameter id may hold dots)."""
    stem = path.name.removesuffix(".ckpt")
    name, bracket, parameters = stem.partition("[")
    return str(path.parent), name.rpartition(".")[2] + bracket + parameters


def _renamed_key(path: Path) -> tuple[str, str]:
    """The folder and the parameter id (``[en]``, ``""`` for none) of a golden's name."""
    stem = path.name.removesuffix(".ckpt")
    return str(path.parent), stem[stem.index("[") :] if "[" in stem else ""


def _folder_key(path: Path) -> tuple[str, str]:
    """The folder of a golden (a test whose parameter id changed: ``[en]`` to ``[english]``)."""
    return str(path.parent), ""


def _moved_key(path: Path) -> tuple[str, str]:
    """The folder above the module's folder, and the file name."""
    return str(path.parent.parent), path.name


def _relocated_key(path: Path) -> tuple[str, str]:
    """The name of a golden's folder, and the file name (a module moved to another directory,
    its ``goldens/<module>/`` folder with it)."""
    return path.parent.name, path.name


def moved_folders(pairs: Iterable[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """The ``(old, new)`` folders of the ``pairs`` of :func:`renamed_goldens` that move whole:
    every file under the old folder is the old golden of a pair, each keeps its name, the new
    folder is not there yet (a mv into it would nest the old one in it). One command moves such
    a folder (a test module renamed or moved), where a line a golden would repeat it."""
    groups: dict[tuple[Path, Path], list[tuple[Path, Path]]] = {}
    for old, new in pairs:
        groups.setdefault((old.parent, new.parent), []).append((old, new))
    folders = []
    for (old_folder, new_folder), moved in groups.items():
        if (
            old_folder != new_folder
            and not new_folder.exists()
            and all(old.name == new.name for old, new in moved)
            and {p for p in old_folder.rglob("*") if not p.is_dir()} == {old for old, _ in moved}
        ):
            folders.append((old_folder, new_folder))
    return folders
