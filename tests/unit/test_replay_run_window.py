"""``Replay.run`` works only between ``start()`` and ``stop()``, while the mock targets are
patched: outside, it raises before the agent runs (it would run live, unrecorded)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_clearstone.errors import ClearstoneError
from pytest_clearstone.golden.replay import Replay
from pytest_clearstone.tracing import TracerProvider

CALLS: list[str] = []


def complete(prompt: str) -> str:
    CALLS.append(prompt)
    return prompt.upper()


MOCK = {"llm": f"{__name__}.complete"}


@pytest.fixture(autouse=True)
def _no_calls() -> None:
    CALLS.clear()


def _recording(path: Path) -> Replay:
    tracer = TracerProvider(":memory:").get_tracer("t")
    return Replay(path, MOCK, mode="record", node_id="t.py::test_x", tracer=tracer)


@pytest.mark.parametrize("mode", ["record", "replay"])
def test_run_before_start_raises_naming_the_test_and_the_fix(tmp_path: Path, mode: str) -> None:
    if mode == "record":
        replay = _recording(tmp_path / "g.ckpt")
    else:
        replay = Replay(tmp_path / "g.ckpt", MOCK, mode="replay", node_id="t.py::test_x")
    with pytest.raises(ClearstoneError) as caught:
        replay.run(complete, "hi")
    assert str(caught.value).startswith(
        "t.py::test_x: replay.run() was called before the test's call, from a fixture's set-up"
    )
    assert "Call replay.run() in the test function" in str(caught.value)
    assert CALLS == []


def test_run_after_stop_raises_and_between_works(tmp_path: Path) -> None:
    replay = _recording(tmp_path / "g.ckpt")
    replay.start()
    try:
        assert replay.run(complete, "hi") == "HI"
    finally:
        replay.stop()
    with pytest.raises(ClearstoneError, match="after the test's call, from a fixture's teardown"):
        replay.run(complete, "again")
    assert CALLS == ["hi"]
    assert sys.modules[__name__].complete is complete  # (unpatched)
