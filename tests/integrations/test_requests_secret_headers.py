"""A ``requests.Session`` whose ``headers`` hold a secret under a header's name that only the
header rule covers (``X-Gateway-Key``, ``X-Hub-Signature-256``: as dict keys elsewhere, no key
rule covers them): redacted in the request a golden records (mocked at
``requests.Session.send``), in a tool's argument and in the agent's state, as httpx's headers
and a dict under ``headers`` are; the golden replays."""

from __future__ import annotations

import pytest

from .harness import Stack

requests = pytest.importorskip("requests")

#: (``CLEARSTONE-SECRET``: the harness looks for it in every file, pickles decoded)
GATEWAY = "gw-CLEARSTONE-SECRET-7f3a"
SIGNATURE = "sha256=CLEARSTONE-SECRET-0c1d"

APP = '''
"""A search tool over a requests session, with a fake adapter standing in for the API."""
import json
import os

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class FakeAPI(BaseAdapter):
    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict({"content-type": "application/json"})
        response._content = json.dumps({"items": ["clearstone"]}).encode()
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        response.reason = "OK"
        return response

    def close(self):
        pass


SESSION = requests.Session()
SESSION.mount("https://", FakeAPI())
SESSION.headers["X-Gateway-Key"] = os.environ["RQ_GATEWAY"]
SESSION.headers["X-Hub-Signature-256"] = os.environ["RQ_HUB"]


def search(q, headers):
    return SESSION.get("https://api.example/search", params={"q": q}, headers=headers).json()


class Agent:
    def __init__(self):
        self.headers = SESSION.headers
        self.found = []

    def run(self, q):
        self.found.extend(search(q, self.headers)["items"])
        return self.found
'''

TESTS = """
import pytest

import rq


@pytest.mark.replay("goldens/send.ckpt", mock={"tool": "requests.Session.send"})
def test_send(replay):
    assert replay.run(rq.Agent().run, "pytest") == ["clearstone"]


@pytest.mark.replay("goldens/tool.ckpt", mock={"tool": "rq.search"})
def test_tool(replay):
    assert replay.run(rq.Agent().run, "pytest") == ["clearstone"]
"""


@pytest.fixture
def stack(make_stack: object, monkeypatch: pytest.MonkeyPatch) -> Stack:
    stack: Stack = make_stack()  # type: ignore[operator]
    # (from the environment, under names no rule covers: no file holds them unless written)
    monkeypatch.setenv("RQ_GATEWAY", GATEWAY)
    monkeypatch.setenv("RQ_HUB", SIGNATURE)
    (stack.path / "rq.py").write_text(APP)
    stack.write_test("rq", TESTS)
    return stack


def test_a_session_s_secret_headers_are_redacted_in_the_request_argument_and_state(
    stack: Stack,
) -> None:
    # (the agent's state and the tool's argument hold the headers, which only a pickle stores)
    stack.try_record("--clearstone-allow-pickle").assert_outcomes(passed=2)
    stack.check_no_secret_on_disk()
    send = (stack.path / "goldens" / "send.ckpt").read_text()
    assert '"X-Gateway-Key",' in send and '"X-Hub-Signature-256",' in send
    stack.replay("--clearstone-allow-pickle").assert_outcomes(passed=2)
