"""An agent asking openai for small embeddings as base64 (``encoding_format="base64"``,
``dimensions=8`` to ``32``) and keeping the strings in its state records: the strings are taken
for the packed float32 numbers they are, not for secrets. A random token of that length is
still refused.

Before the fix, the embeddings were exempt only inside the answer's ``embedding`` objects: kept
in the state, each string of 44 to 172 characters failed the recording as "a high-entropy
string".
"""

from __future__ import annotations

import pytest

from tests.integrations.harness import OPENAI_KEY

APP = '''
import base64
import json
import struct

import httpx2
import openai


def fake_embeddings(request):
    """The embeddings' HTTP goes to this stand-in: small numbers, as a model's are."""
    body = json.loads(request.content)
    data = []
    for i, text in enumerate(body["input"]):
        numbers = [((len(text) * 7 + j * 13) % 19 - 9) / 23.0 for j in range(body["dimensions"])]
        packed = struct.pack(f"<{len(numbers)}f", *numbers)
        data.append({"object": "embedding", "index": i,
                     "embedding": base64.b64encode(packed).decode()})
    return httpx2.Response(200, json={"object": "list", "data": data, "model": body["model"],
                                      "usage": {"prompt_tokens": 3, "total_tokens": 3}})


class Agent:
    def __init__(self, dims):
        self.client = openai.OpenAI(http_client=httpx2.Client(
            transport=httpx2.MockTransport(fake_embeddings)), max_retries=0)
        self.dims = dims
        self.vectors = []
        self.session = None

    def get_state(self):
        return {"vectors": self.vectors, "session": self.session}

    def load_state(self, state):
        self.vectors, self.session = state["vectors"], state["session"]

    def handle(self, question):
        answer = self.client.embeddings.create(
            model="text-embedding-3-small", input=[question, question + "?"],
            encoding_format="base64", dimensions=self.dims)
        self.vectors = [item.embedding for item in answer.data]
        return len(self.vectors)
'''

TEST = """
import pytest
from b64_agent import Agent


@pytest.mark.parametrize("dims", [8, 12, 32])
@pytest.mark.replay(mock={"embed": "openai.resources.embeddings.Embeddings.create"})
def test_embed(replay, dims):
    assert replay.run(Agent(dims).handle, "how long do refunds take") == 2
"""


def test_base64_embeddings_kept_in_the_state_are_not_secrets(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    pytester.syspathinsert()
    pytester.makepyfile(b64_agent=APP, test_b64_agent=TEST)
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=3)
    pytester.runpytest().assert_outcomes(passed=3)


def test_a_random_token_of_that_length_is_still_refused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    pytester.syspathinsert()
    token = "Zm9vQmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVG"
    app = APP.replace(
        "        return len(self.vectors)",
        f"        self.session = {token!r}\n        return len(self.vectors)",
    )
    pytester.makepyfile(b64_agent=app, test_b64_agent=TEST.replace("[8, 12, 32]", "[8]"))
    refused = pytester.runpytest("--clearstone-record")
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(["*root[[]'session'[]] (a high-entropy string, 72 chars)*"])
