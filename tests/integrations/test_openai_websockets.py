"""openai's WebSocket connections (``client.responses.connect()``, ``client.realtime.connect(...)``:
a manager that opens the socket when entered, then a connection whose events go over it). Mocked,
the recording was refused only after the run, as a value only its repr could store, with fixes that
do not work for a socket: teach the codec the type, allow pickles (the manager holds the client
and its key, and would connect again on replay), or mock "the SDK method that makes the request,
e.g. openai.resources.chat.completions.Completions.create" (no request goes through it). The
refusal now comes before the run, naming the connection and the fix that works."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

AGENT = """
def open_responses(client):
    return client.responses.connect()


def open_realtime(client):
    return client.realtime.connect(model="gpt-realtime")
"""

TEST = """
import pytest

import socket_agent as app


@pytest.mark.replay(mock={"llm": "TARGET"})
def test_it(openai_client):
    assert app.FUNCTION(openai_client) is not None
"""

FIX = (
    "it is a WebSocket connection of the SDK (or the manager that opens one when entered), whose "
    "events go over the open socket, not through calls a mock can answer, and cannot be "
    "replayed. Mock a function of your own that opens the connection, sends what the agent "
    "sends and returns what it uses instead (the events it reads, the final response)"
)


@pytest.mark.parametrize(
    ("target", "function", "answer"),
    [
        (
            "openai.resources.responses.responses.Responses.connect",
            "open_responses",
            "openai ResponsesConnectionManager",
        ),
        (
            "openai.resources.realtime.realtime.Realtime.connect",
            "open_realtime",
            "openai RealtimeConnectionManager",
        ),
        ("socket_agent.open_responses", "open_responses", "openai.resources.responses.responses"),
    ],
)
def test_a_websocket_connection_is_refused_with_the_fix_for_it(
    make_stack: object, target: str, function: str, answer: str
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "socket_agent.py").write_text(AGENT)
    stack.write_test("it", TEST.replace("TARGET", target).replace("FUNCTION", function))
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    out = " ".join(refused.stdout.str().split())
    assert "cannot serialise the answer" in out and answer in out, out
    assert FIX in out, out
    for wrong in ("Completions.create", "allow pickles", "Teach the codec"):
        assert wrong not in out, out
