"""A failing replay of an agent whose long history changed throughout shows the first changes in
index order and sums up the rest (it printed one line per turn, in text order)."""

from __future__ import annotations

import pytest

from .conftest import esc

APP = """
import os


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.history = []

    def run(self, n):
        for i in range(n):
            self.history.append(complete(f"prompt {i}") + os.environ.get("SUFFIX", ""))
        return n
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay("goldens/hist.ckpt", mock={"llm": "app.complete"})
def test_hist(replay):
    assert replay.run(Agent().run, 300) == 300
"""


def test_a_history_changed_in_every_turn_shows_40_changes_and_sums_up_the_rest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(app=APP, test_hist=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("SUFFIX", "!")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*final state*",
            esc("*root['history'][0]: 'answer to prompt 0' -> 'answer to prompt 0!'"),
            esc("*root['history'][1]: 'answer to prompt 1' -> 'answer to prompt 1!'"),
            esc("*root['history'][2]: 'answer to prompt 2' -> 'answer to prompt 2!'"),
            esc("*root['history'][39]: 'answer to prompt 39' -> 'answer to prompt 39!'"),
            esc("*... and 260 more changes under root['history'] (-vv shows all)"),
        ]
    )
    result.stdout.no_fnmatch_line(esc("*root['history'][40]*"))
    result.stdout.no_fnmatch_line(esc("*root['history'][100]*"))

    result = pytester.runpytest("-vv")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*root['history'][99]: 'answer to prompt 99' -> 'answer to prompt 99!'"),
            esc("*root['history'][100]: 'answer to prompt 100' -> 'answer to prompt 100!'"),
            esc("*root['history'][299]: 'answer to prompt 299' -> 'answer to prompt 299!'"),
        ]
    )
    result.stdout.no_fnmatch_line("*more changes under*")
