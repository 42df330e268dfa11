"""An SDK method the agent calls that the test does not mock (openai's Conversations API before
``responses.create(conversation=...)``, anthropic's ``messages.count_tokens`` before
``messages.create``) runs live when recording and is blocked on replay. The network guard's
message said only "Mock the function that makes this call": it now names the SDK method, whose
import path added to ``mock=`` records and replays."""

from __future__ import annotations

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import openai  # noqa: F401
import pytest

from .harness import Stack

CONVERSATIONS = "openai.resources.conversations.conversations.Conversations.create"
RESPONSES = "openai.resources.responses.responses.Responses.create"
COUNT = "anthropic.resources.messages.messages.Messages.count_tokens"
MESSAGES = "anthropic.resources.messages.Messages.create"
CHAT = "openai.resources.chat.completions.completions.Completions.create"

# The services answer /v1/responses and /v1/messages; a conversation and a token count are
# answered here, sealed and counted the same way.
AGENT = """
import json
import os

import anthropic
import httpx2
import openai

import services


def _extra(service, request, answer):
    where = f"{request.method} {request.url}"
    if os.environ.get(services.SEALED_ENV):
        service.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {where}")
    service.requests.append({"path": request.url.path, "body": json.loads(request.content)})
    return httpx2.Response(200, json=answer)


def gpt(request):
    if request.url.path == "/v1/conversations":
        return _extra(services.OPENAI, request, {
            "id": "conv_689667905b048191b4740501625afd94", "object": "conversation",
            "created_at": 1767225600, "metadata": {}})
    return services.OPENAI.handler(request)


def claude(request):
    if request.url.path == "/v1/messages/count_tokens":
        return _extra(services.ANTHROPIC, request, {"input_tokens": 12})
    return services.ANTHROPIC.handler(request)


def client(kind):
    # a client of the real transport (blocked by the guard) once the golden is recorded
    live = os.environ.get("CLEARSTONE_SERVICES_SEALED")
    if kind == "openai":
        http = None if live else httpx2.Client(transport=httpx2.MockTransport(gpt))
        return openai.OpenAI(http_client=http, max_retries=0)
    http = None if live else httpx2.Client(transport=httpx2.MockTransport(claude))
    return anthropic.Anthropic(http_client=http, max_retries=0)


def in_a_conversation(client, question):
    conversation = client.conversations.create()
    return client.responses.create(model="gpt-4o-mini", input=question,
                                   conversation=conversation.id).output_text


def counted(client, question):
    messages = [{"role": "user", "content": question}]
    counted = client.messages.count_tokens(model="claude-sonnet-4-5", messages=messages)
    if counted.input_tokens > 1000:
        return "too long"
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=64,
                                  messages=messages).content[0].text
"""

TEST = """
import pytest

import unmocked_agent as app


@pytest.mark.replay(mock={"llm": MOCK})
def test_it():
    assert app.FUNCTION(app.client(KIND), "Tides?") == "Answer to 'Tides?'"
"""


@pytest.mark.parametrize(
    ("kind", "function", "target", "unmocked"),
    [
        ("openai", "in_a_conversation", RESPONSES, CONVERSATIONS),
        ("anthropic", "counted", MESSAGES, COUNT),
    ],
    ids=["openai_conversations", "anthropic_count_tokens"],
)
def test_a_blocked_call_names_the_sdk_method_to_mock(
    make_stack: object, kind: str, function: str, target: str, unmocked: str
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "unmocked_agent.py").write_text(AGENT)
    test = TEST.replace("FUNCTION", function).replace("KIND", repr(kind))
    stack.write_test("it", test.replace("MOCK", repr(target)))
    recorded = stack.try_record()
    # (named when recording too: a warning, an error under `filterwarnings = error`; the golden
    # is written all the same)
    recorded.stdout.fnmatch_lines([f"*UnmockedCallWarning*'{unmocked}' was called while*"])
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        f"The call was made by the SDK method {unmocked}, which is not mocked: add it to mock= "
        "and record again" in text
    ), text
    stack.write_test("it", test.replace("MOCK", repr([target, unmocked])))
    stack.record()
    stack.replay_passes()


MIXED_AGENT = """
import asyncio


def streamed(client, messages):
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=64,
                                messages=messages) as stream:
        return stream.get_final_text()


def create_then_stream(client, question):
    messages = [{"role": "user", "content": question}]
    draft = client.messages.create(model="claude-sonnet-4-5", max_tokens=64,
                                   messages=messages).content[0].text
    return streamed(client, [{"role": "user", "content": draft}])


def sync_then_async(clients, question):
    sync, async_ = clients
    messages = [{"role": "user", "content": question}]
    draft = sync.chat.completions.create(model="gpt-4o-mini",
                                         messages=messages).choices[0].message.content
    answer = asyncio.run(async_.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": draft}]))
    return answer.choices[0].message.content


def async_then_sync(clients, question):
    sync, async_ = clients
    answer = asyncio.run(async_.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}]))
    draft = answer.choices[0].message.content
    return sync.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "user", "content": draft}]).choices[0].message.content


def stream_then_create_then_stream(client, question):
    streamed(client, [{"role": "user", "content": question}])
    return create_then_stream(client, question)
"""

MIXED_TEST = """
import pytest

import mixed_agent as app


@pytest.mark.replay(mock={"llm": MOCK})
def test_it(replay, anthropic_client, openai_client, async_openai_client):
    clients = {"anthropic": anthropic_client, "openai": (openai_client, async_openai_client)}
    assert replay.run(app.FUNCTION, clients[KIND], "Tides?") == "Answer to 'Answer to 'Tides?''"
"""

STREAM = "anthropic.resources.messages.Messages.stream"
ACREATE = "openai.resources.chat.completions.AsyncCompletions.create"
CREATE = "openai.resources.chat.completions.Completions.create"


@pytest.mark.parametrize(
    ("kind", "function", "target", "live", "what", "fix"),
    [
        (
            "anthropic",
            "create_then_stream",
            MESSAGES,
            STREAM,
            f"it makes the same request as the mock target {MESSAGES!r} without calling it",
            "Its answer (a stream helper) cannot be replayed: mock a function of your own that "
            "reads the stream and returns what the agent uses",
        ),
        (
            "openai",
            "sync_then_async",
            CREATE,
            ACREATE,
            f"it is the async twin of the mock target {CREATE!r}, which makes the same request "
            "without calling it",
            f"Mock it too (mock={{'llm': [{CREATE!r}, {ACREATE!r}]}})",
        ),
        (  # (the twin called first, before any call was recorded)
            "openai",
            "async_then_sync",
            CREATE,
            ACREATE,
            f"it is the async twin of the mock target {CREATE!r}, which makes the same request "
            "without calling it",
            f"Mock it too (mock={{'llm': [{CREATE!r}, {ACREATE!r}]}})",
        ),
        (  # (the first stream is excused by the create after it; the last is not)
            "anthropic",
            "stream_then_create_then_stream",
            MESSAGES,
            STREAM,
            f"it makes the same request as the mock target {MESSAGES!r} without calling it",
            "Its answer (a stream helper) cannot be replayed: mock a function of your own that "
            "reads the stream and returns what the agent uses",
        ),
    ],
    ids=[
        "anthropic_stream_after_create",
        "openai_async_after_sync",
        "openai_async_before_sync",
        "anthropic_stream_before_and_after_create",
    ],
)
def test_a_request_made_live_beside_the_mocked_method_warns_naming_it(
    make_stack: object, kind: str, function: str, target: str, live: str, what: str, fix: str
) -> None:
    """The agent calls the mocked method, then makes the same request another way: anthropic's
    stream helper (which does not go through ``create``), the async client's ``create``. The
    recording held the first call only, with no word (the target's being called excused the
    other method), and every replay made the second live."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "mixed_agent.py").write_text(MIXED_AGENT)
    test = MIXED_TEST.replace("FUNCTION", function).replace("KIND", repr(kind))
    stack.write_test("mixed", test.replace("MOCK", repr(target)))
    result = stack.try_record("-W", "default::UserWarning")
    result.assert_outcomes(passed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        f"UnmockedCallWarning: test_mixed.py::test_it: {live!r} was called while recording and "
        f"ran live: {what}, so its calls are not in the golden and run live on every replay. "
        f"{fix}"
    ) in text, text
    # the fix it names records without the warning, and replays with the services sealed
    mocked = [target, live] if kind == "openai" else [target, "mixed_agent.streamed"]
    stack.write_test("mixed", test.replace("MOCK", repr(mocked)))
    result = stack.try_record("-W", "error::pytest_clearstone.errors.UnmockedCallWarning")
    result.assert_outcomes(passed=1)
    stack.replay_passes()


LANGCHAIN_AGENT = """
import os

import httpx2
import services
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI


def lookup(query):
    return f"recipes for {query}"


def ask(question):
    # the real transport (blocked by the guard) once the golden is recorded
    sealed = os.environ.get(services.SEALED_ENV)
    transport = None if sealed else httpx2.MockTransport(services.OPENAI.handler)
    llm = ChatOpenAI(model="gpt-4o-mini", max_retries=0,
                     http_client=httpx2.Client(transport=transport))
    return llm.invoke([HumanMessage(lookup(question))]).content
"""

LANGCHAIN_TEST = """
import pytest

import lc_unmocked as app


@pytest.mark.replay(mock=MOCK)
def test_it(replay):
    assert replay.run(app.ask, "Tides?") == "Answer to 'recipes for Tides?'"
"""


def test_a_blocked_call_of_a_langchain_chat_model_names_its_method_not_the_sdks(
    make_stack: object,
) -> None:
    # the test mocks the tool's backend and forgets the model: its request, made by the SDK's
    # Completions.create under ChatOpenAI.invoke, was named by that SDK method, whose mock
    # fails the recording under a chat model (it answers the SDK's raw response)
    pytest.importorskip("langchain_openai")
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "lc_unmocked.py").write_text(LANGCHAIN_AGENT)
    stack.write_test("it", LANGCHAIN_TEST.replace("MOCK", repr({"tool": "lc_unmocked.lookup"})))
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        "The call was made by langchain_openai.ChatOpenAI.invoke, which is not mocked: add it to "
        "mock= and record again" in text
    ), text
    assert f"not the SDK method it sends by, {CHAT}, whose raw response" in text, text
    mock = {"tool": "lc_unmocked.lookup", "llm": "langchain_openai.ChatOpenAI.invoke"}
    stack.write_test("it", LANGCHAIN_TEST.replace("MOCK", repr(mock)))
    stack.record()
    stack.replay_passes()
