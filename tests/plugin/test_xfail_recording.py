"""Tests marked ``xfail`` while recording: a strict XPASS is a failure and writes nothing; an
xfail test that fails as expected writes nothing either, and the summary says why (rather than
a hint to record its golden that cannot succeed)."""

from __future__ import annotations

import textwrap

import pytest

from tests.plugin.unwritable import golden_becomes_a_directory

APP = """
def complete(prompt):
    return prompt.upper()
"""

# PASSES=1: the test's body passes
TESTS = """
import os
import pytest
import app

@pytest.mark.xfail({strict}reason="the answer is wrong")
@pytest.mark.replay(mock={{"llm": "app.complete"}})
def test_a(replay):
    answer = replay.run(app.complete, "hello")
    assert os.environ.get("PASSES") and answer == "HELLO"
"""

GOLDEN = ("goldens", "test_it", "test_a.ckpt")


def _suite(pytester: pytest.Pytester, strict: str = "") -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS).format(strict=strict)
    )
    return pytester


@pytest.mark.parametrize("strict", ["mark", "ini"])
def test_a_strict_xpass_writes_no_golden_and_is_listed_as_not_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, strict: str
) -> None:
    # Expected: pytest reports a strict xfail test whose body passes as FAILED
    # ([XPASS(strict)]), and a failing test writes no golden. Before the fix the golden was
    # written ("goldens written: goldens/test_it/test_a.ckpt: new").
    _suite(pytester, "strict=True, " if strict == "mark" else "")
    if strict == "ini":
        pytester.makeini("[pytest]\nxfail_strict = true\n")
    monkeypatch.setenv("PASSES", "1")
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    assert not pytester.path.joinpath(*GOLDEN).exists()
    result.stdout.fnmatch_lines(
        [
            "*= clearstone =*",
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: it passed while recording, and its xfail mark is strict "
            "(XPASS(strict) is a failure)",
        ]
    )
    result.stdout.no_fnmatch_line("goldens written:")


def test_a_strict_xpass_keeps_the_old_golden(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _suite(pytester)  # recorded while the mark was not strict (an XPASS that passes)
    monkeypatch.setenv("PASSES", "1")
    pytester.runpytest("--clearstone-record").assert_outcomes(xpassed=1)
    golden = pytester.path.joinpath(*GOLDEN)
    before = golden.read_bytes()
    _suite(pytester, "strict=True, ")  # (a re-record writes new span times: other bytes)
    pytester.runpytest("--clearstone-record").assert_outcomes(failed=1)
    assert golden.read_bytes() == before


def test_an_xfail_test_failing_as_expected_while_recording_says_it_is_never_recorded(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the record run says that an xfail test's failing run is not recorded, and the
    # replay run, whose xfail came from the missing golden, says so under its hint. Before the
    # fix the record run said only "the test failed while recording (AssertionError)" and the
    # replay run's hint ("record the missing goldens with: pytest
    # --clearstone-mode=record-missing") could never succeed: the test xfailed (green) on its
    # missing golden every time.
    _suite(pytester)
    for mode in ("--clearstone-record", "--clearstone-mode=record-missing"):
        recorded = pytester.runpytest(mode)
        recorded.assert_outcomes(xfailed=1)
        assert not pytester.path.joinpath(*GOLDEN).exists()
        recorded.stdout.fnmatch_lines(
            [
                "goldens not written (the old file, if any, stays):",
                "  test_it.py::test_a: the test failed while recording (AssertionError) and "
                "xfailed: a golden is recorded only by a run that passes",
            ]
        )
    replayed = pytester.runpytest()
    replayed.assert_outcomes(xfailed=1)
    replayed.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 missing",
            "hint: record the missing goldens with*",
            "  test_it.py::test_a",
            "  (the xfail tests above xfailed on their golden, not on what their mark expects: "
            "a golden is recorded only by a run that passes*",
        ]
    )


def test_a_non_strict_xpass_records_its_golden(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _suite(pytester)
    monkeypatch.setenv("PASSES", "1")
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(xpassed=1)
    result.stdout.fnmatch_lines(["goldens written:", "  goldens/test_it/test_a.ckpt: new"])
    pytester.runpytest().assert_outcomes(xpassed=1)


def test_an_xfail_mark_with_raises_fails_on_a_missing_golden(pytester: pytest.Pytester) -> None:
    # the way out the docs give: the mark expects the agent's failure only, so the replay's
    # missing golden fails the test instead of passing for the expected failure
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP),
        test_it=textwrap.dedent(TESTS)
        .format(strict="")
        .replace("@pytest.mark.xfail(", "@pytest.mark.xfail(raises=AssertionError, "),
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*checkpoint not found*"])


def test_a_strict_xfail_test_run_with_runxfail_records_its_golden(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --runxfail runs an xfail test as if it were not marked: a strict one that passes is
    # PASSED, so its recording writes the golden (no XPASS(strict) failure to refuse it for)
    _suite(pytester, "strict=True, ")
    monkeypatch.setenv("PASSES", "1")
    result = pytester.runpytest("--clearstone-record", "--runxfail")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["goldens written:", "  goldens/test_it/test_a.ckpt: new"])
    result.stdout.no_fnmatch_line("goldens not written*")
    assert pytester.path.joinpath(*GOLDEN).is_file()


@pytest.mark.parametrize(
    ("raises", "outcome"), [("", "xfailed"), ("raises=ZeroDivisionError, ", "failed")]
)
def test_a_golden_an_xpass_cannot_write_fails_it_unless_its_mark_expects_any_failure(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, raises: str, outcome: str
) -> None:
    # a golden that cannot be written fails the recording as if its call had raised that: an
    # xfail mark expecting any failure takes it for the expected one, a mark expecting the
    # agent's own error (raises=) does not
    _suite(pytester, raises)
    golden_becomes_a_directory(pytester, pytester.path.joinpath(*GOLDEN))  # (in the test's call)
    monkeypatch.setenv("PASSES", "1")
    result = pytester.runpytest("--clearstone-record", "--junitxml=report.xml")
    result.assert_outcomes(**{outcome: 1})
    result.stdout.fnmatch_lines(["  test_it.py::test_a: it could not be saved"])
    # (a failure left marked as an xfail's is a skip in JUnit XML: CI would not see it)
    junit = (pytester.path / "report.xml").read_text()
    assert ("<failure" in junit) == (outcome == "failed")


def test_record_diverged_leaves_an_xfail_test_that_diverged_as_it_is(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an xfail test whose replay diverged failed as its mark expects: record-diverged does not
    # run it again live (where it would pass, and write over its golden)
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP),
        test_it="""
        import os
        import pytest
        import app

        @pytest.mark.xfail(reason="the answer is wrong")
        @pytest.mark.replay(mock={"llm": "app.complete"})
        def test_a(replay):
            answer = replay.run(app.complete, os.environ.get("QUESTION", "hello"))
            assert answer.startswith("HELLO")
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(xpassed=1)
    golden = pytester.path.joinpath(*GOLDEN)
    before = golden.read_bytes()
    monkeypatch.setenv("QUESTION", "hello again")  # the replay diverges
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(xfailed=1)
    result.stdout.no_fnmatch_line("*re-recorded*")
    result.stdout.no_fnmatch_line("goldens written:")
    assert golden.read_bytes() == before
