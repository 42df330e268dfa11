"""The ``anthropic`` SDK (2.x, over ``httpx2``) end to end: record against the fake service,
replay twice with it sealed."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack, params

CREATE = "anthropic.resources.messages.Messages.create"
ACREATE = "anthropic.resources.messages.AsyncMessages.create"

HEADER = """
import asyncio

import anthropic
import pytest
from anthropic.types import Message

import anthropic_agent as app
"""

SCENARIOS = {
    "sdk_sync": f"""
@pytest.mark.replay("goldens/sdk_sync.ckpt", mock={{"llm": "{CREATE}"}})
def test_it(replay, anthropic_client):
    agent = app.ResearchAgent(anthropic_client)
    message = replay.run(agent.message, "Papers on tides?")
    assert isinstance(message, Message)
    assert message.content[0].text == "Answer to 'Papers on tides?'"
    assert message._request_id.startswith("req_")
""",
    "sdk_async": f"""
@pytest.mark.replay("goldens/sdk_async.ckpt", mock={{"llm": "{ACREATE}"}})
def test_it(replay, async_anthropic_client):
    agent = app.ResearchAgent(async_anthropic_client)
    assert asyncio.run(replay.run(agent.amessage, "Coral?")) == "Answer to 'Coral?'"
""",
    "sdk_streaming": f"""
@pytest.mark.replay("goldens/sdk_streaming.ckpt", mock={{"llm": "{CREATE}"}})
def test_it(replay, anthropic_client):
    agent = app.ResearchAgent(anthropic_client)
    assert replay.run(agent.stream, "Glaciers now?") == "Answer to 'Glaciers now?'"
    assert agent.notes[0]["types"] == [
        "anthropic.Stream", "anthropic.types.raw_message_stop_event.RawMessageStopEvent"]
""",
    "sdk_async_streaming": f"""
@pytest.mark.replay("goldens/sdk_async_streaming.ckpt", mock={{"llm": "{ACREATE}"}})
def test_it(replay, async_anthropic_client):
    agent = app.ResearchAgent(async_anthropic_client)
    assert asyncio.run(replay.run(agent.astream, "Fjords?")) == "Answer to 'Fjords?'"
    assert agent.notes[0]["types"] == [
        "anthropic.AsyncStream", "anthropic.types.raw_message_stop_event.RawMessageStopEvent"]
""",
    "sdk_tool_use": f"""
@pytest.mark.replay("goldens/sdk_tools.ckpt",
                    mock={{"llm": "{CREATE}", "tool": "anthropic_agent.lookup"}})
def test_it(replay, anthropic_client):
    agent = app.ResearchAgent(anthropic_client)
    answer = replay.run(agent.with_tools, "Volcanoes")
    assert answer.startswith("Answer to 'Volcanoes' using search_papers:")
""",
    "sdk_rate_limit_fallback": f"""
@pytest.mark.replay("goldens/sdk_rate_limit.ckpt", mock={{"llm": "{CREATE}"}})
def test_it(replay, anthropic_client):
    agent = app.ResearchAgent(anthropic_client)
    assert replay.run(agent.with_fallback, "Storms?") == "Answer to 'Storms?'"
    assert agent.notes[0]["type"] == "rate_limit_error" and agent.notes[0]["error"] == 429
    assert agent.notes[0]["request_id"].startswith("req_")
""",
    "client_in_self_no_get_state": f"""
@pytest.mark.replay("goldens/plain.ckpt", mock={{"llm": "{CREATE}"}})
def test_it(replay, anthropic_client):
    agent = app.PlainAgent(anthropic_client)
    assert replay.run(agent.answer, "Moons of Mars?") == "Answer to 'Moons of Mars?'"
""",
    "sdk_count_tokens_then_create": f"""
COUNT = "anthropic.resources.messages.Messages.count_tokens"

@pytest.mark.replay("goldens/sdk_count.ckpt", mock={{"llm": ["{CREATE}", COUNT]}})
def test_it(replay, anthropic_client):
    def ask(question):  # an agent that checks the prompt's size before it sends it
        messages = [{{"role": "user", "content": question}}]
        counted = anthropic_client.messages.count_tokens(
            model="claude-sonnet-5-5", messages=messages
        )
        reply = anthropic_client.messages.create(
            model="claude-sonnet-5-5", max_tokens=64, messages=messages
        )
        return counted.input_tokens, reply.content[0].text

    counted, answer = replay.run(ask, "How deep is the Mariana Trench?")
    assert (counted, answer) == (16, "Answer to 'How deep is the Mariana Trench?'")
""",
    "wrapper_sync": """
@pytest.mark.replay("goldens/wrapper.ckpt", mock={"llm": "anthropic_agent.ask_claude"})
def test_it(replay, anthropic_client):
    agent = app.ResearchAgent(anthropic_client)
    assert replay.run(agent.via_wrapper, "Deep sea?") == "Answer to 'Deep sea?'"
""",
}

XFAIL: dict[str, str] = {}


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("anthropic_agent")


@pytest.mark.parametrize("name", params(SCENARIOS, XFAIL))
def test_records_and_replays(stack: Stack, name: str) -> None:
    stack.write_test(name, HEADER + SCENARIOS[name])
    stack.roundtrip()


def test_edited_system_prompt_fails_naming_the_call_and_the_text(stack: Stack) -> None:
    stack.write_test("sdk_sync", HEADER + SCENARIOS["sdk_sync"])
    stack.record()
    stack.replay_passes()
    stack.edit(
        "anthropic_agent",
        "You are a careful research assistant.",
        "You are a sloppy research intern.",
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*Messages.create*"])
    result.stdout.fnmatch_lines(
        ["*You are a careful research assistant.*You are a sloppy research intern.*"]
    )


STREAM_HELPER = """
import pytest

import anthropic_agent as app


def summarize(client, question):
    with client.messages.stream(model=app.MODEL, max_tokens=256,
                                messages=[{"role": "user", "content": question}]) as stream:
        return "".join(stream.text_stream)


@pytest.mark.replay(
    "goldens/helper.ckpt", mock={"llm": "anthropic.resources.messages.Messages.TARGET"}
)
def test_it(replay, anthropic_client):
    replay.run(summarize, anthropic_client, "Papers on tides?")
"""


def test_the_stream_helper_is_pointed_to_a_function_of_ones_own(stack: Stack) -> None:
    """The hints led to a dead end: "nothing was recorded" proposed mocking Messages.stream,
    whose answer cannot be stored, and that refusal named an openai method and fixes that could
    not work (a codec, pickles), never the wrapper function anthropic.md documents."""
    stack.write_test("helper", STREAM_HELPER.replace("TARGET", "create"))
    result = stack.try_record()
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*",
            "*does the agent call `anthropic.resources.messages.Messages.stream`? (the stream "
            "helper: its answer cannot be replayed; mock a function of your own that reads the "
            "stream and returns what the agent uses)*",
            # (the likeliest first: the async twin and the beta namespace's method after it)
            "*does the agent call `anthropic.resources.messages.AsyncMessages.create`? (the "
            "async twin*",
        ]
    )
    stack.write_test("helper", STREAM_HELPER.replace("TARGET", "stream"))
    result = stack.try_record()
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise the answers of anthropic.resources.messages.Messages.stream*it is "
            "the manager that anthropic's stream helper messages.stream(...) returns*or mock a "
            "function of your own that enters it, reads the stream and returns what the agent "
            "uses*"
        ]
    )
    result.stdout.no_fnmatch_line("*openai*")
    result.stdout.no_fnmatch_line("*allow pickles*")


RAW = """
import pytest


def headers(client):
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": "Hi"}])
    return {"request_id": raw.headers["request-id"], "text": raw.parse().content[0].text}


@pytest.mark.replay("goldens/raw.ckpt",
                    mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_it(replay, anthropic_client):
    replay.run(headers, anthropic_client)
"""


def test_a_raw_response_is_refused_naming_the_wrapper_the_agent_used(stack: Stack) -> None:
    """anthropic's ``.with_raw_response`` answers the same ``APIResponse`` as its
    ``.with_streaming_response`` (the SDK has no legacy response, unlike openai): the refusal
    said the agent had called the method through ``.with_streaming_response``."""
    stack.write_test("raw", RAW)
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*cannot serialise the answer of call #1 to {CREATE} (an anthropic._response."
            "APIResponse): it is the SDK's raw response, which the method returns when called "
            "through .with_raw_response (or .with_streaming_response)*Mock a function of your "
            "own that makes this call*",
        ]
    )
    assert not stack.goldens()


THINKING_STREAM_AT_SEND = """
import pytest

MODEL = "claude-sonnet-4-5"


def think(client, question):
    stream = client.messages.create(
        model=MODEL, max_tokens=2048, stream=True,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": question}])
    return [event.type for event in stream]


@pytest.mark.replay("goldens/thinking_send.ckpt", mock={"http": "httpx2.Client.send"})
def test_it(replay, anthropic_client):
    assert "content_block_delta" in replay.run(think, anthropic_client, "Tides?")
"""


def test_a_thinking_stream_mocked_at_send_records(stack: Stack) -> None:
    """Mocked at ``httpx2.Client.send`` (as anthropic.md offers), a streamed answer with
    extended thinking was refused as holding secrets: the thinking block's ``signature`` in the
    event stream's text body was taken for a high-entropy token, though the same signature in a
    JSON body (or a ``Message``) is known as model output."""
    stack.write_test("thinking_send", THINKING_STREAM_AT_SEND)
    stack.roundtrip()


SIGNATURE_KEPT = """
import pytest


class Thinker:
    def __init__(self, client):
        self.client = client
        self.log = []

    def think(self, question):
        message = self.client.messages.create(
            model="claude-sonnet-4-5", max_tokens=2048,
            thinking={"type": "enabled", "budget_tokens": 1024},
            messages=[{"role": "user", "content": question}])
        thinking = message.content[0]
        self.log.append({"sig": thinking.signature, "chars": len(thinking.thinking)})
        return message.content[-1].text


@pytest.mark.replay("goldens/signature_kept.ckpt",
                    mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_it(replay, anthropic_client):
    agent = Thinker(anthropic_client)
    assert replay.run(agent.think, "Tides?") == "Answer to 'Tides?'"
"""


def test_a_thinking_signature_the_agent_keeps_under_a_name_of_its_own_records(
    stack: Stack,
) -> None:
    """An agent that keeps the signature of the answer's thinking block in its state
    (``self.log[0]['sig']``): the recording was refused, the signature taken for a
    high-entropy secret, though the golden writes the same text in the recorded answer."""
    stack.write_test("signature_kept", SIGNATURE_KEPT)
    stack.roundtrip()


AT_SEND = """
import asyncio

import pytest

import anthropic_agent as app


def ask(client, question):
    message = client.messages.create(
        model=app.MODEL, max_tokens=64, messages=[{"role": "user", "content": question}])
    return message.content[0].text


async def ask_async(client, question):
    message = await client.messages.create(
        model=app.MODEL, max_tokens=64, messages=[{"role": "user", "content": question}])
    return message.content[0].text


@pytest.mark.replay("goldens/sync_send.ckpt", mock={"http": "httpx2.Client.send"})
def test_sync(replay, anthropic_client):
    assert replay.run(ask, anthropic_client, "Tides?") == "Answer to 'Tides?'"


@pytest.mark.replay("goldens/async_send.ckpt", mock={"http": "httpx2.AsyncClient.send"})
def test_async(replay, async_anthropic_client):
    answer = replay.run(asyncio.run, ask_async(async_anthropic_client, "Tides?"))
    assert answer == "Answer to 'Tides?'"
"""


def _other_release_of_send(golden: Path) -> None:
    """``golden``'s calls of ``send`` as the other anthropic release makes them: 2.16 sends a
    non-streamed request with ``stream=False`` (left out of the golden, the default), 2.17 with
    ``stream=True`` and reads the body itself."""
    tree = json.loads(golden.read_text())
    toggled = 0
    for span in tree["trace"]["spans"]:
        arguments = (span.get("input") or {}).get("v") or {}
        if "request" in arguments:
            if arguments.pop("stream", None) is None:
                arguments["stream"] = True
            toggled += 1
    assert toggled == 1, golden
    golden.write_text(json.dumps(tree, indent=2))


def test_a_golden_mocked_at_send_replays_after_the_sdk_reads_the_body_itself(
    stack: Stack,
) -> None:
    """anthropic 2.17 sends every request with ``send(request, stream=True)`` and reads a
    non-streamed answer itself; 2.16 sent it with ``stream=False``. A golden mocked at
    ``httpx2.Client.send`` recorded with one release failed on the other,
    ``root['stream']: added True`` (or ``True -> False``), though the request and the answer were
    the same: the replayed response is a read response either way, so ``stream`` is no part of
    the request a golden compares."""
    stack.write_test("at_send", AT_SEND)
    stack.record()
    for golden in stack.goldens():
        _other_release_of_send(golden)
    stack.replay_passes()


PIXEL = (  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
SMALL_IMAGE = f"""
import pytest

import anthropic_agent as app

PIXEL = "{PIXEL}"


def describe(client, question):
    message = client.messages.create(model=app.MODEL, max_tokens=64, messages=[{{
        "role": "user", "content": [
            {{"type": "image", "source": {{"type": "base64", "media_type": "image/png",
                                          "data": PIXEL}}}},
            {{"type": "text", "text": question}}]}}])
    return message.content[0].text


@pytest.mark.replay("goldens/pixel.ckpt", mock={{"llm": "{CREATE}"}})
def test_it(replay, anthropic_client):
    assert replay.run(describe, anthropic_client, "Colour?") == "Answer to 'Colour?'"
"""


def test_a_small_base64_image_is_recorded(stack: Stack) -> None:
    """An image block with a small base64 ``source`` (a 1x1 PNG, as tests send) was refused as
    holding a secret: its data, shorter than the runs taken for data, looked like a
    high-entropy token."""
    stack.write_test("pixel", SMALL_IMAGE)
    stack.roundtrip()
    assert PIXEL in stack.goldens()[0].read_text()


CLOUD = """
import os

import anthropic
import pytest

import services

BEDROCK_REGION = "us-east-1"
VERTEX_REGION = "us-east5"
PROJECT = "tides-research"
SECRET = os.environ["ANTHROPIC_API_KEY"]  # (a Bedrock API key, a Google access token)


def bedrock():
    return anthropic.AnthropicBedrock(aws_region=BEDROCK_REGION, api_key=SECRET,
                                      max_retries=0, http_client=services.ANTHROPIC.client())


def vertex():
    return anthropic.AnthropicVertex(region=VERTEX_REGION, project_id=PROJECT,
                                     access_token=SECRET, max_retries=0,
                                     http_client=services.ANTHROPIC.client())


class Researcher:  # no get_state(): the client is state
    def __init__(self, client):
        self.client = client
        self.answers = []

    def ask(self, question):
        message = self.client.messages.create(
            model="claude-sonnet-4-5", max_tokens=64,
            messages=[{"role": "user", "content": question}])
        self.answers.append(message.content[0].text)
        return self.answers[-1]


@pytest.mark.replay("goldens/bedrock.ckpt",
                    mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_bedrock(replay):
    assert replay.run(Researcher(bedrock()).ask, "Tides?") == "Answer to 'Tides?'"


@pytest.mark.replay("goldens/vertex.ckpt",
                    mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_vertex(replay):
    assert replay.run(Researcher(vertex()).ask, "Tides?") == "Answer to 'Tides?'"
"""


def test_bedrock_and_vertex_clients_are_stored_by_their_region_and_project(stack: Stack) -> None:
    """anthropic's ``AnthropicBedrock`` and ``AnthropicVertex`` were stored by no reference:
    in an agent's state they were refused (``dill cannot pickle it``), and as the ``self`` of
    ``Messages.create`` (its resource) they were a placeholder compared by type, so a client of
    another region or Google Cloud project (where the requests go) replayed green. They are
    references now, with their region (and project), never their credentials."""
    stack.write_test("cloud", CLOUD)
    stack.roundtrip()  # (and no key on disk)
    for old, new, named in (
        (
            'BEDROCK_REGION = "us-east-1"',
            'BEDROCK_REGION = "eu-west-1"',
            "*aws_region: 'us-east-1' -> 'eu-west-1'*",
        ),
        (
            'PROJECT = "tides-research"',
            'PROJECT = "tides-staging"',
            "*project_id: 'tides-research' -> 'tides-staging'*",
        ),
    ):
        stack.edit("test_cloud", old, new)
        result = stack.replay()
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(["*ReplayDivergenceError*Messages.create*", named])
        stack.edit("test_cloud", new, old)
    stack.replay_passes()
