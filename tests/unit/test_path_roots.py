"""Stored paths relative to well-known roots (:mod:`pytest_clearstone.path_roots`): a path under
pytest's base temporary directory, the rootdir or the home directory is stored relative to it and
read back under that root of the reading run; a delta shows a path as one value."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from pytest_clearstone.codec import TAG, decode, dumps, encode, loads, same_stored_form
from pytest_clearstone.diff import state_delta
from pytest_clearstone.errors import DecodeError
from pytest_clearstone.path_roots import PathRoots, anchored, root_directories, use_roots

Use = Callable[[PathRoots | None], None]


@pytest.fixture
def use(request: pytest.FixtureRequest) -> Use:
    """Set the roots for the rest of the test (the session's are put back after it)."""

    def use_(roots: PathRoots | None) -> None:
        request.addfinalizer(use_roots(roots))

    return use_


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    """A recording machine's directories: home, a checkout in it, pytest's base temp."""
    home = tmp_path / "home" / "ana"
    return {"home": home, "rootdir": home / "proj", "basetemp": tmp_path / "pytest-444"}


def _path(v: str, root: str) -> dict[str, str]:
    return {TAG: "path", "v": v, "root": root}


def test_a_path_under_a_root_is_stored_relative_to_it(use: Use, machine: dict[str, Path]) -> None:
    use(PathRoots(**machine))
    assert encode(machine["rootdir"] / "docs" / "guide.md") == _path("docs/guide.md", "rootdir")
    assert encode(machine["home"] / ".cache" / "x") == _path(".cache/x", "home")
    assert encode(machine["basetemp"] / "test_a0" / "n.txt") == _path("test_a0/n.txt", "basetemp")
    assert encode(machine["rootdir"]) == _path(".", "rootdir")  # the root itself
    # the most specific root wins: a base temp inside the checkout (--basetemp=tmp)
    use(PathRoots(basetemp=machine["rootdir"] / "tmp", rootdir=machine["rootdir"]))
    assert encode(machine["rootdir"] / "tmp" / "t0") == _path("t0", "basetemp")
    assert encode(machine["rootdir"] / "tmpfile") == _path("tmpfile", "rootdir")


def test_a_path_under_no_root_and_a_relative_path_are_stored_as_before(
    use: Use, machine: dict[str, Path]
) -> None:
    use(PathRoots(**machine))
    sibling = machine["home"] / "proj-old" / "x"  # shares the checkout's name as a prefix
    assert encode(sibling) == _path("proj-old/x", "home")
    elsewhere = Path(tempfile.gettempdir()) / "elsewhere" / "x"
    assert encode(elsewhere) == {TAG: "path", "v": str(elsewhere)}
    assert encode(Path("docs/x")) == {TAG: "path", "v": "docs/x"}
    windows = PureWindowsPath("C:\\Users\\ana\\report.txt")  # another flavour: never rooted
    assert encode(windows) == {TAG: "path", "v": str(windows), "flavour": "windows"}
    # a pure path of the platform's own flavour: rooted, and read back as the pure path it was
    pure = PurePosixPath(machine["rootdir"] / "a")
    assert encode(pure) == {**_path("a", "rootdir"), "flavour": "posix"}


def test_a_relative_path_is_read_back_under_the_readers_root(
    use: Use, machine: dict[str, Path], tmp_path: Path
) -> None:
    use(PathRoots(**machine))
    recorded = {
        "tmp": machine["basetemp"] / "test_a0" / "n.txt",
        "doc": machine["rootdir"] / "docs" / "guide.md",
        "cache": machine["home"] / ".cache",
        "checkout": machine["rootdir"],
    }
    text = dumps(encode(recorded), pretty=True)
    ci = {"home": tmp_path / "runner", "rootdir": tmp_path / "w", "basetemp": tmp_path / "bt9"}
    use(PathRoots(**ci))
    assert loads(text) == {
        "tmp": ci["basetemp"] / "test_a0" / "n.txt",
        "doc": ci["rootdir"] / "docs" / "guide.md",
        "cache": ci["home"] / ".cache",
        "checkout": ci["rootdir"],
    }
    # a recorded argument and the live one: the same file under the same root compare equal
    live = ci["rootdir"] / "docs" / "guide.md"
    assert same_stored_form(live, loads(text)["doc"])


def test_an_old_golden_with_an_absolute_path_reads_back_as_before(
    use: Use, machine: dict[str, Path]
) -> None:
    use(PathRoots(**machine))
    absolute = machine["rootdir"] / "docs"
    assert decode({TAG: "path", "v": str(absolute)}) == absolute
    assert type(decode({TAG: "path", "v": str(absolute)})) is type(Path())


def test_a_filesystem_root_is_no_root(use: Use) -> None:
    # HOME=/ in many containers: every path would be "under" it
    anchor = Path(Path.cwd().anchor)
    use(PathRoots(home=anchor, rootdir=None, basetemp=None))
    inside = anchor / "srv" / "app"
    assert encode(inside) == {TAG: "path", "v": str(inside)}


def test_a_root_linked_to_the_filesystem_root_holds_no_resolved_path(
    use: Use, tmp_path: Path
) -> None:
    # a home named through a link to / (a container's): the paths it names are stored relative
    # to it, and a path of the filesystem is not taken for one below the home it resolves to
    home = tmp_path / "home"
    home.symlink_to(Path(home.anchor), target_is_directory=True)
    use(PathRoots(home=home, rootdir=None, basetemp=None))
    assert encode(home / "notes.txt") == _path("notes.txt", "home")
    elsewhere = Path(home.anchor) / "srv" / "app"
    assert encode(elsewhere) == {TAG: "path", "v": str(elsewhere)}


def test_the_base_temp_is_asked_for_once_and_only_when_a_path_is_stored(
    use: Use, machine: dict[str, Path]
) -> None:
    asked: list[int] = []

    def basetemp() -> Path:
        asked.append(1)
        return machine["basetemp"]

    use(PathRoots(basetemp=basetemp, rootdir=machine["rootdir"], home=None))
    encode({"a": [1, "x", 2.5, (1, 2)]})
    assert asked == []  # (pytest creates its base temp when asked: only when a path needs it)
    assert encode(machine["basetemp"] / "t0") == _path("t0", "basetemp")
    assert encode(machine["rootdir"] / "a") == _path("a", "rootdir")
    assert asked == [1]


def test_a_base_temp_that_cannot_be_made_is_no_root(use: Use, machine: dict[str, Path]) -> None:
    def basetemp() -> Path:
        raise OSError("The temporary directory is not owned by the current user")

    use(PathRoots(basetemp=basetemp, rootdir=machine["rootdir"], home=None))
    assert encode(machine["rootdir"] / "a") == _path("a", "rootdir")


def test_outside_a_session_paths_are_stored_absolute_and_read_under_defaults(
    use: Use, machine: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(None)
    assert encode(machine["rootdir"] / "a") == {TAG: "path", "v": str(machine["rootdir"] / "a")}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(machine["home"]))
    assert decode(_path("docs/guide.md", "rootdir")) == tmp_path / "docs" / "guide.md"
    assert decode(_path(".cache", "home")) == Path(os.path.expanduser("~")) / ".cache"
    assert decode(_path("test_a0", "basetemp")) == Path(tempfile.gettempdir()) / "test_a0"
    # a session without some root (pytest's tmpdir plugin disabled) reads it the same way
    use(PathRoots(basetemp=None, rootdir=machine["rootdir"], home=None))
    assert decode(_path("test_a0", "basetemp")) == Path(tempfile.gettempdir()) / "test_a0"


def test_a_bad_stored_root_names_the_root_and_the_fix(use: Use, machine: dict[str, Path]) -> None:
    use(PathRoots(**machine))
    with pytest.raises(DecodeError, match=r"'nowhere'.*basetemp, rootdir, home.*re-record"):
        decode(_path("a", "nowhere"))
    with pytest.raises(DecodeError, match=r"relative to the rootdir.*'/etc/passwd'"):
        decode(_path("/etc/passwd", "rootdir"))
    # a damaged file: the part below the root is not text
    for below in (None, ["a"], {"v": "a"}):
        with pytest.raises(DecodeError, match=r"relative to the rootdir must be relative"):
            decode(_path(below, "rootdir"))  # type: ignore[arg-type]


def test_roots_are_restored_when_undone(machine: dict[str, Path]) -> None:
    outer = encode(machine["rootdir"] / "a")
    restore = use_roots(PathRoots(rootdir=machine["rootdir"]))
    assert encode(machine["rootdir"] / "a") == _path("a", "rootdir")
    restore()
    assert encode(machine["rootdir"] / "a") == outer


def test_a_changed_path_is_one_line_of_a_delta() -> None:
    old, new = Path("/w/repro_upload/batch.jsonl"), Path("/w/repro_upload_moved/batch.jsonl")
    delta = state_delta({"file": old, "keep": Path("/a")}, {"file": new, "keep": Path("/a")})
    assert delta.lines == [f"root['file']: {old!r} -> {new!r}"]
    assert state_delta([old], ["x"]).lines == [
        f"root[0]: {old!r} ({type(old).__name__}) -> 'x' (str)"
    ]
    windows = state_delta(PureWindowsPath("C:\\a"), PureWindowsPath("C:\\b"))
    assert windows.lines == ["root: PureWindowsPath('C:/a') -> PureWindowsPath('C:/b')"]


def test_a_path_named_through_a_linked_root_equals_the_path_resolved(
    use: Use, tmp_path: Path
) -> None:
    # one path named once through a symlink to a root and once resolved is stored alike, so a
    # replay compares them as equal; another path under the root still differs
    real = tmp_path / "real"
    (real / "docs").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    use(PathRoots(rootdir=link))
    assert same_stored_form({"p": link / "docs" / "x"}, {"p": real / "docs" / "x"})
    assert not same_stored_form({"p": link / "docs" / "y"}, {"p": real / "docs" / "x"})


def test_a_linked_root_resolved_is_the_root_itself_and_listed_by_both_names(
    use: Use, tmp_path: Path
) -> None:
    real = tmp_path.resolve() / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    use(PathRoots(rootdir=link))
    assert encode(real) == encode(link) == _path(".", "rootdir")
    assert root_directories() == ((str(link), "rootdir"), (str(real), "rootdir"))


def test_each_root_not_named_through_a_symlink_is_listed_once(use: Use, tmp_path: Path) -> None:
    real = tmp_path.resolve()
    use(PathRoots(rootdir=real / "proj", home=real))
    assert root_directories() == ((str(real / "proj"), "rootdir"), (str(real), "home"))


@pytest.mark.parametrize("below", ["\\Windows\\system.ini", "/etc/passwd"])
def test_a_stored_path_below_a_root_that_starts_at_a_separator_is_refused(below: str) -> None:
    """Of either system: read on POSIX, ``\\Windows\\...`` would be a file name under the root."""
    with pytest.raises(DecodeError, match="must be relative"):
        anchored("rootdir", below)
