"""Agents on ``requests`` talking to a real HTTP server (``http.server`` in a thread, answered
over a socket by urllib3 as in production), mocked at ``requests.Session.send``: recorded with
the server live and replayed with no connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.local_servers import serving

pytest.importorskip("requests")

COOKIE = "sid-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path}).encode()
        if self.path.startswith("/stream"):
            body = b"one\ntwo\nthree\n" * 2000
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", f"session={COOKIE}; Path=/; HttpOnly")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    with serving(server):
        yield server.server_address[1]


AGENT = """
import requests

SESSION = requests.Session()


def run(q):
    response = SESSION.get("http://127.0.0.1:{port}/search", params={{"q": q}})
    return {{"path": response.json()["path"], "type": response.headers["content-type"]}}
"""

TEST = """
import pytest

import cookie_agent


@pytest.mark.replay("goldens/cookie.ckpt", mock={"http": "requests.Session.send"})
def test_cookie(replay):
    assert replay.run(cookie_agent.run, "pytest")["path"] == "/search?q=pytest"
"""


def test_a_response_setting_a_cookie_records_redacted_and_replays(
    pytester: pytest.Pytester, port: int
) -> None:
    """Recording failed: the secret scan found the header's name ``Set-Cookie`` in the golden,
    as a value the redaction had noted as secret while walking the response's live urllib3
    response (whose header dict holds ``[name, value]`` lists)."""
    pytester.syspathinsert()
    pytester.makepyfile(cookie_agent=AGENT.format(port=port), test_cookie=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "cookie.ckpt"
    first = golden.read_bytes()
    assert COOKIE.encode() not in first
    response = json.loads(first)["trace"]["spans"][1]["output"]["v"]
    assert ["Set-Cookie", "<redacted>"] in response["headers"]
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


STREAMING = """
import json
import urllib.request

import requests

BASE = "http://127.0.0.1:{port}"


def lines(q):
    response = requests.get(BASE + "/stream", params={{"q": q}}, stream=True)
    return sum(1 for line in response.iter_lines() if line)


def fetch(q):
    with urllib.request.urlopen(BASE + "/search?q=" + q) as response:
        return json.load(response)["path"]
"""

STREAMING_TESTS = """
import pytest

import streaming


@pytest.mark.replay("goldens/lines.ckpt", mock={"http": "requests.Session.send"})
def test_lines(replay):
    assert replay.run(streaming.lines, "pytest") == 6000


@pytest.mark.replay("goldens/fetch.ckpt", mock={"http": "urllib.request.urlopen"})
def test_fetch(replay):
    replay.run(streaming.fetch, "pytest")
"""


def test_recording_leaves_an_unread_response_that_set_a_cookie_readable(
    pytester: pytest.Pytester, port: int
) -> None:
    """The agent's own response was closed under it while the call was recorded: the redaction
    copied the live response (an ``io`` object) to redact its ``Set-Cookie`` header, and the
    copy, collected, closed the connection both shared. ``stream=True`` then read a truncated
    body; ``urlopen``'s response raised ``ValueError: read of closed file`` in the agent instead
    of the message saying the response cannot be stored."""
    pytester.syspathinsert()
    pytester.makepyfile(streaming=STREAMING.format(port=port), test_streaming=STREAMING_TESTS)
    unencodable = "ignore::pytest_clearstone.errors.UnencodableValueWarning"
    result = pytester.runpytest("--clearstone-record", "-W", unencodable)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*cannot serialise the answer of call #1 to urllib.request.urlopen*"]
    )
    result.stdout.no_fnmatch_line("*closed file*")
    golden = (pytester.path / "goldens" / "lines.ckpt").read_text()
    assert COOKIE not in golden
    pytester.runpytest("-k", "lines").assert_outcomes(passed=1)


SESSIONS = """
import httpx
import requests

BASE = "http://127.0.0.1:{port}"


def with_requests(q):
    session = requests.Session()
    first = session.get(BASE + "/login")
    second = session.get(BASE + "/search", params={{"q": q}})
    return [first.json()["path"], second.json()["path"]]


def with_httpx(q):
    with httpx.Client() as client:
        first = client.get(BASE + "/login")
        second = client.get(BASE + "/search", params={{"q": q}})
        return [first.json()["path"], second.json()["path"]]
"""

SESSIONS_TESTS = """
import pytest

import sessions


@pytest.mark.replay("goldens/requests.ckpt", mock={"http": "requests.Session.send"})
def test_requests(replay):
    replay.run(sessions.with_requests, "pytest")


@pytest.mark.replay("goldens/httpx.ckpt", mock={"http": "httpx.Client.send"})
def test_httpx(replay):
    replay.run(sessions.with_httpx, "pytest")
"""


def test_a_cookie_a_mocked_response_set_is_not_a_divergence_of_the_next_request(
    pytester: pytest.Pytester, port: int
) -> None:
    """The replay failed with nothing changed (``headers['Cookie']: removed '<redacted>'``): the
    recorded second request carried the cookie the live first response set in the client's
    jar, which the mocked ``send`` (whose side effect that is) does not set when replaying."""
    pytester.syspathinsert()
    pytester.makepyfile(sessions=SESSIONS.format(port=port), test_sessions=SESSIONS_TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    for name in ("requests", "httpx"):
        golden = (pytester.path / "goldens" / f"{name}.ckpt").read_text()
        assert COOKIE not in golden
        assert '"Cookie",' in golden or '"cookie",' in golden  # (the second request sent it)
    pytester.runpytest().assert_outcomes(passed=2)


UPLOADS = """
import os

import httpx
import requests

BASE = "http://127.0.0.1:{port}"


def put(path):
    with open(path, "rb") as f:
        return requests.put(BASE + "/raw", data=f).status_code


def put_httpx(path):
    def chunks():
        with open(path, "rb") as f:
            yield from f
    with httpx.Client() as client:
        size = str(os.path.getsize(path))
        response = client.put(BASE + "/raw", content=chunks(), headers={{"Content-Length": size}})
        return response.status_code
"""

UPLOADS_TESTS = """
import pytest

import uploads


@pytest.mark.replay("goldens/put.ckpt", mock={"http": "requests.Session.send"})
def test_put(replay):
    assert replay.run(uploads.put, "report.txt") == 200


@pytest.mark.replay("goldens/put_httpx.ckpt", mock={"http": "httpx.Client.send"})
def test_put_httpx(replay):
    assert replay.run(uploads.put_httpx, "report.txt") == 200
"""


def test_a_request_streaming_a_file_replays(pytester: pytest.Pytester, port: int) -> None:
    """The replay of an unchanged agent diverged (``root['request'].unread: added True``): the
    body sent from a file (requests) or an iterator (httpx) is stored as unread, but the
    recorded request read back with no body, which compared as an empty one."""
    pytester.syspathinsert()
    pytester.makepyfile(uploads=UPLOADS.format(port=port), test_uploads=UPLOADS_TESTS)
    (pytester.path / "report.txt").write_text("quarterly numbers\n")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.runpytest().assert_outcomes(passed=2)
