"""openai's vector store helpers: ``vector_stores.file_batches.upload_and_poll`` uploads the
files in a thread pool and passes their ids to ``create_and_poll`` in the order
``concurrent.futures.as_completed`` yields them (a set's order: it changes from run to run).
Mocked at the calls the helper makes (``Files.create``, ``FileBatches.create_and_poll``), an
unchanged agent's replay fails, only the order of ``file_ids`` differing; the message told the
user to sort the list before it reaches the call, which the agent cannot: the SDK builds it. It
names the SDK method the agent called, whose mocking records and replays."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)

from .harness import Stack

BATCHES = "openai.resources.vector_stores.file_batches.FileBatches"
UPLOAD = "openai.resources.files.Files.create"

# The services' JSON handler cannot read a multipart body: the endpoints are answered here,
# sealed and counted the same way (services.OPENAI's requests and violations).
AGENT = '''
import io
import json
import os
import re

import httpx2
import openai
import openai.lib._vector_stores

import services

BATCH = []  # the file ids of the batch made last


def answer(request):
    where = f"{request.method} {request.url}"
    if os.environ.get(services.SEALED_ENV):
        services.OPENAI.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {where}")
    services.OPENAI.requests.append({"path": request.url.path, "body": {}})
    if request.url.path == "/v1/files":  # an upload
        name = re.search(rb'filename="([^"]+)"', request.content).group(1).decode()
        return httpx2.Response(200, json={
            "id": f"file-{name.partition('.')[0]}", "object": "file",
            "bytes": len(request.content), "created_at": services.CREATED, "filename": name,
            "purpose": "assistants", "status": "processed"})
    if "/files" in request.url.path:  # a file added to a store, then polled: processed
        file_id = request.url.path.rpartition("/")[2]
        if request.method == "POST":
            file_id = json.loads(request.content)["file_id"]
        return httpx2.Response(200, json={
            "id": file_id, "object": "vector_store.file", "created_at": services.CREATED,
            "usage_bytes": 12, "vector_store_id": "vs_1", "last_error": None,
            "status": "in_progress" if request.method == "POST" else "completed"})
    if request.method == "POST":  # the batch made, then polled
        BATCH[:] = json.loads(request.content)["file_ids"]
    ids = BATCH
    return httpx2.Response(200, json={
        "id": "vsfb_1", "object": "vector_store.files_batch", "created_at": services.CREATED,
        "vector_store_id": "vs_1", "status": "completed",
        "file_counts": {"in_progress": 0, "completed": len(ids), "failed": 0, "cancelled": 0,
                        "total": len(ids)}})


def client():
    return openai.OpenAI(http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
                         max_retries=0)


def add(client, file_id):
    return client.vector_stores.files.create_and_poll(file_id, vector_store_id="vs_1").status


def finishing(monkeypatch, reverse):
    """The uploads' futures in submission order, or reversed: ``as_completed`` yields them in
    the order of a set of them, which changes from run to run."""
    monkeypatch.setattr(openai.lib._vector_stores, "as_completed",
                        lambda futures: list(reversed(futures)) if reverse else list(futures))


def index(client, notes):
    files = [(f"{name}.txt", io.BytesIO(f"notes on {name}".encode())) for name in notes]
    batch = client.vector_stores.file_batches.upload_and_poll("vs_1", files=files)
    return batch.file_counts.completed
'''

TEST = """
import pytest

import vector_agent as app


@pytest.mark.replay(mock=MOCK)
def test_index(replay, monkeypatch):
    app.finishing(monkeypatch, reverse=replay.mode == "record")
    assert app.index(app.client(), ["lisbon", "porto", "faro"]) == 3
"""


def test_an_order_made_by_the_sdk_helper_names_the_helper_to_mock(make_stack: object) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "vector_agent.py").write_text(AGENT)
    inner = f'{{"upload": "{UPLOAD}", "index": "{BATCHES}.create_and_poll"}}'
    stack.write_test("index", TEST.replace("MOCK", inner))
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())  # (the message's lines joined)
    assert f"call #1 to {BATCHES}.create_and_poll" in out, out
    assert "Only the order of the items differs" in out
    assert (
        f"Here the list was made by openai's own FileBatches.upload_and_poll, which the agent "
        f"called: mock that method instead ({BATCHES}.upload_and_poll)" in out
    ), out
    stack.write_test("index", TEST.replace("MOCK", f'{{"index": "{BATCHES}.upload_and_poll"}}'))
    stack.roundtrip()


def test_an_order_the_agent_makes_keeps_the_advice_to_sort(make_stack: object) -> None:
    """The agent's own list in another order (no SDK helper between it and the call): the
    message gives no helper to mock."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "vector_agent.py").write_text(
        AGENT
        + """

def index_direct(client, notes, reverse):
    ids = [f"file-{name}" for name in (reversed(notes) if reverse else notes)]
    batch = client.vector_stores.file_batches.create_and_poll("vs_1", file_ids=ids)
    return batch.file_counts.completed
"""
    )
    stack.write_test(
        "index",
        f"""
import pytest

import vector_agent as app


@pytest.mark.replay(mock={{"index": "{BATCHES}.create_and_poll"}})
def test_index(replay):
    names = ["lisbon", "porto", "faro"]
    assert app.index_direct(app.client(), names, replay.mode == "record") == 3
""",
    )
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert "Only the order of the items differs" in out and "sort them" in out, out
    assert "which the agent called" not in out


FILES = "openai.resources.vector_stores.files.Files"

ADD_TEST = """
import pytest

import vector_agent as app


@pytest.mark.replay(mock={"store": MOCK})
def test_add():
    assert app.add(app.client(), "file-lisbon") == "completed"
"""


def test_mocking_the_retrieve_a_poll_helper_reads_raw_names_the_helper(make_stack: object) -> None:
    """openai's ``create_and_poll`` polls through ``with_raw_response.retrieve``: mocked at
    ``retrieve``, the recording is refused for its raw response, and the message said the agent
    calls it through ``.with_raw_response``, which it does not; it names the helper, which
    records and replays."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "vector_agent.py").write_text(AGENT)
    stack.write_test("add", ADD_TEST.replace("MOCK", f'["{FILES}.create", "{FILES}.retrieve"]'))
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    out = " ".join(refused.stdout.str().split())
    assert "it is the SDK's raw response" in out, out
    assert (
        f"openai's polling helpers read Files.retrieve this way (create_and_poll, "
        f"upload_and_poll, poll): mock the one the agent calls instead (e.g. "
        f"{FILES}.create_and_poll), which records and replays" in out
    ), out
    stack.write_test("add", ADD_TEST.replace("MOCK", f'"{FILES}.create_and_poll"'))
    stack.roundtrip()


def test_mocking_a_method_no_poll_helper_reads_raw_names_no_helper(make_stack: object) -> None:
    """The agent itself calls ``Files.create`` through ``.with_raw_response``: the refusal names
    that wrapper, and not the polling helpers, which read ``retrieve`` (not ``create``) raw."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "vector_agent.py").write_text(AGENT)
    stack.write_test(
        "add",
        f"""
import pytest

import vector_agent as app


@pytest.mark.replay(mock={{"store": "{FILES}.create"}})
def test_add():
    files = app.client().vector_stores.files
    assert files.with_raw_response.create("vs_1", file_id="file-lisbon").parse().id
""",
    )
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    out = " ".join(refused.stdout.str().split())
    assert "it is the SDK's raw response" in out, out
    assert "polling helpers" not in out, out
