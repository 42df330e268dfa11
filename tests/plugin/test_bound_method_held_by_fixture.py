"""An agent made by a session- or module-scoped fixture (before the test patched the class)
that keeps a bound method of a mock target (``self.complete = Client().create``): it calls
the method it bound, never the mock. A recording that made no call names the object holding
it, and one that called other targets warns (its calls would run live on every replay),
rather than telling to give mock= another import path."""

from __future__ import annotations

import pytest

APP = """
class Client:
    def create(self, prompt):
        return "answer to " + prompt

    def search(self, query):
        return ["hit for " + query]


class Agent:
    def __init__(self):
        client = Client()
        self.complete = client.create
        self.client = client

    def ask(self, question):
        return self.complete(question)

    def research(self, question):
        return [self.client.search(question), self.complete(question)]
"""

TESTS = """
import pytest

import app


@pytest.fixture(scope="session")
def agent():
    return app.Agent()


@pytest.mark.replay(mock={"llm": "app.Client.create"})
def test_ask(agent):
    assert agent.ask("hi") == "answer to hi"


@pytest.mark.replay(mock={"llm": "app.Client.create", "tool": "app.Client.search"})
def test_research(agent):
    assert agent.research("hi")
"""


def test_a_bound_method_held_by_an_agent_of_a_session_fixture_is_named(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the failure of the recording that called nothing, and the warning of the one
    # whose `create` calls were made live, name the app.Agent holding the bound method and
    # the fix (make it while the test runs); the failure only said to give mock= "the import
    # path where the agent looks the function up", and nothing warned about the live calls
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_held=TESTS)
    result = pytester.runpytest(
        "-p", "no:randomly", "-W", "default::UserWarning", "--clearstone-record"
    )
    result.assert_outcomes(failed=1, passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "test_held.py::test_ask: nothing was recorded: *",
            "  `app.Client.create` is also held by an app.Agent made before the test *: it "
            "calls the function it holds, never the mock. *make what holds it while the test "
            "runs*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*UncalledTargetWarning: test_held.py::test_research: the mock target "
            "'app.Client.create' was not called while recording; the function is also held by "
            "an app.Agent made before the test patched the name*"
        ]
    )
