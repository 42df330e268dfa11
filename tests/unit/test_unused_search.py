"""The goldens no collected test uses (``golden/unused.py``): what the search looks at and what
pruning reports."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pytest_clearstone.golden.unused import prune, unused_goldens

GOLDEN = '{\n  "metadata": {\n    "recorded_by": "pytest-clearstone"\n  }\n}\n'


def _write(path: Path, text: str = GOLDEN) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_hidden_files_and_directories_are_not_searched(tmp_path: Path) -> None:
    stale = _write(tmp_path / "goldens" / "stale.ckpt")
    _write(tmp_path / "goldens" / ".draft.ckpt")
    _write(tmp_path / ".cache" / "goldens" / "copy.ckpt")
    assert unused_goldens([str(tmp_path)], set()) == [stale]


def test_cache_and_installed_packages_directories_are_not_searched(tmp_path: Path) -> None:
    stale = _write(tmp_path / "goldens" / "stale.ckpt")
    for folder in ("__pycache__", "node_modules", "site-packages"):
        _write(tmp_path / folder / "goldens" / "copy.ckpt")
    assert unused_goldens([str(tmp_path)], set()) == [stale]


def test_a_directory_whose_name_begins_with_another_listed_one_s_is_searched(
    tmp_path: Path,
) -> None:
    first = _write(tmp_path / "tests" / "goldens" / "stale.ckpt")
    second = _write(tmp_path / "tests2" / "goldens" / "stale.ckpt")
    nested = _write(tmp_path / "tests" / "sub" / "goldens" / "stale.ckpt")
    roots = [str(tmp_path / "tests"), str(tmp_path / "tests2"), str(tmp_path / "tests" / "sub")]
    assert unused_goldens(roots, set()) == [first, nested, second]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_named_as_a_golden_is_no_golden(tmp_path: Path) -> None:
    stale = _write(tmp_path / "stale.ckpt")
    os.mkfifo(tmp_path / "pipe.ckpt")
    assert unused_goldens([str(tmp_path)], set()) == [stale]


def test_a_checkpoint_the_plugin_did_not_write_is_no_golden(tmp_path: Path) -> None:
    stale = _write(tmp_path / "stale.ckpt")
    _write(tmp_path / "app_saved.ckpt", '{"metadata": {"saved_by": "app"}}\n')
    assert unused_goldens([str(tmp_path)], set()) == [stale]


def test_a_named_path_no_file_can_have_is_no_trouble(tmp_path: Path) -> None:
    stale = _write(tmp_path / "stale.ckpt")
    used = _write(tmp_path / "used.ckpt")
    assert unused_goldens([str(tmp_path)], {str(used), str(tmp_path / "a\x00b.ckpt")}) == [stale]


def test_pruning_reports_what_could_not_be_deleted(tmp_path: Path) -> None:
    stale = _write(tmp_path / "stale.ckpt")
    gone = tmp_path / "gone.ckpt"
    done = prune([stale, gone])
    assert done[0] == (stale, "") and not stale.exists()
    assert done[1][0] == gone and done[1][1].startswith("FileNotFoundError: ")


#: what a golden this user may not delete is told to do
UNWRITABLE = (
    "Make {folder} writable for this user (deleting a file changes its folder), or prune as a "
    "user who may write it"
)


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (errno.EACCES, UNWRITABLE),
        (errno.EPERM, UNWRITABLE),
        (errno.EROFS, "Prune in a checkout on a file system mounted read-write"),
    ],
    ids=["EACCES", "EPERM", "EROFS"],
)
def test_a_golden_that_could_not_be_deleted_is_told_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, fix: str
) -> None:
    """A read-only checkout (a CI job running --clearstone-prune-unused): the summary said
    "could not delete unused golden ...: PermissionError: [Errno 13] Permission denied" and no
    fix."""
    stale = _write(tmp_path / "goldens" / "stale.ckpt")

    def refused(self: Path, missing_ok: bool = False) -> None:
        raise OSError(code, os.strerror(code), str(self))

    monkeypatch.setattr(Path, "unlink", refused)
    [(path, problem)] = prune([stale])
    assert path == stale
    assert problem.endswith(". " + fix.format(folder=stale.parent)), problem
