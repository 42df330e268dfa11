"""The clearstone summary when goldens were not written: a record run in which every test
failed, a record-diverged re-run that failed live, missing goldens, a test that skipped."""

from __future__ import annotations

import textwrap

import pytest

from tests.inner_runs import LEAN_ARGS
from tests.plugin.unwritable import golden_becomes_a_directory

APP = """
import os

def complete(prompt):
    if os.environ.get("SERVICE_BROKEN"):
        raise ConnectionError("the service is down")
    return prompt.upper()
"""

TESTS = """
import os
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    if os.environ.get("SKIP_IT"):
        pytest.skip("no service today")
    if not os.environ.get("CALL_NOTHING"):
        assert replay.run(app.complete, "hello" + os.environ.get("PROMPT_SUFFIX", ""))
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    return pytester


GOLDEN = ("goldens", "test_it", "test_a.ckpt")


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ("CALL_NOTHING", "nothing was recorded"),
        ("SERVICE_BROKEN", "the test failed while recording (ConnectionError)"),
    ],
)
@pytest.mark.parametrize("xdist", [False, True], ids=["", "xdist"])
def test_the_summary_lists_goldens_not_written_when_every_recording_failed(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, env: str, why: str, xdist: bool
) -> None:
    monkeypatch.setenv(env, "1")
    if xdist:
        pytest.importorskip("xdist")
        result = suite.runpytest_subprocess(*LEAN_ARGS, "-n", "2", "--clearstone-record")
    else:
        result = suite.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*= clearstone =*",
            "goldens not written (the old file, if any, stays):",
            f"  test_it.py::test_a: {why}",
        ]
    )


def test_a_failed_rerecord_is_not_called_rerecorded_and_counts_as_diverged(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = suite.path.joinpath(*GOLDEN)
    before = golden.read_bytes()
    monkeypatch.setenv("PROMPT_SUFFIX", "!")  # the agent changed: the replay diverges
    monkeypatch.setenv("SERVICE_BROKEN", "1")  # and the live re-run fails
    result = suite.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(failed=1)
    assert golden.read_bytes() == before
    result.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 1 diverged",
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: the test failed while recording (ConnectionError)",
            "=*short test summary*",
        ]
    )
    result.stdout.no_fnmatch_line("*re-recorded*")


def test_a_failed_record_diverged_of_a_missing_golden_is_listed(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_BROKEN", "1")
    result = suite.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: the test failed while recording (ConnectionError)",
        ]
    )


def test_the_hint_for_missing_goldens_only_speaks_of_recording_them(
    suite: pytest.Pytester,
) -> None:
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 missing",
            "hint: record the missing goldens with: pytest --clearstone-mode=record-missing "
            "(or --clearstone-mode=record-diverged)*",
            "  test_it.py::test_a",
        ]
    )
    result.stdout.no_fnmatch_line("*what diverged*")


def test_an_xfail_test_whose_golden_is_missing_is_listed_under_the_hint(
    suite: pytest.Pytester,
) -> None:
    # Expected: every golden the summary counts as missing is named under its hint, also that
    # of an xfail test (its missing golden is what made it fail, expectedly or not).
    # Before the fix: "1 missing" was counted and no test was listed.
    suite.makepyfile(
        test_it=textwrap.dedent(TESTS).replace(
            "@pytest.mark.replay(", '@pytest.mark.xfail(reason="flaky")\n@pytest.mark.replay('
        )
    )
    result = suite.runpytest()
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 missing",
            "hint: record the missing goldens with*",
            "  test_it.py::test_a",
        ]
    )


def test_a_test_that_skips_while_recording_is_listed_as_skipped(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKIP_IT", "1")
    result = suite.runpytest("--clearstone-record")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: the test skipped while recording (no service today)",
        ]
    )
    result.stdout.no_fnmatch_line("*failed while recording*")


def test_a_golden_that_cannot_be_written_fails_naming_the_path_and_the_fix(
    suite: pytest.Pytester,
) -> None:
    # Expected: a path that cannot be written (a directory there, a file where its directory
    # should be) fails the test with one message naming the path and the fix, and is listed
    # as not written; it was a raw FileExistsError/IsADirectoryError traceback, and the
    # clearstone summary was missing. (A directory made while the test runs: one there before
    # it is refused before its live calls.)
    golden_becomes_a_directory(suite, suite.path.joinpath(*GOLDEN))
    result = suite.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_a: the golden checkpoint was not written: cannot write "
            "*goldens/test_it/test_a.ckpt*: *directory*Move it away or give the marker another "
            "path*",
            "*= clearstone =*",
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: it could not be saved",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*IsADirectoryError*")


SETUP_FAILS = """
import pytest
import app

@pytest.fixture
def service():
    raise RuntimeError("fixture boom")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay, service):
    assert replay.run(app.complete, "hello")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_b(replay):
    assert replay.run(app.complete, "hello")
"""


def test_a_test_whose_set_up_failed_is_listed_as_not_written_and_counted_missing(
    pytester: pytest.Pytester,
) -> None:
    """Another fixture of a marked test failed: the record run listed only the other test's
    golden (no "not written" line for it), and the next replay counted no missing golden."""
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(SETUP_FAILS))
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1, errors=1)
    recorded.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: its set-up failed while recording (RuntimeError)",
        ]
    )
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1, errors=1)
    replayed.stdout.fnmatch_lines(["1 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 missing"])


SETUP_FAILS_BEFORE_CONFIG = """
import pytest
import app

pytestmark = pytest.mark.replay


@pytest.fixture
def service():
    raise RuntimeError("fixture boom")


def test_a(service, replay):
    assert replay.run(app.complete, "hello")
"""

CONFIG_CONFTEST = """
import pytest


@pytest.fixture
def clearstone_config():
    return {"mock": {"llm": "app.complete"}}
"""


def test_a_test_whose_set_up_failed_before_the_config_fixture_is_not_called_a_reader(
    pytester: pytest.Pytester,
) -> None:
    # Expected: a test whose mock= comes from the clearstone_config fixture, whose other fixture
    # failed before that one was set up, is listed as a recording whose set-up failed; the
    # summary took it for a test that only reads its golden ("tests that only read their golden
    # (no mock=): ... add mock= to their marker"), the run recording nothing for it
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=SETUP_FAILS_BEFORE_CONFIG)
    pytester.makeconftest(CONFIG_CONFTEST)
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(errors=1)
    recorded.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged",
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: its set-up failed while recording (RuntimeError)",
        ]
    )
    recorded.stdout.no_fnmatch_line("*only read*")
    replayed = pytester.runpytest()
    replayed.assert_outcomes(errors=1)
    replayed.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 missing",
            "hint: record the missing goldens with: *",
            "  test_it.py::test_a",
        ]
    )
    replayed.stdout.no_fnmatch_line("*only read*")


LIVE_SET_UP_FAILS = """
import os
import pytest
import app

@pytest.fixture
def service(replay):
    if replay.recording and os.environ.get("SERVICE_BROKEN"):
        raise RuntimeError("no live service")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay, service):
    assert replay.run(app.complete, "hello" + os.environ.get("PROMPT_SUFFIX", ""))
"""


def test_a_rerecord_whose_set_up_failed_is_listed_as_a_record_run_lists_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: record-diverged's live re-run whose fixture failed is listed with the reason
    # --clearstone-record gives. Before the fix it said only "the test failed while
    # recording": the run's "re-recorded" note was taken for a problem the marker had noted.
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(LIVE_SET_UP_FAILS))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("PROMPT_SUFFIX", "!")  # the agent changed: the replay diverges
    monkeypatch.setenv("SERVICE_BROKEN", "1")  # and the live re-run's set-up fails
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 1 diverged",
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: its set-up failed while recording (RuntimeError)",
        ]
    )


UNITTEST_TESTS = """
import unittest
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
class TestAgent(unittest.TestCase):
    def test_answer(self):
        self.assertEqual(app.complete("hi"), "hello")

    def test_error(self):
        app.complete("hi")
        raise KeyError("missing")

    def test_skip(self):
        app.complete("hi")
        raise unittest.SkipTest("no service today")

    @unittest.expectedFailure
    def test_expected(self):
        self.assertEqual(app.complete("hi"), "hello")
"""


def test_a_unittest_method_that_failed_while_recording_is_listed_with_its_error(
    suite: pytest.Pytester,
) -> None:
    # Expected: the reason names the method's error, as for a test function. Before the fix:
    # pytest's unittest support fails the report after the call returned, and each was listed
    # as "its report failed after its call returned: a plugin's check, such as a soft assertion"
    suite.makepyfile(test_ut=UNITTEST_TESTS)
    result = suite.runpytest("--clearstone-record", "test_ut.py")
    result.assert_outcomes(failed=2, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_ut.py::TestAgent::test_answer: the test failed while recording "
            "(AssertionError)",
            "  test_ut.py::TestAgent::test_error: the test failed while recording (KeyError)",
            "  test_ut.py::TestAgent::test_expected: the test failed while recording and "
            "xfailed: a golden is recorded only by a run that passes",
            "  test_ut.py::TestAgent::test_skip: the test skipped while recording "
            "(no service today)",
        ]
    )
    result.stdout.no_fnmatch_line("*a plugin's check*")


UNITTEST_EARLY_FAILURES = """
import os
import unittest
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
class TestAgent(unittest.TestCase):
    def test_early(self):
        if os.environ.get("FAIL_EARLY"):
            raise KeyError("no prompt")
        app.complete("hi")

    def test_late(self):
        app.complete("hi")
        self.assertFalse(os.environ.get("FAIL_LATE"), "the answer changed")
"""


def test_a_unittest_method_that_failed_before_its_calls_is_listed_with_its_error(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a TestCase method that raised before calling a mock target is listed with its
    # error, as a test function is (it was listed as "nothing was recorded": unittest catches
    # the error, so the call returned, and the plugin took it for a test that made no call)
    suite.makepyfile(test_ut=UNITTEST_EARLY_FAILURES)
    monkeypatch.setenv("FAIL_EARLY", "1")
    result = suite.runpytest("--clearstone-record", "test_ut.py")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_ut.py::TestAgent::test_early: the test failed while recording (KeyError)",
        ]
    )
    result.stdout.no_fnmatch_line("*nothing was recorded*")


def test_a_unittest_method_that_failed_replaying_is_not_counted_as_replayed(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a TestCase method whose replay passed but whose own assertion failed is not
    # counted as replayed, as a test function failing so is not (the summary said "2
    # checkpoint(s) replayed" for two failed tests)
    suite.makepyfile(test_ut=UNITTEST_EARLY_FAILURES)
    suite.runpytest("--clearstone-record", "test_ut.py").assert_outcomes(passed=2)
    monkeypatch.setenv("FAIL_LATE", "1")
    result = suite.runpytest("test_ut.py")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["1 checkpoint(s) replayed, 0 recorded, 0 diverged"])


INTERRUPTED_TESTS = """
import os
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    assert replay.run(app.complete, "first")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_b(replay):
    assert replay.run(app.complete, "second")
    if os.environ.get("STOP_HOW") == "ctrl-c":
        raise KeyboardInterrupt  # (what Ctrl-C raises, here after the call was made)
    pytest.exit("stopped by the test")
"""


@pytest.mark.parametrize(
    ("how", "error"), [("ctrl-c", "KeyboardInterrupt"), ("exit", "Exit")], ids=["ctrl-c", "exit"]
)
def test_a_test_interrupted_while_recording_is_listed_as_not_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str, error: str
) -> None:
    """A record run stopped in a test's call (Ctrl-C, ``pytest.exit()``) makes no report for
    that test: the summary listed the goldens written before, and not that the interrupted
    test's golden was not written."""
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(INTERRUPTED_TESTS))
    monkeypatch.setenv("STOP_HOW", how)
    result = pytester.runpytest_subprocess("--clearstone-record")
    result.stdout.fnmatch_lines(
        [
            "goldens written:",
            "  goldens/test_it/test_a.ckpt: new",
            "goldens not written (the old file, if any, stays):",
            f"  test_it.py::test_b: the test was interrupted while recording ({error})",
        ]
    )
    assert (pytester.path / "goldens" / "test_it" / "test_a.ckpt").is_file()
    assert not (pytester.path / "goldens" / "test_it" / "test_b.ckpt").exists()


SETUP_FAILS_HOW = """
import os
import sys
import pytest
import app

@pytest.fixture
def service():
    if os.environ.get("FAIL_HOW") == "pytest.fail":
        pytest.fail("set SERVICE_KEY to record")  # (a BaseException: pytest's outcome)
    sys.exit(2)  # (a BaseException too: a helper that exits)

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay, service):
    assert replay.run(app.complete, "hello")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_b(replay):
    assert replay.run(app.complete, "hello")
"""


@pytest.mark.parametrize(("how", "error"), [("pytest.fail", "Failed"), ("sys.exit", "SystemExit")])
def test_a_set_up_failed_by_pytest_fail_or_sys_exit_is_listed_and_counted_missing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str, error: str
) -> None:
    """A fixture that fails the set-up with ``pytest.fail("set the key to record")`` (or a
    helper's ``sys.exit()``) raises no ``Exception``: the record run did not list the test
    under "goldens not written", and the replay did not count its golden missing, as it does
    for a fixture that raises any other error."""
    monkeypatch.setenv("FAIL_HOW", how)
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(SETUP_FAILS_HOW))
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1, errors=1)
    recorded.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            f"  test_it.py::test_a: its set-up failed while recording ({error})",
        ]
    )
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1, errors=1)
    replayed.stdout.fnmatch_lines(["1 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 missing"])


CONFIG_IN_MODULE = """

@pytest.fixture
def clearstone_config():
    return {"mock": {"llm": "app.complete"}}
"""


def test_a_set_up_failed_before_a_config_fixture_of_its_module_is_not_called_a_reader(
    pytester: pytest.Pytester,
) -> None:
    # (the clearstone_config fixture written in the test module, not in a conftest)
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP), test_it=SETUP_FAILS_BEFORE_CONFIG + CONFIG_IN_MODULE
    )
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(errors=1)
    recorded.stdout.fnmatch_lines(
        ["  test_it.py::test_a: its set-up failed while recording (RuntimeError)"]
    )
    recorded.stdout.no_fnmatch_line("*only read*")
