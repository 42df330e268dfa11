"""An agent whose mocked calls, or whose connections, happen in another process: the plugin's
patches live in the test's process, so each such case fails with one clear error (naming the
call, the process and the fix) rather than hanging, calling live or writing a golden that
cannot replay."""

from __future__ import annotations

import json
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


def test_every_error_and_warning_of_the_plugin_pickles_whole() -> None:
    """Each class ``pytest_clearstone.errors`` defines unpickles without its ``__init__`` (whose
    parameters are not its message): one raised in a pool's worker comes back pickled."""
    from pytest_clearstone import errors

    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
    ]
    assert classes
    plain = [c.__name__ for c in classes if c.__reduce__ is BaseException.__reduce__]
    assert plain == []


WORKERS = """
import concurrent.futures
import multiprocessing
import os

LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "live.log")


def lookup(sku):
    with open(LOG, "a") as log:
        log.write(f"{sku} ")
    return {"sku": sku, "stock": len(sku)}


def work(sku):
    return lookup(sku)["stock"]


class Agent:
    def handle(self, skus):
        first = lookup("first")["stock"]
        if WHERE == "pool":
            with multiprocessing.get_context("fork").Pool(1) as pool:
                rest = pool.map(work, skus)
        elif WHERE == "executor":
            context = multiprocessing.get_context("fork")
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as executor:
                rest = list(executor.map(work, skus))
        else:
            rest = [work(sku) for sku in skus]
        return [first, *rest]
"""

WORKERS_TEST = """
import pytest
from workers import Agent

@pytest.mark.replay("goldens/stock.ckpt", mock={"tool": "workers.lookup"})
def test_stock(replay):
    assert replay.run(Agent().handle, ["a", "bb"]) == [5, 1, 2]
"""

CHILD_CALL = (
    "*ChildProcessCallError: workers.lookup was called in process *, which the test's process "
    "(*) forked while test_stock.py::test_stock was {action}: *Mock the function that starts "
    "the child or hands it the work*run the work in threads while testing*"
)


def _workers(pytester: pytest.Pytester, where: str) -> None:
    pytester.makepyfile(workers=f"WHERE = {where!r}\n" + WORKERS)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("subprocess_env")
def test_recording_a_mocked_call_made_in_a_fork_pool_worker_fails_naming_the_process(
    pytester: pytest.Pytester,
) -> None:
    """It used to write a golden holding only the parent's call (the worker's went live,
    recorded in the worker's memory and lost), which no replay could answer."""
    _workers(pytester, "pool")
    pytester.makepyfile(test_stock=WORKERS_TEST)
    result = pytester.runpytest_subprocess("--clearstone-record", timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([CHILD_CALL.format(action="recording")])
    # (the error the pool handed back is the child's, told once: not raised again over it)
    result.stdout.no_fnmatch_line("*During handling of the above exception*")
    assert not (pytester.path / "goldens" / "stock.ckpt").exists()
    assert (pytester.path / "live.log").read_text() == "first "  # (none made in the worker)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("subprocess_env")
def test_replaying_a_mocked_call_moved_into_a_fork_process_pool_fails_naming_the_process(
    pytester: pytest.Pytester,
) -> None:
    """It used to answer the worker from the worker's copy of the recording, and fail the test
    for answers 'never used' by calls the agent did make."""
    _workers(pytester, "here")
    pytester.makepyfile(test_stock=WORKERS_TEST)
    pytester.runpytest_subprocess("--clearstone-record", timeout=120).assert_outcomes(passed=1)
    (pytester.path / "live.log").unlink()
    _workers(pytester, "executor")
    result = pytester.runpytest_subprocess(timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([CHILD_CALL.format(action="replaying")])
    result.stdout.no_fnmatch_line("*never used*")
    assert not (pytester.path / "live.log").exists()


@pytest.mark.usefixtures("subprocess_env")
def test_nothing_recorded_from_a_spawned_worker_names_the_process_not_only_the_path(
    pytester: pytest.Pytester,
) -> None:
    """A spawn pool's worker imports the agent's module afresh, unpatched: its calls go live
    and unrecorded. The message said only to fix mock='s path, which was right."""
    pytester.makepyfile(
        workers=WORKERS.replace('lookup("first")["stock"]', "5").replace('"fork"', '"spawn"'),
        test_stock=WORKERS_TEST,
    )
    pytester.makepyfile(workers="WHERE = 'pool'\n" + (pytester.path / "workers.py").read_text())
    result = pytester.runpytest_subprocess("--clearstone-record", timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*",
            "*does the agent make these calls in another process? `workers` uses "
            "multiprocessing*neither recorded nor replayed*Mock the function that starts the "
            "child or hands it the work*",
        ]
    )


FORKING = """
import os
import socket

LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "live.log")


def lookup(sku):
    with open(LOG, "a") as log:
        log.write(f"{sku} ")
    return {"sku": sku, "stock": len(sku)}


def in_child(work):
    pid = os.fork()
    if pid == 0:  # the child: whatever happens, it ends here, and says nothing
        try:
            work()
        except BaseException:
            pass
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def connect():
    socket.create_connection(("192.0.2.1", 443), timeout=0.2).close()


class Agent:
    def handle(self, sku):
        first = lookup(sku)["stock"]
        if CHILD == "lookup":
            in_child(lambda: lookup("child"))
        elif CHILD == "connect":
            in_child(connect)
        return first
"""

FORKING_TEST = """
import pytest
from forking import Agent

@pytest.mark.replay("goldens/fork.ckpt", mock={"tool": "forking.lookup"})
def test_fork(replay):
    assert replay.run(Agent().handle, "abc") == 3
"""


def _forking(pytester: pytest.Pytester, child: str) -> None:
    pytester.makepyfile(forking=f"CHILD = {child!r}\n" + FORKING)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("subprocess_env")
def test_a_refused_call_an_os_fork_child_swallowed_still_fails_the_recording(
    pytester: pytest.Pytester,
) -> None:
    """The child swallows everything and ends with os._exit: the recording passed, writing a
    golden without the child's call."""
    _forking(pytester, "lookup")
    pytester.makepyfile(test_fork=FORKING_TEST)
    result = pytester.runpytest_subprocess("--clearstone-record", timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ChildProcessCallError: forking.lookup was called in process *, which the test's "
            "process (*) forked while test_fork.py::test_fork was recording*"
        ]
    )
    assert not (pytester.path / "goldens" / "fork.ckpt").exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("subprocess_env")
def test_a_call_or_connection_an_os_fork_child_swallowed_still_fails_the_replay(
    pytester: pytest.Pytester,
) -> None:
    _forking(pytester, "none")
    pytester.makepyfile(test_fork=FORKING_TEST)
    pytester.runpytest_subprocess("--clearstone-record", timeout=120).assert_outcomes(passed=1)
    _forking(pytester, "lookup")
    result = pytester.runpytest_subprocess(timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*ChildProcessCallError: forking.lookup was called in process *was replaying*"]
    )
    _forking(pytester, "connect")
    result = pytester.runpytest_subprocess(timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*NetworkBlockedError: test_fork.py::test_fork tried to connect to 192.0.2.1 port 443*"]
    )
    _forking(pytester, "none")  # (and a test whose child did nothing wrong passes)
    pytester.runpytest_subprocess(timeout=120).assert_outcomes(passed=1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("subprocess_env")
def test_a_call_an_os_fork_child_swallowed_is_the_failure_of_a_test_that_then_fails(
    pytester: pytest.Pytester,
) -> None:
    """What the test failed on after the child swallowed its error (here its assertion) is
    shown as what followed the child's error, which is the failure."""
    _forking(pytester, "none")
    pytester.makepyfile(test_fork=FORKING_TEST)
    pytester.runpytest_subprocess("--clearstone-record", timeout=120).assert_outcomes(passed=1)
    _forking(pytester, "lookup")
    pytester.makepyfile(test_fork=FORKING_TEST.replace("== 3", "== 4"))
    result = pytester.runpytest_subprocess(timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*assert 3 == 4*",
            "*During handling of the above exception, another exception occurred*",
            "*ChildProcessCallError: forking.lookup was called in process *was replaying*",
        ]
    )


CHILD_RANDOM = """
import multiprocessing
import random


def complete(prompt):
    return "answer to " + prompt


def draw(conn):
    conn.send([random.random(), random.randint(0, 10**9)])
    conn.close()


class Agent:
    def __init__(self):
        self.drawn = []

    def handle(self, message):
        answer = complete(message)
        context = multiprocessing.get_context("fork")
        for _ in range(2):  # (two children, each with a stream of its own)
            receiving, sending = context.Pipe(duplex=False)
            child = context.Process(target=draw, args=(sending,))
            child.start()
            self.drawn.append(receiving.recv())
            child.join()
        self.drawn.append(random.random())
        return answer
"""

CHILD_RANDOM_TEST = """
import pytest
from childrandom import Agent

@pytest.mark.replay("goldens/random.ckpt", mock={"llm": "childrandom.complete"})
def test_random(replay):
    replay.run(Agent().handle, "hi")
    drawn = replay.agent.drawn
    assert drawn[0] != drawn[1]  # (the children do not repeat each other's numbers)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("subprocess_env")
def test_a_forked_child_draws_the_same_random_numbers_when_recorded_and_replayed(
    pytester: pytest.Pytester,
) -> None:
    """CPython reseeds `random` in a forked child from the OS: a child's numbers differed on
    every run, and a replay of an unchanged agent failed on its final state."""
    pytester.makepyfile(childrandom=CHILD_RANDOM, test_random=CHILD_RANDOM_TEST)
    pytester.runpytest_subprocess("--clearstone-record", timeout=120).assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "random.ckpt"
    first = golden.read_text()
    pytester.runpytest_subprocess(timeout=120).assert_outcomes(passed=1)
    pytester.runpytest_subprocess("--clearstone-record", timeout=120).assert_outcomes(passed=1)
    recorded = json.loads(first)["outcome"]
    assert json.loads(golden.read_text())["outcome"] == recorded


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.usefixtures("subprocess_env")
def test_a_child_error_too_long_for_one_write_is_told_cut_with_a_mark(
    pytester: pytest.Pytester,
) -> None:
    # (a test id of 4,000 characters, a parameter's: the message is cut to one write the
    # pipe never interleaves with another child's, and says so)
    _forking(pytester, "lookup")
    pytester.makepyfile(
        test_fork=FORKING_TEST.replace(
            "def test_fork(replay):",
            "@pytest.mark.parametrize('case', [1], ids=['c' * 4000])\ndef test_fork(replay, case):",
        )
    )
    result = pytester.runpytest_subprocess("--clearstone-record", timeout=120)
    result.assert_outcomes(failed=1)
    (line,) = [line for line in result.stdout.lines if line.startswith("E ") and "ccc" in line]
    assert "ChildProcessCallError: forking.lookup was called in process " in line
    assert line.endswith("c [...]") and len(line) < 3100
