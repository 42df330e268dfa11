"""Tests whose subtests fail: pytest's ``subtests`` fixture and unittest's ``subTest`` catch a
subtest's failure, so the test's call returns normally and pytest fails the test only later.
Such a test writes no golden in any record mode, and record-diverged re-records it correctly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.inner_runs import LEAN_ARGS

APP = """
import os

def complete(prompt):
    return prompt.upper()

class Agent:
    def __init__(self):
        self.said = []

    def get_state(self):
        return {"said": self.said}

    def load_state(self, state):
        self.said = list(state["said"])

    def ask(self, question):
        answer = complete(question + os.environ.get("PROMPT_SUFFIX", ""))
        self.said.append(answer)
        return answer + os.environ.get("ANSWER_SUFFIX", "")
"""

# BUG=1: the second subtest's assertion fails (the agent's calls are the same)
SUBTESTS = """
import os
import pytest
from app import Agent

BUG = os.environ.get("BUG")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay, subtests):
    agent = Agent()
    for question in ["one", "two"]:
        with subtests.test(msg=question):
            answer = replay.run(agent.ask, question)
            assert answer.startswith(question.upper())
            assert not (BUG and question == "two"), "the agent got it wrong"
"""

UNITTEST = """
import os
import unittest
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": "app.complete"})
class TestIt(unittest.TestCase):
    @pytest.fixture(autouse=True)
    def _replay(self, replay):
        self.replay = replay

    def test_a(self):
        agent = Agent()
        for question in ["one", "two"]:
            with self.subTest(question=question):
                answer = self.replay.run(agent.ask, question)
                self.assertTrue(answer.startswith(question.upper()))
                self.assertFalse(os.environ.get("BUG") and question == "two")
"""

SHAPES = {
    "subtests": (SUBTESTS, "test_it.py::test_a", ("goldens", "test_it", "test_a.ckpt")),
    "unittest": (
        UNITTEST,
        "test_it.py::TestIt::test_a",
        ("goldens", "test_it", "TestIt.test_a.ckpt"),
    ),
}


def _suite(pytester: pytest.Pytester, shape: str) -> tuple[str, Path]:
    source, node_id, golden = SHAPES[shape]
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(source))
    return node_id, pytester.path.joinpath(*golden)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_failing_subtest_keeps_the_old_golden_and_is_listed_as_not_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    # Expected: a test with a failed subtest is a failing test, which never writes or
    # overwrites its golden. Before the fix the call returned normally (the subtest's failure
    # was caught), so the golden was overwritten with the failing run and listed as written.
    node_id, golden = _suite(pytester, shape)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    before = golden.read_bytes()
    monkeypatch.setenv("BUG", "1")
    monkeypatch.setenv("ANSWER_SUFFIX", "!")  # the failing run's outcome differs
    result = pytester.runpytest("--clearstone-record")
    assert golden.read_bytes() == before
    result.stdout.fnmatch_lines(
        [
            "*= clearstone =*",
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged",
            "goldens not written (the old file, if any, stays):",
            f"  {node_id}: a subtest failed while recording",
        ]
    )
    result.stdout.no_fnmatch_line("goldens written:")


def test_a_first_recording_with_a_failing_subtest_writes_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    node_id, golden = _suite(pytester, "subtests")
    monkeypatch.setenv("BUG", "1")
    result = pytester.runpytest("--clearstone-mode=record-missing")
    assert not golden.exists()
    result.stdout.fnmatch_lines([f"  {node_id}: a subtest failed while recording"])


def test_a_subtest_that_skips_does_not_keep_the_golden_from_being_written(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP),
        test_it=textwrap.dedent(SUBTESTS).replace(
            "answer = replay.run",
            'pytest.skip("later") if question == "two" else None\n            answer = replay.run',
        ),
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    assert pytester.path.joinpath("goldens", "test_it", "test_a.ckpt").is_file()


def test_a_subtest_that_xfails_does_not_keep_the_golden_from_being_written(
    pytester: pytest.Pytester,
) -> None:
    # before the fix: pytest passed the test (the subtest xfailed), yet its golden was not
    # written ("a subtest failed while recording"), so every replay failed on the missing
    # golden and the re-record the hint gave could never write it
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP),
        test_it=textwrap.dedent(SUBTESTS).replace(
            "            assert answer.startswith",
            '            if question == "two":\n'
            '                pytest.xfail("known bug")\n'
            "            assert answer.startswith",
        ),
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["goldens written:", "  goldens/test_it/test_a.ckpt: new"])
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["1 checkpoint(s) replayed, 0 recorded, 0 diverged"])


@pytest.mark.parametrize("xdist", [False, True], ids=["", "xdist"])
def test_record_diverged_counts_a_diverged_test_once_and_keeps_its_golden_when_a_subtest_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist: bool
) -> None:
    # Expected: the replay attempt diverges (in a subtest), the live re-run has a failing
    # subtest, so the old golden stays; the summary says so once, counts one diverged test,
    # and shows only the re-run's failed subtest. Before the fix the golden was overwritten,
    # the summary listed it as written and as not written, counted "2 diverged", and the
    # replay attempt's failed subtest was shown too ("contains 2 failed subtests").
    node_id, golden = _suite(pytester, "subtests")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    before = golden.read_bytes()
    monkeypatch.setenv("PROMPT_SUFFIX", "?")  # the agent changed: the replay diverges
    monkeypatch.setenv("BUG", "1")  # and a subtest of the live re-run fails
    args = ["-rA", "--clearstone-mode=record-diverged"]
    if xdist:
        pytest.importorskip("xdist")
        result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", *args)
    else:
        result = pytester.runpytest(*args)
    assert golden.read_bytes() == before
    result.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 1 diverged",
            "goldens not written (the old file, if any, stays):",
            f"  {node_id}: a subtest failed while recording",
        ]
    )
    result.stdout.no_fnmatch_line("goldens written:")
    result.stdout.no_fnmatch_line("*SUBFAILED*ReplayDivergenceError*")
    result.stdout.fnmatch_lines(["*SUBFAILED*two*the agent got it wrong*"])
    result.stdout.no_fnmatch_line("*2 failed subtests*")


@pytest.mark.parametrize("xdist", [False, True], ids=["", "xdist"])
def test_record_diverged_re_records_a_test_whose_subtest_diverged_and_it_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist: bool
) -> None:
    # Expected: a subtest diverges on replay, the live re-run passes: the golden is
    # re-recorded and the test passes. Before the fix the replay attempt's failed subtest
    # was logged and counted, so the re-recorded test failed ("contains 1 failed subtest")
    # and the summary counted its two subtest reports of the re-run as "2 diverged".
    node_id, golden = _suite(pytester, "subtests")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    before = golden.read_bytes()
    monkeypatch.setenv("PROMPT_SUFFIX", "?")
    args = ["-v", "--clearstone-mode=record-diverged"]
    if xdist:
        pytest.importorskip("xdist")
        result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", *args)
    else:
        result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1)
    assert golden.read_bytes() != before
    result.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 1 recorded, 0 diverged",
            "goldens written:",
            "  goldens/test_it/test_a.ckpt: *",
            f"re-recorded (diverged on replay): {node_id}",
        ]
    )
    result.stdout.no_fnmatch_line("*SUBFAILED*")
    result.stdout.fnmatch_lines(["*RERUN*"])  # the replay attempt's subtest, superseded
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("xdist", [False, True], ids=["", "xdist"])
def test_the_superseded_subtests_of_record_diverged_show_as_reruns_in_the_progress_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist: bool
) -> None:
    # before the fix: under pytest-xdist the controller, which collects no test, never had the
    # plugin's report status, so a green re-recording showed each subtest of its superseded
    # replay attempt as a failure: "uFFuu." (and "RERUN" with -v, not in yellow)
    _suite(pytester, "subtests")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("PROMPT_SUFFIX", "?")
    args = ["-q", "--clearstone-mode=record-diverged"]
    if xdist:
        pytest.importorskip("xdist")
        result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", *args)
    else:
        result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines([r"^u*RR[u.]*\s+\[100%\]$"])


def test_a_golden_mismatch_in_a_subtest_is_counted_diverged_and_re_recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a subtest whose replay.run() result differs from the golden (the calls are
    # the same) makes the test diverged, and record-diverged re-records it. Before the fix the
    # subtest caught the GoldenMismatchError: "1 replayed, 0 diverged", and record-diverged
    # left the stale golden as it was, failing again on every run.
    node_id, _ = _suite(pytester, "subtests")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("ANSWER_SUFFIX", "!")
    replayed = pytester.runpytest()
    replayed.assert_outcomes(failed=3)  # both subtests (each run differs) and their test
    replayed.stdout.fnmatch_lines(
        ["0 checkpoint(s) replayed, 0 recorded, 1 diverged", "hint: *", f"  {node_id}"]
    )
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"re-recorded (diverged on replay): {node_id}"])
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_subtest_failing_on_its_own_assertion_is_not_diverged_and_not_re_recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a subtest that fails on the test's own assertion, the replay matching its golden, is no
    # divergence: no re-record hint, and record-diverged neither runs it live nor touches it
    _, golden = _suite(pytester, "subtests")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    before = golden.read_bytes()
    monkeypatch.setenv("BUG", "1")
    replayed = pytester.runpytest()
    replayed.assert_outcomes(failed=2)  # the subtest and its test
    replayed.stdout.fnmatch_lines(["*= clearstone =*", "* 0 diverged"])
    replayed.stdout.no_fnmatch_line("hint: *")
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["* 0 recorded, 0 diverged"])
    result.stdout.no_fnmatch_line("*re-recorded*")
    result.stdout.no_fnmatch_line("goldens not written*")
    assert golden.read_bytes() == before
