"""Agents served by a FastAPI app and tested through it (``fastapi.testclient.TestClient``): the
app runs in an anyio portal thread and its sync endpoints and dependencies in anyio's worker
threads, which anyio keeps and reuses from request to request."""

from __future__ import annotations

from collections.abc import Callable

import fastapi.testclient  # noqa: F401  (imported once here: the in-process inner runs reuse it)

from .harness import Stack

WEBAPP = """
import uuid
from contextlib import asynccontextmanager

import openai
from fastapi import Depends, FastAPI, Request

import services


@asynccontextmanager
async def lifespan(app):
    app.state.client = openai.OpenAI(http_client=services.OPENAI.client(), max_retries=0)
    yield


app = FastAPI(lifespan=lifespan)


def get_client(request: Request):
    return request.app.state.client


@app.post("/chat")
def chat(body: dict, client=Depends(get_client)):
    request_id = str(uuid.uuid4())
    answer = client.chat.completions.create(
        model="gpt-4o-mini", user=request_id,
        messages=[{"role": "user", "content": body["q"]}])
    return {"answer": answer.choices[0].message.content, "id": request_id}
"""

MODULE_CLIENT = """
import pytest
from fastapi.testclient import TestClient

import webapp

MOCK = {"llm": "openai.resources.chat.completions.Completions.create"}


@pytest.fixture(scope="module")
def client():
    with TestClient(webapp.app) as client:
        yield client


@pytest.mark.replay(mock=MOCK)
def test_lisbon(client):
    assert client.post("/chat", json={"q": "Lisbon"}).json()["answer"] == "Answer to 'Lisbon'"


@pytest.mark.replay(mock=MOCK)
def test_porto(client):
    assert client.post("/chat", json={"q": "Porto"}).json()["answer"] == "Answer to 'Porto'"
"""


def test_sync_endpoint_ids_do_not_depend_on_which_test_started_the_worker(
    make_stack: Callable[..., Stack],
) -> None:
    """A module-scoped ``TestClient`` keeps one portal and anyio's worker threads for all its
    tests: the worker that runs ``test_porto``'s endpoint was started by ``test_lisbon`` in the
    whole run, by ``test_porto`` itself when it runs alone. The ids its endpoint draws must be
    the same either way, or the test replays in the suite and diverges alone (a node id, ``--lf``,
    another xdist worker)."""
    stack: Stack = make_stack()
    stack.pytester.makepyfile(webapp=WEBAPP)
    stack.write_test("web", MODULE_CLIENT)
    stack.record()
    stack.replay_passes()
    stack.replay_passes("test_web.py::test_porto")
    stack.replay_passes("test_web.py::test_lisbon")


HEALTH_FIRST = """
import pytest
from fastapi.testclient import TestClient

import webapp

MOCK = {"llm": "openai.resources.chat.completions.Completions.create"}


@webapp.app.get("/health")
def health():
    return {"ok": True}


@pytest.fixture(scope="module")
def client():
    with TestClient(webapp.app) as client:
        yield client


def test_health(client):
    assert client.get("/health").json() == {"ok": True}


@pytest.mark.replay(mock=MOCK)
def test_lisbon(client):
    assert client.post("/chat", json={"q": "Lisbon"}).json()["answer"] == "Answer to 'Lisbon'"
"""


def test_sync_endpoint_ids_do_not_depend_on_a_worker_started_by_a_test_without_the_marker(
    make_stack: Callable[..., Stack],
) -> None:
    """The worker that runs ``test_lisbon``'s endpoint was started by ``test_health`` (no
    marker: no propagation) in the whole run, by ``test_lisbon`` itself when it runs alone.
    Before the fix its jobs were branches only in a worker started under a marked test: the
    endpoint drew another id (the call's ``user``) alone, and the replay failed."""
    stack: Stack = make_stack()
    stack.pytester.makepyfile(webapp=WEBAPP)
    stack.write_test("web", HEALTH_FIRST)
    stack.try_record().assert_outcomes(passed=2)  # (test_health calls no service)
    stack.replay_passes()
    stack.replay_passes("test_web.py::test_lisbon")
    stack.record("test_web.py::test_lisbon")
    stack.replay_passes()


AGENT_WITH_TEST_CLIENT = '''
import pytest
from fastapi.testclient import TestClient

import webapp

MOCK = {"llm": "openai.resources.chat.completions.Completions.create"}


class ApiAgent:
    """Talks to the app through the client it is given, and keeps its answers."""

    def __init__(self, client):
        self.client = client
        self.answers = []

    def ask(self, question):
        answer = self.client.post("/chat", json={"q": question}).json()["answer"]
        self.answers.append(answer)
        return answer


@pytest.mark.replay(mock=MOCK)
def test_agent(replay):
    with TestClient(webapp.app) as client:
        agent = ApiAgent(client)
        assert replay.run(agent.ask, "Lisbon") == "Answer to 'Lisbon'"
        assert replay.run(agent.ask, "Porto") == "Answer to 'Porto'"
    assert agent.client is client
'''


def test_agent_holding_the_test_client_records_and_replays(
    make_stack: Callable[..., Stack],
) -> None:
    """An agent keeping the app's ``TestClient`` (an ``httpx2.Client`` whose constructor needs
    the app) in its state: the client is stored as a reference like any HTTP client, and the
    agent the test built keeps its own on replay."""
    stack: Stack = make_stack()
    stack.pytester.makepyfile(webapp=WEBAPP)
    stack.write_test("agent", AGENT_WITH_TEST_CLIENT)
    stack.roundtrip()
