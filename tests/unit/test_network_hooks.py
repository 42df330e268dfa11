"""The network guard's ``socket`` patches are shared: held for a whole replaying session, a
guard starting or stopping patches nothing, and the originals come back when the last holder
lets go. One guard can watch one phase after another (a test's fixtures, its call, their
teardown), each phase's blocked connections its own.

A blocked connection never leaves the process (the guard refuses it before ``connect``); the
allowed ones go to a listener of the test's own.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from pytest_clearstone.errors import NetworkBlockedError
from pytest_clearstone.golden import network
from pytest_clearstone.golden.network import NetworkGuard, hold_socket_hooks


def _patched() -> tuple[Any, Any, Any]:
    return socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _connect(port: int) -> None:
    socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_while_held_a_guard_patches_nothing_and_still_blocks(listener: socket.socket) -> None:
    original = _patched()
    release = hold_socket_hooks()
    try:
        held = _patched()
        assert all(h is not o for h, o in zip(held, original, strict=True))
        for _ in range(2):  # the same functions before, while and after each guard is active
            guard = NetworkGuard(label="t.py::test_x")
            with guard:
                assert all(p is h for p, h in zip(_patched(), held, strict=True))
                with pytest.raises(NetworkBlockedError):
                    _connect(9)
            assert all(p is h for p, h in zip(_patched(), held, strict=True))
            assert [a.port for a in guard.attempts] == [9]
        _connect(listener.getsockname()[1])  # no guard active: the patched connect lets it be
    finally:
        release()
    assert all(p is o for p, o in zip(_patched(), original, strict=True))
    assert vars(socket.socket).keys().isdisjoint({"connect", "connect_ex"})  # inherited again


def test_holders_are_counted_and_a_release_counts_once() -> None:
    original = _patched()
    first, second = hold_socket_hooks(), hold_socket_hooks()
    held = _patched()
    first()
    first()  # (a second call does nothing: the other holder still holds them)
    assert all(p is h for p, h in zip(_patched(), held, strict=True))
    with NetworkGuard():  # a guard holds them too, and lets go on exit
        pass
    assert all(p is h for p, h in zip(_patched(), held, strict=True))
    second()
    assert all(p is o for p, o in zip(_patched(), original, strict=True))


def test_a_guard_alone_patches_on_entry_and_restores_on_exit() -> None:
    original = _patched()
    with NetworkGuard():
        assert all(p is not o for p, o in zip(_patched(), original, strict=True))
    assert all(p is o for p, o in zip(_patched(), original, strict=True))


def test_nested_guards_are_both_asked_the_newest_first() -> None:
    outer = NetworkGuard(["127.0.0.1:9"], label="outer")  # allows what the inner one blocks
    inner = NetworkGuard(label="inner")
    with outer, inner, pytest.raises(NetworkBlockedError) as raised:
        _connect(9)
    assert raised.value.test == "inner"
    assert [a.port for a in inner.attempts] == [9] and outer.attempts == []
    blocking = NetworkGuard(label="outer")
    with blocking, NetworkGuard(["127.0.0.1:9"]), pytest.raises(NetworkBlockedError) as raised:
        _connect(9)
    assert raised.value.test == "outer" and [a.port for a in blocking.attempts] == [9]


def test_a_connection_both_nested_guards_block_is_the_newest_ones() -> None:
    outer, inner = NetworkGuard(label="outer"), NetworkGuard(label="inner")
    with outer, inner, pytest.raises(NetworkBlockedError) as raised:
        _connect(9)
    assert raised.value.test == "inner"
    assert [a.port for a in inner.attempts] == [9] and outer.attempts == []
    assert outer.error() is None


def test_a_failed_lookup_is_checked_by_every_nested_guard() -> None:
    outer = NetworkGuard(["api.example.invalid"], label="outer")  # allows what inner blocks
    inner = NetworkGuard(label="inner")
    with outer, inner, pytest.raises(NetworkBlockedError) as raised:
        socket.getaddrinfo("api.example.invalid", 443)
    assert raised.value.test == "inner" and outer.attempts == []


def test_a_guard_started_again_keeps_only_the_new_phase_attempts() -> None:
    release = hold_socket_hooks()
    try:
        guard = NetworkGuard(label="t.py::test_x", during=lambda: "the set-up of its fixtures")
        with guard, pytest.raises(NetworkBlockedError):
            _connect(9)
        first = guard.error()
        assert first is not None and first.during == "the set-up of its fixtures"
        guard.during = None  # (its call)
        with guard, pytest.raises(NetworkBlockedError) as raised:
            _connect(10)
    finally:
        release()
    assert raised.value.during is None
    assert [(a.port, a.during) for a in guard.attempts] == [(10, None)]  # the set-up's are gone
    error = guard.error()
    assert error is not None and error.port == 10 and "port 9" not in str(error)


def test_a_phase_with_nothing_blocked_reports_nothing_after_one_that_blocked() -> None:
    guard = NetworkGuard(label="t.py::test_x")
    with guard, pytest.raises(NetworkBlockedError):
        _connect(9)
    assert guard.error() is not None
    with guard:
        pass
    assert guard.error() is None and guard.warnings() == [] and guard.attempts == []


def test_a_capture_of_connect_made_while_active_blocks_nothing_afterwards(
    listener: socket.socket,
) -> None:
    """Code that kept ``socket.socket.connect`` while a guard ran (a library caching the method)
    connects as usual once no guard is active."""
    with NetworkGuard():
        kept = socket.socket.connect
    sock = socket.socket()
    try:
        kept(sock, ("127.0.0.1", listener.getsockname()[1]))
    finally:
        sock.close()


def test_a_failed_install_leaves_socket_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    original = _patched()
    real = network.PatchStack.setattr

    def failing(self: Any, owner: Any, name: str, value: Any) -> None:
        if name == "connect_ex":
            raise RuntimeError("halfway")
        real(self, owner, name, value)

    monkeypatch.setattr(network.PatchStack, "setattr", failing)
    with pytest.raises(RuntimeError, match="halfway"):
        hold_socket_hooks()
    monkeypatch.undo()
    assert all(p is o for p, o in zip(_patched(), original, strict=True))
    with NetworkGuard():  # (and nothing counts the failed hold: the next guard installs afresh)
        assert socket.socket.connect is not original[0]
    assert all(p is o for p, o in zip(_patched(), original, strict=True))


def test_host_names_seen_while_a_guard_runs_name_the_address() -> None:
    with NetworkGuard(label="t.py::test_x"), pytest.raises(NetworkBlockedError) as raised:
        socket.create_connection(("localhost", 9), timeout=1)
    assert raised.value.name == "localhost"


def test_a_thread_started_during_one_phase_is_the_tests_in_that_phase_only() -> None:
    """Threads are noted each time the guard starts: one a fixture started (a server polling
    out) is the test's during the set-up and a background thread during the call."""
    go, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def poller() -> None:
        while go.wait(5):
            go.clear()
            try:
                _connect(9)
            except Exception as exc:  # (NetworkBlockedError, ConnectionRefusedError)
                errors.append(exc)
            done.set()

    guard = NetworkGuard(label="t.py::test_x")
    with guard:
        thread = threading.Thread(target=poller, daemon=True)
        thread.start()
        go.set()
        assert done.wait(5)
    assert [type(e) for e in errors] == [NetworkBlockedError]
    assert guard.error() is not None
    done.clear()
    with guard:  # the next phase: the thread existed before it began
        go.set()
        assert done.wait(5)
    assert type(errors[1]) is ConnectionRefusedError
    assert guard.error() is None and len(guard.warnings()) == 1
