"""A ``unittest.TestCase`` method is passed no fixtures: one that names the plugin's
``replay`` fixture as a parameter fails at set-up saying how a TestCase reaches it (an autouse
fixture of the class), rather than with Python's ``TypeError`` when recording and, replaying,
with a missing golden whose record command fails the same way."""

from __future__ import annotations

import pytest

APP = """
def complete(prompt):
    return prompt.upper()
"""

TESTS = """
import unittest
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
class TestAgent(unittest.TestCase):
    def test_answer(self, replay):
        assert replay.run(app.complete, "hi") == "HI"
"""


@pytest.mark.parametrize("mode", ["record", "replay"])
def test_a_test_case_method_asking_for_replay_is_told_how_to_reach_it(
    pytester: pytest.Pytester, mode: str
) -> None:
    # Expected: the set-up fails naming the test, the parameter and the autouse fixture that
    # gives it to the method (recording failed with "TypeError: TestAgent.test_answer() missing
    # 1 required positional argument: 'replay'"; replaying, with "checkpoint not found...
    # Record it first with: pytest --clearstone-record ...", which failed with that TypeError)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_ut=TESTS)
    args = ["--clearstone-record"] if mode == "record" else []
    result = pytester.runpytest("-p", "no:randomly", *args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "test_ut.py::TestAgent::test_answer: a unittest.TestCase method is passed no "
            "fixtures, so its parameter replay gets none *use self.replay in the method:",
            "    @pytest.fixture(autouse=True)",
            "    def _replay(self, replay):",
            "        self.replay = replay",
        ]
    )
    result.stdout.no_fnmatch_line("*missing 1 required positional argument*")
    result.stdout.no_fnmatch_line("*checkpoint not found*")
