"""``pytest --collect-only`` (``--setup-plan``, ``--setup-only``, ``--fixtures``,
``--fixtures-per-test``) with the plugin's options: running no test, they write and delete
nothing."""

from __future__ import annotations

import pytest

from tests.inner_runs import LEAN_ARGS

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


@pytest.mark.parametrize(
    "option",
    ["--collect-only", "--setup-plan", "--setup-only", "--fixtures", "--fixtures-per-test"],
)
def test_collect_only_with_prune_unused_deletes_no_golden(
    pytester: pytest.Pytester, option: str
) -> None:
    # Expected: `--collect-only` only collects (`--setup-plan`, `--setup-only` run no test
    # either), so `--clearstone-prune-unused` beside it deletes nothing: the run lists the
    # goldens it would delete, and says it deleted none (it deleted the unused golden, like a
    # run of the tests would; `--fixtures` and `--fixtures-per-test`, which only list
    # fixtures, still did)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_app" / "test_ask.ckpt"
    stale = pytester.path / "goldens" / "test_app" / "test_gone.ckpt"
    stale.write_bytes(golden.read_bytes())
    result = pytester.runpytest(option, "--clearstone-prune-unused")
    assert result.ret == pytest.ExitCode.OK
    assert stale.is_file()
    result.stdout.no_fnmatch_line("*deleted unused golden*")
    result.stdout.fnmatch_lines(
        [
            f"--clearstone-prune-unused: nothing deleted ({option})*",
            "goldens that no collected test uses:",
            "  goldens/test_app/test_gone.ckpt",
        ]
    )
    result.stdout.no_fnmatch_line("hint: delete them with --clearstone-prune-unused*")  # (asked)
    # (no test ran: "0 checkpoint(s) replayed" before the preview read as if something failed)
    result.stdout.no_fnmatch_line("*checkpoint(s) replayed*")
    # the same run without the option prunes it
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["deleted unused golden goldens/test_app/test_gone.ckpt"])
    assert not stale.exists() and golden.is_file()


@pytest.mark.parametrize(
    "preview",
    [["--collect-only"], ["--setup-plan", "-n", "2", *LEAN_ARGS]],
    ids=["collect-only", "setup-plan-xdist"],
)
def test_collect_only_with_prune_unused_leaves_out_the_golden_of_a_renamed_test(
    pytester: pytest.Pytester, preview: list[str]
) -> None:
    # Expected: the preview lists what the run would delete; a golden that is likely a renamed
    # test's, which the run keeps for its git mv, is named with the git mv, not listed for
    # deletion (the preview listed it among "the goldens listed below" to delete, which the run
    # then kept, and did not name the rename: no test had run to miss its golden); under
    # pytest-xdist too, whose workers collect the tests
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    old = pytester.path / "goldens" / "test_app" / "test_ask.ckpt"
    stale = pytester.path / "goldens" / "test_gone.ckpt"
    stale.write_bytes(old.read_bytes())
    pytester.makepyfile(test_app=TESTS.replace("def test_ask", "def test_asked"))
    mv = "mv goldens/test_app/test_ask.ckpt goldens/test_app/test_asked.ckpt"
    run = pytester.runpytest_subprocess if "-n" in preview else pytester.runpytest
    result = run(*preview, "--clearstone-prune-unused")
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    result.stdout.fnmatch_lines(
        [
            f"--clearstone-prune-unused: nothing deleted ({preview[0]}); run without "
            f"{preview[0]} to delete the goldens listed below",
            "goldens that no collected test uses:",
            "  goldens/test_gone.ckpt",
            "goldens/test_app/test_ask.ckpt, which no collected test uses "
            "(--clearstone-prune-unused would leave it), may be the golden of "
            f"test_app.py::test_asked before it was renamed or moved: *with: {mv}",
        ]
    )
    result.stdout.no_fnmatch_line("  goldens/test_app/test_ask.ckpt")
    assert old.is_file() and stale.is_file()
    # the run does what the preview said
    result = pytester.runpytest("--clearstone-prune-unused")
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/test_gone.ckpt",
            "goldens/test_app/test_ask.ckpt, which no collected test uses "
            "(--clearstone-prune-unused left it), *with: " + mv,
        ]
    )
    assert old.is_file() and not stale.exists()


def test_collect_only_with_prune_unused_and_no_unused_golden_says_none_is(
    pytester: pytest.Pytester,
) -> None:
    # Expected: with no golden unused, the preview says so (it told to "run without
    # --collect-only to delete the goldens listed below", and listed none)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest("--collect-only", "--clearstone-prune-unused")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["--clearstone-prune-unused: nothing to delete (--collect-only): no golden is unused"]
    )
    result.stdout.no_fnmatch_line("*listed below*")
    result.stdout.no_fnmatch_line("*checkpoint(s) replayed*")


def test_a_preview_lists_the_unused_goldens_without_counting_tests_it_did_not_run(
    pytester: pytest.Pytester,
) -> None:
    """``pytest --collect-only`` (and a prune's preview) opened its section with ``0
    checkpoint(s) replayed, 0 recorded, 0 diverged``: no test ran, so there is nothing to
    count; the section lists what it is there for."""
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_app" / "test_ask.ckpt"
    (golden.parent / "test_gone.ckpt").write_bytes(golden.read_bytes())
    for args in (["--collect-only"], ["--collect-only", "--clearstone-prune-unused"]):
        result = pytester.runpytest(*args)
        assert result.ret == pytest.ExitCode.OK
        result.stdout.fnmatch_lines(["*= clearstone =*", "*goldens that no collected test uses:"])
        result.stdout.no_fnmatch_line("*checkpoint(s) replayed*")
