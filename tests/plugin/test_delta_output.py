"""The state delta in failures reads like pytest's own diffs: text line by line, -vv in full."""

from __future__ import annotations

import pytest

from pytest_clearstone.diff import get_verbosity

from .conftest import esc

RULES = [f"Rule {i}: answer question {i} politely." for i in range(1, 9)]
PROMPT = "You are a support agent.\n" + "\n".join(RULES) + "\nUser says: {message}"


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def test_a_multi_line_prompt_changed_in_one_line_shows_that_line(project, narrow):
    project.write_app(PROMPT=PROMPT)
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT=PROMPT.replace("question 4 politely", "question 4 briefly"))
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #1 to app.complete*",
            esc("*root['prompt']: text differs (- before, + after):"),
            "*... (3 identical line(s))",
            "*    Rule 3: answer question 3 politely.",
            "*  - Rule 4: answer question 4 politely.",
            "*  ?                           ^^^ -",
            "*  + Rule 4: answer question 4 briefly.",
            "*  ?                           ^^  +",
            "*    Rule 5: answer question 5 politely.",
            "*... (4 identical line(s))",
            "*re-record with: pytest --clearstone-record*",
        ]
    )
    result.stdout.no_fnmatch_line("*Rule 7*")


def test_a_prompt_now_read_with_crlf_line_breaks_says_so(project, narrow):
    """The prompt file checked out with ``\r\n`` (a Windows machine, ``core.autocrlf``): each
    of its lines differs in its line break only, which the delta's lines do not show."""
    project.write_app(PROMPT=PROMPT)
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT=PROMPT.replace("\n", "\r\n"))
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #1 to app.complete*",
            esc(
                "*root['prompt']: text differs only in its line breaks: '\\n' before, "
                "'\\r\\n' after"
            ),
            "*re-record with: pytest --clearstone-record*",
        ]
    )
    result.stdout.no_fnmatch_line("*- Rule 1*")


def test_a_result_in_another_unicode_normalization_is_shown_escaped(project, narrow):
    """The agent's reply template now holds ``é`` composed where it was decomposed: the
    replayed result looks the same as the golden one in the delta unless escaped."""
    project.write_app(RESULT="Cafe\u0301: {answer}")
    project.record().assert_outcomes(passed=1)
    project.write_app(RESULT="Caf\u00e9: {answer}")
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GoldenMismatchError: the replayed result differs*",
            "*root: 'Cafe\\u0301: LLM answer to*' -> 'Caf\\xe9: LLM answer to*' (the same text "
            "in another Unicode normalization, shown escaped)",
        ]
    )


LONG = "Context: " + "a long retrieved document " * 12 + "{message} " + "and more " * 12


def test_a_long_value_is_cut_by_default_and_shown_whole_with_vv(project, narrow):
    project.write_app(PROMPT=LONG)
    project.record().assert_outcomes(passed=1)
    changed = LONG.replace("{message}", "{message}!")
    project.write_app(PROMPT=changed)
    before = LONG.format(message="I was charged twice")
    after = changed.format(message="I was charged twice")

    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*root['prompt']: text differs (- before, + after):"),
            "*  - ...*ment I was charged twice and more*...",
            "*  + ...*ment I was charged twice! and more*...",
            "*  ?  *+",
        ]
    )
    result.stdout.no_fnmatch_line(f"*{before}*")

    outer = get_verbosity()
    result = project.replay("-vv")
    assert get_verbosity() == outer  # the inner run's -vv ends with it
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*root['prompt']: text differs (- before, + after):"),
            f"*  - {before}",
            "*  ?*^",
            f"*  + {after}",
        ]
    )


MODELS_APP = """
from pydantic import BaseModel, Field

SYSTEM = "You plan trips."
DESCRIPTION = "yes or no"


class Message(BaseModel):
    role: str
    content: str


class Verdict(BaseModel):
    verdict: str = Field(description=DESCRIPTION)


def llm(messages, response_format=None):
    return "ok"


def run():
    messages = [Message(role="system", content=SYSTEM), Message(role="user", content="Lisbon?")]
    return llm(messages, response_format=Verdict)
"""

MODELS_TEST = """
import os

import pytest

import models_app

IGNORE = os.environ.get("IGNORE")


@pytest.mark.replay(mock={"llm": "models_app.llm"}, ignore=IGNORE.split(",") if IGNORE else None)
def test_plan(replay):
    assert replay.run(models_app.run) == "ok"
"""


@pytest.mark.parametrize("ignore", ["", "messages.*.role"], ids=["live", "stored_forms"])
def test_a_changed_field_of_a_model_is_named_like_an_attribute(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ignore: str
) -> None:
    # Expected: root['messages'][0].content, not the stored form's
    # root['messages'][0]['v']['content'] (compared live, or by stored forms with ignore= paths)
    monkeypatch.setenv("IGNORE", ignore)
    pytester.syspathinsert()
    pytester.makepyfile(models_app=MODELS_APP, test_models=MODELS_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(models_app=MODELS_APP.replace("You plan trips.", "You plan holidays."))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [esc("*root['messages'][0].content: 'You plan trips.' -> 'You plan holidays.'")]
    )
    result.stdout.no_fnmatch_line(esc("*['v']*"))

    # the path, dotted, is the ignore path that leaves the change out
    monkeypatch.setenv("IGNORE", "messages.*.content")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_changed_json_schema_of_a_model_class_shows_both_texts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the new description at default verbosity and no internal class names; it was
    # "<Verdict of another JSON schema: ...: 'yes or no' -> ... (ChangedModelClass) -> <class
    # 'models_app.Verdict'> (ModelMetaclass)", the new text only under -vv
    monkeypatch.delenv("IGNORE", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(models_app=MODELS_APP, test_models=MODELS_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    changed = MODELS_APP.replace('"yes or no"', '"yes or no, lower case"')
    pytester.makepyfile(models_app=changed)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc(
                "*root['response_format']: the JSON schema of models_app.Verdict changed: "
                "properties.verdict.description: 'yes or no' -> 'yes or no, lower case'"
            )
        ]
    )
    result.stdout.no_fnmatch_line("*ChangedModelClass*")
    result.stdout.no_fnmatch_line("*ModelMetaclass*")


def test_a_message_put_first_in_a_long_history_is_named_as_added(pytester, narrow, monkeypatch):
    """The agent now puts a system message before its history of 300 messages: the replay's
    delta named every message as changed (``'msg 1' -> 'msg 0'``...), 40 of them shown."""
    pytester.syspathinsert()
    pytester.makepyfile(
        chat="""
        import os

        def llm(messages):
            return "ok"

        class Chat:
            def __init__(self):
                self.history = [{"role": "user", "content": f"msg {i}"} for i in range(300)]

            def ask(self):
                if os.environ.get("WITH_SYSTEM"):
                    self.history.insert(0, {"role": "system", "content": "Be brief."})
                return llm(self.history)
        """,
        test_chat="""
        import pytest
        from chat import Chat


        @pytest.mark.replay("goldens/chat.ckpt", mock={"llm": "chat.llm"})
        def test_chat(replay):
            replay.run(Chat().ask)
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("WITH_SYSTEM", "1")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #1 to chat.llm*",
            esc("*root['messages'][0]: added {'role': 'system', 'content': 'Be brief.'}"),
        ]
    )
    result.stdout.no_fnmatch_line("*'msg 1' -> 'msg 0'*")
