"""A test's own ``tmp_path`` as a root (:func:`pytest_clearstone.path_roots.use_tmp_path`): while
it is set, a path under it is stored relative to it (``"root": "tmp_path"``) and read back under
the current one; outside a test a stored ``tmp_path`` path is read under ``tmp_path`` in the base
temporary directory, a directory no test has."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_clearstone.codec import TAG, decode, encode
from pytest_clearstone.errors import DecodeError
from pytest_clearstone.path_roots import PathRoots, use_roots, use_tmp_path

Use = Callable[[Callable[[], None]], None]


@pytest.fixture
def use(request: pytest.FixtureRequest) -> Use:
    """Undo a ``use_roots`` / ``use_tmp_path`` after the test (in reverse order)."""

    def use_(restore: Callable[[], None]) -> None:
        request.addfinalizer(restore)

    return use_


@pytest.fixture
def session(tmp_path: Path) -> dict[str, Path]:
    """A session's roots and two of its tests' tmp_path directories."""
    basetemp = tmp_path / "pytest-7"
    return {
        "basetemp": basetemp,
        "rootdir": tmp_path / "proj",
        "home": tmp_path / "home",
        "first": basetemp / "test_x0",
        "second": basetemp / "test_x1",
    }


def _roots(session: dict[str, Path]) -> PathRoots:
    return PathRoots(basetemp=session["basetemp"], rootdir=session["rootdir"], home=session["home"])


def _path(v: str, root: str) -> dict[str, str]:
    return {TAG: "path", "v": v, "root": root}


def test_a_path_under_the_tests_tmp_path_is_stored_relative_to_it(
    use: Use, session: dict[str, Path]
) -> None:
    use(use_roots(_roots(session)))
    use(use_tmp_path(session["first"]))
    assert encode(session["first"] / "n.txt") == _path("n.txt", "tmp_path")
    assert encode(session["first"]) == _path(".", "tmp_path")
    # another directory of the base temp (a tmp_path_factory.mktemp one) keeps the base temp
    assert encode(session["basetemp"] / "data0" / "a") == _path("data0/a", "basetemp")
    assert encode(session["second"]) == _path("test_x1", "basetemp")
    assert encode(session["basetemp"] / "test_x01") == _path("test_x01", "basetemp")  # (prefix)
    assert encode(session["rootdir"] / "a") == _path("a", "rootdir")
    assert encode(session["home"] / ".cache" / "a") == _path(".cache/a", "home")


def test_it_is_read_back_under_the_reading_tests_tmp_path(
    use: Use, session: dict[str, Path]
) -> None:
    use(use_roots(_roots(session)))
    restore = use_tmp_path(session["second"])  # recorded as test_x1 (a re-record, a 2nd module)
    stored = encode({"dir": session["second"], "file": session["second"] / "n.txt"})
    restore()
    use(use_tmp_path(session["first"]))  # replayed as test_x0
    assert decode(stored) == {"dir": session["first"], "file": session["first"] / "n.txt"}


def test_restoring_puts_back_the_session_roots(use: Use, session: dict[str, Path]) -> None:
    use(use_roots(_roots(session)))
    restore = use_tmp_path(session["first"])
    restore()
    assert encode(session["first"] / "n.txt") == _path("test_x0/n.txt", "basetemp")


def test_the_most_specific_root_wins(use: Use, tmp_path: Path) -> None:
    # a tmp_path fixture overridden to a directory that holds the checkout
    use(use_roots(PathRoots(rootdir=tmp_path / "work" / "proj")))
    use(use_tmp_path(tmp_path / "work"))
    assert encode(tmp_path / "work" / "proj" / "a") == _path("a", "rootdir")
    assert encode(tmp_path / "work" / "b") == _path("b", "tmp_path")


def test_a_base_temp_golden_reads_as_before_in_a_test(use: Use, session: dict[str, Path]) -> None:
    use(use_roots(_roots(session)))
    use(use_tmp_path(session["first"]))
    assert decode(_path("test_x0/n.txt", "basetemp")) == session["first"] / "n.txt"


def test_the_tmp_path_is_asked_for_only_when_a_path_is_stored_or_read(
    use: Use, session: dict[str, Path]
) -> None:
    asked: list[int] = []

    def tmp_path() -> Path:
        asked.append(1)
        return session["first"]

    use(use_roots(_roots(session)))
    use(use_tmp_path(tmp_path))
    encode({"a": [1, "x"]})
    assert asked == []
    assert encode(session["first"] / "a") == _path("a", "tmp_path")
    assert decode(_path("b", "tmp_path")) == session["first"] / "b"
    assert asked == [1]


def test_threads_and_tasks_of_the_test_see_its_tmp_path(use: Use, session: dict[str, Path]) -> None:
    # (threads do not inherit context variables: the root is the process's while the test runs)
    use(use_roots(_roots(session)))
    use(use_tmp_path(session["first"]))
    found: list[object] = []
    worker = threading.Thread(target=lambda: found.append(encode(session["first"] / "t")))
    worker.start()
    worker.join()

    async def task() -> object:
        return encode(session["first"] / "a")

    async def main() -> object:
        return await asyncio.create_task(task())

    found.append(asyncio.run(main()))
    assert found == [_path("t", "tmp_path"), _path("a", "tmp_path")]


def test_outside_a_test_it_is_read_under_tmp_path_in_the_base_temp(
    use: Use, session: dict[str, Path]
) -> None:
    use(use_roots(_roots(session)))  # a session, between tests or in one without tmp_path
    assert decode(_path("n.txt", "tmp_path")) == session["basetemp"] / "tmp_path" / "n.txt"
    assert decode(_path(".", "tmp_path")) == session["basetemp"] / "tmp_path"
    use(use_roots(None))  # the library API, python -m pytest_clearstone show
    outside = Path(tempfile.gettempdir()) / "tmp_path" / "n.txt"
    assert decode(_path("n.txt", "tmp_path")) == outside
    # a test's tmp_path outside a session (the library used by a test of its own)
    use(use_tmp_path(session["first"]))
    assert encode(session["first"] / "n.txt") == _path("n.txt", "tmp_path")
    assert decode(_path("n.txt", "tmp_path")) == session["first"] / "n.txt"


def test_a_tmp_path_that_is_not_a_directory_path_is_no_root(
    use: Use, session: dict[str, Path]
) -> None:
    use(use_roots(_roots(session)))
    use(use_tmp_path("relative/dir"))
    assert encode(Path("relative/dir/a")) == {TAG: "path", "v": "relative/dir/a"}
    assert decode(_path("a", "tmp_path")) == session["basetemp"] / "tmp_path" / "a"


def test_an_absolute_path_stored_under_tmp_path_is_refused(
    use: Use, session: dict[str, Path]
) -> None:
    use(use_roots(_roots(session)))
    with pytest.raises(DecodeError, match=r"relative to the tmp_path.*'/etc/passwd'.*re-record"):
        decode(_path("/etc/passwd", "tmp_path"))
    with pytest.raises(DecodeError, match=r"one of tmp_path, basetemp, rootdir, home"):
        decode(_path("a", "tmp"))
