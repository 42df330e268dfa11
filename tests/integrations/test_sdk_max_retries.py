"""The SDKs' own retries (``max_retries``) mocked at ``httpx2.Client.send``: a recorded run that
was rate-limited twice before it was answered replays its 429s in order, and an agent whose
client now retries fewer times fails naming the recorded request it no longer sends (not only
with the ``RateLimitError`` the SDK made from the replayed 429, which reads as if the service
had answered on replay)."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

FLAKY = """
import os

import httpx2

import services

BUSY = {"left": 2}


def handler(request):
    # rate-limited BUSY["left"] times (a short retry-after-ms, which the SDK waits), then the
    # fake service answers; sealed, the service's own handler fails the replay
    if not os.environ.get(services.SEALED_ENV) and BUSY["left"] > 0:
        BUSY["left"] -= 1
        limited = services.OPENAI.rate_limited(f"busy{BUSY['left']}")
        limited.headers["retry-after-ms"] = "10"
        services.OPENAI.requests.append({"path": request.url.path, "body": {}})
        return limited
    return services.OPENAI.handler(request)
"""

TEST = """
import httpx2
import openai
import pytest

import flaky

RETRIES = 2


@pytest.fixture(autouse=True)
def _busy():
    flaky.BUSY["left"] = 2


class Agent:
    def __init__(self, client):
        self.client = client
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    def ask(self, question):
        response = self.client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
        )
        self.answers.append(response.choices[0].message.content)
        return self.answers[-1]


@pytest.mark.replay("goldens/retries.ckpt", mock={"http": "httpx2.Client.send"})
def test_it(replay):
    client = openai.OpenAI(
        http_client=httpx2.Client(transport=httpx2.MockTransport(flaky.handler)),
        max_retries=RETRIES,
    )
    assert replay.run(Agent(client).ask, "Lisbon?") == "Answer to 'Lisbon?'"
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    stack = make_stack()
    stack.pytester.makepyfile(flaky=FLAKY)
    stack.write_test("retries", TEST)
    return stack


def test_the_sdks_retries_replay_in_order(stack):
    stack.roundtrip()
    golden = stack.goldens()[0].read_text()
    assert golden.count('"status_code": 429') == 2, golden


def test_a_client_that_retries_less_fails_naming_the_request_not_sent(stack):
    # Expected: the replayed send #2 answered the recorded 429, the SDK (now retrying once) gave
    # up with the RateLimitError made from it, and the test fails naming the recorded send #3
    # it no longer makes and that answer. Before the fix: "openai.RateLimitError: Error code:
    # 429 - ..." alone, and record-diverged did not re-record the test.
    stack.record()
    stack.edit("test_retries", "RETRIES = 2", "RETRIES = 1")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *UnusedResponsesError: the replay made fewer calls than the recording:",
            "*httpx2.Client.send: 2 of 3 recorded response(s) used",
            "*call #3 * was not made*",
            "*the run raised openai.RateLimitError: Error code: 429*, holding the answer "
            "recorded for call #2 to httpx2.Client.send, replayed: a retry layer that now "
            "gives up sooner (*an SDK client's max_retries=)*",
        ]
    )
