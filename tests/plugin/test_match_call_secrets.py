"""What a ``pytest_clearstone_match_call`` hook gets for a secret under a secret name: the same
withheld form on both sides (the recorded one), never the live secret.

The recorded side holds what the golden stored (``'[REDACTED]'`` for a text, a pydantic secret
holding the plugin's placeholder key for a ``SecretStr``); the live side is redacted by the same
rules, but a ``SecretStr`` came as a secret of another withheld form, so a hook comparing them
with ``==`` saw a difference where there was none."""

from __future__ import annotations

import json

import pytest

LIVE_KEY = "gw-live-7f3a9b2c1d4e5f60a1b2"

APP = """
import os

from pydantic import SecretStr


def complete(prompt, api_key, token):
    return "ok:" + prompt


class Agent:
    def ask(self, q):
        key = os.environ["GATEWAY"]
        return complete(q, api_key=SecretStr(key), token=key)
"""

CONFTEST = """
import json


def pytest_clearstone_match_call(target, call_number, recorded, actual, config):
    def shown(arguments):
        return {
            name: getattr(value, "get_secret_value", lambda: value)()
            for name, value in arguments.items()
        }

    with open("seen.jsonl", "a") as seen:
        seen.write(json.dumps({"recorded": shown(recorded), "actual": shown(actual),
                               "equal": recorded == actual}) + "\\n")
    return None
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_ask(replay):
    assert replay.run(Agent().ask, "q") == "ok:q"
"""


def test_a_match_call_hook_gets_a_secret_in_the_same_withheld_form_on_both_sides(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY", LIVE_KEY)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_ask=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makeconftest(CONFTEST)
    pytester.runpytest().assert_outcomes(passed=1)
    seen = (pytester.path / "seen.jsonl").read_text()
    assert LIVE_KEY not in seen
    (call,) = [json.loads(line) for line in seen.splitlines()]
    assert call["actual"] == call["recorded"], call
    assert call["equal"], call
