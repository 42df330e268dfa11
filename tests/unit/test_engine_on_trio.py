"""``ReplayEngine.replay_from_checkpoint`` of a coroutine method inside a trio run (``trio.run``,
anyio's trio backend) returns an awaitable, as inside an asyncio loop.

Before the fix only a running asyncio loop was looked for: inside trio the engine ran the
method with ``asyncio.run()`` on trio's thread, and the agent's first trio checkpoint
(``trio.sleep``, ``anyio.sleep``) failed with ``RuntimeError: Task got bad yield:
WaitTaskRescheduled(...)``."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest

from pytest_clearstone.debugging import ReplayEngine

from .test_replay import AGENTS_DIR

trio = pytest.importorskip("trio")


class TrioAgent:
    def __init__(self) -> None:
        self.answers: list[str] = []

    async def ask(self, query: str) -> str:
        await trio.sleep(0)
        answer: str = await importlib.import_module("cs_tools").afetch(query)
        self.answers.append(answer)
        return answer


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    importlib.import_module("cs_tools")
    return importlib.import_module("cs_recording")


def test_an_async_method_replayed_inside_a_trio_run_is_awaited_there(
    recording: ModuleType,
) -> None:
    with recording.Recording() as rec, rec.step("step") as step:
        rec.call("tool", "afetch", {"query": "q"}, "async answer")
    engine = ReplayEngine(rec.checkpoint(TrioAgent(), step.span_id), strict=True)
    mock = {"tool": "cs_tools.afetch"}

    async def inside_trio() -> Any:
        return await engine.replay_from_checkpoint("ask", "q", mock_config=mock)

    assert trio.run(inside_trio) == "async answer"
    assert engine.agent.answers == ["async answer"]
