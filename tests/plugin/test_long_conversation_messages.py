"""What a failed replay of a long conversation shows of a call's arguments: every call of a chat
loop sends the whole history, so the start of the arguments (the system prompt, the first turn)
is the same for all of them. A shortened preview shows a long list by its first and last items,
so the call made or not made is told apart by its last turn."""

from __future__ import annotations

import pytest

CHAT = """
import os


def complete(messages, model):
    return "answer to " + messages[-1]["content"]


class Chat:
    def __init__(self):
        self.history = [{"role": "system", "content": "You are a terse assistant."}]

    def run(self, turns):
        for i in range(turns):
            self.history.append({"role": "user", "content": f"question {i}"})
            self.history.append({"role": "assistant",
                                 "content": complete(list(self.history), "gpt-4o-mini")})
        return self.history[-1]["content"]
"""

TEST = """
import os

import pytest
from chat import Chat


@pytest.mark.replay("goldens/chat.ckpt", mock={"llm": "chat.complete"})
def test_chat(replay):
    replay.run(Chat().run, int(os.environ.get("TURNS", "30")))
"""


@pytest.fixture
def chat(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("TURNS", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(chat=CHAT, test_chat=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    return pytester


def test_a_turn_no_longer_made_is_shown_by_its_last_message(chat, monkeypatch):
    monkeypatch.setenv("TURNS", "29")
    result = chat.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*call #30 (call 30 of 30 in the recorded sequence) was not made; recorded "
            "arguments: {'messages': [[]{'role': 'system', 'content': 'You are a terse "
            "assistant.'}, <58 more>, {'role': 'user', 'content': 'question 29'}], "
            "'model': 'gpt-4o-mini'}",
        ]
    )


def test_a_turn_more_is_shown_by_its_last_message(chat, monkeypatch):
    monkeypatch.setenv("TURNS", "31")
    result = chat.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*call #31 arguments: {'messages': [[]{'role': 'system', 'content': 'You are a "
            "terse assistant.'}, <60 more>, {'role': 'user', 'content': 'question 30'}], "
            "'model': 'gpt-4o-mini'}",
        ]
    )


def test_with_vv_the_whole_arguments_are_shown(chat, monkeypatch):
    monkeypatch.setenv("TURNS", "31")
    result = chat.runpytest("-vv")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*call #31 arguments: *'question 15'*'question 30'}]*"])
    assert "more>" not in result.stdout.str()
