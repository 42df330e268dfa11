"""A replay error raised at a call the agent made in a thread of its own: the test fails with
it (the replay keeps it), and it is not reported a second time as the thread's unhandled
exception — a warning with the whole divergence traceback, an error of the test under
``-W error``, and a warning left after ``record-diverged`` re-recorded the test."""

from __future__ import annotations

import textwrap

import pytest

APP = """
import threading

PROMPT = "a"


def llm(prompt):
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.got = []

    def run(self):
        worker = threading.Thread(target=lambda: self.got.append(llm(PROMPT)))
        worker.start()
        worker.join()
        return len(self.got)
"""

TEST = """
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
def test_it(replay):
    replay.run(Agent().run)
"""


@pytest.fixture
def changed(pytester: pytest.Pytester) -> pytest.Pytester:
    """A recorded project whose agent then changed the prompt it sends from its thread."""
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(app=textwrap.dedent(APP).replace('PROMPT = "a"', 'PROMPT = "z"'))
    return pytester


def test_a_divergence_in_the_agents_thread_fails_the_test_once(changed: pytest.Pytester) -> None:
    result = changed.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*", "*: 'a' -> 'z'"])
    result.stdout.no_fnmatch_line("*PytestUnhandledThreadExceptionWarning*")


def test_under_warnings_as_errors_it_is_no_second_error(changed: pytest.Pytester) -> None:
    result = changed.runpytest("-W", "error")
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*PytestUnhandledThreadExceptionWarning*")


def test_record_diverged_leaves_no_warning_of_the_replay_attempt(
    changed: pytest.Pytester,
) -> None:
    result = changed.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*PytestUnhandledThreadExceptionWarning*")
    result.stdout.no_fnmatch_line("*ReplayDivergenceError*")
    assert "answer to z" in (changed.path / "g.ckpt").read_text()
