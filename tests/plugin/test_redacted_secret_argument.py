"""A pydantic ``SecretStr`` an agent passes to its mocked call under a secret name, replayed with
another key: the golden stores the secret by its class only (read back holding the plugin's
placeholder key), the replay's comparing redaction puts a secret of its class holding the
redaction's placeholder text in place of the live one (:func:`~.codec.withheld.is_withheld`),
and the two stand for each other: the replay passes, and a replay that fails for another
argument shows no line for the key."""

from __future__ import annotations

import pytest

RECORDED_KEY = "gw-recorded-7f3a9b2c1d4e5f60a1b2"
LIVE_KEY = "gw-live-0c9d8e7f6a5b4c3d2e1f"

APP = """
import os

from pydantic import SecretStr


def complete(prompt, api_key):
    return "ok:" + prompt


class Agent:
    def ask(self, q):
        return complete(os.environ.get("PREFIX", "") + q,
                        api_key=SecretStr(os.environ["GATEWAY"]))
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_ask(replay):
    replay.run(Agent().ask, "q")
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("PREFIX", raising=False)
    monkeypatch.setenv("GATEWAY", RECORDED_KEY)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_ask=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("GATEWAY", LIVE_KEY)
    return pytester


def test_a_secret_argument_replayed_with_another_key_matches_the_recorded_one(
    project: pytest.Pytester,
) -> None:
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_a_replay_failing_for_another_argument_shows_no_line_for_the_secret(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFIX", "changed ")
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*", "*root[[]'prompt'[]]*changed q*"])
    result.stdout.no_fnmatch_line("*root[[]'api_key'*")
    assert LIVE_KEY not in result.stdout.str() and RECORDED_KEY not in result.stdout.str()
