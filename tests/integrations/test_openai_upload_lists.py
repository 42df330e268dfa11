"""Uploads given as a list of opened files (``images.edit(image=[open(a), open(b)])``, which
gpt-image-1 takes): the SDK reads the files, which is no change the agent made to the list."""

from __future__ import annotations

import pytest

pytest.importorskip("openai")
pytest.importorskip("httpx2")

CONFTEST = """
import base64

import httpx2
import openai
import pytest


def answer(request):
    png = base64.b64encode(bytes(range(256)) * 4).decode()
    return httpx2.Response(200, json={"created": 1767225600, "data": [{"b64_json": png}]})


@pytest.fixture
def client():
    transport = httpx2.MockTransport(answer)
    return openai.OpenAI(api_key="sk-test", http_client=httpx2.Client(transport=transport),
                         max_retries=0)
"""

TEST = """
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.replay(mock={"llm": "openai.resources.images.Images.edit"})
def test_edit(client):
    with open(HERE / "a.png", "rb") as a, open(HERE / "b.png", "rb") as b:
        client.images.edit(model="gpt-image-1", image=[a, b], prompt="put them side by side")
"""


def test_a_list_of_opened_files_read_by_the_sdk_is_no_change_in_place(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix: "MutatedArgumentWarning: call #1 to openai.resources.images.Images.edit
    # changed its argument `image` (a list) in place while recording ... leave it out with the
    # marker's ignore={...: ['image']}": the files, read to their end by the SDK, were stored
    # with nothing left to read, and ignoring `image` would stop comparing the uploads
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_edit=TEST)
    (pytester.path / "a.png").write_bytes(b"\\x89PNG first image")
    (pytester.path / "b.png").write_bytes(b"\\x89PNG second image")
    result = pytester.runpytest("--clearstone-record", "-W", "error::UserWarning")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*MutatedArgumentWarning*")
    pytester.runpytest().assert_outcomes(passed=1)
    (pytester.path / "b.png").write_bytes(b"\\x89PNG another image")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    changed = [line for line in result.outlines if "root['image'][1]['content']:" in line]
    assert changed and "second image' -> " in changed[0] and "another image'" in changed[0]
