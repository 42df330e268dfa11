"""``replay.calls`` compared with a syrupy snapshot, as the fixtures reference shows
(``assert replay.calls == snapshot(exclude=props("span_id"))``): the snapshot taken while
recording holds in the replay, also for calls made inside a LangChain run, whose callbacks in
force the replay notes for its hints but does not show as a field of the call."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("syrupy")

APP = """
from langchain_core.runnables import RunnableLambda


def lookup(city):
    return {"city": city, "summary": "sunny"}


chain = RunnableLambda(lambda city: lookup(city)) | RunnableLambda(
    lambda weather: f"{weather['city']} is {weather['summary']}"
)


class Agent:
    def __init__(self):
        self.seen = []

    def run(self, city):
        self.seen.append(chain.invoke(city))
        return self.seen[-1]
"""

TEST = """
import pytest
from syrupy.filters import props

from app import Agent


@pytest.mark.replay(mock={"tool": "app.lookup"})
def test_calls(replay, snapshot):
    assert replay.run(Agent().run, "Nice") == "Nice is sunny"
    assert replay.calls == snapshot(exclude=props("span_id"))
"""


def test_a_snapshot_of_replay_calls_made_in_a_langchain_run_holds_when_replayed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(app=APP, test_app=TEST)
    pytester.syspathinsert()
    recorded = pytester.runpytest("-p", "syrupy", "--clearstone-record", "--snapshot-update")
    recorded.assert_outcomes(passed=1)
    snapshot = next(pytester.path.glob("__snapshots__/*.ambr")).read_text()
    assert "ReplayCall(" in snapshot and "in_context" not in snapshot
    replayed = pytester.runpytest("-p", "syrupy")
    replayed.assert_outcomes(passed=1)
