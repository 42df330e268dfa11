"""The network guard: a replaying test cannot reach the network outside its mock targets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest


@pytest.fixture
def server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (a close alone would not)
    listener.close()
    thread.join(timeout=5)


AGENT = """
import socket

PORT = {port}


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def handle(self, message):
        answer = complete(message)
        try:  # an unmocked call the agent makes itself, its error swallowed (as a retry would)
            socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
        except Exception:
            pass
        return answer
"""

TEST = """
import pytest
from netapp import Agent

@pytest.mark.replay("goldens/net.ckpt", mock={"llm": "netapp.complete"})
def test_net(replay):
    assert replay.run(Agent().handle, "hi") == "answer to hi"
"""


@pytest.fixture
def project(pytester: pytest.Pytester, server: int) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(netapp=AGENT.format(port=server), test_net=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)  # record never blocks
    return pytester


def test_a_connection_during_replay_fails_the_test_even_when_swallowed(
    project: pytest.Pytester, server: int
) -> None:
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*NetworkBlockedError*127.0.0.1*{server}*"])
    # (not a divergence: re-recording would not stop the connection, see below)
    assert "diverged" not in result.stdout.str()


def test_a_blocked_connection_names_the_function_called_and_where_the_agent_called_it(
    project: pytest.Pytester,
) -> None:
    # Expected: the error names the unmocked function the agent's code called that opened the
    # connection, and the agent's line that called it, the one to mock or change. Before the
    # fix: only the host and port, the test and the thread, with "mock the function that makes
    # this call" and no word of which.
    line = (
        AGENT.strip("\n")
        .splitlines()
        .index('            socket.create_connection(("127.0.0.1", PORT), timeout=2).close()')
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*  made by: socket.create_connection, called at netapp.py:{line + 1} (in Agent.handle)"]
    )


def test_record_diverged_does_not_re_record_a_test_the_guard_blocked(
    project: pytest.Pytester, server: int
) -> None:
    # Expected: a blocked connection is not a divergence: re-recording cannot fix it (the call
    # it blocked is not mocked, so the next replay blocks it again), so record-diverged leaves
    # the golden as it is and the test fails, naming the connection.
    # Before the fix: the test was counted as diverged, re-recorded live (its connection then
    # reached the network), reported "re-recorded (diverged on replay)" and passed; the next
    # replay in CI failed again the same way.
    golden = project.path / "goldens" / "net.ckpt"
    before = golden.read_bytes()
    result = project.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*NetworkBlockedError*127.0.0.1*{server}*"])
    assert "re-recorded" not in result.stdout.str()
    assert golden.read_bytes() == before


def test_a_swallowed_connection_that_changed_the_result_is_reported_as_the_failure(
    project: pytest.Pytester, server: int
) -> None:
    # Expected: the blocked connection is the failure, also when the agent's fallback for it
    # changed what replay.run() returns (the test's own failure is shown as its context).
    # Before the fix: only "GoldenMismatchError: the replayed result differs" was reported.
    project.makepyfile(
        netapp=AGENT.format(port=server).replace(
            "        except Exception:\n            pass\n        return answer",
            "        except Exception:\n            return 'offline'\n        return answer",
        )
    )
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GoldenMismatchError: the replayed result differs*",
            "*root: 'answer to hi' -> 'offline'",
            "*During handling of the above exception, another exception occurred*",
            f"*NetworkBlockedError*127.0.0.1*{server}*",
        ]
    )


def test_allow_network_turns_the_guard_off(project: pytest.Pytester) -> None:
    project.runpytest("--clearstone-allow-network").assert_outcomes(passed=1)


def test_an_allowed_host_may_be_reached(project: pytest.Pytester, server: int) -> None:
    project.makeini(f"[pytest]\nclearstone_allow_hosts =\n    127.0.0.1:{server}\n")
    project.runpytest().assert_outcomes(passed=1)


def test_allowed_host_names_are_resolved_once_per_session(
    pytester: pytest.Pytester, server: int
) -> None:
    """Each replaying test starts a guard; the names it allows are looked up once, not once per
    test (a DNS lookup per test would cost more than the replay)."""
    pytester.syspathinsert()
    pytester.makepyfile(netapp=AGENT.format(port=server))
    pytester.makepyfile(
        test_net="""
        import pytest
        from netapp import Agent

        @pytest.mark.parametrize("n", range(3))
        @pytest.mark.replay(mock={"llm": "netapp.complete"})
        def test_net(replay, n):
            assert replay.run(Agent().handle, "hi") == "answer to hi"
        """
    )
    pytester.makeconftest(
        """
        import socket

        lookups = []
        _getaddrinfo = socket.getaddrinfo

        def counting(host, *args, **kwargs):
            lookups.append(host)
            return _getaddrinfo(host, *args, **kwargs)

        socket.getaddrinfo = counting

        def pytest_sessionfinish(session):
            print(f"\\nlookups of localhost: {lookups.count('localhost')}")
        """
    )
    pytester.makeini(f"[pytest]\nclearstone_allow_hosts =\n    localhost:{server}\n")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=3)
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*lookups of localhost: 1"])


def test_a_bad_allow_hosts_line_is_a_usage_error(project: pytest.Pytester) -> None:
    # Expected: like a bad clearstone_mock or redaction line, a usage error at start naming
    # the line; it failed every replaying test with a ValueError traceback instead
    project.makeini("[pytest]\nclearstone_allow_hosts =\n    not a host!!:99999\n")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*clearstone_allow_hosts: 'not a host!!:99999' is not a host name, an IP address*"]
    )


UPLOADER = """
import socket
import threading

import pytest

PORT = {port}
go = threading.Event()
done = threading.Event()


def upload():  # a telemetry uploader: a thread started before the test, at import
    go.wait()
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
    except OSError:
        pass
    done.set()


threading.Thread(target=upload, daemon=True).start()
"""

UPLOADING_AGENT = """
import uploader


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def handle(self, message):
        uploader.go.set()
        uploader.done.wait(5)
        return complete(message)
"""


@pytest.mark.parametrize(
    "filterwarnings",
    ["ignore::pytest_clearstone.errors.NetworkBlockedWarning", "ignore::UserWarning"],
)
def test_a_background_threads_blocked_connection_warns_with_its_documented_category(
    pytester: pytest.Pytester, server: int, filterwarnings: str
) -> None:
    """The warning is a ``NetworkBlockedWarning`` (a ``UserWarning``), as the docs say: a suite
    with ``filterwarnings = error`` that ignores it by that category stays green."""
    pytester.syspathinsert()
    pytester.makepyfile(
        uploader=UPLOADER.format(port=server),
        netapp=UPLOADING_AGENT,
        test_net=TEST,
        conftest="import uploader\n",
    )
    pytester.makeini(f"[pytest]\nfilterwarnings =\n    error\n    {filterwarnings}\n")
    # (in processes of their own, as a suite runs: in-process runs each import the plugin's
    # modules again after the one before, and the filter's class may not be the raised one's)
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_a_background_threads_blocked_connection_is_a_network_blocked_warning(
    pytester: pytest.Pytester, server: int
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        uploader=UPLOADER.format(port=server),
        netapp=UPLOADING_AGENT,
        test_net=TEST,
        conftest="import uploader\n",
    )
    pytester.runpytest("--clearstone-record", "-p", "no:warnings").assert_outcomes(passed=1)
    result = pytester.runpytest("-W", "default")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*NetworkBlockedWarning: a background thread*127.0.0.1*"])


OFFLINE_AGENT = """
import os
import socket

import httpx


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def handle(self, message):
        answer = complete(message)
        if os.environ.get("AGENT_CALLS_OUT") == "raw":  # an unmocked call, not swallowed
            socket.create_connection(("api.example.invalid", 443), timeout=2).close()
        if os.environ.get("AGENT_CALLS_OUT") == "httpx":  # one swallowed, as a retry would
            try:
                httpx.get("https://api.example.invalid/v1/search", timeout=2)
            except httpx.HTTPError:
                pass
        return answer
"""


@pytest.mark.parametrize("how", ["raw", "httpx"])
def test_a_connection_whose_name_does_not_resolve_is_blocked_as_online(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A CI runner without DNS (a container with no network, a build sandbox): the agent's
    unmocked call fails at the name's lookup, before any ``connect`` the guard watches.

    Expected: the replay fails as it does where the name resolves, with the guard's
    ``NetworkBlockedError`` naming the host and port and saying the name did not resolve, also
    when the agent swallowed the error (``.invalid`` never resolves, here or anywhere).
    Before the fix: the raw call failed with ``socket.gaierror`` (no word of the guard or of
    the mock to add), and the swallowed one replayed green offline while failing online."""
    pytester.syspathinsert()
    pytester.makepyfile(netapp=OFFLINE_AGENT, test_net=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("AGENT_CALLS_OUT", how)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*NetworkBlockedError: test_net.py::test_net tried to connect to "
            "api.example.invalid port 443 during the replay; the network guard blocked it",
            "*the name did not resolve here (*): blocked at its lookup*",
        ]
    )
    assert "gaierror" not in result.stdout.str().split("NetworkBlockedError", 1)[1]


def test_a_name_that_does_not_resolve_but_is_allowed_fails_as_it_did(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An allowed host is the user's to reach: its failed lookup is the lookup's own error."""
    pytester.syspathinsert()
    pytester.makepyfile(netapp=OFFLINE_AGENT, test_net=TEST)
    pytester.makeini("[pytest]\nclearstone_allow_hosts =\n    api.example.invalid:443\n")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("AGENT_CALLS_OUT", "raw")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*gaierror*"])
    assert "NetworkBlockedError" not in result.stdout.str()
