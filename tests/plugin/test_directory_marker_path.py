"""A marker path that names a directory by its form (``"goldens/"``, ``"."``, ``".."``) is
refused before the test runs, naming the fix (a file's path): recording wrote a file named
``goldens`` (in the place of the directory of every default golden), and a replay told the
user to move away the directory, the test's own among them."""

from __future__ import annotations

import pytest

APP = """
def llm(prompt):
    return "ok " + prompt
"""

TEST = """
import pytest

import app


@pytest.mark.replay({path!r}, mock={{"llm": "app.llm"}})
def test_ask():
    assert app.llm("hi") == "ok hi"
"""


@pytest.mark.parametrize("path", ["goldens/", ".", "..", "goldens/..", "./"])
@pytest.mark.parametrize("mode", ["record", "replay"])
def test_a_marker_path_naming_a_directory_is_refused_naming_the_fix(
    pytester: pytest.Pytester, path: str, mode: str
) -> None:
    # Expected: the test errors at set-up saying the path names a directory and to give a
    # file's path; nothing is written (it wrote a file `goldens` where the directory of the
    # default goldens goes, and replaying said "<the test's directory> ... Move it away")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_dirpath=TEST.format(path=path))
    pytester.mkdir("goldens")
    before = sorted(p.name for p in pytester.path.iterdir())
    result = pytester.runpytest(f"--clearstone-mode={mode}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"test_dirpath.py::test_ask: @pytest.mark.replay path must be a file path, not "
            f"{path!r} (it names a directory): give the path of the golden's file "
            f"(goldens/NAME.ckpt), or leave the path out for one golden per test",
        ]
    )
    result.stdout.no_fnmatch_line("*Move it away*")
    assert sorted(p.name for p in pytester.path.iterdir()) == before
    assert not list(pytester.path.joinpath("goldens").iterdir())


def test_a_marker_path_naming_a_directory_of_goldens_names_a_file_in_it_as_the_fix(
    pytester: pytest.Pytester,
) -> None:
    # Expected: `@pytest.mark.replay("goldens", ...)`, a directory holding other goldens, says
    # to name a file in it, and not to move the directory away (it said "Move it away, then
    # re-record it": moving the directory loses every golden in it)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_dirpath=TEST.format(path="goldens/other.ckpt"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(test_dirpath=TEST.format(path="goldens"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_dirpath.py::test_ask: */goldens is not a readable checkpoint: it is a "
            "directory of goldens (a golden is a file): name the golden's file in it "
            "(*/goldens/NAME.ckpt)",
        ]
    )
    result.stdout.no_fnmatch_line("*Move it away*")
    assert pytester.path.joinpath("goldens", "other.ckpt").is_file()


def test_recording_at_a_marker_path_naming_a_directory_of_goldens_names_a_file_in_it(
    pytester: pytest.Pytester,
) -> None:
    # (it said "Move it away or give the marker another path": moving it loses its goldens;
    # and it said so after the test's live calls: it is refused before the test runs)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_dirpath=TEST.format(path="goldens/other.ckpt"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(test_dirpath=TEST.format(path="goldens"))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_dirpath.py::test_ask: the golden */goldens cannot be written: it is a "
            "directory of goldens (a golden is a file): name the golden's file in it "
            "(*/goldens/NAME.ckpt)",
        ]
    )
    result.stdout.no_fnmatch_line("*Move it away*")
    assert pytester.path.joinpath("goldens", "other.ckpt").is_file()


def test_a_directory_of_goldens_made_while_recording_is_named_with_a_file_in_it_as_the_fix(
    pytester: pytest.Pytester,
) -> None:
    # a marker path "goldens" that is no directory when the test starts (a fresh checkout),
    # made one by another recording while it runs (an xdist worker writing a golden of its
    # own): the write fails after the calls, naming a file in it, not to move it away
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_dirpath=TEST.format(path="goldens"))
    pytester.makeconftest(
        """
        import os
        import pytest

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_call(item):
            os.makedirs("goldens/test_other")
            open("goldens/test_other/test_b.ckpt", "w").close()
            return (yield)
        """
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_dirpath.py::test_ask: the golden checkpoint was not written: cannot write "
            "*/goldens: Is a directory. It is a directory of goldens: name the golden's file "
            "in it (*/goldens/NAME.ckpt)",
            "*goldens not written*",
            "  test_dirpath.py::test_ask: it could not be saved",
        ]
    )
    result.stdout.no_fnmatch_line("*Move it away*")
