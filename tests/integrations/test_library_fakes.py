"""Agents tested with the libraries' own fake and test models, as outside users write them:
LangChain's ``FakeListChatModel``/``GenericFakeChatModel``, pydantic-ai's ``TestModel``/
``FunctionModel`` (the real installed classes; no HTTP at all)."""

from __future__ import annotations

import langchain_core.language_models.fake_chat_models  # noqa: F401  (imported once here)
import pytest

FAKE_LIST = "langchain_core.language_models.fake_chat_models.FakeListChatModel"

FAKE_LIST_AGENT = """
from langchain_core.messages import HumanMessage, SystemMessage


class Bot:
    def __init__(self, llm):
        self.llm = llm
        self.history = []

    def ask(self, question):
        reply = self.llm.invoke([SystemMessage("Be terse."), HumanMessage(question)])
        self.history.append(reply.content)
        return reply.content
"""

FAKE_LIST_TEST = f"""
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

import bot_app


@pytest.mark.replay(mock={{"llm": "{FAKE_LIST}.invoke"}},
                    ignore={{"{FAKE_LIST}.invoke": ["self.i"]}},
                    ignore_state=["final_state.llm.i"])
def test_two_questions(replay):
    bot = bot_app.Bot(FakeListChatModel(responses=["one", "two"]))
    assert replay.run(bot.ask, "a") == "one"
    assert replay.run(bot.ask, "b") == "two"
"""


def test_ignoring_the_counter_fake_list_chat_model_sets_replays(pytester: pytest.Pytester) -> None:
    # FakeListChatModel.invoke sets self.i (a pydantic field) when it runs, so on recording and
    # not on replay; the documented ignore/ignore_state for it also has to leave `i` out of the
    # model's set fields, or the replay failed on `root['llm'].model_fields_set`
    pytester.syspathinsert()
    pytester.makepyfile(bot_app=FAKE_LIST_AGENT, test_it=FAKE_LIST_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*model_fields_set*")


ONE_QUESTION_TEST = f"""
import os

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

import bot_app

IGNORE_STATE = os.environ.get("IGNORE_STATE")


@pytest.mark.replay(mock={{"llm": "{FAKE_LIST}.invoke"}},
                    ignore_state=IGNORE_STATE.split(",") if IGNORE_STATE else None)
def test_one_question(replay):
    bot = bot_app.Bot(FakeListChatModel(responses=["one", "two"]))
    assert replay.run(bot.ask, "a") == "one"
"""


def test_a_final_state_field_the_mocked_method_sets_is_named_with_its_fix(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the agent keeps the FakeListChatModel whose invoke (mocked) counts its answers in `i`:
    # the replay does not run invoke, so the final state differs there. The message said only
    # "If the change is intended, re-record", which fails the same way again
    pytester.syspathinsert()
    pytester.makepyfile(bot_app=FAKE_LIST_AGENT, test_it=ONE_QUESTION_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*root[[]'llm'[]].i: 1 -> 0*",
            "*Only fields of the object that "
            f"{FAKE_LIST}.invoke is called on differ: the replay does not run its body*"
            "ignore_state=[[]'final_state.llm.i'[]]*",
        ]
    )
    # following the hint: the replay passes (recording is not needed again)
    monkeypatch.setenv("IGNORE_STATE", "final_state.llm.i")
    pytester.runpytest().assert_outcomes(passed=1)


KEPT_TWICE_AGENT = """
from langchain_core.messages import HumanMessage


class Bot:
    def __init__(self, llm):
        self.llm = llm
        self.last_used = None

    def ask(self, question):
        self.last_used = self.llm  # (the model that answered, kept beside the agent's own)
        return self.llm.invoke([HumanMessage(question)]).content
"""


def test_a_mocked_object_the_state_keeps_twice_is_named_at_both_places(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the second place of the same FakeListChatModel was skipped as already seen: its field
    # was taken for something else that differs, and the message only said to re-record
    pytester.syspathinsert()
    pytester.makepyfile(bot_app=KEPT_TWICE_AGENT, test_it=ONE_QUESTION_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Only fields of the object that "
            f"{FAKE_LIST}.invoke is called on differ: the replay does not run its body*"
            "ignore_state=[[]'final_state.last_used.i', 'final_state.llm.i'[]]*",
        ]
    )
    monkeypatch.setenv("IGNORE_STATE", "final_state.last_used.i,final_state.llm.i")
    pytester.runpytest().assert_outcomes(passed=1)
