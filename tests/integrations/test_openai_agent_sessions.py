"""openai's streamed Managed Agents sessions: ``client.beta.agents.sessions.create(...,
stream=True)`` answers an ``AgentSessionEventStream`` (``AsyncAgentSessionEventStream``), a
subclass of the SDK's ``Stream`` whose own ``__stream__`` collects the turn's result as the
events pass, read by ``get_final_result()``. Such a stream was not taken for a stream (only the
SDK's ``Stream``/``AsyncStream`` were, by name): the call could not be recorded, and a replay
would have skipped the subclass's own method."""

from __future__ import annotations

import json

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

SESSIONS = "openai.resources.beta.agents.sessions.sessions"

AGENT = """
import asyncio
import json
import os

import httpx2
import openai

import services

TURN = {"id": "turn_1", "agent_id": "agent_1", "created_at": 1, "object": "agent.session.turn",
        "session_id": "sess_1", "status": "in_progress"}


def events(question):
    text = f"Answer to {question!r}"
    return [
        {"type": "agent.session.turn.created", "event_id": "ev_1", "session_id": "sess_1",
         "turn_id": "turn_1", "turn": TURN},
        {"type": "agent.session.turn.output_text.delta", "event_id": "ev_2",
         "session_id": "sess_1", "turn_id": "turn_1", "item_id": "msg_1", "output_index": 0,
         "content_index": 0, "delta": text},
        {"type": "agent.session.turn.item.done", "event_id": "ev_3", "session_id": "sess_1",
         "turn_id": "turn_1", "output_index": 0,
         "item": {"id": "msg_1", "type": "message", "role": "assistant", "phase": "final_answer",
                  "status": "completed", "turn_id": "turn_1",
                  "content": [{"type": "output_text", "text": text, "annotations": []}]}},
        {"type": "agent.session.turn.completed", "event_id": "ev_4", "session_id": "sess_1",
         "turn_id": "turn_1", "turn": {**TURN, "status": "completed", "completed_at": 2}},
        {"type": "agent.session.idle", "event_id": "ev_5",
         "session": {"id": "sess_1", "object": "agent.session", "status": "idle"}},
    ]


class Dropped(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    # the connection drops after the turn's first two events

    def __init__(self, parts):
        self.parts = parts[:2]

    def __iter__(self):
        yield from self.parts
        raise httpx2.RemoteProtocolError("peer closed connection without sending complete body")

    async def __aiter__(self):
        for part in self.parts:
            yield part
        raise httpx2.RemoteProtocolError("peer closed connection without sending complete body")


def answer(request):
    where = f"{request.method} {request.url}"
    if os.environ.get(services.SEALED_ENV):
        services.OPENAI.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {where}")
    services.OPENAI.requests.append({"path": request.url.path, "body": {}})
    headers = {"content-type": "text/event-stream"}
    if request.url.path.endswith("/events"):  # (sessions.stream's requests)
        if request.method == "POST":  # the input, submitted once subscribed
            return httpx2.Response(204)
        question = "Lisbon?"
    elif request.method == "GET":
        return httpx2.Response(200, json={"id": "sess_1", "object": "agent.session",
                                          "status": "idle"})
    else:
        question = json.loads(request.content)["input"]
    parts = [f"event: {e['type']}\\ndata: {json.dumps(e)}\\n\\n".encode()
             for e in events(question)]
    if "dropped" in question:
        return httpx2.Response(200, headers=headers, stream=Dropped(parts))
    return httpx2.Response(200, headers=headers, content=b"".join(parts))


def client():
    return openai.OpenAI(http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
                         max_retries=0)


def async_client():
    async def handler(request):
        return answer(request)
    return openai.AsyncOpenAI(
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)), max_retries=0)


def create(client, question):
    return client.beta.agents.sessions.create(environment={"type": "cloud"}, input=question,
                                              stream=True)


def final(question):
    # the result read without iterating: get_final_result reads the events itself
    return [create(client(), question).get_final_result().output_text]


def events_then_final(question):
    with create(client(), question).with_result_collection() as stream:
        types = [event.type for event in stream]
        again = list(stream)  # iterated twice: the second time gives nothing, as live
        return [types, again, stream.get_final_result().output_text, type(stream).__name__]


def partly(question):
    stream = create(client(), question)
    first = next(iter(stream)).type
    stream.close()
    return [first]


def dropped(question):
    # the connection drops: the result's error, caused by the SDK's, as live
    try:
        create(client(), question + " dropped").get_final_result()
    except openai.lib.beta.agents.AgentTurnResultError as error:
        return [error.reason, error.turn_id, type(error.__cause__).__name__]


def read_further(question):
    # the recording read one event (read further, the replay diverges)
    stream = create(client(), question)
    events = iter(stream)
    first = next(events).type
    if os.environ.get("READ_FURTHER"):
        next(events)
    return [first]


def opened(question):
    return create(client(), question)


def nested(question):
    # the stream is the answer of two mocked calls: sessions.create and opened
    return [opened(question).get_final_result().output_text]


def helper(question):
    # the helper: reads the session, subscribes to its events, submits the input
    with client().beta.agents.sessions.stream("sess_1", input=question) as stream:
        return [stream.get_final_result().output_text]


def async_final(question):
    async def run():
        stream = await create(async_client(), question)
        return [(await stream.get_final_result()).output_text]
    return asyncio.run(run())


def async_partly(question):
    async def run():
        stream = await create(async_client(), question)
        async for event in stream:
            break
        await stream.close()
        return [event.type]
    return asyncio.run(run())


def async_events_then_final(question):
    async def run():
        async with (await create(async_client(), question)).with_result_collection() as stream:
            types = [event.type async for event in stream]
            return [types, (await stream.get_final_result()).output_text]
    return asyncio.run(run())
"""

TEST = """
import pytest

import sessions_agent as app


@pytest.mark.replay(mock={"llm": MOCKS})
def test_it(replay):
    assert replay.run(app.FUNCTION, "Lisbon?") == EXPECTED
"""

#: the SDK methods, and a function of the agent's returning the stream one of them answered
MOCKS = '["SESSIONS.Sessions.create", "SESSIONS.AsyncSessions.create", "sessions_agent.opened"]'
TYPES = [
    "agent.session.turn.created",
    "agent.session.turn.output_text.delta",
    "agent.session.turn.item.done",
    "agent.session.turn.completed",
    "agent.session.idle",
]
ANSWER = "Answer to 'Lisbon?'"


def _write(stack: Stack, function: str, expected: object) -> None:
    (stack.path / "sessions_agent.py").write_text(AGENT)
    source = TEST.replace("MOCKS", MOCKS).replace("SESSIONS", SESSIONS)
    source = source.replace("FUNCTION", function)
    stack.write_test("it", source.replace("EXPECTED", repr(expected)))


#: each way of reading the stream, by the agent's function, and what it returns
READINGS = {
    "final": [ANSWER],
    "events_then_final": [TYPES, [], ANSWER, "AgentSessionEventStream"],
    "partly": [TYPES[0]],
    "dropped": ["observation_failed", "turn_1", "APIConnectionError"],
    "nested": [ANSWER],
    "async_final": [ANSWER],
    "async_events_then_final": [TYPES, ANSWER],
    "async_partly": [TYPES[0]],
}

EVERY_READING = """
import pytest

import sessions_agent as app


EXPECTED = READINGS


@pytest.mark.replay(mock={"llm": MOCKS})
@pytest.mark.parametrize("function", list(EXPECTED))
def test_it(replay, function):
    assert replay.run(getattr(app, function), "Lisbon?") == EXPECTED[function]
"""


def test_a_streamed_agent_session_records_and_replays_its_final_result(
    make_stack: object,
) -> None:
    """Each way of reading the stream (an inner test per way, in one project: one recording,
    two replays and a re-record in a new process for all) records, replays and re-records the
    same golden."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "sessions_agent.py").write_text(AGENT)
    source = EVERY_READING.replace("MOCKS", MOCKS).replace("SESSIONS", SESSIONS)
    stack.write_test("it", source.replace("READINGS", repr(READINGS)))
    stack.roundtrip()
    goldens = {golden.name: golden for golden in stack.goldens()}
    assert sorted(goldens) == sorted(f"test_it[{f}].ckpt" for f in READINGS), goldens
    first = {}
    for function in READINGS:
        golden = goldens[f"test_it[{function}].ckpt"]
        text = golden.read_text()
        assert "AgentSessionEventStream" in text, function
        assert "agent.session.turn.item.done" in text or function in (
            "partly",
            "async_partly",
            "dropped",
        ), function
        json.loads(text)
        first[function] = golden.read_bytes()
    rerecorded = stack.pytester.runpytest_subprocess("--clearstone-record")
    rerecorded.assert_outcomes(passed=len(READINGS))
    for function, content in first.items():
        assert goldens[f"test_it[{function}].ckpt"].read_bytes() == content, function


BOUND = """

import pydantic


class Answer(pydantic.BaseModel):
    text: str


_events = events


def events(question):  # the answer as the output type's JSON
    made = _events(question)
    made[1]["delta"] = made[2]["item"]["content"][0]["text"] = json.dumps({"text": question})
    return made


def typed(question):
    stream = create_with(client(), question, output_type=Answer)
    return [stream.get_final_result().output_parsed.text]


def tools(question):
    stream = create_with(client(), question, tool_handlers={"lookup": lambda args: "found"})
    return [stream.get_final_result().output_text]


def async_typed(question):
    async def run():
        stream = await create_with(async_client(), question, output_type=Answer)
        return [(await stream.get_final_result()).output_parsed.text]
    return asyncio.run(run())


def create_with(client, question, **bound):
    return client.beta.agents.sessions.create(environment={"type": "cloud"}, input=question,
                                              stream=True, **bound)
"""


@pytest.mark.parametrize(
    ("function", "bound", "send"),
    [
        ("typed", "_collection", "httpx2.Client.send"),
        ("tools", "_dispatcher", "httpx2.Client.send"),
        ("async_typed", "_collection", "httpx2.AsyncClient.send"),
    ],
)
def test_a_session_stream_the_sdk_bound_arguments_to_is_refused_naming_the_send_that_replays(
    make_stack: object, function: str, bound: str, send: str
) -> None:
    """An ``output_type`` (``tool_handlers``) given to ``sessions.create(..., stream=True)`` is
    bound to the stream the SDK returns, not sent in its events: a stream replayed from them
    gave ``output_parsed`` ``None`` (ran no tool handler). The recording is refused naming
    what was bound and the client's ``send``, under which the SDK's own method runs on
    replay, which records and replays."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "sessions_agent.py").write_text(AGENT + BOUND)
    expected = ["Lisbon?"] if "typed" in function else [json.dumps({"text": "Lisbon?"})]
    source = TEST.replace("FUNCTION", function).replace("EXPECTED", repr(expected))
    stack.write_test("it", source.replace("MOCKS", MOCKS).replace("SESSIONS", SESSIONS))
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    out = " ".join(refused.stdout.str().split())
    assert (
        f"cannot serialise the answer of {SESSIONS}.{'Async' * ('async' in function)}"
        f"Sessions.create (an openai {'Async' * ('async' in function)}AgentSessionEventStream): "
        f"the SDK bound state made from the call's arguments to the stream it returned "
        f"({bound}), which a stream replayed from its recorded events would not have. Mock the "
        f"HTTP client's send instead ({send})" in out
    ), out
    assert not stack.goldens()
    if function != "tools":  # (no tool is called: the send records and replays the same)
        stack.write_test("it", source.replace("MOCKS", f'"{send}"'))
        stack.roundtrip()


def test_a_session_stream_read_partly_diverges_when_the_replay_reads_further(
    make_stack: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    _write(stack, "read_further", [TYPES[0]])
    stack.record()
    monkeypatch.setenv("READ_FURTHER", "1")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*Sessions.create*"])


def test_the_session_stream_helper_is_refused_naming_the_methods_it_sends_through(
    make_stack: object,
) -> None:
    """``sessions.stream(...)`` (an ``AgentSessionStream``, no SDK stream: it reads the session,
    subscribes to its events and submits the input when entered) was recorded live, then
    refused as a repr naming ``Completions.create`` as the method to mock, and offering a
    pickle of the helper, which holds the client. It is refused before the test runs, naming
    the three methods it sends through, which record and replay."""
    stack: Stack = make_stack()  # type: ignore[operator]
    _write(stack, "helper", [ANSWER])
    source = (stack.path / "test_it.py").read_text()
    stack.write_test(
        "it", source.replace(MOCKS.replace("SESSIONS", SESSIONS), f'"{SESSIONS}.Sessions.stream"')
    )
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    assert not stack.last_log or not any(line["openai"] for line in stack.last_log)
    out = " ".join(refused.stdout.str().split())
    methods = (
        f"{SESSIONS}.Sessions.retrieve, "
        "openai.resources.beta.agents.sessions.events.Events.stream and "
        "openai.resources.beta.agents.sessions.events.Events.create"
    )
    assert (
        f"cannot serialise the answers of {SESSIONS}.Sessions.stream (an openai "
        f"AgentSessionStream): it is the manager that openai's stream helper "
        f"beta.agents.sessions.stream(...) returns, which sends the request when entered and "
        f"cannot be replayed. Keep the helper and mock the SDK methods it sends its requests "
        f"through instead, {methods}, which record and replay; or mock a function of your own "
        f"that enters it, reads the stream and returns what the agent uses (the text, "
        f"stream.get_final_result())" in out
    ), out
    assert "pickle" not in out
    mocks = json.dumps(methods.replace(" and ", ", ").split(", "))
    stack.write_test("it", source.replace(MOCKS.replace("SESSIONS", SESSIONS), mocks))
    stack.roundtrip()
