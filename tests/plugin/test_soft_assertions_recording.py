"""Tests whose soft assertions fail (pytest-check): a failing ``check.equal(...)`` does not raise
in the test's call, which returns normally; pytest-check fails the test later, in its
``pytest_runtest_makereport`` hook. A recording writes its golden only when the call's final
report passed, so such a test writes no golden in any record mode."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

from tests.plugin.unwritable import golden_becomes_a_directory

if importlib.util.find_spec("pytest_check") is None:  # (not imported here: see _checked)
    pytest.skip("pytest-check is not installed", allow_module_level=True)

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

# BUG=1: the soft assertion fails (the agent's calls are the same)
IMPORTED = """
import os
import pytest
from pytest_check import check
from app import Agent

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    answer = replay.run(Agent().ask, "one")
    check.equal(answer.rstrip("!"), "ONE")
    check.is_false(os.environ.get("BUG"), "the agent got it wrong")
"""

FIXTURE = """
import os
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay, check):
    answer = replay.run(Agent().ask, "one")
    with check:
        assert not os.environ.get("BUG"), "the agent got it wrong"
    check.equal(answer.rstrip("!"), "ONE")
"""

XFAIL = """
import os
import pytest
from pytest_check import check
from app import Agent

@pytest.mark.xfail(reason="known bug")
@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    answer = replay.run(Agent().ask, "one")
    check.is_false(os.environ.get("BUG"), "the agent got it wrong")
"""

SHAPES = {"imported": IMPORTED, "fixture": FIXTURE}
NODE_ID = "test_it.py::test_a"


def _checked(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A run with pytest-check, in a subprocess: importing it patches ``threading.Thread.start``
    for the whole process (the outer and other inner runs leave it out: ``-p no:check``)."""
    return pytester.runpytest_subprocess("-p", "check", *args)


def _suite(pytester: pytest.Pytester, source: str) -> Path:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(source))
    return pytester.path / "goldens" / "test_it" / "test_a.ckpt"


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_failing_soft_assertion_keeps_the_old_golden_and_is_listed_as_not_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    # Expected: a test whose soft assertion failed is a failing test, which never writes or
    # overwrites its golden. Before the fix the call returned normally (pytest-check fails the
    # test only when its report is made), so the golden was overwritten with the failing run
    # and listed as written.
    golden = _suite(pytester, SHAPES[shape])
    _checked(pytester, "--clearstone-record").assert_outcomes(passed=1)
    before = golden.read_bytes()
    monkeypatch.setenv("BUG", "1")
    monkeypatch.setenv("ANSWER_SUFFIX", "!")  # the failing run's outcome differs
    result = _checked(pytester, "--clearstone-record")
    result.assert_outcomes(failed=1)
    assert golden.read_bytes() == before
    result.stdout.fnmatch_lines(
        [
            "*the agent got it wrong*",
            "*= clearstone =*",
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged",
            "goldens not written (the old file, if any, stays):",
            f"  {NODE_ID}: the test failed while recording (its report failed after its call "
            "returned: a plugin's check, such as a soft assertion)",
        ]
    )
    result.stdout.no_fnmatch_line("goldens written:")
    result.stdout.no_fnmatch_line("*golden checkpoint written*")
    monkeypatch.delenv("BUG")
    monkeypatch.delenv("ANSWER_SUFFIX")
    _checked(pytester).assert_outcomes(passed=1)  # the old golden replays


def test_a_first_recording_with_a_failing_soft_assertion_writes_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = _suite(pytester, IMPORTED)
    monkeypatch.setenv("BUG", "1")
    result = _checked(pytester, "--clearstone-mode=record-missing")
    result.assert_outcomes(failed=1)
    assert not golden.exists()
    result.stdout.fnmatch_lines([f"  {NODE_ID}: the test failed while recording (*"])
    result.stdout.no_fnmatch_line("goldens written:")


@pytest.mark.parametrize("shape", list(SHAPES))
def test_passing_soft_assertions_write_the_golden(pytester: pytest.Pytester, shape: str) -> None:
    golden = _suite(pytester, SHAPES[shape])
    result = _checked(pytester, "--clearstone-record", "-rA")
    result.assert_outcomes(passed=1)
    assert golden.is_file()
    result.stdout.fnmatch_lines(
        [
            "*golden checkpoint written: *test_a.ckpt",
            "0 checkpoint(s) replayed, 1 recorded, 0 diverged",
            "goldens written:",
            "  goldens/test_it/test_a.ckpt: new",
        ]
    )
    _checked(pytester).assert_outcomes(passed=1)


def test_an_xfail_test_whose_soft_assertion_fails_as_expected_writes_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = _suite(pytester, XFAIL)
    monkeypatch.setenv("BUG", "1")
    result = _checked(pytester, "--clearstone-record")
    result.assert_outcomes(xfailed=1)
    assert not golden.exists()
    result.stdout.fnmatch_lines(
        [
            f"  {NODE_ID}: the test failed while recording (*) and xfailed: a golden is recorded "
            "only by a run that passes"
        ]
    )


@pytest.mark.parametrize("xdist", [False, True], ids=["", "xdist"])
def test_record_diverged_keeps_the_golden_when_the_live_re_run_fails_a_soft_assertion(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist: bool
) -> None:
    # Expected: the replay attempt diverges, the live re-run fails a soft assertion, so the
    # old golden stays and the test fails. Before the fix the golden was overwritten with the
    # failing run.
    golden = _suite(pytester, IMPORTED)
    _checked(pytester, "--clearstone-record").assert_outcomes(passed=1)
    before = golden.read_bytes()
    monkeypatch.setenv("PROMPT_SUFFIX", "?")  # the agent changed: the replay diverges
    monkeypatch.setenv("BUG", "1")  # and a soft assertion of the live re-run fails
    args = ["--clearstone-mode=record-diverged"]
    if xdist:
        pytest.importorskip("xdist")
        result = _checked(pytester, "-n", "2", *args)  # (LEAN_ARGS: in PYTEST_ADDOPTS)
    else:
        result = _checked(pytester, *args)
    result.assert_outcomes(failed=1)
    assert golden.read_bytes() == before
    result.stdout.fnmatch_lines(
        [
            "0 checkpoint(s) replayed, 0 recorded, 1 diverged",
            "goldens not written (the old file, if any, stays):",
            f"  {NODE_ID}: the test failed while recording (*",
        ]
    )
    result.stdout.no_fnmatch_line("goldens written:")


# The golden is written when the call's report is made: what fails there fails that report, as
# a failure in the call did.
PASSES = """
import pytest
from app import Agent

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    assert replay.run(Agent().ask, "one") == "ONE"
"""


def test_a_golden_that_cannot_be_written_fails_its_report_with_the_message(
    pytester: pytest.Pytester,
) -> None:
    golden = _suite(pytester, PASSES)
    golden_becomes_a_directory(pytester, golden)  # (after the recording started)
    result = pytester.runpytest("--clearstone-record", "-rf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*= clearstone =*",
            "goldens not written (the old file, if any, stays):",
            f"  {NODE_ID}: it could not be saved",
            f"FAILED {NODE_ID} - Failed: {NODE_ID}: the golden checkpoint*",
        ]
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*golden checkpoint written*")


def test_a_non_strict_xfail_test_whose_golden_cannot_be_written_xfails(
    pytester: pytest.Pytester,
) -> None:
    # (as when the write failed in the call: the test failed, as its mark expects)
    golden = _suite(
        pytester, PASSES.replace("@pytest.mark.replay", "@pytest.mark.xfail\n@pytest.mark.replay")
    )
    golden_becomes_a_directory(pytester, golden)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines([f"  {NODE_ID}: it could not be saved"])


def test_a_checkpoint_saved_hook_that_raises_fails_the_test_not_the_session(
    pytester: pytest.Pytester,
) -> None:
    golden = _suite(pytester, PASSES)
    pytester.makeconftest(
        """
        def pytest_clearstone_checkpoint_saved(checkpoint, path, item):
            raise ValueError("the manifest is read-only")
        """
    )
    result = pytester.runpytest("--clearstone-record", "-rf")
    result.assert_outcomes(failed=1)
    assert golden.is_file()  # (the hook is told of a golden written)
    result.stdout.fnmatch_lines(
        [
            "*def pytest_clearstone_checkpoint_saved*",
            "E * ValueError: the manifest is read-only",
            f"FAILED {NODE_ID} - ValueError: the manifest is read-only",
        ]
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.no_fnmatch_line("*def _write_if_passed*")  # (the plugin's frames are hidden)


def test_a_checkpoint_saved_hook_that_skips_fails_the_test_and_the_golden_stays_written(
    pytester: pytest.Pytester,
) -> None:
    # (pytest.skip raises an exception that is no Exception: it escaped into INTERNALERROR)
    golden = _suite(pytester, PASSES)
    pytester.makeconftest(
        """
        import pytest

        def pytest_clearstone_checkpoint_saved(checkpoint, path, item):
            pytest.skip("no manifest here")
        """
    )
    result = pytester.runpytest("--clearstone-record", "-rA")
    result.assert_outcomes(failed=1)
    assert golden.is_file()
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.fnmatch_lines(
        [
            "*golden checkpoint written: *test_a.ckpt",  # (it was: the report says so)
            "goldens written:",
            "  goldens/test_it/test_a.ckpt: new",
        ]
    )
