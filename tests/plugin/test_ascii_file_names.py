"""A golden path outside ASCII where Python encodes file names as ASCII (a C or POSIX locale,
``LC_ALL=C``, with UTF-8 mode off, ``PYTHONUTF8=0``: some CI containers): the test fails
naming its path and the fix, and the run ends with its summary. Before, a recording failed as
``bad ignore_state= in the clearstone_config fixture: 'ascii' codec can't encode ...`` (neither
of which the test has), a replay with a ``UnicodeEncodeError`` deep in the plugin, and then the
whole run with a traceback from the search for unused goldens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.inner_runs import LEAN_ARGS

APP = """
def complete(prompt):
    return "answer to " + prompt


class Agent:
    def handle(self, message):
        return complete(message)
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay("goldens/café.ckpt", mock={"llm": "app.complete"})
def test_cafe(replay):
    assert replay.run(Agent().handle, "hi") == "answer to hi"
"""

FIX = (
    "*test_cafe.py::test_cafe: @pytest.mark.replay path 'goldens/caf*.ckpt' cannot be a file "
    "name here: this Python encodes file names as ascii (a C or POSIX locale, LANG=C or "
    "LC_ALL=C, with UTF-8 mode off); run pytest with PYTHONUTF8=1 or in a UTF-8 locale "
    "(LC_ALL=C.UTF-8), or give the golden an ASCII path"
)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(app=APP, test_cafe=TEST)
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pytester.path), str(root)]))
    pytester.runpytest_subprocess(*LEAN_ARGS, "--clearstone-record").assert_outcomes(passed=1)
    assert (pytester.path / "goldens" / "café.ckpt").is_file()
    for name in ("LANG", "LC_CTYPE", "PYTHONIOENCODING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("PYTHONUTF8", "0")
    return pytester


@pytest.mark.parametrize("mode", ["replay", "record"])
def test_a_path_this_locale_cannot_name_fails_the_test_naming_it_and_the_fix(
    project: pytest.Pytester, mode: str
) -> None:
    result = project.runpytest_subprocess(*LEAN_ARGS, f"--clearstone-mode={mode}")
    result.assert_outcomes(errors=1)  # (at set-up, as another bad marker path)
    result.stdout.fnmatch_lines([FIX])
    result.stdout.no_fnmatch_line("*bad ignore_state=*")
    result.stdout.no_fnmatch_line("*UnicodeEncodeError*")
    assert "UnicodeEncodeError" not in result.stderr.str()
    assert result.ret == 1


def test_pruning_in_that_locale_keeps_the_golden_the_test_names(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*LEAN_ARGS, "--clearstone-prune-unused")
    assert result.ret == 1
    assert "UnicodeEncodeError" not in result.stderr.str()
    result.stdout.no_fnmatch_line("*deleted*")
    assert (project.path / "goldens" / "café.ckpt").is_file()


def test_a_marker_path_holding_a_nul_fails_naming_it_not_ignore_state(
    pytester: pytest.Pytester,
) -> None:
    """(``embedded null byte`` was told as ``bad ignore_state= in the clearstone_config
    fixture`` when recording, as a ``ValueError`` from the plugin's file reading when
    replaying, and the search for unused goldens crashed the run's end on it.)"""
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_cafe=TEST.replace("café", "a\\x00b"))
    other = pytester.path / "goldens"
    other.mkdir()
    (other / "other.ckpt").write_text('{"recorded_by": "pytest-clearstone"}')
    for mode in ("record", "replay"):
        result = pytester.runpytest(f"--clearstone-mode={mode}")
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(
            [
                "*test_cafe.py::test_cafe: @pytest.mark.replay path 'goldens/a\\x00b.ckpt' "
                "cannot be a file name here: a file name cannot hold a NUL character ('\\x00')"
            ]
        )
        result.stdout.no_fnmatch_line("*bad ignore_state=*")
