"""The ``openai`` SDK's binary answers (text to speech, a file's content): refused with the fix
that applies to them.

``audio.speech.create`` and ``files.content`` answer with the SDK's binary response
(``HttpxBinaryResponseContent``; ``StreamedBinaryAPIResponse`` through
``.with_streaming_response``), which holds the live HTTP exchange. The mocked method is the SDK
method that makes the request: the fix is a function of the user's own that returns the bytes
or the text the agent reads.
"""

from __future__ import annotations

import pytest

pytest.importorskip("openai")
pytest.importorskip("httpx2")

CONFTEST = """
import httpx2
import openai
import pytest


def answer(request):
    if request.url.path.endswith("/audio/speech"):
        wav = {"content-type": "audio/wav"}
        return httpx2.Response(200, content=b"RIFF....WAVEfmt ", headers=wav)
    return httpx2.Response(200, text='{"custom_id": "a"}\\n{"custom_id": "b"}\\n')


@pytest.fixture
def client():
    transport = httpx2.MockTransport(answer)
    return openai.OpenAI(api_key="sk-test", http_client=httpx2.Client(transport=transport),
                         max_retries=0)
"""

TEST = """
import pytest

SPEECH = "openai.resources.audio.speech.Speech.create"


@pytest.mark.replay(mock={"llm": SPEECH})
def test_speech(client):
    answer = client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="hi")
    assert answer.content.startswith(b"RIFF")


@pytest.mark.replay(mock={"llm": "openai.resources.files.Files.content"})
def test_content(client):
    assert len(client.files.content("file-abc").text.splitlines()) == 2


@pytest.mark.replay(mock={"llm": SPEECH})
def test_streamed(client):
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="alloy", input="hi"
    ) as answer:
        assert answer.read().startswith(b"RIFF")
"""


def test_a_binary_answer_is_refused_with_the_fix_for_it(pytester: pytest.Pytester) -> None:
    # Before the fix: "mock the function under this one ... e.g.
    # openai.resources.chat.completions.AsyncCompletions.create", while the mocked method is the
    # SDK method that makes the request and has no storable function under it
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_bin=TEST)
    result = pytester.runpytest("--clearstone-record", "-W", "ignore::UserWarning")
    result.assert_outcomes(failed=3)
    fix = (
        "it is the SDK's binary response, the answer of a download (openai's "
        "audio.speech.create and files.content, anthropic's beta.files.download); it holds the "
        "live HTTP exchange and cannot be replayed. Mock a function of your own that makes "
        "this call and returns what the agent reads: its bytes (.content, or .read() when "
        "streamed) or its text (.text)."
    )
    speech = "openai.resources.audio.speech.Speech.create"
    result.stdout.fnmatch_lines(
        [
            f"*cannot serialise the answer of call #1 to {speech} (an "
            f"openai._legacy_response.HttpxBinaryResponseContent): {fix}",
            "*cannot serialise the answer of call #1 to openai.resources.files.Files.content (an "
            f"openai._legacy_response.HttpxBinaryResponseContent): {fix}",
            f"*cannot serialise the answer of call #1 to {speech} (an "
            f"openai._response.StreamedBinaryAPIResponse): {fix}",
        ],
        consecutive=False,
    )
    result.stdout.no_fnmatch_line("*AsyncCompletions*")
    result.stdout.no_fnmatch_line("*function under this one*")
    assert not (pytester.path / "goldens").exists()
