"""``pytest --collect-only`` with the plugin's options: collecting writes and deletes nothing."""

from __future__ import annotations

import pytest

APP = """
def llm(prompt):
    return "ok " + prompt
"""

TESTS = """
import pytest

import app


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_ask():
    assert app.llm("hi") == "ok hi"
"""


def test_collect_only_with_prune_unused_deletes_no_golden(pytester: pytest.Pytester) -> None:
    # Expected: `--collect-only` only collects, so `--clearstone-prune-unused` beside it deletes
    # nothing: the run lists the goldens it would delete, and says it deleted none (it deleted
    # the unused golden, like a run of the tests would)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_app" / "test_ask.ckpt"
    stale = pytester.path / "goldens" / "test_app" / "test_gone.ckpt"
    stale.write_bytes(golden.read_bytes())
    result = pytester.runpytest("--collect-only", "--clearstone-prune-unused")
    assert result.ret == pytest.ExitCode.OK
    assert stale.is_file()
    result.stdout.no_fnmatch_line("*deleted unused golden*")
    result.stdout.fnmatch_lines(
        [
            "--clearstone-prune-unused: nothing deleted (--collect-only)*",
            "goldens that no collected test uses:",
            "  goldens/test_app/test_gone.ckpt",
        ]
    )
    # the same run without --collect-only prunes it
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["deleted unused golden goldens/test_app/test_gone.ckpt"])
    assert not stale.exists() and golden.is_file()
