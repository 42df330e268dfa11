"""Agents on ``requests``, mocked at ``requests.Session.send`` or at a tool returning the
``requests.Response``: recorded readably without pickles, replayed as ``requests`` objects, and
a changed request diverges."""

from __future__ import annotations

import json

import pytest

from .harness import Stack

requests = pytest.importorskip("requests")

TOKEN = "ghp_0123456789abcdefABCDEF0123456789abcd"

SEARCH = '''
"""A search tool over requests, with a fake adapter standing in for the API."""
import json

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

LIVE = []


class FakeAPI(BaseAdapter):
    def send(self, request, **kwargs):
        LIVE.append(request.url)
        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict({"content-type": "application/json",
                                                "x-ratelimit-remaining": "59"})
        items = [{"name": "clearstone", "q": request.url}]
        response._content = json.dumps({"items": items}).encode()
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        response.reason = "OK"
        return response

    def close(self):
        pass


SESSION = requests.Session()
SESSION.mount("https://", FakeAPI())
SESSION.headers["Authorization"] = "token ghp_0123456789abcdefABCDEF0123456789abcd"


def search(q) -> requests.Response:
    return SESSION.get("https://api.github.example/search", params={"q": q})


class Agent:
    def __init__(self):
        self.found = []

    def run(self, q):
        r = search(q)
        self.found.extend(i["name"] for i in r.json()["items"])
        return {"status": r.status_code, "type": type(r).__name__,
                 "remaining": r.headers["X-RateLimit-Remaining"], "sent": r.request.url}
'''

TESTS = """
import pytest

import rq


@pytest.fixture(autouse=True)
def _fresh():
    rq.LIVE.clear()


@pytest.mark.replay("goldens/send.ckpt", mock={"tool": "requests.Session.send"})
def test_send(replay):
    result = replay.run(rq.Agent().run, "pytest")
    assert result["status"] == 200 and result["type"] == "Response"
    assert result["sent"] == "https://api.github.example/search?q=pytest"
    assert rq.LIVE == ([] if replay.mode == "replay" else [result["sent"]])


@pytest.mark.replay("goldens/tool.ckpt", mock={"tool": "rq.search"})
def test_tool(replay):
    result = replay.run(rq.Agent().run, "pytest")
    assert result["remaining"] == "59" and result["type"] == "Response"
    assert rq.LIVE == ([] if replay.mode == "replay" else [result["sent"]])
"""


@pytest.fixture
def stack(make_stack: object) -> Stack:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "rq.py").write_text(SEARCH)
    stack.write_test("rq", TESTS)
    return stack


def test_records_and_replays_without_pickles_or_the_token(stack: Stack) -> None:
    stack.try_record().assert_outcomes(passed=2)
    for _ in range(2):
        stack.replay().assert_outcomes(passed=2)
    stack.check_goldens_readable()
    for golden in stack.goldens():
        text = golden.read_text()
        assert '"module": "requests"' in text
        assert TOKEN not in text
    send = json.loads((stack.path / "goldens" / "send.ckpt").read_text())
    request = send["trace"]["spans"][1]["input"]["v"]["request"]
    assert request["url"] == "https://api.github.example/search?q=pytest"


@pytest.mark.parametrize("options", [(), ("--clearstone-allow-pickle",)], ids=["", "pickles"])
def test_a_changed_query_diverges_at_send(stack: Stack, options: tuple[str, ...]) -> None:
    """It replayed green: the prepared request, with no readable form, was compared by type."""
    stack.try_record(*options).assert_outcomes(passed=2)
    stack.edit("rq", 'params={"q": q}', 'params={"q": q.upper()}')
    result = stack.replay("-k", "send", *options)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*requests.Session.send*"])
    result.stdout.fnmatch_lines(["*q=pytest*q=PYTEST*"])
