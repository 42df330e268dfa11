"""Run from a subdirectory of the rootdir (``cd tests && pytest``), the clearstone summary names
each golden from there, as it names each test: a path relative to the rootdir named no file
there, so ``git diff`` of it (the summary's hint: ``review with git diff``) showed nothing."""

from __future__ import annotations

import os
import subprocess

import pytest

APP = """
def llm(prompt):
    return "ok " + prompt
"""

TEST = """
import pytest
import app


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_m():
    assert app.llm("1") == "ok 1"
"""


def test_golden_paths_in_the_summary_are_named_from_where_pytest_started(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    pytester.makeini("[pytest]\n")
    tests = pytester.mkdir("tests")
    (tests / "test_m.py").write_text(TEST)
    monkeypatch.chdir(tests)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    golden = os.path.join("goldens", "test_m", "test_m.ckpt")
    result.stdout.fnmatch_lines(["goldens written:", f"  {golden}: new"])
    assert os.path.isfile(golden)  # (the path as named, from where pytest was started)
    if subprocess.run(["git", "--version"], capture_output=True).returncode == 0:
        subprocess.run(["git", "init", "-q", str(pytester.path)], check=True)
        assert subprocess.run(["git", "add", "--", golden], check=False).returncode == 0
