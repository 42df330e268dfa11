"""Fixtures shared by the tracing tests: a file trace store and a tracer writing to it.

A test module defining a fixture of the same name (e.g. an in-memory provider) overrides these.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_clearstone.observability import Tracer, TracerProvider


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
