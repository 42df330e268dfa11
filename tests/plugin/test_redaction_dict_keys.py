"""End to end: a secret that is a dict key — a usage table keyed by the API key a tool was
given, a cache keyed by a token — is redacted in the golden like a secret value, replays, and a
suspect key fails the recording without the message showing it."""

from __future__ import annotations

import pytest

KEY = "sk-proj-Zq8Xv3Lm9Tn2Rb7Wc4Yd6"
GITHUB = "ghp_" + "a1B2c3D4e5" * 4

APP = """
KEY = "{key}"  # (from a config file, say: not an argument, not in the environment)


def usage(team):
    return {{KEY: {{"calls": 3, "team": team}}, "model": "gpt-4o"}}


class Agent:
    def __init__(self):
        self.seen = {{}}

    def handle(self, team):
        table = usage(team)
        self.seen.update(table)
        return table["model"]
"""

TEST = """
import pytest
from keyed_app import Agent


@pytest.mark.replay("goldens/keyed.ckpt", mock={"tool": "keyed_app.usage"})
def test_keyed(replay):
    assert replay.run(Agent().handle, "search") == "gpt-4o"
"""


def _project(pytester: pytest.Pytester, key: str) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(keyed_app=APP.format(key=key), test_keyed=TEST)


def test_a_key_matching_a_pattern_is_not_written_and_replays(pytester: pytest.Pytester) -> None:
    _project(pytester, KEY)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    text = (pytester.path / "goldens" / "keyed.ckpt").read_text()
    assert KEY not in text and "[REDACTED]" in text
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_suspect_key_fails_the_recording_without_showing_it(pytester: pytest.Pytester) -> None:
    _project(pytester, GITHUB)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "look like secrets" in out and "a GitHub token" in out
    assert GITHUB not in out
    assert not list(pytester.path.rglob("*.ckpt*"))
