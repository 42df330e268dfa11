"""Mock paths users write naturally for LangChain agents, end to end with the real
``langchain-openai``/``langchain-core`` (HTTP answered by an ``httpx2.MockTransport``): a path
through an instance (``glob_agent.llm.invoke``, ``lc_app.search_recipes.invoke``) is named with
the class path to mock instead, and "nothing was recorded" never suggests the same patch under
another name (contract §6.1)."""

from __future__ import annotations

import textwrap

import pytest

from .conftest import esc

# loaded once here: pytester drops what an inner run imports, and LangChain takes seconds
httpx2 = pytest.importorskip("httpx2")
langchain_openai = pytest.importorskip("langchain_openai")
pytest.importorskip("langchain_core.tools")
langchain_openai.ChatOpenAI(api_key="x").client  # noqa: B018  (imports the SDK's resources)

APP = '''
import json

import httpx2
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI


def answer(request):
    body = json.loads(request.content)
    text = "Answer to " + body["messages"][-1]["content"]
    if body.get("stream"):  # server-sent events: the text in one chunk, then the end
        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1767225600,
                 "model": body["model"], "choices": [{"index": 0, "finish_reason": None,
                 "delta": {"role": "assistant", "content": text}}]}
        last = dict(chunk, choices=[{"index": 0, "finish_reason": "stop", "delta": {}}])
        events = "".join(f"data: {json.dumps(c)}\\n\\n" for c in (chunk, last))
        return httpx2.Response(200, text=events + "data: [DONE]\\n\\n",
                               headers={"content-type": "text/event-stream"})
    return httpx2.Response(200, json={
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600,
        "model": body["model"],
        "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text, "refusal": None}}]})


def make_llm():
    return ChatOpenAI(model="gpt-4o-mini", temperature=0.2, max_retries=0, api_key="sk-test",
                      http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
                      http_async_client=httpx2.AsyncClient(transport=httpx2.MockTransport(answer)))


llm = make_llm()


def lookup(query):
    return "recipes for " + query


@tool
def search_recipes(query: str) -> str:
    """Search recipes."""
    return lookup(query)


def ask(question):
    return llm.invoke([HumanMessage(question)]).content


def ask_streamed(question):
    return "".join(chunk.content for chunk in llm.stream([HumanMessage(question)]))


async def events(question):
    """LangChain's event stream of the model (astream_events: through _astream)."""
    ends = [event["data"]["output"].content
            async for event in llm.astream_events([HumanMessage(question)], version="v2")
            if event["event"] == "on_chat_model_end"]
    return ends[0]


def use_tool(question):
    return search_recipes.invoke({"query": question})
'''


def _project(pytester: pytest.Pytester, test: str) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(lc_app=APP, test_it=textwrap.dedent(test))
    pytester.makeini("[pytest]\nfilterwarnings = error\n")


TEST_PATH_FROM_ENV = """
import os

import pytest

import lc_app

@pytest.mark.replay(mock={"llm": os.environ["MOCK_PATH"]})
def test_it(replay):
    assert replay.run(getattr(lc_app, os.environ["ENTRY"]), "soup") == os.environ["EXPECTED"]
"""

INSTANCE_CASES = [
    pytest.param(
        "lc_app.llm.invoke",
        "ask",
        "Answer to soup",
        "'lc_app.llm' is a langchain_openai.ChatOpenAI instance, which refuses the patch "
        '(ValueError: "ChatOpenAI" object has no field "invoke"); give the method on its class, '
        "'langchain_openai.ChatOpenAI.invoke' (it records the calls of every instance, each "
        "compared by its `self`'s settings)",
        "langchain_openai.ChatOpenAI.invoke",
        id="chat-model",
    ),
    pytest.param(
        # the @tool function is not importable by its own name (the tool replaced it), so the
        # field of the tool holding it is named
        "lc_app.search_recipes.invoke",
        "use_tool",
        "recipes for soup",
        "'lc_app.search_recipes' is a langchain_core.tools.StructuredTool instance, which "
        "refuses the patch (ValueError: *); mock the function it wraps, "
        "'lc_app.search_recipes.func', or give the method on its class, "
        "'langchain_core.tools.StructuredTool.invoke' (*",
        "lc_app.search_recipes.func",
        id="tool",
    ),
]


@pytest.mark.parametrize(("path", "entry", "expected", "reason", "fix"), INSTANCE_CASES)
def test_a_path_through_an_instance_names_the_paths_to_mock_when_recording_and_replaying(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    entry: str,
    expected: str,
    reason: str,
    fix: str,
) -> None:
    _project(pytester, TEST_PATH_FROM_ENV)
    monkeypatch.setenv("ENTRY", entry)
    monkeypatch.setenv("EXPECTED", expected)
    monkeypatch.setenv("MOCK_PATH", path)
    lines = [f"*mock target {path!r} cannot be patched: {reason}. Give the import path*"]
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(lines)
    result.stdout.no_fnmatch_line("*pydantic*main.py*")  # no frames of the refused setattr
    result.stdout.no_fnmatch_line("*Traceback*")

    # the first suggestion records and replays; the instance path then fails the replay the same
    monkeypatch.setenv("MOCK_PATH", fix)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("MOCK_PATH", path)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(lines)


TEST_WRONG_METHOD = """
import pytest

import lc_app
from lc_app import ChatOpenAI  # the class re-exported: another path to the same attribute


@pytest.mark.replay(mock={"llm": "langchain_openai.ChatOpenAI.ainvoke"})
def test_it(replay):
    assert replay.run(lc_app.ask, "soup") == "Answer to soup"
"""


def test_nothing_recorded_names_the_sibling_method_not_the_same_patch_under_another_name(
    pytester: pytest.Pytester,
) -> None:
    # the agent calls invoke; ainvoke is mocked. lc_app.ChatOpenAI.ainvoke patches the very
    # same class attribute, so suggesting it would change nothing
    _project(pytester, TEST_WRONG_METHOD)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded: the test made no call to its mock target(s) "
            "langchain_openai.ChatOpenAI.ainvoke*",
            "*the agent called `langchain_openai.ChatOpenAI.invoke` (the sync twin of "
            "`langchain_openai.ChatOpenAI.ainvoke`), which is not mocked: its calls ran live. "
            "Mock it instead, or too",
        ]
    )
    result.stdout.no_fnmatch_line("*did you mean*")
    result.stdout.no_fnmatch_line("*does the agent call*")  # (it is known: it called invoke)


TEST_STREAMED = """
import pytest

import lc_app


@pytest.mark.replay(mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    assert replay.run(lc_app.ask_streamed, "soup") == "Answer to soup"
"""


def test_nothing_recorded_names_the_method_that_streams_the_same_request(
    pytester: pytest.Pytester,
) -> None:
    # the agent streams (llm.stream), which does not go through the mocked invoke: the hint
    # names stream, not only invoke's async twin
    _project(pytester, TEST_STREAMED)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*langchain_openai.ChatOpenAI.invoke*",
            "*the agent called `langchain_openai.ChatOpenAI.stream` (another method of "
            "`ChatOpenAI` for the same request as `invoke`), which is not mocked: its calls ran "
            "live. Mock it instead, or too",
        ]
    )
    # and mocking it, as the hint says, records and replays
    pytester.makepyfile(test_it=TEST_STREAMED.replace(".invoke", ".stream"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


TEST_EVENTS = """
import asyncio

import pytest

import lc_app


@pytest.mark.replay(mock={"llm": "langchain_openai.ChatOpenAI._agenerate"})
def test_it(replay):
    assert asyncio.run(replay.run(lc_app.events, "soup")) == "Answer to soup"
"""


def test_nothing_recorded_names_the_private_methods_beside_a_private_target(
    pytester: pytest.Pytester,
) -> None:
    # the level the callbacks page recommends (_agenerate) while the agent streams its events
    # (astream_events, through _astream): the hints named the public sync stream, which an
    # async agent never calls either, and not _astream, which records and replays
    _project(pytester, TEST_EVENTS)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*langchain_openai.ChatOpenAI._agenerate*",
            "*the agent called `langchain_openai.ChatOpenAI._astream` (another method of "
            "`ChatOpenAI` for the same request as `_agenerate`), which is not mocked: its calls "
            "ran live. Mock it instead, or too",
        ]
    )
    result.stdout.no_fnmatch_line("*ChatOpenAI.stream`*")
    # and mocking it, as the hint says, records and replays
    pytester.makepyfile(test_it=TEST_EVENTS.replace("._agenerate", "._astream"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_nothing_recorded_under_astream_events_names_the_private_stream_to_mock(
    pytester: pytest.Pytester,
) -> None:
    # the agent reads the model's astream_events with ainvoke mocked: astream_events streams by
    # astream and then _astream (langchain-core 1.8.3). The hints named astream and stream
    # only, and a mock of astream, followed, gives the event handler no events; they now name
    # _astream for astream_events, which records and replays
    _project(pytester, TEST_EVENTS.replace("._agenerate", ".ainvoke"))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*langchain_openai.ChatOpenAI.ainvoke*",
            "*the agent called `langchain_openai.ChatOpenAI.astream` (another method of "
            "`ChatOpenAI` for the same request as `ainvoke`), which is not mocked: its calls ran "
            "live. Mock it instead, or too; under astream_events it streams by "
            "`langchain_openai.ChatOpenAI._astream`, which keeps its events coming: for "
            "astream_events mock that instead, with " + esc("ignore=['**.run_manager']"),
        ]
    )
    # and mocking it, as the hint says, records and replays
    pytester.makepyfile(
        test_it=TEST_EVENTS.replace(
            '"langchain_openai.ChatOpenAI._agenerate"}',
            '"langchain_openai.ChatOpenAI._astream"}, ignore=["**.run_manager"]',
        )
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


TEST_BOTH = """
import asyncio

import pytest
from langchain_core.messages import HumanMessage

import lc_app


async def both(question):
    first = (await lc_app.llm.ainvoke([HumanMessage(question)])).content
    return first, await lc_app.events(question)


@pytest.mark.replay(mock={"llm": "langchain_openai.ChatOpenAI.ainvoke"})
def test_it(replay):
    assert asyncio.run(replay.run(both, "soup")) == ("Answer to soup", "Answer to soup")
"""


def test_a_live_call_under_astream_events_names_the_private_stream_to_mock(
    pytester: pytest.Pytester,
) -> None:
    # ainvoke mocked, and the agent also reads the model's astream_events: the warning that
    # astream made its request live said "Mock it too" with astream, whose mock gives the
    # event handler no events; it names _astream for astream_events, as the hint does
    _project(pytester, TEST_BOTH)
    result = pytester.runpytest("--clearstone-record", "-W", "default")
    result.stdout.fnmatch_lines(
        [
            "*UnmockedCallWarning*langchain_openai.ChatOpenAI.astream*Mock it too*; under "
            "astream_events it streams by `langchain_openai.ChatOpenAI._astream`*",
        ]
    )


TEST_STREAM_MOCKED = """
import pytest
from langchain_core.messages import HumanMessage

import lc_app


def ask_with_tool(question):
    found = lc_app.lookup(question)
    return lc_app.llm.invoke([HumanMessage(found)]).content


@pytest.mark.replay(mock={"llm": "langchain_openai.ChatOpenAI.stream", "tool": "lc_app.lookup"})
def test_it(replay):
    assert replay.run(ask_with_tool, "soup") == "Answer to recipes for soup"
"""


def test_invoke_beside_a_mocked_stream_warns_that_it_ran_live(pytester: pytest.Pytester) -> None:
    # the agent is streamed (a LangGraph agent's stream_mode="messages"), so the test mocks the
    # model's stream; the agent's calls go by invoke: they ran live with no word, only the
    # tool's call was recorded, and every replay made them live again
    _project(pytester, TEST_STREAM_MOCKED)
    result = pytester.runpytest("--clearstone-record", "-W", "default")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnmockedCallWarning: test_it.py::test_it: 'langchain_openai.ChatOpenAI.invoke' was "
            "called while recording and ran live: it makes the same request as the mock target "
            "'langchain_openai.ChatOpenAI.stream' without calling it*",
        ]
    )
    text = " ".join(result.stdout.str().split())
    fix = "['langchain_openai.ChatOpenAI.stream', 'langchain_openai.ChatOpenAI.invoke']"
    assert f"Mock it too (mock={{'llm': {fix}}})" in text, text
    # the fix it names records without the warning
    pytester.makepyfile(
        test_it=TEST_STREAM_MOCKED.replace('"langchain_openai.ChatOpenAI.stream"', fix)
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("path", "others"),
    [
        (
            "langchain_openai.ChatOpenAI._agenerate",
            ["langchain_openai.ChatOpenAI._astream", "langchain_openai.ChatOpenAI._stream"],
        ),
        ("langchain_openai.ChatOpenAI._generate", ["langchain_openai.ChatOpenAI._stream"]),
        (
            "anthropic.resources.messages.Messages.create",
            [
                "anthropic.resources.messages.Messages.stream",
                "anthropic.resources.messages.Messages.parse",
            ],
        ),
        ("langchain_openai.ChatOpenAI.invoke", ["langchain_openai.ChatOpenAI.stream"]),
        (
            "langchain_openai.ChatOpenAI.ainvoke",
            ["langchain_openai.ChatOpenAI.astream", "langchain_openai.ChatOpenAI.stream"],
        ),
        # astream is its twin, not another way; invoke makes the request stream does, and a
        # LangChain agent streamed (create_agent's stream_mode="messages") calls it, not stream
        ("langchain_openai.ChatOpenAI.stream", ["langchain_openai.ChatOpenAI.invoke"]),
        (
            "langchain_openai.ChatOpenAI.astream",
            ["langchain_openai.ChatOpenAI.ainvoke", "langchain_openai.ChatOpenAI.invoke"],
        ),
        (
            "langchain_openai.ChatOpenAI._astream",
            ["langchain_openai.ChatOpenAI._agenerate", "langchain_openai.ChatOpenAI._generate"],
        ),
    ],
)
def test_the_other_ways_to_make_a_request_are_the_owners_stream_and_parse_methods(
    path: str, others: list[str]
) -> None:
    pytest.importorskip(path.partition(".")[0])
    from pytest_clearstone.golden.aliases import alternatives

    assert alternatives(path) == others


@pytest.mark.parametrize(
    ("path", "twin"),
    [
        ("langchain_openai.ChatOpenAI.stream", ("langchain_openai.ChatOpenAI.astream", "async")),
        (
            "langchain_openai.ChatOpenAI._agenerate",
            ("langchain_openai.ChatOpenAI._generate", "sync"),
        ),
        (
            "langchain_openai.ChatOpenAI._generate",
            ("langchain_openai.ChatOpenAI._agenerate", "async"),
        ),
        (
            "openai.resources.chat.completions.AsyncCompletions.create",
            ("openai.resources.chat.completions.Completions.create", "sync"),
        ),
        (
            "openai.resources.chat.completions.Completions.create",
            ("openai.resources.chat.completions.AsyncCompletions.create", "async"),
        ),
    ],
)
def test_the_twins_of_a_target_are_its_sync_or_async_counterparts(
    path: str, twin: tuple[str, str]
) -> None:
    from pytest_clearstone.golden.aliases import twins

    assert twins(path) == [twin]


SELF_SETTING_APP = """
from dataclasses import dataclass, field


@dataclass
class Model:
    name: str = "m"
    # set by each call, like pydantic-ai's TestModel.last_model_request_parameters
    last_prompt: str | None = field(default=None, init=False)

    def request(self, prompt):
        self.last_prompt = prompt
        return prompt.upper()


def run():
    m = Model()
    return [m.request("a"), m.request("b")]
"""

SELF_SETTING_TEST = """
import os

import pytest

import model_app

IGNORE = os.environ.get("IGNORE")


@pytest.mark.replay(mock={"llm": "model_app.Model.request"},
                    ignore=IGNORE.split(",") if IGNORE else None)
def test_two_calls(replay):
    assert replay.run(model_app.run) == ["A", "B"]
"""


def test_a_field_of_self_set_by_the_mocked_method_is_named_with_its_ignore_path(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # recorded call #2 saw self.last_prompt='a' (set by call #1's body); replay does not run the
    # body, so it is None: the message says it is the method's own side effect, and the fix
    pytester.syspathinsert()
    pytester.makepyfile(model_app=SELF_SETTING_APP, test_it=SELF_SETTING_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*root['self']['last_prompt']: 'a' (str) -> None (NoneType)"),
            "*Only fields of `self` differ: if model_app.Model.request sets them itself (replay "
            "does not run its body, so `self` keeps what it held before the call), leave them "
            "out: ignore={'model_app.Model.request': [[]'self.last_prompt']}; where the agent's*",
        ]
    )
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")

    # following the hint: the replay passes (recording is not needed again)
    monkeypatch.setenv("IGNORE", "self.last_prompt")
    pytester.runpytest().assert_outcomes(passed=1)


HELD_MODEL_APP = (
    SELF_SETTING_APP
    + """

class Agent:
    def __init__(self):
        self.model = Model()
        self.answers = []

    def ask(self):
        self.answers += [self.model.request("a"), self.model.request("b")]
        return self.answers
"""
)

HELD_MODEL_TEST = """
import os

import pytest

import model_app

IGNORE = os.environ.get("IGNORE")
IGNORE_STATE = os.environ.get("IGNORE_STATE")


@pytest.mark.replay(mock={"llm": "model_app.Model.request"},
                    ignore={"model_app.Model.request": [IGNORE]} if IGNORE else None,
                    ignore_state=[IGNORE_STATE] if IGNORE_STATE else None)
def test_two_calls(replay):
    assert replay.run(model_app.Agent().ask) == ["A", "B"]
"""


def test_the_self_field_hint_also_names_the_final_state_when_the_agent_holds_the_object(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the agent keeps the model in its state: the field the mocked method no longer sets also
    # differs in the final state, so the ignore= of the hint alone only trades the divergence
    # for a GoldenMismatchError; the hint says so, with the ignore_state path's form
    pytester.syspathinsert()
    pytester.makepyfile(model_app=HELD_MODEL_APP, test_it=HELD_MODEL_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*leave them out: ignore={'model_app.Model.request': [[]'self.last_prompt']}; where "
            "the agent's state holds that object, leave them out of its final state too: "
            "ignore_state=[[]'final_state.<where it is>.last_prompt']. If the change*",
        ]
    )
    monkeypatch.setenv("IGNORE", "self.last_prompt")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([esc("*root['model'].last_prompt: 'b' (str) -> None (NoneType)")])
    # following the hint with the agent's attribute for <where it is>: the replay passes
    monkeypatch.setenv("IGNORE_STATE", "final_state.model.last_prompt")
    pytester.runpytest().assert_outcomes(passed=1)


class Search:
    def run(self, query: str) -> str:
        return query


class AsyncSearch(Search):
    """An ``Async`` class that inherits the method unchanged: the patch of ``Search.run``
    reaches its calls too, so it is no twin to mock."""


def test_an_async_named_subclass_inheriting_the_method_is_no_twin() -> None:
    from pytest_clearstone.golden.aliases import twins

    assert twins(f"{__name__}.Search.run") == []


def test_the_other_ways_of_an_async_method_leave_out_its_twin() -> None:
    # (astream's sync twin stream is named as its twin, not again as another way)
    from pytest_clearstone.golden.aliases import alternatives

    assert "langchain_openai.ChatOpenAI.stream" not in alternatives(
        "langchain_openai.ChatOpenAI.astream"
    )


def test_a_recording_with_no_calls_names_no_twin_the_test_also_mocks() -> None:
    from pytest_clearstone.golden.aliases import nothing_recorded

    pairs = [
        ("llm", "langchain_openai.ChatOpenAI.invoke"),
        ("llm", "langchain_openai.ChatOpenAI.ainvoke"),
    ]
    message = nothing_recorded("test_it.py::test_it", pairs, None)
    assert "twin of" not in message


FALLBACK_APP = """
from dataclasses import dataclass

FALLBACK = "small"


class Busy(Exception):
    pass


@dataclass
class Model:
    name: str

    def request(self, prompt):
        if self.name == "big":
            raise Busy("overloaded")
        return f"{self.name}: {prompt}"


def run():
    # the first model is overloaded: the agent falls back to another one
    for model in (Model("big"), Model(FALLBACK)):
        try:
            return model.request("hi")
        except Busy:
            continue
"""

FALLBACK_TEST = """
import pytest

import fallback_app


@pytest.mark.replay(mock={"llm": "fallback_app.Model.request"})
def test_fallback(replay):
    assert replay.run(fallback_app.run).endswith(": hi")
"""


def test_a_changed_setting_of_a_fallback_model_is_not_told_as_a_side_effect_of_the_method(
    pytester: pytest.Pytester,
) -> None:
    # Expected: call #2 is the first call on the fallback model, whose name the agent changed:
    # a changed setting, as at a call #1. Before the fix: "Only fields of `self` differ: if
    # fallback_app.Model.request sets them itself ... leave them out: ignore={... ['self.name']}",
    # advice that hides a changed model (pydantic-ai's FallbackModel, LangChain's with_fallbacks)
    pytester.syspathinsert()
    pytester.makepyfile(fallback_app=FALLBACK_APP, test_it=FALLBACK_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    path = pytester.path / "fallback_app.py"
    path.write_text(path.read_text().replace('FALLBACK = "small"', 'FALLBACK = "tiny"'))
    for cached in (pytester.path / "__pycache__").glob("fallback_app.*"):
        cached.unlink()
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *replay diverged at call #2 to fallback_app.Model.request*",
            esc("*root['self']['name']: 'small' -> 'tiny'"),
            "*The prompt or arguments changed.*",
        ]
    )
    result.stdout.no_fnmatch_line("*Only fields of `self` differ*")
