"""A mock target added to a test after its golden was recorded: the replay's failure says so."""

from __future__ import annotations

import pytest

APP = """
def search(q):
    return [q]


def notify(q):
    return True


def run(q):
    notify(q)
    return search(q)
"""

TEST = """
import pytest
import app


@pytest.mark.replay(mock={{"tool": {targets}}})
def test_run(replay):
    assert app.run("kettle") == ["kettle"]
"""


def test_a_target_the_golden_was_not_recorded_with_is_named_as_such(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix the message said "The agent now makes more calls than when it was
    # recorded, or the mock config maps the wrong span type to this target": the agent made
    # the same calls; the golden was recorded before app.notify was mocked
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TEST.format(targets='["app.search"]'))
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.makepyfile(test_app=TEST.format(targets='["app.search", "app.notify"]'))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*app.notify was called 1 time(s) but the recording has only 0 response(s)*",
            "*app.notify was not a mock target when this golden was recorded (its mock: "
            "tool = app.search): any calls to it ran live and were not recorded. Re-record it with "
            "the target mocked: pytest --clearstone-record test_app.py::test_run",
        ]
    )
    assert "maps the wrong span type" not in result.stdout.str()
