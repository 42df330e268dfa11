"""Agents served by a Flask app and tested through ``app.test_client()``: an anthropic agent
built per request in the app context (its client kept in ``g``), one streaming the model's
answer as a streamed response."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .harness import Stack

flask = pytest.importorskip("flask")

SECRET_KEY = "flask-session-key-8f3a2b9c"

WEBAPP = """
import anthropic
from flask import Flask, Response, current_app, g, request

import services

app = Flask(__name__)
app.config.update(SECRET_KEY="SESSION_KEY", MODEL="claude-sonnet-4-5")


def claude():
    if "claude" not in g:
        g.claude = anthropic.Anthropic(http_client=services.ANTHROPIC.client(), max_retries=0)
    return g.claude


@app.post("/chat")
def chat():
    message = claude().messages.create(
        model=current_app.config["MODEL"], max_tokens=100,
        messages=[{"role": "user", "content": request.json["q"]}])
    return {"answer": message.content[0].text}


@app.get("/stream")
def stream():
    events = claude().messages.create(
        model=current_app.config["MODEL"], max_tokens=100, stream=True,
        messages=[{"role": "user", "content": request.args["q"]}])

    def text():
        for event in events:
            if event.type == "content_block_delta":
                yield event.delta.text

    return Response(text(), mimetype="text/plain")
"""

TESTS = """
import pytest

import webapp

MOCK = {"llm": "anthropic.resources.messages.Messages.create"}


@pytest.fixture
def client():
    with webapp.app.test_client() as client:
        yield client


@pytest.mark.replay(mock=MOCK)
def test_chat(client):
    assert client.post("/chat", json={"q": "Lisbon"}).json["answer"] == "Answer to 'Lisbon'"


@pytest.mark.replay(mock=MOCK)
def test_stream(client):
    assert client.get("/stream?q=Porto").get_data(as_text=True) == "Answer to 'Porto'"
"""


def test_flask_views_record_and_replay_through_the_test_client(
    make_stack: Callable[..., Stack],
) -> None:
    stack: Stack = make_stack()
    stack.pytester.makepyfile(webapp=WEBAPP.replace("SESSION_KEY", SECRET_KEY))
    stack.write_test("web", TESTS)
    stack.roundtrip()
    for golden in stack.goldens():
        assert SECRET_KEY not in golden.read_text()
