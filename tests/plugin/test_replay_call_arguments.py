"""``replay.calls[i].arguments`` holds the call's arguments as the agent passed them, by
reference (copying them would cost on every replayed call): a list the agent changes after the
call (a chat history it appends to) is seen as it is when the test reads it, as documented in
docs/reference/fixtures.md."""

from __future__ import annotations

import pytest

APP = """
def complete(messages):
    return "answer " + str(len(messages))


class Chat:
    def __init__(self):
        self.history = []

    def ask(self, q):
        self.history.append(q)
        answer = complete(self.history)
        self.history.append(answer)
        return answer
"""

TEST = """
import pytest
from app import Chat


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_ask(replay):
    assert replay.run(Chat().ask, "q") == "answer 1"
    # (the list the call got, appended to after it: the answer is in it)
    assert replay.calls[0].arguments["messages"] == ["q", "answer 1"]
"""


@pytest.mark.parametrize("mode", ["record", "replay"])
def test_a_calls_list_argument_is_seen_as_the_agent_left_it(
    pytester: pytest.Pytester, mode: str
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_ask=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    if mode == "replay":
        pytester.runpytest().assert_outcomes(passed=1)
