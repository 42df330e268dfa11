"""The command line (``show``, ``diff``) on goldens the plugin wrote, as a reviewer runs it
after a re-record."""

from __future__ import annotations

import shutil

import pytest

from pytest_clearstone.cli import main

APP = """
def complete(prompt):
    return "answer to " + prompt

def ask(q):
    return complete(q).upper()
"""

WITH_RUN = """
import pytest
import app

@pytest.mark.replay("goldens/a.ckpt", mock={"llm": "app.complete"})
def test_a(replay):
    assert replay.run(app.ask, "hi") == "ANSWER TO HI"
"""


def test_diff_names_a_golden_outcome_only_one_file_has(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # Expected: the test no longer calls replay.run() (it calls the agent itself), so the
    # re-recorded golden has no outcome, and its replay no longer checks the result; `diff`
    # of the two files said "no differences" with exit status 0
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_a=WITH_RUN)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "a.ckpt"
    before = shutil.copy(golden, pytester.path / "before.ckpt")
    pytester.makepyfile(test_a=WITH_RUN.replace('replay.run(app.ask, "hi")', 'app.ask("hi")'))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    capsys.readouterr()
    assert main(["diff", str(before), str(golden)]) == 1
    out = capsys.readouterr().out
    assert "golden outcome:\n  removed: ask() -> 'ANSWER TO HI'\n" in out, out
    assert main(["diff", str(golden), str(before)]) == 1
    out = capsys.readouterr().out
    assert "golden outcome:\n  added: ask() -> 'ANSWER TO HI'\n" in out, out


def test_the_canonical_form_of_a_golden_of_a_function_names_no_agent_class(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # Expected: `replay.run(app.ask, ...)` runs a function, no agent: `show` says `agent
    # (none)`, and so does the canonical form (the git textconv) -- it said `agent:
    # None.None`, a class that is nowhere
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_a=WITH_RUN)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = str(pytester.path / "goldens" / "a.ckpt")
    capsys.readouterr()
    assert main(["show", golden]) == 0
    assert "agent      (none)\n" in capsys.readouterr().out
    assert main(["show", "--canonical", golden]) == 0
    out = capsys.readouterr().out
    assert "agent: (none)\n" in out and "None.None" not in out, out


QUOTA_APP = """
class QuotaError(Exception):
    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after

RETRY_AFTER = 20

def complete(prompt):
    raise QuotaError("quota exceeded", RETRY_AFTER)

def ask(q):
    try:
        return complete(q)
    except QuotaError:
        return "later"
"""


def test_diff_names_a_changed_attribute_of_a_recorded_error(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # Expected: the service now answers the same error with another retry_after (a 429's
    # body or headers: what an agent may read from the error it catches), and the replay
    # raises the new one; `diff` compared the errors by their message alone and said "no
    # differences", exit status 0
    pytester.syspathinsert()
    pytester.makepyfile(app=QUOTA_APP, test_a=WITH_RUN.replace("ANSWER TO HI", "later"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "a.ckpt"
    before = shutil.copy(golden, pytester.path / "before.ckpt")
    pytester.makepyfile(app=QUOTA_APP.replace("RETRY_AFTER = 20", "RETRY_AFTER = 60"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    capsys.readouterr()
    assert main(["diff", str(before), str(golden)]) == 1
    out = capsys.readouterr().out
    assert "app.complete #1:\n  error.attributes['retry_after']: 20 -> 60\n" in out, out
    assert main(["diff", str(golden), str(golden)]) == 0
