"""The goldens no collected test uses (``golden/unused.py``): what the search looks at and what
pruning reports."""

from __future__ import annotations

from pathlib import Path

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
