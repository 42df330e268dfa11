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


DEAD_AGENT_TESTS = """
import gc

import pytest

import app


def test_leaves_a_dead_agent():
    agent = app.Agent()
    agent.me = agent  # (a reference cycle: only the collector's pass frees it)
    gc.collect()  # (it survives into the oldest generation, as a long test's objects do)
    del agent  # dead from here on, not collected yet


@pytest.mark.replay(mock={"llm": "app.Client.create", "tool": "app.Client.search"})
def test_search_only():
    assert app.Client().search("q") == ["hit for q"]
"""

COLLECTOR_PAUSED = """
import gc


def pytest_configure(config):
    gc.disable()  # (no full pass of the collector runs between the two tests by chance)


def pytest_unconfigure(config):
    gc.enable()
"""


def test_a_dead_agent_not_yet_collected_is_not_named_as_holding_a_target(
    pytester: pytest.Pytester,
) -> None:
    # Expected: an agent an earlier test left in a reference cycle is garbage, whatever the
    # collector has not freed yet; it calls nothing. The recording that did not call
    # `create` warned that an app.Agent made before the test holds it (under -W error, the
    # recording failed), because the garbage collector's referrers include dead cycles
    pytester.syspathinsert()
    pytester.makeconftest(COLLECTOR_PAUSED)
    pytester.makepyfile(app=APP, test_dead=DEAD_AGENT_TESTS)
    result = pytester.runpytest("-p", "no:randomly", "-W", "error", "--clearstone-record")
    result.assert_outcomes(passed=2)


DEAD_HOLDER_OF_A_FUNCTION = """
import gc

import pytest

import tools


class Agent:
    def __init__(self):
        self.tool = tools.search  # (held in an attribute: what a graph's node does)
        self.me = self  # (a reference cycle: only the collector's pass frees it)


def test_leaves_a_dead_agent():
    agent = Agent()
    gc.collect()  # (it survives into the oldest generation, as a long test's objects do)
    del agent  # dead from here on, not collected yet


@pytest.mark.replay(mock={"llm": "tools.complete", "tool": "tools.search"})
def test_complete_only():
    assert tools.complete("q") == "answer to q"
"""


def test_a_dead_object_not_yet_collected_is_not_named_as_holding_a_function_target(
    pytester: pytest.Pytester,
) -> None:
    # Expected: as above, for a module's function an object keeps in an attribute (what a
    # session then remembers per function): the warning named the dead test_dead.Agent
    pytester.syspathinsert()
    pytester.makeconftest(COLLECTOR_PAUSED)
    pytester.makepyfile(
        tools="def complete(q):\n    return 'answer to ' + q\n\n\n"
        "def search(q):\n    return ['hit for ' + q]\n",
        test_dead=DEAD_HOLDER_OF_A_FUNCTION,
    )
    result = pytester.runpytest("-p", "no:randomly", "-W", "error", "--clearstone-record")
    result.assert_outcomes(passed=2)
