"""atomic_write_text: complete files only, and no pile-up of killed writers' temporary files."""

from __future__ import annotations

import os
import stat
import sys
import time

import pytest

from pytest_clearstone.golden.atomic import STALE_AFTER_S, atomic_write_text


def test_writes_and_replaces(tmp_path):
    target = tmp_path / "sub" / "golden.ckpt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert os.listdir(target.parent) == ["golden.ckpt"]


def test_stale_temporary_files_are_removed_fresh_ones_kept(tmp_path):
    target = tmp_path / "golden.ckpt"
    stale = tmp_path / ".golden.ckpt.abc123.tmp"
    fresh = tmp_path / ".golden.ckpt.def456.tmp"  # another writer, still at work
    other = tmp_path / ".other.ckpt.abc123.tmp"  # another file's: not touched
    for leftover in (stale, fresh, other):
        leftover.write_text("partial")
    old = time.time() - STALE_AFTER_S - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    atomic_write_text(target, "complete")
    assert not stale.exists()
    assert fresh.exists() and other.exists()


def test_a_temporary_file_is_stale_once_ten_minutes_old(tmp_path):
    """As the how-to on recording says: removed at the next write once ten minutes old."""
    target = tmp_path / "golden.ckpt"
    stale = tmp_path / ".golden.ckpt.abc123.tmp"
    recent = tmp_path / ".golden.ckpt.def456.tmp"
    for leftover, minutes in ((stale, 11), (recent, 9)):
        leftover.write_text("partial")
        when = time.time() - minutes * 60
        os.utime(leftover, (when, when))
    atomic_write_text(target, "complete")
    assert not stale.exists() and recent.exists()


def test_only_temporary_files_named_as_a_writer_names_them_are_removed(tmp_path):
    # a file beside the golden that starts with its name but is no temporary file of it (one
    # of another golden, a.ckpt.b.ckpt's, or the user's own) is never removed, however old
    target = tmp_path / "a.ckpt"
    kept = [
        tmp_path / ".a.ckpt.b.ckpt.1f.tmp",
        tmp_path / ".a.ckpt.my notes.tmp",
        tmp_path / ".a.ckpt..tmp",
    ]
    old = time.time() - STALE_AFTER_S - 60
    for path in kept:
        path.write_text("not a leftover of a.ckpt")
        os.utime(path, (old, old))
    atomic_write_text(target, "complete")
    assert all(path.exists() for path in kept)


@pytest.mark.parametrize("name", ["test_city[c0].ckpt", "test_[*?].ckpt"])
def test_stale_temporary_files_of_a_parametrized_test_are_removed(tmp_path, name):
    # Expected: a killed writer's temporary file of `test_city[c0].ckpt` is removed like any
    # other. The name was used as a glob pattern, where `[c0]` is a set of characters: the
    # leftover never matched and stayed beside the golden for good (while `.test_cityc.ckpt.*`,
    # another golden's, would have been taken for it).
    target = tmp_path / name
    stale = tmp_path / f".{name}.abc123.tmp"
    lookalike = tmp_path / ".test_cityc.ckpt.abc123.tmp"  # of another golden
    for leftover in (stale, lookalike):
        leftover.write_text("partial")
        old = time.time() - STALE_AFTER_S - 60
        os.utime(leftover, (old, old))
    atomic_write_text(target, "complete")
    assert sorted(os.listdir(tmp_path)) == sorted([name, lookalike.name])


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "golden.ckpt"
    atomic_write_text(target, "previous")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["golden.ckpt"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_new_file_gets_the_mode_the_umask_gives_and_a_rewritten_one_keeps_its_own(tmp_path):
    # Expected: a golden is a file like any other: readable by the group and others under the
    # usual umask 022, and a re-record keeps a mode the user gave it. Every file was written
    # 0600 (the temporary file's mode, mkstemp's), a rewritten one reset to it.
    previous = os.umask(0o022)
    try:
        new = tmp_path / "new.ckpt"
        atomic_write_text(new, "one")
        assert new.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.ckpt"
        kept.write_text("old")
        kept.chmod(0o640)
        atomic_write_text(kept, "new")
        assert kept.read_text() == "new"
        assert kept.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(previous)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file away"
)
def test_a_rewritten_file_keeps_its_owner_and_group(tmp_path):
    # Expected: a golden re-recorded by root (a CI or dev container recording into the
    # user's bind-mounted checkout) stays the user's, as `open(path, "w")` keeps it. It became
    # root's: the user's editor could no longer save it, nor `git checkout` overwrite it in place.
    kept = tmp_path / "kept.ckpt"
    kept.write_text("old")
    os.chown(kept, 65534, 65534)
    atomic_write_text(kept, "new")
    assert kept.read_text() == "new"
    assert (kept.stat().st_uid, kept.stat().st_gid) == (65534, 65534)
    new = tmp_path / "new.ckpt"
    atomic_write_text(new, "one")  # (a new file is the writer's)
    assert new.stat().st_uid == os.geteuid()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file away"
)
def test_a_rewrite_that_may_not_keep_the_owner_still_writes(tmp_path, monkeypatch):
    # (a user who is not root cannot give the new file to the previous file's owner)
    kept = tmp_path / "kept.ckpt"
    kept.write_text("old")
    os.chown(kept, 65534, 65534)

    def refused(path, uid, gid):
        raise PermissionError(1, "Operation not permitted", path)

    monkeypatch.setattr(os, "chown", refused)
    atomic_write_text(kept, "new")
    assert kept.read_text() == "new"
    assert os.listdir(tmp_path) == ["kept.ckpt"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file away"
)
def test_a_rewrite_that_may_not_keep_the_owner_keeps_the_group(tmp_path, monkeypatch):
    # (a user in the file's group, not its owner: the new file is the writer's, of that group)
    kept = tmp_path / "kept.ckpt"
    kept.write_text("old")
    os.chown(kept, 65534, 65533)
    chown = os.chown

    def owner_refused(path, uid, gid):
        if uid != -1:
            raise PermissionError(1, "Operation not permitted", path)
        chown(path, uid, gid)

    monkeypatch.setattr(os, "chown", owner_refused)
    atomic_write_text(kept, "new")
    assert kept.read_text() == "new"
    assert (kept.stat().st_uid, kept.stat().st_gid) == (os.geteuid(), 65533)


symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need a privilege there")


@symlinks
def test_a_link_to_a_file_the_writer_refuses_is_replaced_itself(tmp_path):
    shared = tmp_path / "shared.txt"
    shared.write_text("not a golden")
    link = tmp_path / "g.ckpt"
    link.symlink_to(shared)
    atomic_write_text(link, "new", through=lambda real: False)
    assert not link.is_symlink() and link.read_text() == "new"
    assert shared.read_text() == "not a golden"


@symlinks
def test_a_path_going_up_from_a_linked_directory_is_written_where_open_writes(tmp_path):
    # goldens/link/../g.ckpt, link a symlink to a directory elsewhere: `..` is the parent of
    # the directory the link points to, as the system reads the path (not the text's parent)
    (tmp_path / "elsewhere" / "deep").mkdir(parents=True)
    (tmp_path / "goldens").mkdir()
    (tmp_path / "goldens" / "link").symlink_to(tmp_path / "elsewhere" / "deep")
    path = tmp_path / "goldens" / "link" / ".." / "g.ckpt"
    atomic_write_text(path, "new")
    assert (tmp_path / "elsewhere" / "g.ckpt").read_text() == "new"
    assert not (tmp_path / "goldens" / "g.ckpt").exists()


@symlinks
def test_a_link_in_a_loop_of_links_is_replaced_itself(tmp_path):
    # Expected: a link that leads back to itself (g.ckpt -> other -> g.ckpt) is replaced by the
    # file, as a link to anything not a file is. It failed with a bare OSError "Too many levels
    # of symbolic links", reading the mode to keep through the link
    link, other = tmp_path / "g.ckpt", tmp_path / "other"
    link.symlink_to(other)
    other.symlink_to(link)
    atomic_write_text(link, "new")
    assert not link.is_symlink() and link.read_text() == "new"
    assert other.is_symlink() and os.readlink(other) == str(link)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.ckpt", "other"]


@symlinks
def test_a_link_replaced_itself_gets_a_new_files_mode_not_that_of_what_it_points_to(tmp_path):
    shared = tmp_path / "shared.txt"
    shared.write_text("not a golden")
    shared.chmod(0o600)
    link = tmp_path / "g.ckpt"
    link.symlink_to(shared)
    atomic_write_text(link, "new", through=lambda real: False)
    fresh = tmp_path / "fresh.ckpt"
    atomic_write_text(fresh, "new")
    assert stat.S_IMODE(link.stat().st_mode) == stat.S_IMODE(fresh.stat().st_mode)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o600
