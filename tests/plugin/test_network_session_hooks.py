"""The network guard patches ``socket`` once per session, not per test: from the first replaying
test to the end of the run the same patched functions are in place (a test's guard only joins
and leaves the guards they ask), connections outside a guard go through, and the originals are
back when the session ends.
"""

from __future__ import annotations

import json
import socket
import textwrap

import pytest

AGENT = """
def complete(prompt):
    return "answer to " + prompt


class Agent:
    def ask(self, question):
        return complete(question)
"""

CONFTEST = """
import json
import socket

import pytest

SEEN = []


def note(where):
    SEEN.append([where, id(socket.socket.connect), id(socket.getaddrinfo)])


@pytest.fixture
def watched(request):
    note(request.node.name + " set-up")
    yield
    note(request.node.name + " teardown")


def pytest_sessionfinish(session):
    with open("seen.json", "w") as f:
        json.dump(SEEN, f)
"""

TESTS = """
import socket

import pytest

import agent
from conftest import note


def test_before(watched):
    note("test_before call")


@pytest.mark.replay(mock={{"llm": "agent.complete"}})
@pytest.mark.parametrize("question", ["one", "two", "three"])
def test_ask(replay, watched, question):
    note(f"test_ask[{{question}}] call")
    assert replay.run(agent.Agent().ask, question) == "answer to " + question


def test_after(watched):
    note("test_after call")
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()  # not guarded
"""


def test_socket_is_patched_once_for_the_session_and_restored_after_it(
    pytester: pytest.Pytester,
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        pytester.syspathinsert()
        pytester.makepyfile(
            agent=AGENT, test_agent=textwrap.dedent(TESTS.format(port=listener.getsockname()[1]))
        )
        pytester.makeconftest(textwrap.dedent(CONFTEST))
        original = (socket.socket.connect, socket.getaddrinfo)
        pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=5)
        result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
        result.assert_outcomes(passed=5)
        assert (socket.socket.connect, socket.getaddrinfo) == original  # restored at the end
    finally:
        listener.close()
    seen = json.loads((pytester.path / "seen.json").read_text())
    ids = {where: (connect, getaddrinfo) for where, connect, getaddrinfo in seen}
    assert ids["test_before set-up"] == (id(original[0]), id(original[1]))  # nothing replayed yet
    replaying = [ids[w] for w, *_ in seen if w.startswith("test_ask")]
    assert len(replaying) == 9  # set-up, call, teardown of each
    assert len(set(replaying)) == 1 and replaying[0] != ids["test_before set-up"]
    # held to the session's end: the test after them sees the same functions, which let it
    # connect (no guard is active)
    assert ids["test_after call"] == replaying[0]
