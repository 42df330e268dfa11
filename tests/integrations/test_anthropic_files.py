"""anthropic's Files API (``client.beta.files``): a download's answer, and a raw response of a
request to a file's own URL, are refused with the fix that applies to them."""

from __future__ import annotations

import pytest

pytest.importorskip("anthropic")
pytest.importorskip("httpx2")

FILE_ID = "file_011CNha8iCJcU1wXNR6q4V8w"  # (as the API writes them: random-looking)

CONFTEST = f"""
import anthropic
import httpx2
import pytest

METADATA = {{"id": "{FILE_ID}", "type": "file", "filename": "report.pdf",
             "mime_type": "application/pdf", "size_bytes": 10,
             "created_at": "2026-12-01T10:00:00Z", "downloadable": True}}


def answer(request):
    if request.url.path.endswith("/content"):
        return httpx2.Response(200, content=b"%PDF-1.4 x",
                               headers={{"content-type": "application/pdf"}})
    return httpx2.Response(200, json=METADATA)


@pytest.fixture
def client():
    transport = httpx2.MockTransport(answer)
    return anthropic.Anthropic(api_key="sk-ant-test", max_retries=0,
                               http_client=httpx2.Client(transport=transport))
"""

TEST = f"""
import pytest

FILES = "anthropic.resources.beta.files.Files"


@pytest.mark.replay(mock={{"llm": f"{{FILES}}.download"}})
def test_download(client):
    assert client.beta.files.download("{FILE_ID}").read().startswith(b"%PDF")


@pytest.mark.replay(mock={{"llm": f"{{FILES}}.retrieve_metadata"}})
def test_raw(client):
    raw = client.beta.files.with_raw_response.retrieve_metadata("{FILE_ID}")
    assert raw.parse().filename == "report.pdf"
"""


@pytest.mark.parametrize("pickles", [(), ("--clearstone-allow-pickle",)])
def test_a_download_is_refused_as_a_binary_response_not_as_a_secret(
    pytester: pytest.Pytester, pickles: tuple[str, ...]
) -> None:
    """The answer of ``beta.files.download`` (a ``BinaryAPIResponse``) and of a method called
    through ``.with_raw_response`` hold the request, with its URL and its headers: the recording
    was refused as holding "values that look like secrets" (``root._options.url``, the file's id
    in the URL), or with pickles allowed as holding "the token in the Authorization header"
    (their pickle), which sent the user to redaction or allow rules for a golden that could not
    replay anyway, instead of the fix for an SDK response (a function of one's own that returns
    what the agent reads)."""
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_files=TEST)
    result = pytester.runpytest("--clearstone-record", *pickles)
    result.assert_outcomes(failed=2)
    files = "anthropic.resources.beta.files.Files"
    result.stdout.fnmatch_lines(
        [
            f"*cannot serialise the answer of call #1 to {files}.download (an anthropic._response."
            "BinaryAPIResponse): it is the SDK's binary response, the answer of a download*Mock a "
            "function of your own that makes this call and returns what the agent reads*",
            f"*cannot serialise the answer of call #1 to {files}.retrieve_metadata (an anthropic."
            "_response.APIResponse): it is the SDK's raw response, which the method returns when "
            "called through .with_raw_response*",
        ],
        consecutive=False,
    )
    result.stdout.no_fnmatch_line("*look like secrets*")
    result.stdout.no_fnmatch_line("*Authorization header*")
    assert not (pytester.path / "goldens").exists()
