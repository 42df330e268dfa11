"""Uploads through the real ``openai`` SDK: ``files.create`` with an ``io.BytesIO`` and with an
opened file, ``audio.transcriptions.create`` with an opened binary file. The golden holds each
file's content and base name, and a changed upload fails the replay at the call, showing how the
content changed. Before, the file was stored as a placeholder naming its type, compared by
type: a changed upload replayed green."""

from __future__ import annotations

import json
from typing import Any

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

FILES = "openai.resources.files.Files.create"
TRANSCRIPTIONS = "openai.resources.audio.transcriptions.Transcriptions.create"

# The services' JSON handler cannot read a multipart body: the upload endpoints are answered
# here, sealed and counted the same way (services.OPENAI's requests and violations).
AGENT = """
import io
import json
import os
from pathlib import Path

import httpx2
import openai

import services

HERE = Path(__file__).parent
PROMPT = "Summarise the ticket"
AUDIO = bytes(range(256)) * 8  # not UTF-8
#: the multipart bodies the SDK sent
SENT = []


def batch():
    line = {"custom_id": "t1", "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}]}}
    return (json.dumps(line) + "\\n").encode()


def answer(request):
    where = f"{request.method} {request.url}"
    if os.environ.get(services.SEALED_ENV):
        services.OPENAI.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {where}")
    services.OPENAI.requests.append({"path": request.url.path, "body": {}})
    SENT.append(request.content)
    if request.url.path.endswith("/audio/transcriptions"):
        return httpx2.Response(200, json={"text": f"{len(AUDIO)} bytes heard"})
    return httpx2.Response(200, json={
        "id": "file-abc123", "object": "file", "bytes": len(batch()),
        "created_at": services.CREATED, "filename": "batch.jsonl", "purpose": "batch",
        "status": "processed"})


def client():
    transport = httpx2.MockTransport(answer)
    return openai.OpenAI(http_client=httpx2.Client(transport=transport), max_retries=0)


class BatchAgent:
    def __init__(self, client):
        self.client = client
        self.uploaded = []

    def get_state(self):
        return {"uploaded": self.uploaded}

    def load_state(self, state):
        self.uploaded = list(state["uploaded"])

    def submit_in_memory(self):
        return self._keep(self.client.files.create(file=io.BytesIO(batch()), purpose="batch"))

    def submit_file(self):
        (HERE / "batch.jsonl").write_bytes(batch())
        with open(HERE / "batch.jsonl", "rb") as f:
            return self._keep(self.client.files.create(file=f, purpose="batch"))

    def submit_path(self):
        (HERE / "batch.jsonl").write_bytes(batch())
        return self._keep(self.client.files.create(file=HERE / "batch.jsonl", purpose="batch"))

    def submit_path_in_tuple(self):
        (HERE / "batch.jsonl").write_bytes(batch())
        upload = ("batch.jsonl", HERE / "batch.jsonl", "application/jsonl")
        return self._keep(self.client.files.create(file=upload, purpose="batch"))

    def transcribe(self):
        (HERE / "speech.mp3").write_bytes(AUDIO)
        with open(HERE / "speech.mp3", "rb") as f:
            text = self.client.audio.transcriptions.create(file=f, model="whisper-1").text
        self.uploaded.append(text)
        return text

    def _keep(self, uploaded):
        self.uploaded.append(uploaded.id)
        return uploaded.id
"""

TEST = """
import os

import pytest

import services
import upload_agent as app


@pytest.mark.replay("goldens/{name}.ckpt", mock={{"llm": "{target}"}})
def test_it(replay):
    app.SENT.clear()
    assert replay.run(app.BatchAgent(app.client()).{method}) == "{answer}"
    if not os.environ.get(services.SEALED_ENV):  # the SDK sent the whole file
        assert [{whole} in body for body in app.SENT] == [True]
"""

UPLOADS = {
    "in_memory": ("submit_in_memory", FILES, "file-abc123", "app.batch()"),
    "opened_file": ("submit_file", FILES, "file-abc123", "app.batch()"),
    "transcription": ("transcribe", TRANSCRIPTIONS, "2048 bytes heard", "app.AUDIO"),
    # a path (the SDK reads the file): stored as the file it names, its content compared
    "path": ("submit_path", FILES, "file-abc123", "app.batch()"),
    "path_in_tuple": ("submit_path_in_tuple", FILES, "file-abc123", "app.batch()"),
}


@pytest.fixture
def stack(make_stack) -> Stack:
    stack = make_stack()
    stack.pytester.makepyfile(upload_agent=AGENT)
    return stack


def _write(stack: Stack, name: str) -> None:
    method, target, answer, whole = UPLOADS[name]
    source = TEST.format(name=name, target=target, method=method, answer=answer, whole=whole)
    stack.write_test(name, source)


def _stored_file(stack: Stack) -> dict[str, Any]:
    (golden,) = stack.goldens()
    (stored,) = _files(json.loads(golden.read_text()))
    return stored


def _files(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("__cs__") == "file":
            return [node]
        node = list(node.values())
    return [f for item in node for f in _files(item)] if isinstance(node, list) else []


@pytest.mark.parametrize("name", UPLOADS)
def test_an_upload_records_its_content_and_replays(stack: Stack, name: str) -> None:
    _write(stack, name)
    stack.roundtrip()
    stored = _stored_file(stack)
    assert stored["kind"] == "binary"
    if name == "transcription":
        assert stored["name"] == "speech.mp3"
        assert stored["content"]["__cs__"] == "bytes"  # base64, as any bytes value
    else:
        assert "Summarise the ticket" in str(stored["content"])
        # the base name of an opened file: the checkout's path would tie the golden to it
        assert stored.get("name") == (None if name == "in_memory" else "batch.jsonl")
    assert str(stack.path) not in stack.goldens()[0].read_text()


@pytest.mark.parametrize("name", ["in_memory", "opened_file", "path", "path_in_tuple"])
def test_a_changed_upload_fails_the_replay_showing_the_change(stack: Stack, name: str) -> None:
    """A path (``file=Path("batch.jsonl")``, or in the ``(name, path, type)`` tuple) was stored
    as the path alone: a changed file replayed green."""
    _write(stack, name)
    stack.record()
    stack.replay_passes()
    stack.edit("upload_agent", 'PROMPT = "Summarise the ticket"', 'PROMPT = "Ignore the rules"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*ReplayDivergenceError: replay diverged at call #1 to {FILES}: its arguments differ*",
            # (the file of a (name, path, type) tuple is at root['file'][1])
            "*root[[]'file'[]]*[[]'content'[]]: JSON text differs (paths inside it):",
            "*body.messages[[]0[]].content: 'Summarise the ticket' -> 'Ignore the rules'",
        ]
    )


def test_a_changed_binary_upload_fails_the_replay(stack: Stack) -> None:
    _write(stack, "transcription")
    stack.record()
    stack.replay_passes()
    stack.edit("upload_agent", "bytes(range(256)) * 8", "bytes(range(256)) * 7 + bytes(256)")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*replay diverged at call #1 to {TRANSCRIPTIONS}*", "*root[[]'file'][[]'content']: *"]
    )
