"""A pydantic ``SecretStr`` under a secret name where the recording holds ``None`` (or the
reverse): a key the agent now has and did not have when recorded is a change, reported as one,
and never shown by its value.

The redaction puts a secret of its class holding the plugin's placeholder key in place of a
secret under a secret name; that key also stands for no key (the plugin gives it to unset
provider key variables while tests replay, and an agent reading one was recorded with
``None``). So a real secret against a recorded ``None`` was taken as no change where the golden
redacted anything (the replay passed), and otherwise diverged with a delta that said nothing
(``(arguments differ, but not in their values)``, ``(they differ in their stored forms)``)."""

from __future__ import annotations

import pytest

LIVE_KEY = "gw-live-7f3a9b2c1d4e5f60a1b2"

APP = """
import os

from pydantic import SecretStr


def complete(prompt, api_key, password):
    return "ok:" + prompt


class Agent:
    def __init__(self):
        self.api_key = None

    def ask(self, q):
        key = os.environ.get("GATEWAY")
        self.api_key = SecretStr(key) if key else None
        # (the password: a value the golden redacts, or not)
        password = os.environ.get("PW") or "not set"
        return complete(q, api_key=self.api_key if os.environ.get("PASS_IT") else None,
                        password=password)
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_ask(replay):
    assert replay.run(Agent().ask, "q") == "ok:q"
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("GATEWAY", "PW", "PASS_IT"):
        monkeypatch.delenv(name, raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_ask=TEST)
    return pytester


@pytest.mark.parametrize("redacted", [True, False], ids=["golden-redacted", "nothing-redacted"])
@pytest.mark.parametrize("passed", [True, False], ids=["in-the-call", "in-the-state"])
def test_a_secret_where_none_was_recorded_is_a_change_shown_without_its_value(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, redacted: bool, passed: bool
) -> None:
    if redacted:
        monkeypatch.setenv("PW", "hunter2-correct-horse-battery")
    if passed:
        monkeypatch.setenv("PASS_IT", "1")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("GATEWAY", LIVE_KEY)
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    error = "ReplayDivergenceError" if passed else "GoldenMismatchError"
    result.stdout.fnmatch_lines(
        [
            f"*{error}*",
            "*root[[]'api_key']: None (NoneType) -> SecretStr('**********') (SecretStr)*",
        ]
    )
    assert LIVE_KEY not in result.stdout.str()


def test_a_secret_recorded_where_the_replay_has_none_is_a_change_shown_without_its_value(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY", LIVE_KEY)
    monkeypatch.setenv("PASS_IT", "1")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.delenv("GATEWAY")
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*root[[]'api_key']: SecretStr('**********') (SecretStr) -> None (NoneType)*"]
    )
    assert LIVE_KEY not in result.stdout.str()


def test_the_same_secret_or_none_on_both_sides_replays(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW", "hunter2-correct-horse-battery")
    monkeypatch.setenv("PASS_IT", "1")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    project.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("GATEWAY", LIVE_KEY)
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    project.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("GATEWAY", "gw-another-key-0123456789abcdef")  # (a secret is a secret)
    project.runpytest().assert_outcomes(passed=1)
