"""probe-presp: an engineer on openai's Responses API adopts the plugin. Function tools in a loop
chained by ``previous_response_id`` (their results sent back as ``function_call_output`` items),
the loop of OpenAI's function-calling guide (one input list, ``response.output`` appended to it,
encrypted reasoning items passed back with ``store=False``), ``responses.stream`` with tools (the
arguments' deltas, ``get_final_response()``), ``conversations.create`` and ``conversation=``,
``max_output_tokens`` hit (``status="incomplete"``), a ``BadRequestError`` caught, an error event
in a stream, ``AsyncOpenAI`` calls gathered: recorded, replayed sealed, re-recorded byte for byte
the same; a changed tool output and changed instructions are named at their call."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

# The services answer POST /v1/responses without function calls: this stand-in answers them,
# sealed and counted as the services are.
AGENT = """
import asyncio
import hashlib
import json
import os
import time

import httpx2
import openai

import services

MODEL = "gpt-4.1-mini"
INSTRUCTIONS = "You are a weather assistant. Use tools."
TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather in a city.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                         "required": ["city"], "additionalProperties": False},
          "strict": True}]


def _response(body, key, output, status="completed", incomplete=None):
    return {"id": f"resp_{key}", "object": "response", "created_at": services.CREATED,
            "status": status, "error": None, "incomplete_details": incomplete,
            "instructions": body.get("instructions"), "model": body["model"], "output": output,
            "parallel_tool_calls": True, "previous_response_id": body.get("previous_response_id"),
            "conversation": {"id": body["conversation"]} if body.get("conversation") else None,
            "tool_choice": "auto", "tools": body.get("tools", []), "metadata": {},
            "usage": {"input_tokens": 30, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": 12, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": 42}}


def _answer(body):
    key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
    items = body["input"] if isinstance(body["input"], list) else [
        {"role": "user", "content": body["input"]}]
    outputs = [i["output"] for i in items if i.get("type") == "function_call_output"]
    users = [i["content"] for i in items if i.get("role") == "user"]
    question = users[-1] if users else "(chained)"
    if body["model"] == "gpt-unknown":
        return httpx2.Response(400, headers={"x-request-id": f"req_{key}"}, json={"error": {
            "message": "The requested model 'gpt-unknown' does not exist.",
            "type": "invalid_request_error", "param": "model", "code": "model_not_found"}})
    output = []
    if "reasoning.encrypted_content" in body.get("include", []):
        output.append({"id": f"rs_{key}", "type": "reasoning", "summary": [],
                       "encrypted_content": f"gAAAAAB{key}{key}=="})
    if body.get("tools") and not outputs:
        output.append({"id": f"fc_{key}", "type": "function_call", "call_id": f"call_{key[:10]}",
                       "name": "get_weather", "status": "completed",
                       "arguments": json.dumps({"city": question.split()[-1].strip("?")})})
    else:
        text = f"Answer to '{question}'" + (" using " + "; ".join(outputs) if outputs else "")
        short = (body.get("max_output_tokens") or 100) < 20
        output.append({"id": f"msg_{key}", "type": "message", "role": "assistant",
                       "status": "incomplete" if short else "completed",
                       "content": [{"type": "output_text", "text": text[:8] if short else text,
                                    "annotations": []}]})
        if short:
            return httpx2.Response(200, json=_response(
                body, key, output, "incomplete", {"reason": "max_output_tokens"}))
    done = _response(body, key, output)
    if not body.get("stream"):
        return httpx2.Response(200, headers={"x-request-id": f"req_{key}"}, json=done)
    events = [{"type": "response.created", "response": {**done, "status": "in_progress",
                                                         "output": []}}]
    for index, item in enumerate(output):
        events.append({"type": "response.output_item.added", "output_index": index,
                       "item": {**item, "status": "in_progress"}})
        if item["type"] == "function_call":
            args = item["arguments"]
            events += [{"type": "response.function_call_arguments.delta", "item_id": item["id"],
                        "output_index": index, "delta": part}
                       for part in (args[: len(args) // 2], args[len(args) // 2:])]
        if item["type"] == "message":
            words = item["content"][0]["text"].split(" ")
            events += [{"type": "response.output_text.delta", "item_id": item["id"],
                        "output_index": index, "content_index": 0, "logprobs": [],
                        "delta": word if i == 0 else " " + word} for i, word in enumerate(words)]
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    if "overloaded" in question.lower():  # the server gives up after the first words
        events = events[:4] + [{"type": "error", "error": {
            "message": "The server had an error.", "type": "server_error", "code": "server_error",
            "param": None}}]
    else:
        events.append({"type": "response.completed", "response": done})
    sse = "".join(f"event: {e['type']}\\ndata: {json.dumps({**e, 'sequence_number': n})}\\n\\n"
                  for n, e in enumerate(events))
    return httpx2.Response(200, headers={"content-type": "text/event-stream"},
                           content=sse.encode())


MADE = {}  # background response id -> its answer
POLLS = []


def handler(request):
    where = f"{request.method} {request.url}"
    if os.environ.get(services.SEALED_ENV):
        services.OPENAI.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {where}")
    services.OPENAI.requests.append({"path": request.url.path, "body": {}})
    if request.method == "GET":  # a background response polled: done at the second poll
        POLLS.append(request.url.path)
        done = MADE[request.url.path.rpartition("/")[2]]
        return httpx2.Response(200, json=done if len(POLLS) % 2 == 0 else {
            **done, "status": "in_progress", "output": []})
    body = json.loads(request.content or b"{}")
    if body.pop("background", False):
        done = json.loads(_answer(body).content)
        MADE[done["id"]] = done
        return httpx2.Response(200, json={**done, "status": "queued", "output": []})
    if request.url.path == "/v1/conversations":
        return httpx2.Response(200, json={"id": "conv_68e3b0c1", "object": "conversation",
                                          "created_at": services.CREATED, "metadata": {}})
    if request.url.path == "/v1/responses/input_tokens":
        return httpx2.Response(200, json={"object": "response.input_tokens",
                                          "input_tokens": len(json.dumps(body["input"])) // 4})
    if request.url.path == "/v1/responses/compact":
        return httpx2.Response(200, json={
            "id": "resp_cmp_68e3b0c1", "object": "response.compaction",
            "created_at": services.CREATED,
            "output": [{"id": "cmp_68e3b0c1", "type": "compaction",
                        "encrypted_content": "gAAAAABcompacted68e3b0c1"}],
            "usage": {"input_tokens": 40, "output_tokens": 10, "total_tokens": 50,
                      "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 0}}})
    return _answer(body)


def client():
    return openai.OpenAI(http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
                         max_retries=0)


def async_client():
    return openai.AsyncOpenAI(
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)), max_retries=0)


def get_weather(city):
    return {"city": city, "celsius": len(city) + 1}


class WeatherAgent:
    def __init__(self, client):
        self.client = client
        self.log = []

    def chained(self, question):
        response = self.client.responses.create(model=MODEL, instructions=INSTRUCTIONS,
                                                input=question, tools=TOOLS)
        while any(item.type == "function_call" for item in response.output):
            outputs = [{"type": "function_call_output", "call_id": item.call_id,
                        "output": json.dumps(get_weather(**json.loads(item.arguments)))}
                       for item in response.output if item.type == "function_call"]
            response = self.client.responses.create(
                model=MODEL, instructions=INSTRUCTIONS, input=outputs, tools=TOOLS,
                previous_response_id=response.id)
        self.log.append({"id": response.id, "a": response.output_text})
        return response.output_text

    def guide(self, question):
        inputs = [{"role": "user", "content": question}]
        response = self.client.responses.create(model="o4-mini", tools=TOOLS, input=inputs,
                                                include=["reasoning.encrypted_content"],
                                                store=False)
        inputs += response.output
        for item in response.output:
            if item.type == "function_call":
                inputs.append({"type": "function_call_output", "call_id": item.call_id,
                               "output": json.dumps(get_weather(**json.loads(item.arguments)))})
        response = self.client.responses.create(model="o4-mini", tools=TOOLS, input=inputs,
                                                include=["reasoning.encrypted_content"],
                                                store=False)
        self.log.append(response.output_text)
        return response.output_text

    def streamed(self, question):
        with self.client.responses.stream(model=MODEL, input=question, tools=TOOLS) as stream:
            deltas = [event.delta for event in stream
                      if event.type == "response.function_call_arguments.delta"]
            final = stream.get_final_response()
        call = final.output[0]
        response = self.client.responses.create(
            model=MODEL, previous_response_id=final.id, tools=TOOLS,
            input=[{"type": "function_call_output", "call_id": call.call_id,
                    "output": json.dumps(get_weather(**json.loads(call.arguments)))}])
        self.log.append({"deltas": deltas, "a": response.output_text})
        return response.output_text

    def in_conversation(self, question):
        conversation = self.client.conversations.create(metadata={"topic": "weather"})
        first = self.client.responses.create(model=MODEL, input=question,
                                             conversation=conversation.id)
        second = self.client.responses.create(model=MODEL, input="And tomorrow?",
                                              conversation=conversation.id)
        return [conversation.id, first.output_text, second.output_text]

    def polled(self, question):
        response = self.client.responses.create(model=MODEL, input=question, background=True)
        while response.status in ("queued", "in_progress"):
            time.sleep(0.01)  # (real: give polls a short interval in tests)
            response = self.client.responses.retrieve(response.id)
        return response.output_text

    def counted(self, question):
        count = self.client.responses.input_tokens.count(model=MODEL, input=question)
        response = self.client.responses.create(model=MODEL, input=question)
        return [count.input_tokens, response.output_text]

    def compacted(self, question):
        first = self.client.responses.create(model=MODEL, input=question)
        compacted = self.client.responses.compact(model=MODEL, previous_response_id=first.id)
        response = self.client.responses.create(
            model=MODEL, input=[*compacted.output, {"role": "user", "content": "And tomorrow?"}])
        return [first.output_text, response.output_text]

    def careful(self, question):
        try:
            self.client.responses.create(model="gpt-unknown", input=question)
        except openai.BadRequestError as exc:
            self.log.append({"error": exc.status_code, "code": exc.code, "param": exc.param})
        response = self.client.responses.create(model=MODEL, input=question, max_output_tokens=16)
        if response.status == "incomplete":
            self.log.append({"incomplete": response.incomplete_details.reason,
                             "partial": response.output_text})
            response = self.client.responses.create(model=MODEL, input=question)
        parts = []
        try:
            for event in self.client.responses.create(model=MODEL, input="Overloaded?",
                                                      stream=True):
                if event.type == "response.output_text.delta":
                    parts.append(event.delta)
        except openai.APIError as exc:
            self.log.append({"stream error": exc.message, "partial": "".join(parts)})
        return response.output_text


class AsyncWeatherAgent:
    def __init__(self, client):
        self.client = client
        self.log = []

    async def one(self, city):
        response = await self.client.responses.create(model=MODEL, input=f"Weather in {city}?")
        return response.output_text

    async def many(self, cities):
        answers = await asyncio.gather(*(self.one(city) for city in cities))
        self.log.append(answers)
        return answers
"""

TEST = """
import asyncio

import pytest

import responses_agent as app

RESPONSES = "openai.resources.responses"
R = "openai.resources.responses.responses.Responses.create"
AR = "openai.resources.responses.responses.AsyncResponses.create"
CONVERSATIONS = "openai.resources.conversations.conversations.Conversations.create"


@pytest.mark.replay(mock={"llm": R})
def test_chained(replay):
    agent = app.WeatherAgent(app.client())
    assert replay.run(agent.chained, "Weather in Oslo?") == (
        "Answer to '(chained)' using {\\"city\\": \\"Oslo\\", \\"celsius\\": 5}")


@pytest.mark.replay(mock={"llm": R})
def test_guide(replay):
    agent = app.WeatherAgent(app.client())
    assert replay.run(agent.guide, "Weather in Oslo?").endswith("\\"celsius\\": 5}")


@pytest.mark.replay(mock={"llm": R})
def test_streamed(replay):
    agent = app.WeatherAgent(app.client())
    assert replay.run(agent.streamed, "Weather in Oslo?").endswith("\\"celsius\\": 5}")
    assert "".join(agent.log[0]["deltas"]) == '{"city": "Oslo"}'


@pytest.mark.replay(mock={"llm": [R, CONVERSATIONS]})
def test_conversation(replay):
    agent = app.WeatherAgent(app.client())
    assert replay.run(agent.in_conversation, "Hi?") == [
        "conv_68e3b0c1", "Answer to 'Hi?'", "Answer to 'And tomorrow?'"]


@pytest.mark.replay(mock={"llm": [R, f"{RESPONSES}.responses.Responses.retrieve"]})
def test_polled(replay):
    agent = app.WeatherAgent(app.client())
    assert replay.run(agent.polled, "Hi?") == "Answer to 'Hi?'"


@pytest.mark.replay(mock={"llm": [R, f"{RESPONSES}.input_tokens.InputTokens.count"]})
def test_counted(replay):
    agent = app.WeatherAgent(app.client())
    assert replay.run(agent.counted, "Hi?") == [1, "Answer to 'Hi?'"]


@pytest.mark.replay(mock={"llm": [R, f"{RESPONSES}.responses.Responses.compact"]})
def test_compacted(replay):
    agent = app.WeatherAgent(app.client())
    assert replay.run(agent.compacted, "Hi?") == ["Answer to 'Hi?'", "Answer to 'And tomorrow?'"]


@pytest.mark.replay(mock={"llm": R})
def test_careful(replay):
    agent = app.WeatherAgent(app.client())
    assert replay.run(agent.careful, "Hi?") == "Answer to 'Hi?'"
    assert agent.log == [
        {"error": 400, "code": "model_not_found", "param": "model"},
        {"incomplete": "max_output_tokens", "partial": "Answer t"},
        {"stream error": "The server had an error.", "partial": "Answer to"},
    ]


@pytest.mark.replay(mock={"llm": AR})
def test_gathered(replay):
    agent = app.AsyncWeatherAgent(app.async_client())
    assert asyncio.run(replay.run(agent.many, ["Oslo", "Rome", "Lima"])) == [
        f"Answer to 'Weather in {city}?'" for city in ("Oslo", "Rome", "Lima")]
"""


def _stack(make_stack: object) -> Stack:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "responses_agent.py").write_text(AGENT)
    stack.write_test("weather", TEST)
    return stack


def test_a_responses_api_agent_records_replays_and_rerecords_byte_identical(
    make_stack: object,
) -> None:
    stack = _stack(make_stack)
    stack.roundtrip()
    first = {golden.name: golden.read_bytes() for golden in stack.goldens()}
    assert len(first) == 9, sorted(first)
    stack.record()
    assert {golden.name: golden.read_bytes() for golden in stack.goldens()} == first


def test_a_changed_tool_output_and_changed_instructions_are_named_at_their_call(
    make_stack: object,
) -> None:
    stack = _stack(make_stack)
    stack.record()
    stack.edit("responses_agent", '"celsius": len(city) + 1', '"celsius": len(city) + 2')
    out = _failure(stack)
    assert (
        "replay diverged at call #2 to openai.resources.responses.responses.Responses.create "
        "(call 2 of 2 in the recorded sequence)" in out
    ), out
    assert (
        "root['input'][0]['output']: '{\"city\": \"Oslo\", \"celsius\": 5}' -> "
        '\'{"city": "Oslo", "celsius": 6}\'' in out
    ), out
    stack.edit("responses_agent", '"celsius": len(city) + 2', '"celsius": len(city) + 1')
    stack.edit("responses_agent", "Use tools.", "Always use tools.")
    out = _failure(stack)
    assert "replay diverged at call #1 to openai.resources.responses.responses.Responses" in out
    assert (
        "root['instructions']: 'You are a weather assistant. Use tools.' -> "
        "'You are a weather assistant. Always use tools.'" in out
    ), out


def _failure(stack: Stack) -> str:
    result = stack.replay("-k", "chained")
    result.assert_outcomes(failed=1)
    return result.stdout.str()


@pytest.mark.parametrize(
    ("test", "mocked", "unmocked"),
    [
        (
            "conversation",
            "[R, CONVERSATIONS]",
            "openai.resources.conversations.conversations.Conversations.create",
        ),
        (
            "polled",
            '[R, f"{RESPONSES}.responses.Responses.retrieve"]',
            "openai.resources.responses.responses.Responses.retrieve",
        ),
        (
            "counted",
            '[R, f"{RESPONSES}.input_tokens.InputTokens.count"]',
            "openai.resources.responses.input_tokens.InputTokens.count",
        ),
        (
            "compacted",
            '[R, f"{RESPONSES}.responses.Responses.compact"]',
            "openai.resources.responses.responses.Responses.compact",
        ),
    ],
)
def test_a_request_made_live_beside_a_mocked_responses_create_is_named_when_recording(
    make_stack: object, test: str, mocked: str, unmocked: str
) -> None:
    """``conversations.create``, ``responses.input_tokens.count`` or ``responses.compact`` left
    out of ``mock=`` ran live while recording, silently: the golden was written, and the first
    replay with no network was blocked on it."""
    stack = _stack(make_stack)
    stack.edit("test_weather", f'mock={{"llm": {mocked}}}', 'mock={"llm": R}')
    result = stack.try_record("-k", test)
    out = " ".join(result.stdout.str().split())
    assert (
        f"UnmockedCallWarning: test_weather.py::test_{test}: '{unmocked}' was called while "
        "recording and ran live: it sends a request of its own to the API the mock target "
        "'openai.resources.responses.responses.Responses.create' sends to" in out
    ), out
    assert (
        "Mock it too (mock={'llm': ['openai.resources.responses.responses.Responses.create', "
        f"'{unmocked}']}})" in out
    ), out
    # the fix followed (a class named by the package that exports it too): no warning, sealed
    stack.edit(
        "test_weather",
        f'mock={{"llm": R}})\ndef test_{test}(',
        f'mock={{"llm": {mocked}}})\ndef test_{test}(',
    )
    if test == "conversation":
        stack.edit(
            "test_weather",
            "[R, CONVERSATIONS]",
            '[R, "openai.resources.conversations.Conversations.create"]',
        )
    stack.record()
    stack.replay_passes()
