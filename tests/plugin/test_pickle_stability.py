"""End to end: re-recording an unchanged agent whose state needs a pickle (pickles allowed),
in another process (another hash order), says "unchanged" and writes the same pickle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

APP = """
def llm(prompt):
    return {"text": "hi " + prompt}


class Blob:
    def __init__(self):
        self.tags = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"}


class Agent:
    def __init__(self):
        self.blob = Blob()
        self.history = []

    def handle(self, q):
        self.history.append(llm(q)["text"])
        return self.history[-1]
"""

TEST = """
import pytest
from pk_app import Agent


@pytest.mark.replay("goldens/pk.ckpt", mock={"llm": "pk_app.llm"})
def test_pk(replay):
    assert replay.run(Agent().handle, "x") == "hi x"
"""


def test_a_re_record_in_another_hash_order_is_unchanged(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    pytester.makepyfile(pk_app=APP, test_pk=TEST)
    golden = pytester.path / "goldens" / "pk.ckpt"
    states = []
    for seed in ("1", "2", "3"):
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        result = pytester.runpytest_subprocess(
            "--clearstone-record", "--clearstone-allow-pickle", "-p", "no:randomly"
        )
        result.assert_outcomes(passed=1)
        doc = json.loads(golden.read_text())
        states.append((doc["agent"]["state"], doc["outcome"]["final_state"]))
        if seed != "1":
            assert "goldens/pk.ckpt: unchanged" in result.stdout.str()
    assert states[0] == states[1] == states[2]
