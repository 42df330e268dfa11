"""The network guard beside the plugins that patch ``socket`` too: pytest-socket (installed,
it is loaded into every run through its entry point, flags or not; asked for here with
``-p socket`` in a subprocess, as the suite's runs leave it out: tests/inner_runs.py) and
pytest-recording's ``--block-network``."""

from __future__ import annotations

import pytest

from tests.plugin.test_network_guard import AGENT
from tests.plugin.test_network_guard import server as server  # (the TCP server it counts on)

TESTS = """
import pytest
from netapp import Agent

@pytest.mark.parametrize("n", range(3))
@pytest.mark.replay(mock={"llm": "netapp.complete"})
def test_net(replay, n):
    assert replay.run(Agent().handle, "hi") == "answer to hi"
"""

#: each plugin, the arguments that load and configure it
PLUGINS = {
    "pytest-socket": ("pytest_socket", ("-p", "socket")),
    "pytest-socket-allow-hosts": ("pytest_socket", ("-p", "socket", "--allow-hosts", "127.0.0.1")),
    "pytest-recording-block-network": ("pytest_recording", ("--block-network",)),
}


@pytest.mark.parametrize("plugin", PLUGINS)
def test_every_replaying_test_is_guarded_beside_another_socket_guard(
    pytester: pytest.Pytester, server: int, plugin: str
) -> None:
    # Expected: each replaying test's connection is blocked, whatever the other plugin does
    # to socket.socket.connect before and after each test.
    # Before the fix: pytest-socket's teardown put back the connect it saw at its import after
    # every test, so only the first replay was guarded; pytest-recording's --block-network
    # fixture replaced the guard's patch while the test ran (with its own guard, which lets
    # loopback through to the connect it saw at import), so none was: the later replays
    # connected to the server (their agent swallowed the error) and passed.
    module, args = PLUGINS[plugin]
    pytest.importorskip(module)
    pytester.syspathinsert()
    pytester.makepyfile(netapp=AGENT.format(port=server), test_net=TESTS)
    pytester.runpytest_subprocess(*args, "--clearstone-record").assert_outcomes(passed=3)
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=3)
    assert result.stdout.str().count("NetworkBlockedError: test_net.py::test_net[") >= 3
