"""Tools that raise what ends a program — ``SystemExit`` (argparse on arguments it refuses),
``KeyboardInterrupt`` (a prompt the user left with Ctrl-C) — and an agent that catches it.

``SystemExit`` does not end a pytest run (an uncaught one fails its test), so a replay raises it
again as itself. ``KeyboardInterrupt`` would end the run if the agent no longer caught it: a
replay cannot raise it, so the recording is refused, naming the call and the fix, rather than
writing a golden that every replay fails on.
"""

from __future__ import annotations

import pytest

AGENT = """
import argparse


def run_command(command):
    # a CLI tool the agent drives: argparse exits (SystemExit(2)) on arguments it refuses
    parser = argparse.ArgumentParser(prog="weather", exit_on_error=True)
    parser.add_argument("--days", type=int, required=True)
    return vars(parser.parse_args(command.split()))


def ask_user(question):
    raise KeyboardInterrupt  # the user pressed Ctrl-C at the prompt


def handle(command):
    try:
        return run_command(command)
    except SystemExit as exc:
        return f"tool error: the command exited with {exc.code}"


def confirm(question):
    try:
        return ask_user(question)
    except KeyboardInterrupt:
        return "the user cancelled"
"""

TEST = """
import pytest
from app import confirm, handle


@pytest.mark.replay(mock={"tool": "app.run_command"})
def test_bad_command():
    assert handle("--days three") == "tool error: the command exited with 2"


@pytest.mark.replay(mock={"tool": "app.ask_user"})
def test_cancelled():
    assert confirm("Book it?") == "the user cancelled"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=AGENT, test_agent=TEST)
    return pytester


def test_a_system_exit_the_agent_caught_replays_as_itself(project: pytest.Pytester) -> None:
    # Before the fix: recorded, then every replay raised RecordedError ("raised again, it would
    # stop the test run ... re-record the test"), which re-recording did not change; pytest
    # reports an uncaught SystemExit as a failed test, it does not end the run
    project.runpytest("--clearstone-record", "-k", "bad_command").assert_outcomes(passed=1)
    project.runpytest("-k", "bad_command").assert_outcomes(passed=1)


def test_a_keyboard_interrupt_the_agent_caught_is_refused_when_recording(
    project: pytest.Pytester,
) -> None:
    # Before the fix: the golden was written, and every replay failed with RecordedError
    # saying to re-record the test, which wrote the same golden
    result = project.runpytest("--clearstone-record", "-k", "cancelled")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the error of call #1 to app.ask_user (a KeyboardInterrupt): raised again, it would "
            "stop the test run. Mock a function of your own that catches it and "
            "returns what the agent uses*",
        ]
    )
    assert not (project.path / "goldens" / "test_agent" / "test_cancelled.ckpt").exists()
