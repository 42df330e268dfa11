"""NetworkGuard(during=...): a guard around something other than the test's call (its fixtures)
says what was running when it blocked a connection, and gives the fixture's fixes.

A blocked connection never leaves the process (the guard refuses it before ``connect``), so the
blocked ones here need no server; the allowed one goes to a listener of the test's own.
"""

from __future__ import annotations

import socket
import threading

import pytest

from pytest_clearstone.errors import NETWORK_HINT, NetworkBlockedError
from pytest_clearstone.golden.network import HostAllowList, NetworkGuard

SET_UP = "the set-up of fixture 'index' (session scope)"


def test_the_error_and_the_attempt_say_what_was_running() -> None:
    seen: list[str] = []

    def during() -> str:
        seen.append(threading.current_thread().name)
        return SET_UP

    guard = NetworkGuard(label="t.py::test_x", during=during)
    with guard, pytest.raises(NetworkBlockedError) as raised:
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    message = str(raised.value)
    assert message.startswith(
        f"t.py::test_x: {SET_UP} tried to connect to 127.0.0.1 port 9 during the replay; "
        "the network guard blocked it"
    )
    assert "Calls made by fixtures are neither recorded nor replayed" in message
    assert "clearstone_allow_hosts" in message and NETWORK_HINT not in message
    assert raised.value.during == SET_UP
    assert seen == [threading.current_thread().name]  # asked in the connecting thread
    assert [a.during for a in guard.attempts] == [SET_UP]
    error = guard.error()  # (the one to fail with when the fixture swallowed it)
    assert error is not None and str(error) == message and error.during == SET_UP


def test_without_during_the_message_is_the_calls() -> None:
    guard = NetworkGuard(label="t.py::test_x")
    with guard, pytest.raises(NetworkBlockedError) as raised:
        socket.create_connection(("192.0.2.1", 9), timeout=1)  # (TEST-NET-1: never reached)
    assert raised.value.during is None and guard.attempts[0].during is None
    assert str(raised.value).startswith("t.py::test_x tried to connect to 192.0.2.1 port 9")
    assert NETWORK_HINT in str(raised.value)


@pytest.mark.parametrize(
    ("address", "entry"),
    [
        (("127.0.0.1", 41327), "localhost"),
        (("::1", 41327, 0, 0), "localhost"),
        (("::ffff:127.0.0.1", 41327, 0, 0), "localhost"),
        (("127.0.0.2", 41327), "127.0.0.2"),
        (("::1%lo", 41327, 0, 0), "localhost"),  # (a zone names the interface, not the host)
        (("localhost", 41327), "localhost"),  # (a name given to connect itself)
    ],
)
def test_a_call_to_loopback_is_told_the_ini_line_without_the_port(
    address: tuple[object, ...], entry: str
) -> None:
    """A server on this machine (pytest-django's live_server) listens on a new port each run:
    the fix is an entry without the port the message names."""
    family = socket.AF_INET6 if ":" in str(address[0]) else socket.AF_INET
    guard = NetworkGuard(label="t.py::test_x")
    with guard, socket.socket(family) as sock, pytest.raises(NetworkBlockedError) as raised:
        sock.connect(address)
    message = str(raised.value)
    assert "port 41327 during the replay" in message and NETWORK_HINT not in message
    assert f"allow it with the ini line `clearstone_allow_hosts = {entry}` (no port" in message


def test_during_is_asked_only_for_a_blocked_connection_of_the_test(
    listener: socket.socket,
) -> None:
    asked: list[int] = []

    def during() -> str:
        asked.append(1)
        return SET_UP

    port = listener.getsockname()[1]
    ready, done = threading.Event(), threading.Event()
    refused: list[BaseException] = []

    def uploader() -> None:  # a thread that existed before the guard: a warning, not the test's
        ready.set()
        done.wait(5)
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=1)
        except OSError as exc:
            refused.append(exc)

    thread = threading.Thread(target=uploader)
    thread.start()
    ready.wait(5)
    allow = HostAllowList([f"127.0.0.1:{port}"])
    with allow.guard(label="t.py::test_x", during=during) as guard:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        done.set()
        thread.join(5)
    assert asked == []
    assert len(refused) == 1 and guard.error() is None and len(guard.warnings()) == 1


def test_the_error_of_several_blocked_calls_to_loopback_is_told_the_ini_line_too() -> None:
    guard = NetworkGuard(label="t.py::test_x")
    with guard:
        for port in (41327, 41328):  # (a live server the agent retried on another port)
            with pytest.raises(NetworkBlockedError):
                socket.create_connection(("127.0.0.1", port), timeout=1)
    error = guard.error()
    assert error is not None and "127.0.0.1 port 41328" in str(error)
    assert "allow it with the ini line `clearstone_allow_hosts = localhost` (no port" in str(error)
