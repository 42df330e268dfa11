"""``mock.patch.object`` on an SDK client's resource object (``client.messages``), as users
write it, against a marker mocking the class's method (``Messages.create``).

The double is an attribute of the object itself, so it hides the class's method that the
recording patched and no call is recorded. Before the fix "nothing was recorded" named no
cause when the patch was made in a fixture, and told a test patching in its body to "patch it
in a fixture instead", which fails the same way. Now both name the object and the fix that
works: patch the class (the recording then sees the double's answers).
"""

from __future__ import annotations

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

AGENT = """
class Bot:
    def __init__(self, client):
        self.client = client
        self.log = []

    def ask(self, q):
        reply = self.client.messages.create(
            model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": q}]
        )
        self.log.append(reply.content[0].text)
        return reply.content[0].text
"""

TESTS = """
from unittest import mock

import anthropic
import pytest
from anthropic.types import Message

import bot_app

MSG = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
       "content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn",
       "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 1}}
MOCK = {"llm": "anthropic.resources.messages.Messages.create"}


@pytest.fixture
def client():
    c = anthropic.Anthropic(api_key="sk-ant-test-key")
    with mock.patch.object(c.messages, "create", return_value=Message.model_validate(MSG)):
        yield c


@pytest.fixture
def class_patched():
    with mock.patch.object(anthropic.resources.messages.Messages, "create",
                           return_value=Message.model_validate(MSG)):
        yield


@pytest.mark.replay(mock=MOCK)
def test_in_fixture(replay, client):
    assert replay.run(bot_app.Bot(client).ask, "hi") == "hello"


@pytest.mark.replay(mock=MOCK)
def test_in_body(replay):
    c = anthropic.Anthropic(api_key="sk-ant-test-key")
    with mock.patch.object(c.messages, "create", return_value=Message.model_validate(MSG)):
        assert replay.run(bot_app.Bot(c).ask, "hi") == "hello"


@pytest.mark.replay(mock=MOCK)
def test_the_fix(replay, class_patched):
    client = anthropic.Anthropic(api_key="sk-ant-test-key")
    assert replay.run(bot_app.Bot(client).ask, "hi") == "hello"
"""


def test_a_method_patched_on_the_object_is_named_with_the_fix(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(bot_app=AGENT, test_it=TESTS)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=2, passed=1)  # the fix records
    result.stdout.fnmatch_lines(
        [
            "test_it.py::test_in_fixture: nothing was recorded*",
            "  `fixture client.messages` has its own `create` (mock.patch.object on the object, "
            "not on its class): it hides `anthropic.resources.messages.Messages.create`*"
            "Patch the class instead, in a fixture*",
            "test_it.py::test_in_body: nothing was recorded*",
            "  does the test patch `create` on an object*also from a fixture: patch the class "
            "instead*",
        ]
    )
    result.stdout.no_fnmatch_line("*patch it in a fixture instead*")
    # the fix replays too
    pytester.runpytest("-k", "the_fix").assert_outcomes(passed=1)
