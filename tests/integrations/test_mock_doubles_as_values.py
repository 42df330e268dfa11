"""``unittest.mock`` doubles (``mocker.MagicMock`` is the same class) as values a recording
meets, rather than as mock targets: a ``MagicMock`` given to the agent as its ``openai``
client, and the default answer of a ``mock.patch`` double given no ``return_value``.

A golden cannot hold a double (no replay could rebuild it), so the recording is refused. The
refusal named the value and then dill's ``PicklingError`` ("it's not the same object as
unittest.mock.MagicMock"), and for an answer the fix to teach the codec the double's type;
now it names the double and the fixes that work: a real client whose HTTP a mock transport
answers, or a ``return_value`` for the double that answered the call.
"""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

AGENT = """
def call_llm(client, question):
    return client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": question}]
    )


def classify(question):
    raise RuntimeError("the live service: not reachable from the tests")


class Bot:
    def __init__(self, client):
        self.client = client
        self.log = []

    def ask(self, question):
        reply = call_llm(self.client, question)
        self.log.append(reply.choices[0].message.content)
        return self.log[-1]

    def label(self, question):
        self.log.append(str(classify(question)))
        return "done"
"""

CLIENT_TESTS = """
from unittest import mock

import openai
import pytest

import bot_app

DOUBLES = {
    "magic": lambda: mock.MagicMock(),
    "non_callable": lambda: mock.NonCallableMagicMock(),
    "spec": lambda: mock.MagicMock(spec=openai.OpenAI),
    "autospec": lambda: mock.create_autospec(openai.OpenAI, instance=True),
}


@pytest.mark.parametrize("kind", sorted(DOUBLES))
@pytest.mark.replay(mock={"llm": "bot_app.call_llm"})
def test_client(replay, kind):
    replay.run(bot_app.Bot(DOUBLES[kind]()).ask, "capital of France?")
"""

ANSWER_TESTS = """
from unittest import mock

import pytest

import bot_app


@pytest.fixture
def classifier():
    with mock.patch("bot_app.classify") as double:  # (no return_value)
        yield double


@pytest.mark.replay(mock={"tool": "bot_app.classify"})
def test_label(replay, classifier):
    assert replay.run(bot_app.Bot(None).label, "capital of France?") == "done"
"""


def test_a_mock_client_in_the_agent_state_is_refused_naming_a_real_client(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(bot_app=AGENT, test_client=CLIENT_TESTS)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=4)
    for kind in ("MagicMock", "NonCallableMagicMock"):
        result.stdout.fnmatch_lines(
            [
                f"E * cannot serialise state?'client'? (a unittest.mock.{kind}): it is a "
                "unittest.mock double, which a golden cannot hold (no replay could rebuild "
                "it): give the agent the real object in its place (an SDK client such as "
                "openai.OpenAI(http_client=httpx2.Client(transport=httpx2.MockTransport("
                "handler))), whose HTTP the mock transport answers, is stored as a "
                "reference)*Make the value JSON-friendly, exclude it from get_state()*"
            ]
        )
    result.stdout.no_fnmatch_line("*dill cannot pickle*")
    result.stdout.no_fnmatch_line("*PicklingError*")
    assert not (pytester.path / "goldens").exists()


def test_a_double_without_return_value_names_the_answer_to_give_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(bot_app=AGENT, test_answer=ANSWER_TESTS)
    result = pytester.runpytest("--clearstone-record", "-W", "default")  # (the warning below)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise the answer of call #1 to bot_app.classify (a "
            "unittest.mock.MagicMock): it is a unittest.mock double, which a golden cannot "
            "hold (no replay could rebuild it): a double that is given no return_value answers "
            "with a new MagicMock. Give the double that answered bot_app.classify "
            "(mock.patch, mocker.patch) a return_value or side_effect of what the real call "
            "returns*"
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*UnencodableValueWarning: storing the repr of a unittest.mock.MagicMock value: it "
            "is a unittest.mock double*a double that made it by answering a call (its answer "
            "when given no return_value) needs a return_value of what the real call returns"
        ]
    )
    result.stdout.no_fnmatch_line("*teach the codec*")
    result.stdout.no_fnmatch_line("*dill cannot pickle*")
    assert not (pytester.path / "goldens").exists()
