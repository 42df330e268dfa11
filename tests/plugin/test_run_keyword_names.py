"""``replay.run(target, *args, **kwargs)`` passes every keyword to the agent's method, also one
named like its own first parameter: a translating agent's ``target="fr"``."""

from __future__ import annotations

APP = """
def complete(prompt):
    return "answer to " + prompt

class Translator:
    def __init__(self):
        self.done = []

    def translate(self, text, target="en", self_check=False):
        answer = complete(f"{text} -> {target}")
        self.done.append((target, answer))
        return answer
"""

TEST = """
import pytest
from app import Translator

@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
def test_translate(replay):
    assert replay.run(Translator().translate, "hello", target="fr") == "answer to hello -> fr"

@pytest.mark.replay("h.ckpt", mock={"llm": "app.complete"})
def test_translate_all_by_keyword(replay):
    assert replay.run(Translator().translate, text="bye", target="it") == "answer to bye -> it"
"""


def test_a_keyword_named_target_reaches_the_agent_in_both_modes(pytester):
    # (run's own first parameter was named target, so run(agent.translate, "hello",
    # target="fr") raised "TypeError: run() got multiple values for argument 'target'")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_translate=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.runpytest().assert_outcomes(passed=2)
