"""A recording whose golden cannot be saved (a value only a pickle could store) names where the
value is; when that path runs through a secret value seen during the run — a dict keyed by the
API key from the environment — the message shows the redaction placeholder, not the key."""

from __future__ import annotations

import pytest

KEY = "shopkey-0123456789-zz"  # no pattern knows it: a secret because of its variable's name

APP = """
import os


def llm(prompt):
    return {"text": "hi " + prompt}


class Conn:
    pass


class Agent:
    def __init__(self):
        self.pools = {os.environ["SHOP_API_KEY"]: Conn()}

    def handle(self, q):
        return llm(q)["text"]
"""

TEST = """
import pytest
from pool_app import Agent


@pytest.mark.replay("goldens/pool.ckpt", mock={"llm": "pool_app.llm"})
def test_pool(replay):
    assert replay.run(Agent().handle, "x") == "hi x"
"""


def test_the_save_error_does_not_show_the_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_API_KEY", KEY)
    pytester.syspathinsert()
    pytester.makepyfile(pool_app=APP, test_pool=TEST)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "cannot serialise the agent state at state['pools']['[REDACTED]']" in out
    assert KEY not in out
    assert not list(pytester.path.rglob("*.ckpt*"))
