"""A file upload mocked at ``httpx2.Client.send``: httpx draws a multipart body's boundary from
``os.urandom``, so each run sends another ``Content-Type`` header and body. The golden stores
the body (with its files' content) and a fixed boundary: it replays, re-records byte for byte,
and a changed upload diverges."""

from __future__ import annotations

import json

import pytest

from .harness import Stack

pytest.importorskip("httpx2")

API = '''
"""A tool uploading a file over httpx2 (a mock transport standing in for the API)."""
import io

import httpx2

CONTENT = b"quarterly numbers"


def handler(request):
    request.read()
    return httpx2.Response(200, json={"id": "file-1", "bytes": len(request.content)})


CLIENT = httpx2.Client(transport=httpx2.MockTransport(handler))


class Agent:
    def run(self, name):
        files = {"file": (name, io.BytesIO(CONTENT), "text/plain")}
        return CLIENT.post("https://api.example/v1/files", files=files,
                           data={"purpose": "search"}).json()
'''

TEST = """
import pytest

import api


@pytest.mark.replay("goldens/upload.ckpt", mock={"tool": "httpx2.Client.send"})
def test_it(replay):
    assert replay.run(api.Agent().run, "q3.txt")["id"] == "file-1"
"""


def _request(stack: Stack) -> dict[str, object]:
    (golden,) = stack.goldens()
    spans = json.loads(golden.read_text())["trace"]["spans"]
    (call,) = [span for span in spans if span["name"] == "httpx2.Client.send"]
    request: dict[str, object] = call["input"]["v"]["request"]
    return request


def test_an_upload_replays_and_re_records_byte_for_byte(make_stack: object) -> None:
    """Its replay diverged on every run at the Content-Type header's boundary (the golden held
    the body as unread), and every re-record wrote another boundary into the golden."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "api.py").write_text(API)
    stack.write_test("api", TEST)
    stack.try_record().assert_outcomes(passed=1)
    (golden,) = stack.goldens()
    first = golden.read_text()
    request = _request(stack)
    assert "quarterly numbers" in str(request.get("text"))  # the file's content is stored
    stack.replay().assert_outcomes(passed=1)
    stack.try_record().assert_outcomes(passed=1)
    second = golden.read_text()
    without_times = [
        [line for line in text.splitlines() if "time_ns" not in line] for text in (first, second)
    ]
    assert without_times[0] == without_times[1]


def test_a_changed_upload_of_the_same_length_diverges(make_stack: object) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "api.py").write_text(API)
    stack.write_test("api", TEST)
    stack.try_record().assert_outcomes(passed=1)
    stack.edit("api", 'b"quarterly numbers"', 'b"quarterly NUMBERS"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*httpx2.Client.send*"])
    result.stdout.fnmatch_lines(["*NUMBERS*"])


REQUESTS_API = '''
"""A tool uploading a file over requests (a fake adapter standing in for the API)."""
import io
import json

import requests
from requests.adapters import BaseAdapter

CONTENT = b"quarterly numbers"


class FakeAPI(BaseAdapter):
    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"id": "file-1"}).encode()
        response.request = request
        return response

    def close(self):
        pass


SESSION = requests.Session()
SESSION.mount("https://", FakeAPI())


class Agent:
    def run(self, name):
        files = {"file": (name, io.BytesIO(CONTENT), "text/plain")}
        return SESSION.post("https://api.example/v1/files", files=files).json()
'''

REQUESTS_TEST = TEST.replace("httpx2.Client.send", "requests.Session.send")


def test_an_upload_over_requests_replays_and_a_changed_one_diverges(make_stack: object) -> None:
    """requests (urllib3) draws its multipart boundary from ``os.urandom`` too."""
    pytest.importorskip("requests")
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "api.py").write_text(REQUESTS_API)
    stack.write_test("api", REQUESTS_TEST)
    stack.try_record().assert_outcomes(passed=1)
    stack.replay().assert_outcomes(passed=1)
    stack.edit("api", 'b"quarterly numbers"', 'b"quarterly NUMBERS"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*requests.Session.send*", "*NUMBERS*"])
