"""Fixtures shared by the unit tests: a file trace store and a tracer writing to it (the tracing
tests), a TCP listener on 127.0.0.1 (the network guard's tests), and no secret values left
noted as withheld by an earlier test (the redaction tests list the values they see).

A test module defining a fixture of the same name (e.g. an in-memory provider) overrides these.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_clearstone.codec import withheld
from pytest_clearstone.observability import Tracer, TracerProvider


@pytest.fixture(autouse=True)
def _forget_withheld() -> None:
    """The codec notes the secrets it withholds (SDK client keys, secret headers) for the
    process; a test that lists the secret values seen starts with none."""
    withheld.forget()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "traces.db"


@pytest.fixture
def provider(db: Path) -> Iterator[TracerProvider]:
    p = TracerProvider(db)
    yield p
    p.shutdown()


@pytest.fixture
def tracer(provider: TracerProvider) -> Tracer:
    return provider.get_tracer("agent")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket listening on 127.0.0.1 (a port of its own): somewhere allowed connections go."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()
