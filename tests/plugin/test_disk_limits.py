"""A record run at a limit of its machine — a full disk, the file size limit (``ulimit -f``),
the open files limit (``ulimit -n``): the golden that cannot be written fails its test naming
the file and a fix that works, the old golden stays byte for byte, and no temporary file is
left beside it."""

from __future__ import annotations

import errno
import sys
import textwrap

import pytest

from tests.inner_runs import LEAN_ARGS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")

APP = """
import os

def complete(prompt):
    return prompt.upper() + os.environ.get("ANSWER_SUFFIX", "")
"""

TESTS = """
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    assert replay.run(app.complete, "hello")
"""

# Python ignores SIGXFSZ: a write past the limit fails with EFBIG ("File too large"), as one on
# a full disk fails with ENOSPC
LIMIT = """
import os
import resource

if os.environ.get("FILE_SIZE_LIMIT"):
    limit = int(os.environ["FILE_SIZE_LIMIT"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
"""


def test_a_golden_past_the_file_size_limit_names_the_limit_not_the_directory(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: "File too large" is not fixed by moving the golden away or making its directory
    # writable (what the message said); it names the disk space and the file size limit.
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    pytester.makeconftest(LIMIT)
    args = (*LEAN_ARGS, "--clearstone-record", "--clearstone-db", ":memory:")
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_it" / "test_a.ckpt"
    before = golden.read_bytes()
    monkeypatch.setenv("ANSWER_SUFFIX", "!" * 4000)
    monkeypatch.setenv("FILE_SIZE_LIMIT", str(len(before) + 100))
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_a: the golden checkpoint was not written: cannot write "
            "*goldens/test_it/test_a.ckpt: File too large. Free space on its disk or raise the "
            "file size limit (ulimit -f)*",
        ]
    )
    result.stdout.no_fnmatch_line("*make its directory writable*")
    result.stdout.no_fnmatch_line("*Traceback*")
    assert golden.read_bytes() == before
    assert sorted(p.name for p in golden.parent.iterdir()) == ["test_a.ckpt"]


LEAKY_APP = """
import os
import resource

LEAKED = []


def complete(prompt):
    return prompt.upper()


def leak():
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    try:
        while True:
            LEAKED.append(open(os.devnull))
    except OSError:
        pass
"""

LEAKY_TESTS = """
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    assert replay.run(app.complete, "hello")
    app.leak()  # (an agent's clients never closed, over a long suite)
"""


@pytest.mark.parametrize("store", ["file", "memory"])
def test_a_recording_out_of_file_descriptors_says_so_and_how_to_go_on(
    pytester: pytest.Pytester, store: str
) -> None:
    # Expected: the test fails saying the process has too many files open, with the limit and
    # the fix. It said SQLite's "unable to open database file" with advice to point the trace
    # store elsewhere or move the file away, or (a store in memory) "cannot write ...: Too many
    # open files. Move it away or give the marker another path, or make its directory writable".
    pytester.makepyfile(app=textwrap.dedent(LEAKY_APP), test_it=textwrap.dedent(LEAKY_TESTS))
    args = ["--clearstone-record"] + (["--clearstone-db", ":memory:"] if store == "memory" else [])
    result = pytester.runpytest_subprocess(*LEAN_ARGS, *args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_a: the golden checkpoint was not written: * this process has "
            "as many files open as it may (128, ulimit -n): close the files, sockets and "
            "clients the tests or the agent leave open, or raise the limit",
        ]
    )
    for wrong in ("*move the file away*", "*make its directory writable*", "*Traceback*"):
        result.stdout.no_fnmatch_line(wrong)
    assert not (pytester.path / "goldens").exists()


# what a checkout on a read-only mount gives (a Nix/Bazel sandbox, a container's read-only
# volume): os.open refuses every new file there with EROFS
READ_ONLY_MOUNT = """
import errno
import os

_open = os.open


def _refused(path, flags, *args, **kwargs):
    if str(path).endswith(".tmp") and flags & os.O_CREAT:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    return _open(path, flags, *args, **kwargs)


os.open = _refused
"""


def test_a_golden_on_a_read_only_mount_says_so_and_not_to_move_it(
    pytester: pytest.Pytester,
) -> None:
    # Expected: a file system mounted read-only is named with the fix that works. It said
    # "Move it away or give the marker another path, or make its directory writable": nothing
    # there can be moved, nor any directory made writable.
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    pytester.makeconftest(READ_ONLY_MOUNT)
    result = pytester.runpytest_subprocess(
        *LEAN_ARGS, "--clearstone-record", "--clearstone-db", ":memory:"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_a: the golden checkpoint was not written: cannot write "
            "*goldens/test_it/test_a.ckpt: Read-only file system. Record in a checkout on a file "
            "system mounted read-write*",
        ]
    )
    result.stdout.no_fnmatch_line("*Move it away*")


@pytest.mark.parametrize("code", ["ENOSPC", "EDQUOT"])
def test_a_golden_on_a_full_disk_names_the_space_not_the_directory(
    pytester: pytest.Pytester, code: str
) -> None:
    # (a disk or a disk quota that is full: freeing space is the fix, not moving the file)
    if not hasattr(errno, code):
        pytest.skip(f"no {code} here")
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    pytester.makeconftest(READ_ONLY_MOUNT.replace("errno.EROFS", f"errno.{code}"))
    result = pytester.runpytest_subprocess(
        *LEAN_ARGS, "--clearstone-record", "--clearstone-db", ":memory:"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_a: the golden checkpoint was not written: cannot write "
            "*goldens/test_it/test_a.ckpt: *. Free space on its disk (or in your disk quota)*",
        ]
    )
    result.stdout.no_fnmatch_line("*Move it away*")


# what a checkout made by another user gives (a CI image's, run as a user of its own): the
# folder of goldens is there, and this user may not make anything in it
NOT_THIS_USERS = """
import errno
import os

_open, _mkdir = os.open, os.mkdir
DENIED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens")


def _denied(path):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))


def _open_refused(path, flags, *args, **kwargs):
    if str(path).startswith(DENIED) and flags & os.O_CREAT:
        _denied(path)
    return _open(path, flags, *args, **kwargs)


def _mkdir_refused(path, *args, **kwargs):
    if os.path.dirname(os.path.abspath(path)) == DENIED:
        _denied(path)
    return _mkdir(path, *args, **kwargs)


if os.environ.get("NOT_THIS_USERS"):
    os.open, os.mkdir = _open_refused, _mkdir_refused
"""


@pytest.mark.parametrize("golden", ["there", "new"])
def test_a_golden_in_a_folder_this_user_may_not_write_names_that_folder(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, golden: str
) -> None:
    # Expected: the folder this user may not write is named, with the fix for it. It said
    # "Move it away or give the marker another path, or make its directory writable": a golden
    # there cannot be moved away either, a new one is no file to move, and "its directory" of a
    # new golden (goldens/test_it, named in the message) was not there: goldens/ was the one.
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    pytester.makeconftest(NOT_THIS_USERS)
    (pytester.path / "goldens").mkdir()
    if golden == "there":
        pytester.runpytest_subprocess(*LEAN_ARGS, "--clearstone-record").assert_outcomes(passed=1)
    before = sorted(p.name for p in (pytester.path / "goldens").rglob("*"))
    monkeypatch.setenv("NOT_THIS_USERS", "1")
    monkeypatch.setenv("ANSWER_SUFFIX", " (changed)")  # (an unchanged golden is not written)
    result = pytester.runpytest_subprocess(
        *LEAN_ARGS, "--clearstone-record", "--clearstone-db", ":memory:"
    )
    result.assert_outcomes(failed=1)
    folder = pytester.path / "goldens" / ("test_it" if golden == "there" else "")
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_a: the golden checkpoint was not written: cannot write "
            f"*goldens/test_it/test_a.ckpt: Permission denied*. Make {folder.resolve()} "
            "writable for the user recording, or record as a user who may write it",
        ]
    )
    result.stdout.no_fnmatch_line("*Move it away*")
    assert sorted(p.name for p in (pytester.path / "goldens").rglob("*")) == before


BLOCKING_TESTS = """
import pathlib

import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    assert replay.run(app.complete, "hello")
    # (after the set-up's check of the path: the test itself puts a file in the way)
    pathlib.Path("goldens", "test_it").write_bytes(b"not a folder of goldens")
"""


def test_a_file_where_the_golden_s_folder_should_be_is_named_as_what_stood_in_the_way(
    pytester: pytest.Pytester,
) -> None:
    """The golden's path is fine; a file named as one of its folders is what to move."""
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(BLOCKING_TESTS))
    (pytester.path / "goldens").mkdir()
    blocker = pytester.path / "goldens" / "test_it"
    result = pytester.runpytest(*LEAN_ARGS, "--clearstone-record", "--clearstone-db", ":memory:")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*the golden checkpoint was not written: cannot write {blocker / 'test_a.ckpt'}: *"
         f"({blocker}). Move it away or give the marker another path*"]
    )  # fmt: skip
    assert blocker.read_bytes() == b"not a folder of goldens"
