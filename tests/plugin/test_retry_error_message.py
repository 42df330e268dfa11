"""tenacity's ``RetryError``, raised by a mocked retry-decorated function, is stored without the
memory address its text holds (``RetryError[<Future at 0x7f... state=finished raised ...>]``):
a re-record of an unchanged agent changes nothing in the golden but measured times (contract
§6.1), and a replay gives the agent the same text."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("tenacity")

APP = """
import tenacity


@tenacity.retry(stop=tenacity.stop_after_attempt(2), wait=tenacity.wait_none())
def complete(prompt):
    raise ValueError("overloaded")


class Agent:
    def __init__(self):
        self.log = []

    def run(self, prompt):
        try:
            return complete(prompt)
        except tenacity.RetryError as exc:
            self.log.append(type(exc).__name__)
            return "gave up"
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
def test_it(replay):
    assert replay.run(Agent().run, "hi") == "gave up"
"""

#: what a re-record may change: what was measured
MEASURED = re.compile(r'"(start_time_ns|end_time_ns|duration_ms|recorded_at)": [^,\n]+')


def test_a_retry_error_is_stored_without_its_futures_address(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=APP, test_it=TEST)
    pytester.syspathinsert()
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"
    first = golden.read_text()
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    second = golden.read_text()
    assert " at 0x" not in first
    assert MEASURED.sub("", first) == MEASURED.sub("", second)
    doc = json.loads(first)
    (error,) = [span["error"] for span in doc["trace"]["spans"] if span.get("error")]
    assert error["message"] == "RetryError[<Future state=finished raised ValueError>]"
    pytester.runpytest().assert_outcomes(passed=1)
