"""A recording the plugin refuses (the agent's state cannot be stored) fails with a traceback that
ends in the test's own code: the plugin's frames, whose arguments pytest prints, would show the
agent's state — its API key included — in the terminal and the CI log."""

from __future__ import annotations

KEY = "sk-live-" + "Q7w9E2r4T6y8U1i3O5p7A9s2D4f6G8h1"

AGENT = f"""
def tool(q):
    return "r:" + q


class Unpicklable:
    def __reduce__(self):
        raise TypeError("not picklable")


class Agent:
    def __init__(self):
        self.api_key = "{KEY}"
        self.handle = Unpicklable()  # not even dill can store it

    def run(self, q):
        return tool(q)
"""

TEST = """
import pytest
import refusal_agent


@pytest.mark.replay("goldens/a.ckpt", mock={"tool": "refusal_agent.tool"})
def test_agent(replay):
    replay.run(refusal_agent.Agent().run, "x")
"""


def test_a_refused_state_is_reported_without_the_state(pytester):
    pytester.syspathinsert()
    pytester.makepyfile(refusal_agent=AGENT, test_refusal=TEST)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SerializationError: cannot serialise state?'handle'?*"])
    assert KEY not in result.stdout.str()
    assert "pytest_clearstone/codec" not in result.stdout.str()  # ends in test_refusal.py
