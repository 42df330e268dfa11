"""An agent whose mocked calls, or whose connections, happen in another process: the plugin's
patches live in the test's process, so each such case fails with one clear error (naming the
call, the process and the fix) rather than hanging, calling live or writing a golden that
cannot replay."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from pytest_clearstone.errors import (
    NetworkBlockedError,
    NetworkBlockedWarning,
    ReplayExhaustedError,
)

ROOT = str(Path(__file__).resolve().parents[2])


@pytest.fixture
def subprocess_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs in a subprocess import this worktree's package."""
    monkeypatch.setenv("PYTHONPATH", ROOT)


POOL_NETWORK = """
import multiprocessing
import socket


def complete(prompt):
    return "answer to " + prompt


def fetch(url):
    socket.create_connection(("192.0.2.1", 443), timeout=0.2).close()  # (TEST-NET: unroutable)
    return url


class Agent:
    def handle(self, message):
        answer = complete(message)
        if RUN_IN_POOL:
            with multiprocessing.get_context("fork").Pool(1) as pool:
                pool.map(fetch, ["https://example.com"])
        return answer
"""

POOL_NETWORK_TEST = """
import pytest
from poolnet import Agent

@pytest.mark.replay("goldens/net.ckpt", mock={"llm": "poolnet.complete"})
def test_net(replay):
    assert replay.run(Agent().handle, "hi") == "answer to hi"
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("subprocess_env")
def test_a_connection_blocked_in_a_fork_pool_worker_fails_the_test_rather_than_hanging(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(poolnet="RUN_IN_POOL = False\n" + POOL_NETWORK, test_net=POOL_NETWORK_TEST)
    pytester.runpytest_subprocess("--clearstone-record", timeout=120).assert_outcomes(passed=1)
    pytester.makepyfile(poolnet="RUN_IN_POOL = True\n" + POOL_NETWORK)
    # the worker's NetworkBlockedError crosses back to the pool: it must come back whole (an
    # error that cannot be unpickled kills the pool's result thread, and map() waits forever)
    result = pytester.runpytest_subprocess(timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*NetworkBlockedError: test_net.py::test_net tried to connect to 192.0.2.1 port 443*"]
    )


def test_the_plugins_errors_and_warnings_survive_pickling() -> None:
    """multiprocessing and concurrent.futures send a worker's exception back pickled."""
    for error in (
        NetworkBlockedError("192.0.2.1", 443, "test_x.py::test_x", name="api.example.com"),
        ReplayExhaustedError("app.complete", 1, 2, node_id="test_x.py::test_x"),
        NetworkBlockedWarning("192.0.2.1", 443, "test_x.py::test_x"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.__dict__ == error.__dict__
