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
