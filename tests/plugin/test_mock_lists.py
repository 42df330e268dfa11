"""The lists of mock targets users build: a target listed twice (a shared list and the test's
own, joined) is one target."""

from __future__ import annotations

import pytest

APP = """
def search(q):
    return [q]
"""

TEST = """
import pytest
import app

SHARED = ["app.search"]


@pytest.mark.replay(mock={"tool": SHARED + ["app.search"]})
def test_twice():
    assert app.search("kettle") == ["kettle"]
"""


def test_a_target_listed_twice_records_and_replays(pytester: pytest.Pytester) -> None:
    # Before the fix the recording passed and every replay failed: "UnusedResponsesError: the
    # replay made fewer calls than the recording: app.search: 1 of 2 recorded response(s)
    # used", the one recorded call counted once per listing
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)
