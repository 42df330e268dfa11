"""commands.py: the shell command that keeps a renamed or moved test's golden works as given,
whatever its paths hold, with or without git; the record command repeats the run's options."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pytest_clearstone.commands import (
    name_tests_in_commands,
    record_command,
    rename_command,
    review_hint,
)


def _git(where: Path, *args: str) -> None:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _run(command: str, where: Path) -> None:
    done = subprocess.run(
        command, shell=True, cwd=where, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stderr}"


def test_paths_with_spaces_and_quotes_are_quoted_and_missing_folders_made(tmp_path: Path) -> None:
    old = tmp_path / "goldens" / "test_a b" / "test_x[it's].ckpt"
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    new = tmp_path / "agents dir" / "goldens" / "test_c d" / "test_x[it's].ckpt"
    command = rename_command(old, new, lambda path: os.path.relpath(path, tmp_path))
    assert command.startswith("mkdir -p ")
    _run(command, tmp_path)
    assert new.read_text() == "{}"
    assert not old.exists()


def test_a_golden_git_tracks_moved_into_an_existing_folder_is_renamed_with_git_mv(
    tmp_path: Path,
) -> None:
    old = tmp_path / "goldens" / "test_a" / "test_x.ckpt"
    new = tmp_path / "goldens" / "test_b" / "test_x.ckpt"
    for path in (old, new.parent / "test_other.ckpt"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "recorded")
    command = rename_command(old, new, lambda path: os.path.relpath(path, tmp_path))
    assert command == "git mv goldens/test_a/test_x.ckpt goldens/test_b/test_x.ckpt"
    _run(command, tmp_path)
    assert new.exists()


def test_without_git_installed_or_the_golden_s_folder_the_command_is_mv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = tmp_path / "test_x.ckpt", tmp_path / "test_y.ckpt"
    old.write_text("{}")
    gone = tmp_path / "gone" / "test_x.ckpt"
    assert rename_command(gone, new) == f"mv {gone} {new}"
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert rename_command(old, new) == f"mv {old} {new}"


def test_a_golden_git_does_not_track_in_a_repository_is_renamed_with_mv(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")  # (git mv refuses a file not under version control)
    old, new = tmp_path / "test_x.ckpt", tmp_path / "test_y.ckpt"
    old.write_text("{}")
    assert rename_command(old, new) == f"mv {old} {new}"


def test_the_record_command_repeats_the_runs_options_also_without_a_test() -> None:
    restore = name_tests_in_commands(lambda node_id: f"sub/{node_id}", "-c cfg/ci.ini")
    try:
        assert record_command() == "pytest -c cfg/ci.ini --clearstone-record"
        assert record_command("test_a.py::test_x[a b]") == (
            "pytest -c cfg/ci.ini --clearstone-record 'sub/test_a.py::test_x[a b]'"
        )
    finally:
        restore()


def test_the_review_hint_says_git_diff_where_a_checkout_above_or_a_worktree_holds_the_goldens(
    tmp_path: Path,
) -> None:
    # a rootdir in a folder of a repository (a monorepo's service), or in a worktree or a
    # submodule, whose .git is a file: git diff works there; nowhere else
    if any((folder / ".git").exists() for folder in tmp_path.parents):
        pytest.skip("the temporary directory is inside a git checkout")
    service = tmp_path / "monorepo" / "services" / "billing"
    service.mkdir(parents=True)
    worktree = tmp_path / "worktree"
    worktree.mkdir()
    elsewhere = tmp_path / "unpacked"
    elsewhere.mkdir()
    (tmp_path / "monorepo" / ".git").mkdir()
    (worktree / ".git").write_text("gitdir: /elsewhere/.git/worktrees/worktree\n")
    assert review_hint(service) == review_hint(worktree) == "review with git diff"
    assert review_hint(elsewhere) == (
        "review what it lists as changed in each golden (no git checkout holds them)"
    )


def test_a_golden_folder_git_tracks_moved_whole_is_renamed_with_one_git_mv(
    tmp_path: Path,
) -> None:
    old = tmp_path / "tests" / "goldens" / "test_a"
    for name in ("test_x.ckpt", "test_y.ckpt"):
        old.mkdir(parents=True, exist_ok=True)
        (old / name).write_text("{}")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "recorded")
    new = tmp_path / "tests" / "agents" / "goldens" / "test_a"
    command = rename_command(old, new, lambda path: os.path.relpath(path, tmp_path))
    assert command == (
        "mkdir -p tests/agents/goldens && git mv tests/goldens/test_a tests/agents/goldens/test_a"
    )
    _run(command, tmp_path)
    assert sorted(p.name for p in new.iterdir()) == ["test_x.ckpt", "test_y.ckpt"]
