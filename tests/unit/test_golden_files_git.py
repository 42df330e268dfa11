"""Goldens as git leaves them: symlinks (used through their target, written through the link),
merge-conflict markers and Git LFS pointers (named, with their own fix), a UTF-8 BOM (read,
never written), and the parts of a suite a conftest's ``pytest_ignore_collect`` leaves out."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from pytest_clearstone.debugging import Checkpoint, CheckpointManager
from pytest_clearstone.errors import (
    RESTORE_OR_RERECORD,
    CheckpointCorruptError,
    ClearstoneError,
    SerializationError,
    check_out_link,
)
from pytest_clearstone.golden import files
from pytest_clearstone.golden.atomic import atomic_write_text
from pytest_clearstone.golden.files import read_file, read_golden
from pytest_clearstone.golden.signing import checkpoint_trust
from pytest_clearstone.golden.unused import prune, unused_goldens
from pytest_clearstone.inspection import load_checkpoint
from pytest_clearstone.observability import TracerProvider
from pytest_clearstone.uncollected import Uncollected
from tests.spies import calls_to

symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need a privilege there")

BOM = b"\xef\xbb\xbf"
PLUGIN_GOLDEN = '{"metadata": {"recorded_by": "pytest-clearstone"}}'


class Agent:
    def __init__(self) -> None:
        self.notes = ["a"]


def _saved(directory: Path, name: str = "g.ckpt") -> Path:
    """A checkpoint file as :class:`CheckpointManager` writes it."""
    provider = TracerProvider(db_path=":memory:")
    with provider.get_tracer("tests").span("step") as span:
        pass
    trace = provider.trace_store.get_trace(span.trace_id)
    manager = CheckpointManager(directory)
    path = manager.save_checkpoint(manager.create_checkpoint(Agent(), trace, span.span_id), name)
    provider.shutdown()
    return path


def _golden(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PLUGIN_GOLDEN)
    return path


# -- symlinks ---------------------------------------------------------------------------------
def test_a_suite_that_names_every_golden_resolves_no_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # resolving costs a system call per directory level of each path: at the end of a suite of
    # 500 goldens it was ~1% of the run, for files every test named as they are found
    goldens = [_golden(tmp_path / "goldens" / f"t{i}.ckpt") for i in range(3)]
    stale = _golden(tmp_path / "goldens" / "stale.ckpt")
    resolved = calls_to(monkeypatch, os.path, "realpath")
    assert unused_goldens([str(tmp_path)], {str(p) for p in goldens}) == [stale]
    assert resolved  # (the unnamed one is compared as the file it reaches)
    resolved.clear()
    assert unused_goldens([str(tmp_path)], {str(p) for p in [*goldens, stale]}) == []
    assert resolved == []


@symlinks
def test_a_golden_reached_through_a_link_counts_its_target_as_used(tmp_path: Path) -> None:
    shared = _golden(tmp_path / "shared" / "s.ckpt")
    link = tmp_path / "goldens" / "s.ckpt"
    link.parent.mkdir()
    link.symlink_to(os.path.join("..", "shared", "s.ckpt"))
    alias = tmp_path / "goldens" / "alias.ckpt"  # a link no test names, to a used file
    alias.symlink_to("s.ckpt")
    stale = _golden(tmp_path / "shared" / "stale.ckpt")
    stale_link = tmp_path / "goldens" / "stale.ckpt"  # a link to an unused file
    stale_link.symlink_to(os.path.join("..", "shared", "stale.ckpt"))
    # Before the fix: shared/s.ckpt and goldens/alias.ckpt were listed (compared as strings)
    unused = unused_goldens([str(tmp_path)], {str(link)})
    assert unused == [stale_link, stale]
    assert unused_goldens([str(tmp_path)], {str(shared)}) == [stale_link, stale]
    assert all(problem == "" for _, problem in prune(unused))
    assert shared.is_file() and link.is_symlink() and alias.is_symlink()
    assert not stale.exists() and not stale_link.is_symlink()


@symlinks
def test_atomic_write_text_writes_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "s.ckpt"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "goldens" / "s.ckpt"
    link.parent.mkdir()
    link.symlink_to(os.path.join("..", "shared", "s.ckpt"))
    # Before the fix: os.replace put a plain file where the link was; the target stayed "old"
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "shared", "s.ckpt")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["s.ckpt"]  # no temporary left
    assert sorted(p.name for p in link.parent.iterdir()) == ["s.ckpt"]


@symlinks
def test_atomic_write_text_through_a_dangling_link_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "s.ckpt"
    link.symlink_to(os.path.join("shared", "s.ckpt"))
    (tmp_path / "shared").mkdir()
    atomic_write_text(link, "new")  # (as open(link, "w") does)
    assert link.is_symlink() and (tmp_path / "shared" / "s.ckpt").read_text() == "new"
    # (into a directory that does not exist, the link is replaced: tests/unit/test_files.py)


@symlinks
def test_a_checkpoint_is_written_through_a_link_to_a_checkpoint_only(tmp_path: Path) -> None:
    shared = _saved(tmp_path / "shared", "s.ckpt")
    other = tmp_path / "notes.txt"  # (a pull request's link to a file that is no checkpoint)
    other.write_text("not a checkpoint")
    through, replaced = tmp_path / "through.ckpt", tmp_path / "replaced.ckpt"
    through.symlink_to(shared)
    replaced.symlink_to(other)
    checkpoint = Checkpoint.read(shared)
    checkpoint.metadata["again"] = True
    checkpoint.write(through)
    assert through.is_symlink() and Checkpoint.read(shared).metadata == {"again": True}
    checkpoint.write(replaced)
    assert not replaced.is_symlink() and Checkpoint.read(replaced).metadata == {"again": True}
    assert other.read_text() == "not a checkpoint"


# -- what version control leaves in a golden's place --------------------------------------------
def _conflicted(path: Path) -> int:
    """Put merge-conflict markers around the golden's ``checkpoint_id`` line; the line number
    of the ``<<<<<<<`` marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if '"checkpoint_id"' in line)
    lines[at : at + 1] = ["<<<<<<< HEAD", lines[at], "=======", lines[at], ">>>>>>> theirs"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


LFS = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 2196\n"
)


@pytest.mark.parametrize(
    "reader", ["Checkpoint.read", "inspection.load_checkpoint", "checkpoint_trust"]
)
def test_every_reader_names_merge_conflict_markers_and_the_line(
    tmp_path: Path, reader: str
) -> None:
    path = _saved(tmp_path)
    line = _conflicted(path)
    read = {
        "Checkpoint.read": Checkpoint.read,
        "inspection.load_checkpoint": load_checkpoint,
        "checkpoint_trust": checkpoint_trust,
    }[reader]
    with pytest.raises(CheckpointCorruptError) as raised:
        read(path)
    # Before the fix: "truncated or not JSON (...). Restore it from version control or ..."
    assert str(raised.value) == (
        f"{path} is not a readable checkpoint: it holds unresolved merge-conflict markers "
        f"(line {line}). Resolve the conflict (or take one side: git checkout --theirs -- "
        f"{path}, or --ours) or re-record it with: pytest --clearstone-record"
    )


@pytest.mark.parametrize(
    "reader", ["Checkpoint.read", "inspection.load_checkpoint", "checkpoint_trust"]
)
def test_every_reader_names_a_git_lfs_pointer(tmp_path: Path, reader: str) -> None:
    path = tmp_path / "g.ckpt"
    path.write_text(LFS)
    read = {
        "Checkpoint.read": Checkpoint.read,
        "inspection.load_checkpoint": load_checkpoint,
        "checkpoint_trust": checkpoint_trust,
    }[reader]
    with pytest.raises(CheckpointCorruptError) as raised:
        read(path)
    assert str(raised.value) == (
        f"{path} is not a readable checkpoint: it is a Git LFS pointer, not the golden. Fetch "
        f"the file with `git lfs pull` (CI: enable LFS in the checkout)"
    )


def test_for_test_names_the_test_in_the_re_record_command_only(tmp_path: Path) -> None:
    truncated = CheckpointCorruptError(tmp_path / "g.ckpt", "truncated or not JSON (x)")
    assert str(truncated).endswith(RESTORE_OR_RERECORD)
    named = truncated.for_test("tests/test_x.py::test_y[a b]")
    assert isinstance(named, CheckpointCorruptError)
    assert (named.path, named.problem) == (truncated.path, truncated.problem)
    assert str(named) == (
        f"{tmp_path / 'g.ckpt'} is not a readable checkpoint: truncated or not JSON (x). "
        f"Restore it from version control or re-record it with: pytest --clearstone-record "
        f"'tests/test_x.py::test_y[a b]'"
    )
    assert str(truncated.for_test("")) == str(truncated)
    # a fix that is not a re-record stays as it is
    lfs = CheckpointCorruptError(tmp_path / "g.ckpt", "p", "Fetch it")
    assert str(lfs.for_test("t.py::t")) == str(lfs)


def test_the_markers_are_looked_for_only_when_the_file_does_not_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _saved(tmp_path)

    def fail(path: Path, raw: bytes) -> None:
        raise AssertionError("looked for version-control leftovers in a readable golden")

    monkeypatch.setattr(files, "version_control_leftover", fail)
    Checkpoint.read(path)
    load_checkpoint(path)
    checkpoint_trust(path)


def test_text_that_only_looks_like_a_marker_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "g.ckpt"
    path.write_text('{"a": "<<<<<<< HEAD"\n=======x\n')  # not at a line's start / not alone
    with pytest.raises(CheckpointCorruptError, match="truncated or not JSON"):
        Checkpoint.read(path)
    path.write_text('{"a":\n<<<<<<<<\n>>>>>>>x\n')  # (eight of them / text right after)
    with pytest.raises(CheckpointCorruptError, match="truncated or not JSON"):
        Checkpoint.read(path)


def test_what_version_control_left_is_named_also_when_nul_bytes_end_it(tmp_path: Path) -> None:
    path = tmp_path / "g.ckpt"
    path.write_bytes(LFS.encode() + b"\0" * 8)
    with pytest.raises(CheckpointCorruptError, match="it is a Git LFS pointer"):
        Checkpoint.read(path)


# -- what stands where a recording writes a golden (refused before the test's calls) ---------
def test_a_golden_that_is_a_link_checked_out_as_a_plain_file_is_never_recorded_over(
    tmp_path: Path,
) -> None:
    _saved(tmp_path, "shared.ckpt")
    path = tmp_path / "g.ckpt"
    path.write_text("shared.ckpt")
    with pytest.raises(CheckpointCorruptError) as info:
        files.refuse_link_as_file(path, path.read_bytes())
    assert info.value.problem == (
        "it holds only the path 'shared.ckpt': a symbolic link that git checked out as a plain "
        "file (core.symlinks false)"
    )
    assert info.value.fix == check_out_link(path)
    files.refuse_link_as_file(path, b'{"format": "shared.ckpt"}')  # (a golden's text: none)


@pytest.mark.parametrize(
    ("inside", "goldens"),
    [("", False), ("a/notes.txt", False), ("x.ckpt", True), ("a/x.ckpt", True)],
    ids=["empty", "a-folder-of-no-golden", "of-goldens", "of-folders-of-goldens"],
)
def test_a_directory_where_the_golden_goes_is_refused_with_its_own_fix(
    tmp_path: Path, inside: str, goldens: bool
) -> None:
    path = tmp_path / "g.ckpt"
    path.mkdir()
    if inside:
        _golden(path / inside)
    with pytest.raises(ClearstoneError) as info:
        files.refuse_link_as_file(path, None)
    if goldens:
        assert str(info.value) == (
            f"the golden {path} cannot be written: it is a directory of goldens (a golden is a "
            f"file): name the golden's file in it ({path / 'NAME.ckpt'})"
        )
    else:
        assert str(info.value) == (
            f"the golden {path} cannot be written: it is a directory (a golden is a file). "
            f"Move it away and record again"
        )


@symlinks
def test_a_link_checked_out_as_a_plain_file_is_one_line_naming_a_golden_or_a_path_beside_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "shared").mkdir()
    path = tmp_path / "g.ckpt"
    longest = "a" * (files.LINK_MAX - 5) + ".ckpt"
    for target in ("shared", "missing.ckpt", longest):
        assert files.checked_out_link(path, target.encode()) == target
    for raw in (
        b"a" + longest.encode(),  # (longer than any path)
        b"notes\nmissing.ckpt",
        b"\0missing.ckpt",
        b'{"note": "missing.ckpt',  # (a golden cut short)
        b"elsewhere",  # (nothing of that name beside it)
    ):
        assert files.checked_out_link(path, raw) is None, raw
    link = tmp_path / "link.ckpt"  # (a link git made: what it reaches is no link's text)
    link.symlink_to(_golden(tmp_path / "holds-a-path.txt"))
    assert files.checked_out_link(link, b"shared") is None


@symlinks
def test_a_link_to_a_directory_where_the_golden_goes_is_left_to_the_write(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    path = tmp_path / "g.ckpt"
    path.symlink_to(tmp_path / "elsewhere")
    files.refuse_link_as_file(path, None)  # (the write replaces the link)


def test_a_folder_of_the_golden_that_is_a_file_is_refused_naming_it(tmp_path: Path) -> None:
    blocking = tmp_path / "goldens"
    blocking.write_text("{}")
    path = blocking / "mod" / "g.ckpt"
    with pytest.raises(ClearstoneError) as info:
        files.refuse_link_as_file(path, None)
    assert str(info.value) == (
        f"the golden {path} cannot be written: {blocking} is a file, not a directory. Move it "
        f"away and record again"
    )
    files.refuse_link_as_file(tmp_path / "mod" / "g.ckpt", None)  # (a folder to make: none)
    # (a file longer than any link's target, whose first LINK_MAX bytes could be one)
    blocking.write_text("a" * (files.LINK_MAX - 5) + ".ckpt" + "and more")
    with pytest.raises(ClearstoneError, match=r"is a file, not a directory\. Move it away"):
        files.refuse_link_as_file(path, None)


def test_a_folder_of_the_golden_that_is_a_link_checked_out_as_a_plain_file_is_named(
    tmp_path: Path,
) -> None:
    (tmp_path / "shared").mkdir()
    blocking = tmp_path / "goldens"
    blocking.write_text("shared")
    path = blocking / "g.ckpt"
    with pytest.raises(CheckpointCorruptError) as info:
        files.refuse_link_as_file(path, None)
    assert info.value.problem == (
        f"{blocking} holds only the path 'shared': a symbolic link that git checked out as a "
        f"plain file (core.symlinks false)"
    )
    assert info.value.fix == check_out_link(blocking)
    with pytest.raises(CheckpointCorruptError) as read:
        read_golden(path)
    assert (read.value.problem, read.value.fix) == (info.value.problem, info.value.fix)


@symlinks
def test_a_folder_of_the_golden_linked_to_nothing_is_named_not_made(tmp_path: Path) -> None:
    link = tmp_path / "goldens"
    link.symlink_to(tmp_path / "other-checkout" / "goldens")
    path = link / "mod" / "g.ckpt"
    assert files.link_to_nothing(path) == (
        f"{link} is a link to {str(tmp_path / 'other-checkout' / 'goldens')!r}, which does not "
        f"exist. Create that directory (check out what it links to), or give the marker another "
        f"path"
    )
    with pytest.raises(ClearstoneError, match="which does not exist"):
        files.refuse_link_as_file(path, None)
    assert not (tmp_path / "other-checkout").exists()
    (tmp_path / "plain").mkdir()
    assert files.link_to_nothing(tmp_path / "plain" / "mod" / "g.ckpt") is None


def test_the_path_a_link_checked_out_as_a_plain_file_reaches_is_found(tmp_path: Path) -> None:
    shared = _golden(tmp_path / "shared" / "mod" / "g.ckpt")
    (tmp_path / "goldens").write_text("shared")  # (a folder linked)
    (tmp_path / "alias.ckpt").write_text(os.path.join("shared", "mod", "g.ckpt"))  # (a golden)
    assert files.through_link_as_file(str(tmp_path / "goldens" / "mod" / "g.ckpt")) == str(shared)
    assert files.through_link_as_file(str(tmp_path / "alias.ckpt")) == str(shared)
    assert files.through_link_as_file(str(shared)) is None
    assert files.through_link_as_file(str(tmp_path / "shared" / "mod" / "new.ckpt")) is None
    assert files.through_link_as_file(str(tmp_path / "nowhere" / "g.ckpt")) is None
    longest = "a" * (files.LINK_MAX - 5) + ".ckpt"  # (the longest target taken)
    (tmp_path / "long.ckpt").write_text(longest)
    assert files.through_link_as_file(str(tmp_path / "long.ckpt")) == str(tmp_path / longest)


# -- a UTF-8 byte order mark ------------------------------------------------------------------
def test_a_bom_is_not_part_of_what_is_read(tmp_path: Path) -> None:
    path = tmp_path / "g.ckpt"
    path.write_bytes(BOM + b"{}")
    assert read_file(path) == b"{}"
    assert read_golden(path) == b"{}"
    path.write_bytes(BOM)
    assert read_file(path) == b""


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_text_a_utf16_bom_begins_is_read_as_utf8(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "g.ckpt"
    bom = "\ufeff".encode(encoding)
    path.write_bytes(bom + '{"note": "café"}'.encode(encoding))
    assert read_file(path) == '{"note": "café"}'.encode()
    path.write_bytes(bom + b"\x00")  # (bytes that only begin like it: as they are)
    assert read_file(path) == bom + b"\x00"


@pytest.mark.parametrize(
    "reader", ["Checkpoint.read", "inspection.load_checkpoint", "checkpoint_trust"]
)
def test_every_reader_accepts_a_golden_with_a_bom(tmp_path: Path, reader: str) -> None:
    # Before the fix: "truncated or not JSON (UTF-8 byte order mark (BOM) is not supported ...)"
    path = _saved(tmp_path)
    path.write_bytes(BOM + path.read_bytes())
    read = {
        "Checkpoint.read": Checkpoint.read,
        "inspection.load_checkpoint": load_checkpoint,
        "checkpoint_trust": checkpoint_trust,
    }[reader]
    read(path)


def test_a_golden_with_a_bom_is_written_again_without_it(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    path.write_bytes(BOM + path.read_bytes())
    checkpoint = Checkpoint.read(path)
    again = CheckpointManager(tmp_path).save_checkpoint(checkpoint, "g.ckpt")
    assert not again.read_bytes().startswith(BOM)


# -- parts of the suite a pytest_ignore_collect hook leaves out -------------------------------
def test_a_directory_left_out_keeps_goldens_only_when_it_holds_test_modules(
    tmp_path: Path,
) -> None:
    tests = tmp_path / "sdk"
    (tests / "goldens").mkdir(parents=True)
    (tests / "test_sdk.py").write_text("")
    data = tmp_path / "goldens"
    data.mkdir()
    parts = {str(tests): "sdk is left out", str(data): "goldens is left out"}
    uncollected = Uncollected(parts, ["test_*.py"])
    assert uncollected.why_kept(str(tests / "goldens" / "x.ckpt")) == "sdk is left out"
    assert uncollected.why_kept(str(data / "x.ckpt")) == ""


def test_a_module_left_out_keeps_the_goldens_its_f_strings_name(tmp_path: Path) -> None:
    # Expected: a path built by an f-string (one golden per parameter, as the docs show) is
    # kept like a literal one, its replacement fields matching any text. Before the fix only
    # plain literals counted: the f-string's constant piece ".ckpt" named no file, and prune
    # deleted the goldens of a module skipped at import.
    module = tmp_path / "test_faq.py"
    module.write_text(
        'TOPICS = ["a", "b"]\n'
        'PATHS = [f"goldens/{t}.ckpt" for t in TOPICS]\n'
        'SHARED = f"../shared/faq_{TOPICS[0]}_{1}.ckpt"\n'
        'ODD = "goldens/[x].ckpt"\n'
    )
    uncollected = Uncollected({str(module): "test_faq.py was skipped"}, ["test_*.py"])
    why = uncollected.why_kept
    assert why(str(tmp_path / "goldens" / "shipping.ckpt")) == "test_faq.py was skipped"
    assert why(str(tmp_path.parent / "shared" / "faq_b_2.ckpt")) == "test_faq.py was skipped"
    # a file name with text of its own besides .ckpt is kept anywhere, as a literal's is
    assert why(str(tmp_path / "elsewhere" / "faq_c_3.ckpt")) == "test_faq.py was skipped"
    assert why(str(tmp_path / "goldens" / "[x].ckpt")) == "test_faq.py was skipped"
    # "{t}.ckpt" alone is no file name: goldens elsewhere are not kept by it
    assert why(str(tmp_path / "elsewhere" / "shipping.ckpt")) == ""


def test_a_checkpoint_directory_that_is_a_file_is_named_with_the_fix(tmp_path: Path) -> None:
    # before: pathlib's "[Errno 17] File exists" from deep inside the atomic write
    in_the_way = tmp_path / "checkpoints"
    in_the_way.write_text("notes")
    with pytest.raises(NotADirectoryError, match=r"the checkpoint directory is not a dir") as info:
        _saved(in_the_way)
    assert "move the file away" in str(info.value) and str(in_the_way) in str(info.value)
    assert in_the_way.read_text() == "notes"


def test_a_metadata_value_only_a_pickle_could_store_is_refused_with_metadata_advice(
    tmp_path: Path,
) -> None:
    # before: the refusal ended with the agent state's advice ("exclude it from get_state()")
    import threading

    provider = TracerProvider(db_path=":memory:")
    with provider.get_tracer("tests").span("step") as span:
        pass
    trace = provider.trace_store.get_trace(span.trace_id)
    provider.shutdown()
    manager = CheckpointManager(tmp_path)
    checkpoint = manager.create_checkpoint(
        Agent(), trace, span.span_id, metadata={"lock": threading.Lock()}
    )
    with pytest.raises(SerializationError, match=r"metadata\['lock'\]") as info:
        manager.save_checkpoint(checkpoint, "g.ckpt")
    assert "get_state" not in str(info.value)
    assert "Give the metadata JSON-friendly values" in str(info.value)
    assert not (tmp_path / "g.ckpt").exists()


@pytest.mark.parametrize("base", [b"", b'||||||| base\n  "a": 0,\n'], ids=["merge", "diff3"])
def test_the_first_side_of_a_conflicted_golden_is_its_text_with_every_conflict_taken_ours(
    base: bytes,
) -> None:
    conflict = b'<<<<<<< HEAD\n  "a": 1,\n' + base + b'=======\n  "a": 2,\n>>>>>>> other\n'
    raw = b"{\n" + conflict + b'  "b": 3,\n' + conflict.replace(b'"a"', b'"c"') + b'  "d": 4\n}\n'
    assert files.first_side(raw) == b'{\n  "a": 1,\n  "b": 3,\n  "c": 1,\n  "d": 4\n}\n'
    assert files.first_side(b'{"a": "<<<<<<< not a marker"}') is None


def test_a_golden_that_is_a_used_file_under_another_name_is_used(tmp_path: Path) -> None:
    # On a file system that folds case (macOS, Windows) the marker path "goldens/Foo.ckpt" (or a
    # test renamed in case only) reads goldens/foo.ckpt; a hard link is the same on every file
    # system. Before the fix, compared by path, that file was listed as unused, and
    # --clearstone-prune-unused deleted the golden the test reads.
    used = _golden(tmp_path / "goldens" / "Foo.ckpt")
    same = tmp_path / "goldens" / "foo.ckpt"
    os.link(used, same)
    stale = _golden(tmp_path / "goldens" / "stale.ckpt")
    assert unused_goldens([str(tmp_path)], {str(used)}) == [stale]


def test_other_case_finds_the_one_file_whose_path_differs_only_in_case(tmp_path: Path) -> None:
    from pytest_clearstone.golden.paths import other_case

    old = _golden(tmp_path / "goldens" / "test_Trip" / "TestA.test_One[x].ckpt")
    wanted = tmp_path / "goldens" / "test_trip" / "TestA.test_one[x].ckpt"
    assert other_case(wanted) == str(old)
    assert other_case(old) is None  # (it exists)
    assert other_case(tmp_path / "goldens" / "test_trip" / "other.ckpt") is None
    _golden(tmp_path / "goldens" / "test_TRIP" / "TestA.test_one[x].ckpt")
    assert other_case(wanted) is None  # two candidates: none is named
