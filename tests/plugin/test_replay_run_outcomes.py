"""The outcome a replay.run() is compared with: the run of the golden in its place, of the same
function; a run the golden does not hold, or of another function, fails naming it."""

from __future__ import annotations

import textwrap

import pytest

APP = """
def complete(prompt):
    return "answer to " + prompt

class Agent:
    def __init__(self):
        self.memory = []

    def handle(self, message):
        answer = complete(message)
        self.memory.append(answer)
        return answer

    def greet(self, message):
        answer = complete(message)
        self.memory.append(answer)
        return answer

    def size(self):
        return len(self.memory)
"""

TEST = """
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"}, strict=STRICT)
def test_turns(replay):
    agent = Agent()
    RUNS
"""


def _test(runs: str, *, strict: bool = True) -> str:
    return TEST.replace("RUNS", runs).replace("STRICT", str(strict))


def _record(pytester: pytest.Pytester, runs: str, *, strict: bool = True) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=_test(runs, strict=strict))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)


def _replay(pytester: pytest.Pytester, runs: str) -> pytest.RunResult:
    pytester.makepyfile(test_it=_test(runs))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    return result


def test_a_run_of_another_function_than_the_golden_recorded_fails_naming_both(pytester):
    # the same calls, the same result and state: still another function than the golden's
    _record(pytester, 'replay.run(agent.handle, "hi")')
    result = _replay(pytester, 'replay.run(agent.greet, "hi")')
    result.stdout.fnmatch_lines(["*the golden recorded 'handle', this test runs 'greet'*"])


def test_a_run_beyond_the_runs_the_golden_recorded_fails_naming_it(pytester):
    _record(pytester, 'replay.run(agent.handle, "hi")')
    result = _replay(pytester, 'replay.run(agent.handle, "hi")\n    replay.run(agent.size)')
    result.stdout.fnmatch_lines(
        ["*the golden recorded 1 replay.run() call(s); this test makes call #2 ('size')*"]
    )
    result.stdout.no_fnmatch_line("*IndexError*")


def test_a_run_that_differs_in_a_replay_not_strict_fails_on_its_outcome_alone(pytester):
    # not strict, the recorded calls the run did not make are no failure: the changed result is
    # (strict, they are told first, with the result's delta after them)
    _record(pytester, 'replay.run(agent.handle, "hi")', strict=False)
    pytester.makepyfile(app=textwrap.dedent(APP).replace("complete(message)", "'none'", 1))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*GoldenMismatchError: the replayed result differs*"])
    result.stdout.no_fnmatch_line("*UnusedResponsesError*")


def test_a_run_that_differs_in_a_strict_replay_names_the_calls_it_did_not_make_first(pytester):
    # strict, what the run changed follows from the calls it no longer made: those are told
    # first, the result's delta after them
    _record(pytester, 'replay.run(agent.handle, "hi")')
    pytester.makepyfile(app=textwrap.dedent(APP).replace("complete(message)", "'none'", 1))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnusedResponsesError: the replay made fewer calls than the recording:*",
            "*app.complete: 0 of 1 recorded response(s) used*",
            "*result*",
            "*'answer to hi' -> 'none'*",
        ]
    )


def test_an_earlier_run_that_differs_in_a_strict_replay_fails_on_its_outcome(pytester):
    # the calls the later runs make are not made yet: after an earlier run, the recorded calls
    # left are no calls it did not make (the golden does not tell which run made which call)
    runs = 'replay.run(agent.handle, "hi")\n    replay.run(agent.greet, "yo")'
    _record(pytester, runs)
    pytester.makepyfile(app=textwrap.dedent(APP).replace("complete(message)", "'none'", 1))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GoldenMismatchError: the replayed result of replay.run() #1 (handle) differs*",
            "*'answer to hi' -> 'none'*",
        ]
    )
    result.stdout.no_fnmatch_line("*UnusedResponsesError*")
