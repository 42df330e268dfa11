"""Agents that send and receive media — images, audio and documents in base64 — through the real
``openai`` and ``langchain-openai`` libraries, their HTTP answered by a local mock transport.

A small file (a 1x1 PNG, a few dozen bytes of WAV, a one-line PDF) gives base64 short enough to
look like a token. Where the API's shape says it is content (an ``input_audio`` part, a LangChain
content block's ``base64``, an image API's ``b64_json``), it is kept and recorded, not refused as
a suspected secret; a real token beside it is still refused.
"""

from __future__ import annotations

import pytest

pytest.importorskip("openai")
pytest.importorskip("httpx2")
pytest.importorskip("langchain_openai")

CONFTEST = """
import base64
import hashlib
import json

import httpx2
import openai
import pytest

#: a 1x1 PNG (67 bytes) and 60 bytes of a WAV file
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
WAV = b"RIFF4\\x00\\x00\\x00WAVEfmt " + bytes(range(40, 88))


def answer(request):
    digest = hashlib.sha256(request.content).hexdigest()[:8]
    if request.url.path.endswith("/images/generations"):
        return httpx2.Response(200, json={"created": 1767225600, "data": [
            {"b64_json": base64.b64encode(PNG).decode(), "revised_prompt": "a red dot"}]})
    body = json.loads(request.content)
    message = {"role": "assistant", "content": f"seen {digest}", "refusal": None}
    return httpx2.Response(200, json={
        "id": f"chatcmpl-{digest}", "object": "chat.completion", "created": 1767225600,
        "model": body["model"], "choices": [{"index": 0, "message": message, "logprobs": None,
        "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 2,
        "total_tokens": 11}})


@pytest.fixture
def client():
    transport = httpx2.MockTransport(answer)
    return openai.OpenAI(api_key="sk-test", http_client=httpx2.Client(transport=transport),
                         max_retries=0)


@pytest.fixture
def chat_model():
    from langchain_openai import ChatOpenAI
    transport = httpx2.MockTransport(answer)
    return ChatOpenAI(model="gpt-4o", api_key="sk-test", max_retries=0,
                      http_client=httpx2.Client(transport=transport))
"""

SMALL_MEDIA = """
import base64

import pytest
from langchain_core.messages import HumanMessage

from conftest import PNG, WAV

CHAT = "openai.resources.chat.completions.Completions.create"
AUDIO = {"type": "input_audio",
         "input_audio": {"data": base64.b64encode(WAV).decode(), "format": "wav"}}


def blocks():
    def b64(data):
        return base64.b64encode(data).decode()
    return [HumanMessage(content=[
        {"type": "text", "text": "what is in these?"},
        {"type": "image", "base64": b64(PNG), "mime_type": "image/png"},
        {"type": "audio", "base64": b64(WAV), "mime_type": "audio/wav"},
        {"type": "file", "base64": b64(b"%PDF-1.4 one line"), "mime_type": "application/pdf",
         "filename": "a.pdf"},
    ])]


@pytest.mark.replay(mock={"llm": CHAT})
def test_input_audio(client):
    answer = client.chat.completions.create(
        model="gpt-4o-audio-preview", messages=[{"role": "user", "content": [AUDIO]}])
    assert answer.choices[0].message.content.startswith("seen")


@pytest.mark.replay(mock={"llm": "openai.resources.images.Images.generate"})
def test_image_generated(client):
    answer = client.images.generate(model="gpt-image-1", prompt="a red dot")
    assert base64.b64decode(answer.data[0].b64_json) == PNG


@pytest.mark.replay(mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_langchain_blocks(chat_model):
    assert chat_model.invoke(blocks()).content.startswith("seen")


@pytest.mark.replay(mock={"llm": CHAT})
def test_token_beside_audio(client):
    note = {"type": "text", "text": "token ghp_" + "a1B2c3D4e5" * 4}
    client.chat.completions.create(
        model="gpt-4o-audio-preview", messages=[{"role": "user", "content": [AUDIO, note]}])
"""


def test_small_media_is_recorded_and_a_token_beside_it_refused(pytester: pytest.Pytester) -> None:
    # Before the fix: the base64 of a small WAV in an openai input_audio part, of a small PNG in
    # an images.generate answer's b64_json and of LangChain's standard content blocks (image,
    # audio, file: their "base64") was refused as "a high-entropy string"
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_media=SMALL_MEDIA)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*refusing to record 1 value(s) that look like secrets*"])
    token = "root['messages'][0]['content'][1]['text'] (a GitHub token, 44 chars)"
    assert token in result.stdout.str()
    result.stdout.no_fnmatch_line("*high-entropy*")
    goldens = pytester.path / "goldens" / "test_media"
    assert len(list(goldens.glob("*.ckpt"))) == 3
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLv"
    for name in ("test_image_generated", "test_langchain_blocks"):
        assert png in (goldens / f"{name}.ckpt").read_text()
    result = pytester.runpytest("-p", "no:randomly", "-k", "not token")
    result.assert_outcomes(passed=3, deselected=1)


ANTHROPIC_CONFTEST = """
import hashlib
import json

import anthropic
import httpx2
import pytest


def answer(request):
    digest = hashlib.sha256(request.content).hexdigest()[:8]
    body = json.loads(request.content)
    return httpx2.Response(200, json={
        "id": f"msg_{digest}", "type": "message", "role": "assistant", "model": body["model"],
        "content": [{"type": "text", "text": f"seen {digest}"}], "stop_reason": "end_turn",
        "stop_sequence": None, "usage": {"input_tokens": 9, "output_tokens": 2}})


@pytest.fixture
def client():
    transport = httpx2.MockTransport(answer)
    return anthropic.Anthropic(api_key="sk-ant-test", max_retries=0,
                               http_client=httpx2.Client(transport=transport))
"""

CHANGED_IMAGE = """
import base64
import os

import pytest

#: two 1x1 PNGs that differ in their pixel's colour
PNGS = [
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAAD0lEQVR4AQEEAPv/ANhiwgQSAf0RVVxLAAAAAElFTkSuQmCC",
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAAD0lEQVR4AQEEAPv/ACKR2AJkAYw6GNfcAAAAAElFTkSuQmCC",
]
PNG = PNGS[int(os.environ.get("WHICH_PNG", "0"))]


def ask(client, block):
    return client.messages.create(
        model="claude-sonnet-4-5", max_tokens=100,
        messages=[{"role": "user", "content": [block, {"type": "text", "text": "what is it?"}]}])


@pytest.mark.replay(mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_source(client):
    source = {"type": "base64", "media_type": "image/png", "data": PNG}
    assert ask(client, {"type": "image", "source": source}).content[0].text.startswith("seen")


@pytest.mark.replay(mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_data_url(client):
    # (as a URL source: the anthropic API takes URLs; a data: URL is what an agent built for
    # openai's image_url passes on)
    source = {"type": "url", "url": "data:image/png;base64," + PNG}
    assert ask(client, {"type": "image", "source": source}).content[0].text.startswith("seen")
"""


def test_a_changed_small_image_is_no_random_id(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before the fix: a replay whose prompt held another small image (base64 in an anthropic
    # source, in a data: URL) said "Only random-looking ids differ ... os.urandom, secrets,
    # random.SystemRandom ..." and advised keeping ids out of what the agent sends
    pytest.importorskip("anthropic")
    pytester.makeconftest(ANTHROPIC_CONFTEST)
    pytester.makepyfile(test_image=CHANGED_IMAGE)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=2)
    monkeypatch.setenv("WHICH_PNG", "1")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*root*source*data*: text differs (- before, + after):",
            "*The prompt or arguments changed. If the change is intended, re-record with:*",
            "*root*source*url*: text differs (- before, + after):",
            "*The prompt or arguments changed. If the change is intended, re-record with:*",
        ]
    )
    result.stdout.no_fnmatch_line("*random-looking ids*")


KEY_IN_DOCUMENT = """
import base64

import pytest

NOTES = b"deploy notes\\nOPENAI_API_KEY=sk-test-CLEARSTONE-SECRET-123\\nregion=eu\\n"


@pytest.mark.replay(mock={"llm": "anthropic.resources.messages.Messages.create"})
@pytest.mark.parametrize("offset", [0, 1, 2])
def test_document(client, offset):
    text = b"#" * offset + NOTES  # (the key at each of base64's three alignments)
    source = {"type": "base64", "media_type": "text/plain",
              "data": base64.b64encode(text).decode()}
    client.messages.create(
        model="claude-sonnet-4-5", max_tokens=100,
        messages=[{"role": "user", "content": [{"type": "document", "source": source},
                                               {"type": "text", "text": "summarise"}]}])


@pytest.mark.replay(mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_data_url(client):
    url = "data:text/plain;base64," + base64.b64encode(NOTES).decode()
    client.messages.create(
        model="claude-sonnet-4-5", max_tokens=100,
        messages=[{"role": "user", "content": [{"type": "image", "source": {"type": "url",
                                                                            "url": url}}]}])
"""


def test_a_key_in_a_base64_document_is_not_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before the fix: the golden was written with the key of $OPENAI_API_KEY in it, in the
    # base64 of a document the agent attached (an anthropic base64 source, a data: URL): the
    # last check before writing searched only the base64 of bytes values and HTTP bodies
    pytest.importorskip("anthropic")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-CLEARSTONE-SECRET-123")
    pytester.makeconftest(ANTHROPIC_CONFTEST)
    pytester.makepyfile(test_notes=KEY_IN_DOCUMENT)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*the value of $OPENAI_API_KEY*"] * 4, consecutive=False)
    assert "source" in result.stdout.str() and "base64" in result.stdout.str()
    assert not list(pytester.path.glob("goldens/**/*.ckpt"))


SPOOLED_UPLOAD = """
import os
import tempfile

import pytest

from conftest import WAV

TRANSCRIBE = "openai.resources.audio.transcriptions.Transcriptions.create"
AUDIO = WAV + os.environ.get("MORE_AUDIO", "").encode()


@pytest.mark.replay(mock={"llm": TRANSCRIBE})
def test_spooled(client):
    # what FastAPI's UploadFile.file is: a user's upload forwarded by the agent
    with tempfile.SpooledTemporaryFile() as upload:
        upload.write(AUDIO)
        upload.seek(0)
        answer = client.audio.transcriptions.create(model="whisper-1",
                                                    file=("voice.wav", upload))
    assert answer.text.startswith("seen")
"""


def test_a_changed_spooled_upload_diverges(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before the fix: a tempfile.SpooledTemporaryFile upload was stored as a placeholder
    # compared by its type, silently: a replay whose upload held other audio passed
    conftest = CONFTEST.replace(
        "body = json.loads(request.content)",
        'if request.url.path.endswith("/audio/transcriptions"):\n'
        '        return httpx2.Response(200, json={"text": "seen"})\n'
        "    body = json.loads(request.content)",
    )
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_upload=SPOOLED_UPLOAD)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    monkeypatch.setenv("MORE_AUDIO", "and more")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*root*file*1*content*"])
    golden = pytester.path / "goldens" / "test_upload" / "test_spooled.ckpt"
    assert '"__cs__": "file"' in golden.read_text()
