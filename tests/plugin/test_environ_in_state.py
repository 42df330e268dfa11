"""An agent that keeps the process's environment (``self.env = os.environ``) would store every
variable of it, secrets included: its recording is refused, with or without pickles allowed,
with one message naming the attribute and the fix (keep the variables it needs, by name); no
golden is written."""

from __future__ import annotations

import pytest

APP = """
import os


def complete(prompt):
    return "ok:" + prompt


class Agent:
    def __init__(self):
        self.env = os.environ

    def ask(self, q):
        return complete(q + self.env.get("LANGUAGE_HINT", ""))
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_ask(replay):
    assert replay.run(Agent().ask, "q") == "ok:qen"
"""


@pytest.mark.parametrize("options", [(), ("--clearstone-allow-pickle",)], ids=["", "pickles"])
def test_the_process_environment_in_the_state_is_refused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...]
) -> None:
    monkeypatch.setenv("LANGUAGE_HINT", "en")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_agent=TEST)
    result = pytester.runpytest("--clearstone-record", *options)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise *state*'env'*(an os._Environ): it is the process's environment "
            "(os.environ), every variable of it, secrets included*keep the variables the agent "
            "needs, by name*"
        ]
    )
    result.stdout.no_fnmatch_line("*allow pickles*")
    assert not (pytester.path / "goldens").exists()
