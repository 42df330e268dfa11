"""A streamed HTTP response (``send(..., stream=True)``: ``client.stream(...)``, an SDK's
``stream=True``) answered by a mocked ``httpx.Client.send`` / ``AsyncClient.send``: its body
arrives only as the agent reads it, after the call returned."""

from __future__ import annotations

import gzip
import http.server
from collections.abc import Iterator

import pytest

from tests.local_servers import serving

pytest.importorskip("httpx")


class _Lines(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"".join(f"line {n}\n".encode() for n in range(3))
        zipped = self.path.endswith("/gz")
        if zipped:
            body = gzip.compress(body, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 5):  # in several chunks, as a live stream comes
            part = body[start : start + 5]
            self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Lines)
    with serving(server):
        yield server.server_address[1]


AGENT = """
import httpx

URL = "http://127.0.0.1:{port}/lines"


class Agent:
    def __init__(self):
        self.seen = []

    def run(self, path):
        with httpx.Client() as client:
            with client.stream("GET", URL + path) as response:
                self.seen.append([line for line in response.iter_lines()])
        return self.seen[-1]

    async def arun(self, path):
        async with httpx.AsyncClient() as client:
            async with client.stream("GET", URL + path) as response:
                self.seen.append([line async for line in response.aiter_lines()])
        return self.seen[-1]
"""

TESTS = """
import asyncio

import pytest

from lines import Agent

LINES = ["line 0", "line 1", "line 2"]


@pytest.mark.parametrize("path", ["", "/gz"])
@pytest.mark.replay(mock={"http": "httpx.Client.send"})
def test_sync(replay, path):
    assert replay.run(Agent().run, path) == LINES


@pytest.mark.parametrize("path", ["", "/gz"])
@pytest.mark.replay(mock={"http": "httpx.AsyncClient.send"})
def test_async(replay, path):
    assert asyncio.run(replay.run(Agent().arun, path)) == LINES
"""


def test_a_streamed_response_replays_the_body_the_agent_read(
    pytester: pytest.Pytester, port: int
) -> None:
    # Expected: the recording keeps the body the agent read from the stream (decompressed, as
    # a read response's), and the replay gives it back, with no connection made.
    # Before the fix: the response was stored when send() returned, before any of its body had
    # arrived ("unread": true), and the replay read an empty body: the golden mismatched on
    # every replay ("root[0]: removed 'line 0'"), and re-recording wrote the same.
    pytester.syspathinsert()
    pytester.makepyfile(lines=AGENT.format(port=port), test_lines=TESTS)
    # (in a subprocess, the async client's connection left to the garbage collector while
    # recording, whose ResourceWarning is none of this test's: see the hand-back of the fix)
    quiet = ("-W", "ignore::pytest.PytestUnraisableExceptionWarning")
    pytester.runpytest_subprocess(*quiet, "--clearstone-record").assert_outcomes(passed=4)
    goldens = sorted((pytester.path / "goldens" / "test_lines").iterdir())
    assert len(goldens) == 4
    assert not [g.name for g in goldens if '"unread"' in g.read_text()]
    result = pytester.runpytest_subprocess(*quiet)
    result.assert_outcomes(passed=4)
