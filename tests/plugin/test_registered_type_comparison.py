"""End to end: a value of a type taught to the codec (``codec.register``, the fix the
serialisation error gives for a type only a pickle could store) is compared with its recording
by the form its encoder stores, as the contract says of values without ``__eq__``. It was
compared by its ``__dict__``: an object that holds more than its encoder stores — instructor's
client (``instructor.from_openai(client)``, whose ``create_fn`` is bound to the live client),
registered as its SDK client and mode — failed every replay of an unchanged agent, and the
delta walked into the SDK client it holds and printed its API key
(``root['structured'].client.api_key: 'clearstone-placeholder-key' -> 'sk-...'``)."""

from __future__ import annotations

import pytest

KEY = "sk-test-CLEARSTONE-REGISTERED-987"

APP = """
import openai


def complete(prompt):
    return "answer to " + prompt


class Structured:
    # instructor's client: the SDK client, a mode, a function bound to the client's method and
    # objects of its own made anew for each client (its hooks)
    def __init__(self, client, mode="tools"):
        self.client = client
        self.mode = mode
        self.create_fn = client.chat.completions.create
        self.hooks = object()


class Agent:
    def __init__(self):
        self.structured = Structured(openai.OpenAI(max_retries=0))
        self.answers = []

    def run(self, question):
        self.answers.append(complete(question))
        self.structured.mode = MODE
        return self.answers[-1]
"""

CONFTEST = """
from pytest_clearstone import codec

import reg_app

codec.register(
    reg_app.Structured,
    lambda v: {"client": v.client, "mode": v.mode},
    lambda tree: reg_app.Structured(tree["client"], tree["mode"]),
)
"""

TEST = """
import pytest
import reg_app


@pytest.mark.replay(mock={"llm": "reg_app.complete"})
def test_it(replay):
    replay.run(reg_app.Agent().run, "Oslo?")
"""


def test_a_registered_type_is_compared_by_its_stored_form_and_its_delta_shows_no_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    pytester.syspathinsert()
    pytester.makepyfile(reg_app=APP.replace("MODE", '"tools"'), test_reg=TEST)
    pytester.makeconftest(CONFTEST)
    pytester.runpytest_subprocess("--clearstone-record", "-p", "no:randomly").assert_outcomes(
        passed=1
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)
    pytester.makepyfile(reg_app=APP.replace("MODE", '"json"'))
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "root['structured'].mode: 'tools' -> 'json'" in text
    assert KEY not in text
    assert "api_key" not in text
