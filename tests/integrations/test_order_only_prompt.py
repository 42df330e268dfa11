"""An agent on the real ``openai`` SDK whose system prompt joins a set of tags: replayed in a
process whose set order differs, the failure says that only the order of the items differs,
at the SDK method and at ``httpx2.Client.send`` alike (where the message lists sit among the
call's other arguments: the client, the request object)."""

from __future__ import annotations

import pytest

from .harness import Stack

# the process's set order, played by an environment variable (the runs share one process)
AGENT = """
import os

import openai

import services


def tags():
    tags = ["billing", "refund", "urgent", "vip"]
    return tags[::-1] if os.environ.get("OTHER_HASH_ORDER") else tags


class Agent:
    def __init__(self):
        self.client = openai.OpenAI(
            api_key="sk-test", http_client=services.OPENAI.client(), max_retries=0
        )

    def run(self, q):
        r = self.client.chat.completions.create(model="gpt-4o-mini", messages=[
            {"role": "system", "content": "Tags: " + ", ".join(tags())},
            {"role": "user", "content": q}])
        return r.choices[0].message.content
"""

TEST = """
import pytest

import tagged


@pytest.mark.replay("goldens/sdk.ckpt",
                    mock={"llm": "openai.resources.chat.completions.Completions.create"})
def test_sdk(replay):
    replay.run(tagged.Agent().run, "hi")


@pytest.mark.replay("goldens/http.ckpt", mock={"http": "httpx2.Client.send"})
def test_http(replay):
    replay.run(tagged.Agent().run, "hi")
"""


def test_a_prompt_joining_a_set_in_another_order_names_the_cause_at_both_layers(
    make_stack: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "tagged.py").write_text(AGENT)
    stack.write_test("tagged", TEST)
    stack.record().assert_outcomes(passed=2)
    monkeypatch.setenv("OTHER_HASH_ORDER", "1")
    result = stack.replay()
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert out.count("Only the order of the items differs") == 2
    assert "The prompt or arguments changed" not in out
