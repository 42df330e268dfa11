"""Background responses of openai's Responses API: created with ``background=True``, polled with
``responses.retrieve`` until completed (a loop whose number of calls the recording sets), or
streamed again with ``responses.stream(response_id=...)``, which resumes through ``retrieve``,
not ``create``. Mocking the stream helper was refused naming only ``Responses.create``: an agent
that followed the hint recorded the resumed stream live and reached the network on replay."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)

from .harness import Stack

RESPONSES = "openai.resources.responses.responses.Responses"

# The services answer POST /v1/responses only: the background answers and the reads of a
# response by its id are made here from them, sealed and counted the same way.
AGENT = """
import json
import os

import httpx2
import openai

import services

#: response id -> [polls so far, the request that made it]
MADE = {}


def answer(request):
    where = f"{request.method} {request.url}"
    if os.environ.get(services.SEALED_ENV):
        services.OPENAI.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {where}")
    services.OPENAI.requests.append({"path": request.url.path, "body": {}})
    if request.method == "POST":
        body = json.loads(request.content)
        background = body.pop("background", False)
        done = json.loads(services.OPENAI.responses(body).content)
        MADE[done["id"]] = [0, body]
        if background:
            done = {**done, "status": "queued", "output": [], "usage": None, "background": True}
        return httpx2.Response(200, json=done)
    made = MADE[request.url.path.rpartition("/")[2]]
    if request.url.params.get("stream") == "true":
        return services.OPENAI.responses({**made[1], "stream": True})
    made[0] += 1
    done = json.loads(services.OPENAI.responses(made[1]).content)
    return httpx2.Response(200, json=done if made[0] >= 2 else {**done, "status": "in_progress",
                                                               "output": [], "usage": None})


def client():
    return openai.OpenAI(http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
                         max_retries=0)


def polled(client, question):
    response = client.responses.create(model="gpt-4o-mini", input=question, background=True)
    polls = 0
    while response.status in ("queued", "in_progress"):
        response = client.responses.retrieve(response.id)
        polls += 1
    return [response.output_text, polls]


def resumed(client, question):
    response = client.responses.create(model="gpt-4o-mini", input=question, background=True)
    with client.responses.stream(response_id=response.id) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    return ["".join(deltas), final.output_text]
"""

TEST = """
import pytest

import background_agent as app


@pytest.mark.replay(mock={"llm": MOCK})
def test_it():
    assert app.FUNCTION(app.client(), "Lisbon?")[0] == "Answer to 'Lisbon?'"
"""


def _write(stack: Stack, mock: str, function: str) -> None:
    (stack.path / "background_agent.py").write_text(AGENT)
    stack.write_test("it", TEST.replace("MOCK", mock).replace("FUNCTION", function))


def test_a_background_response_polled_until_completed_replays_and_rerecords_the_same(
    make_stack: object,
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    _write(stack, f'["{RESPONSES}.create", "{RESPONSES}.retrieve"]', "polled")
    stack.roundtrip()
    golden = stack.goldens()[0]
    first = golden.read_bytes()
    stack.pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    assert golden.read_bytes() == first


def test_a_stream_resumed_by_id_is_refused_naming_retrieve_which_records(
    make_stack: object,
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    _write(stack, f'"{RESPONSES}.stream"', "resumed")
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    out = " ".join(refused.stdout.str().split())
    assert (
        f"mock the SDK method it sends the request through instead, {RESPONSES}.create (and "
        f"{RESPONSES}.retrieve, through which responses.stream(response_id=...) resumes a "
        f"response), which records and replays" in out
    ), out
    # the hint's create alone: the resumed stream's request (sent by retrieve, not by the create
    # recorded before it) runs live, which the recording says (it was read live on every replay)
    _write(stack, f'"{RESPONSES}.create"', "resumed")
    warned = stack.try_record()
    warned.assert_outcomes(failed=1)
    warned.stdout.fnmatch_lines(
        [f"*UnmockedCallWarning*'{RESPONSES}.stream' was called while recording and ran live*"]
    )
    # its fix: mock retrieve too (it was "mock a function of your own", against the how-to)
    warned.stdout.fnmatch_lines(
        [f"*UnmockedCallWarning*resumes a response by its id*{RESPONSES}.retrieve*mock it too*"]
    )
    warned.stdout.no_fnmatch_line("*mock a function of your own*")
    _write(stack, f'["{RESPONSES}.create", "{RESPONSES}.retrieve"]', "resumed")
    stack.roundtrip()
