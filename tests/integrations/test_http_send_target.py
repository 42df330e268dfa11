"""Agents mocked at the HTTP layer: ``httpx2.Client.send`` under the real ``openai`` SDK, and an
``httpx`` tool returning the response itself, on mock transports.

A golden mocked at ``send`` holds whole requests: the headers that describe the machine (the
SDK's ``x-stainless-*`` platform headers, ``user-agent``, ``accept-encoding``) are stored but not
compared, other headers can be left out by name with ``ignore=``, and the URL and body (the
prompt) are still compared. A replayed response keeps its redirect history, HTTP version and
reason phrase."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

SEND = "httpx2.Client.send"
OTHER_MACHINE_ENV = "CLEARSTONE_TEST_OTHER_MACHINE"

HEADER = f'''
import os

import httpx2
import openai
import openai._base_client
import pytest

import openai_agent as app


@pytest.fixture(autouse=True)
def _machine(monkeypatch):
    """With {OTHER_MACHINE_ENV} set, the SDK and httpx2 describe another machine: another OS,
    Python and SDK release, and brotli installed."""
    if not os.environ.get("{OTHER_MACHINE_ENV}"):
        return
    real = openai._base_client.platform_headers

    def elsewhere(version, *, platform):
        return {{**real(version, platform=platform), "X-Stainless-OS": "MacOS",
                "X-Stainless-Arch": "arm64", "X-Stainless-Runtime-Version": "3.99.1",
                "X-Stainless-Package-Version": "9.9.9"}}

    monkeypatch.setattr(openai._base_client, "platform_headers", elsewhere)
    monkeypatch.setattr(openai._base_client.BaseClient, "user_agent", "OpenAI/Python 9.9.9")
    monkeypatch.setattr(httpx2._client, "ACCEPT_ENCODING", "gzip, deflate, br")
'''

AT_SEND = f"""
@pytest.mark.replay("goldens/send.ckpt", mock={{"llm": "{SEND}"}})
def test_it(replay, openai_client):
    agent = app.ChatAgent(openai_client)
    answer = replay.run(agent.complete, "Flights to Lisbon?")
    assert answer.choices[0].message.content == "Answer to 'Flights to Lisbon?'"
"""

TRACED = f"""
@pytest.fixture
def traced_client():
    import services
    return openai.OpenAI(http_client=services.OPENAI.client(), max_retries=0,
                         default_headers={{"X-Trace-Id": os.urandom(4).hex()}})


@pytest.mark.replay("goldens/traced.ckpt", mock={{"llm": "{SEND}"}},
                    ignore=["request.headers.X-Trace-Id"])
def test_it(replay, traced_client):
    agent = app.ChatAgent(traced_client)
    answer = replay.run(agent.complete, "Flights to Lisbon?")
    assert answer.choices[0].message.content == "Answer to 'Flights to Lisbon?'"
"""


@pytest.fixture
def stack(make_stack: object) -> Stack:
    return make_stack("openai_agent")  # type: ignore[operator,no-any-return]


def test_a_golden_mocked_at_send_replays_on_another_machine(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.write_test("send", HEADER + AT_SEND)
    stack.record()
    assert '"x-stainless-runtime-version"' in stack.goldens()[0].read_text()  # stored
    monkeypatch.setenv(OTHER_MACHINE_ENV, "1")
    stack.replay_passes()


def test_on_another_machine_a_changed_prompt_still_diverges(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.write_test("send", HEADER + AT_SEND)
    stack.record()
    monkeypatch.setenv(OTHER_MACHINE_ENV, "1")
    stack.edit("openai_agent", "You are a concise travel assistant.", "You are a travel agent.")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*httpx2.Client.send*"])
    result.stdout.fnmatch_lines(["*You are a concise travel assistant.*You are a travel agent.*"])
    # the delta shows what was compared: not the machine's headers
    assert "arm64" not in result.stdout.str()
    assert "OpenAI/Python 9.9.9" not in result.stdout.str()


def test_one_header_is_left_out_by_name_and_the_body_still_compared(stack: Stack) -> None:
    stack.write_test("traced", HEADER + TRACED)
    stack.record()
    result = stack.replay_passes("-W", "error::pytest_clearstone.errors.UnmatchedIgnorePathWarning")
    assert "UnmatchedIgnorePathWarning" not in result.stdout.str()
    stack.edit("openai_agent", "You are a concise travel assistant.", "You are a travel agent.")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*httpx2.Client.send*"])


# -- an httpx tool returning its response ---------------------------------------------------

TOOL = """
import httpx


def handler(request):
    if request.url.path == "/old":
        return httpx.Response(301, headers={"location": "https://api.example/new"})
    return httpx.Response(200, json={"ok": True},
                          extensions={"http_version": b"HTTP/2", "reason_phrase": b"Fine"})


CLIENT = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)


def get(url) -> httpx.Response:
    return CLIENT.get(url)


class Agent:
    def __init__(self):
        self.seen = []

    def run(self, url):
        r = get(url)
        self.seen.append({"history": [h.status_code for h in r.history],
                          "version": r.http_version, "reason": r.reason_phrase})
        return r.json()
"""

TOOL_TEST = """
import pytest

import hx


@pytest.mark.replay("goldens/hx.ckpt", mock={"tool": "hx.get"})
def test_it(replay):
    agent = hx.Agent()
    assert replay.run(agent.run, "https://api.example/old") == {"ok": True}
    assert agent.seen == [{"history": [301], "version": "HTTP/2", "reason": "Fine"}]
"""


def test_a_response_replays_with_its_history_http_version_and_reason(
    make_stack: object,
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "hx.py").write_text(TOOL)
    stack.write_test("hx", TOOL_TEST)
    stack.try_record().assert_outcomes(passed=1)
    for _ in range(2):
        stack.replay().assert_outcomes(passed=1)


# -- the SDK's own HTTP client ----------------------------------------------------------------

SDK_HTTP_CLIENT = f"""
import asyncio

import openai
import pytest

import openai_agent as app
import services


@pytest.mark.replay("goldens/sdk_http.ckpt", mock={{"llm": "{SEND}"}})
def test_sync(replay):
    client = openai.OpenAI(max_retries=0, http_client=openai.DefaultHttpxClient(
        transport=services.OPENAI.transport()))
    answer = replay.run(app.ChatAgent(client).complete, "Flights to Lisbon?")
    assert answer.choices[0].message.content == "Answer to 'Flights to Lisbon?'"


@pytest.mark.replay("goldens/sdk_async_http.ckpt", mock={{"llm": "httpx2.AsyncClient.send"}})
def test_async(replay):
    client = openai.AsyncOpenAI(max_retries=0, http_client=openai.DefaultAsyncHttpxClient(
        transport=services.OPENAI.transport()))
    answer = asyncio.run(replay.run(app.AsyncAgent(client).answer, "Trains to Porto?"))
    assert answer == "Answer to 'Trains to Porto?'"


class SharedHttp:  # (keeps the SDK's HTTP client it shares in its state: no get_state())

    def __init__(self):
        self.http = openai.DefaultHttpxClient(transport=services.OPENAI.transport())
        self.client = openai.OpenAI(max_retries=0, http_client=self.http)
        self.answers = []

    def ask(self, question):
        self.answers.append(app.ask(self.client, question))
        return self.answers[-1]


@pytest.mark.replay("goldens/sdk_http_in_state.ckpt",
                    mock={{"llm": "openai.resources.chat.completions.Completions.create"}})
def test_in_state(replay):
    assert replay.run(SharedHttp().ask, "Hikes near Oslo?") == "Answer to 'Hikes near Oslo?'"
"""


def test_the_sdk_s_default_http_client_replays_at_send(stack: Stack) -> None:
    """``openai.DefaultHttpxClient`` (``DefaultAsyncHttpxClient``), the SDK's documented way to
    give it a transport, is the ``self`` of ``send`` (or in an agent's state): its class,
    written in a private module as ``_DefaultHttpxClient`` and relabelled ``openai`` by the SDK,
    is stored under a path that imports it again (it was stored as
    ``openai:_DefaultHttpxClient``, which no replay could import, and an agent keeping one
    failed to record)."""
    stack.write_test("sdk_http", SDK_HTTP_CLIENT)
    stack.record()
    assert all("openai:_Default" not in g.read_text() for g in stack.goldens())
    stack.replay_passes()
