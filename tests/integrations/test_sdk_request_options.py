"""The SDKs' request options (``timeout=httpx2.Timeout(...)``, ``extra_headers``, a client's
``with_options``) recorded at the SDK method: the goldens name the values' own classes, so a
re-record of an unchanged agent writes the same golden whichever other SDK the session imported."""

from __future__ import annotations

import sys

import pytest

from .harness import Stack

AGENT = '''
"""An agent on the openai SDK giving the request its own timeout."""
import httpx2


def ask(client, question):
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}],
        timeout=httpx2.Timeout(12.0, connect=3.0))
    return answer.choices[0].message.content
'''

TEST = """
import pytest

import timeout_agent


@pytest.mark.replay(mock={"llm": "openai.resources.chat.completions.Completions.create"})
def test_ask(openai_client):
    assert timeout_agent.ask(openai_client, "Lisbon?") == "Answer to 'Lisbon?'"
"""

# another test module of the same suite, on both SDKs (openai imported first)
OTHER = """
import openai
import anthropic


def test_other():
    assert openai.OpenAI and anthropic.Anthropic
"""


def test_a_request_timeout_is_stored_by_its_own_class_whichever_sdk_was_imported_last(
    make_stack: object,
) -> None:
    """Both SDKs relabel ``httpx2.Timeout`` as their own (``Timeout.__module__ = "openai"``, then
    ``"anthropic"``): the golden of an openai agent named ``anthropic:Timeout`` after the whole
    suite was recorded, ``openai:Timeout`` after its file alone was, and a re-record of the
    unchanged agent reported its arguments changed."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "timeout_agent.py").write_text(AGENT)
    stack.pytester.makepyfile(test_0_other=OTHER)
    stack.write_test("ask", TEST)
    whole = stack.pytester.runpytest_subprocess("--clearstone-record", "-p", "no:randomly")
    whole.assert_outcomes(passed=2)
    golden = stack.path / "goldens" / "test_ask" / "test_ask.ckpt"
    text = golden.read_text()
    assert '"cls": "httpx2:Timeout"' in text, text
    assert "anthropic" not in text
    alone = stack.pytester.runpytest_subprocess("--clearstone-record", "test_ask.py")
    alone.assert_outcomes(passed=1)
    alone.stdout.fnmatch_lines(["*goldens/test_ask/test_ask.ckpt: unchanged*"])
    stack.replay().assert_outcomes(passed=2)
    assert sys.modules["httpx2"].Timeout.__module__ in ("openai", "anthropic")  # (the cause)


AT_PRIVATE_CLIENT = """
import pytest

import timeout_agent


@pytest.mark.replay(mock={{"http": "{target}"}})
def test_ask({fixture}):
    assert timeout_agent.ask_{kind}({fixture}, "Lisbon?") == "Answer to 'Lisbon?'"
"""

AGENTS = '''
"""Agents on the openai and anthropic SDKs."""
import asyncio


def ask_sync(client, question):
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    return answer.choices[0].message.content


def ask_async(client, question):
    async def ask():
        return await client.messages.create(
            model="claude-sonnet-4-5", max_tokens=64,
            messages=[{"role": "user", "content": question}])
    return asyncio.run(ask()).content[0].text
'''


@pytest.mark.parametrize(
    ("target", "fixture", "kind", "fix"),
    [
        ("openai.OpenAI._client.send", "openai_client", "sync", "httpx2.Client.send"),
        (
            "anthropic.AsyncAnthropic._client.send",
            "async_anthropic_client",
            "async",
            "httpx2.AsyncClient.send",
        ),
    ],
)
def test_the_sdk_clients_own_http_client_as_target_names_the_send_that_records(
    make_stack: object, target: str, fixture: str, kind: str, fix: str
) -> None:
    """``openai.OpenAI._client.send``, the HTTP layer written the way the SDK holds it: refused
    with the generic "give the import path where the agent looks the function up", though
    ``_client`` is the ``httpx2`` client each SDK client makes; the message names the class's
    method to mock, and that target records and replays."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "timeout_agent.py").write_text(AGENTS)
    test = AT_PRIVATE_CLIENT.format(target=target, fixture=fixture, kind=kind)
    stack.write_test("ask", test)
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    out = refused.stdout.str()
    assert "is the HTTP client that each" in out and f"mock {fix!r}" in out, out
    assert "my_app.llm.complete" not in out
    stack.write_test("ask", test.replace(target, fix))
    stack.record()
    stack.replay_passes()


OPTIONS_AGENT = '''
"""An agent giving its requests options: a client copy with its own timeout and retries, and
per-request headers, query, body and timeout."""
import httpx2


def ask(client, question):
    fast = client.with_options(timeout=7.0, max_retries=0).copy(max_retries=1)
    answer = fast.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}],
        extra_headers={"X-Team": "travel"}, extra_query={"tag": "a"},
        extra_body={"metadata": {"k": "v"}}, timeout=httpx2.Timeout(12.0, connect=3.0))
    return answer.choices[0].message.content
'''

OPTIONS_TEST = """
import pytest

import options_agent


@pytest.mark.replay(mock={"llm": "openai.resources.chat.completions.Completions.create"})
def test_ask(openai_client):
    assert options_agent.ask(openai_client, "Lisbon?") == "Answer to 'Lisbon?'"
"""


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("timeout=7.0", "timeout=8.0", "root['self'].client.timeout: 7.0 -> 8.0"),
        ("copy(max_retries=1)", "copy(max_retries=2)", "root['self'].client.max_retries: 1 -> 2"),
        ('"X-Team": "travel"', '"X-Team": "hotels"', "root['extra_headers']['X-Team']"),
        ('{"tag": "a"}', '{"tag": "b"}', "root['extra_query']['tag']: 'a' -> 'b'"),
        ('{"k": "v"}', '{"k": "w"}', "root['extra_body']['metadata']['k']: 'v' -> 'w'"),
        ("connect=3.0", "connect=4.0", "root['timeout'].connect: 3.0 -> 4.0"),
    ],
)
def test_a_changed_request_option_fails_the_replay_naming_it(
    make_stack: object, old: str, new: str, named: str
) -> None:
    """What ``docs/how-to/openai.md`` says of request options: unchanged, they replay green
    (twice, the service sealed), and a change of one fails naming it."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "options_agent.py").write_text(OPTIONS_AGENT)
    stack.write_test("ask", OPTIONS_TEST)
    stack.roundtrip()
    stack.edit("options_agent", old, new)
    result = stack.replay()
    result.assert_outcomes(failed=1)
    assert named in result.stdout.str()


RAW_AGENT = '''
"""Agents reading the SDKs' raw responses: headers, the parsed answer, the request sent."""
import asyncio


def ask_raw(client, question):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    return [raw.parse().choices[0].message.content, raw.headers["x-request-id"][:4],
            raw.http_request.url.path]


def ask_streaming(client, question):
    async def ask():
        async with client.messages.with_streaming_response.create(
                model="claude-sonnet-4-5", max_tokens=64,
                messages=[{"role": "user", "content": question}]) as response:
            return [(await response.parse()).content[0].text, response.headers["request-id"][:4]]
    return asyncio.run(ask())
'''

RAW_TEST = """
import pytest

import raw_agent


@pytest.mark.replay(mock={{"llm": "{target}"}})
def test_ask({fixture}):
    assert raw_agent.{function}({fixture}, "Lisbon?")[:2] == ["Answer to 'Lisbon?'", "req_"]
"""


@pytest.mark.parametrize(
    ("target", "fixture", "function", "send"),
    [
        (
            "openai.resources.chat.completions.Completions.create",
            "openai_client",
            "ask_raw",
            "httpx2.Client.send",
        ),
        (
            "anthropic.resources.messages.AsyncMessages.create",
            "async_anthropic_client",
            "ask_streaming",
            "httpx2.AsyncClient.send",
        ),
    ],
)
def test_a_raw_response_refusal_names_the_http_send_under_the_sdk_which_records_unchanged(
    make_stack: object, target: str, fixture: str, function: str, send: str
) -> None:
    """An agent on ``.with_raw_response`` / ``.with_streaming_response`` mocked at the SDK
    method is refused (the raw response holds the live HTTP exchange); the message offered
    only fixes that change the agent's code (a function of one's own), though mocking the
    HTTP client's ``send`` under the SDK records and replays the agent as it is."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "raw_agent.py").write_text(RAW_AGENT)
    test = RAW_TEST.format(target=target, fixture=fixture, function=function)
    stack.write_test("ask", test)
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines([f"*raw response*or mock {send} under the SDK*"])
    stack.write_test("ask", test.replace(target, send))
    stack.roundtrip()
