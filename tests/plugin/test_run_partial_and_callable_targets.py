"""``replay.run()`` given a ``functools.partial`` of an agent's method, or an agent that is
itself callable: the agent is the method's owner (its state recorded and compared), and the
run is named after the method, never after a ``repr`` holding a memory address."""

from __future__ import annotations

APP = """
def complete(prompt):
    return "answer to " + prompt

class Translator:
    def __init__(self):
        self.done = []

    def translate(self, text, target="en"):
        answer = complete(f"{text} -> {target}")
        self.done.append(DONE)
        return answer

    def __call__(self, text):
        return self.translate(text, target="de")
"""

TEST = """
import functools
import pytest
from app import Translator

@pytest.mark.replay("p.ckpt", mock={"llm": "app.complete"})
def test_partial(replay):
    agent = Translator()
    run = functools.partial(agent.translate, target="fr")
    assert replay.run(run, "hello") == "answer to hello -> fr"
    assert replay.agent is agent

@pytest.mark.replay("c.ckpt", mock={"llm": "app.complete"})
def test_callable_agent(replay):
    agent = Translator()
    assert replay.run(agent, "hello") == "answer to hello -> de"
    assert replay.agent is agent
"""


def test_a_partial_or_a_callable_agent_replays_and_its_state_is_compared(pytester):
    # (the run was named after the partial's or the agent's repr, which holds a memory address:
    # the replay of an unchanged agent failed, 'the golden recorded "functools.partial(<bound
    # method Translator.translate of <app.Translator object at 0x7f...>>, ...)"', every
    # re-record changed the golden; and the agent was not found, so its state was neither
    # recorded nor compared)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP.replace("DONE", "(target, answer)"), test_app=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    golden = (pytester.path / "p.ckpt").read_text()
    assert "0x" not in golden and "0x" not in (pytester.path / "c.ckpt").read_text()
    pytester.runpytest().assert_outcomes(passed=2)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    assert (pytester.path / "p.ckpt").read_text() == golden
    # the agent now keeps another state: both replays fail on it
    pytester.makepyfile(app=APP.replace("DONE", "(target, answer, 1)"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    assert result.stdout.str().count("root['done'][0][2]: added 1") == 2
