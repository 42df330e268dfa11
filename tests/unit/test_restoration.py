"""After any failure inside a replay, nothing stays patched.

For every way a replay can fail (an exception recorded for a target and raised again, a bug in
the agent, an exception in the user's code inside the context, KeyboardInterrupt, a replay
error, a failure while entering, a failure in record mode) the clock is real again, the global
random state is what it was before, ``uuid.uuid4`` and ``random.Random.seed`` are the originals
and every patched target is the original function.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine

from pytest_clearstone.debugging import Checkpoint, DeterministicExecutionContext, ReplayEngine
from pytest_clearstone.errors import ReplayDivergenceError, ReplayExhaustedError
from pytest_clearstone.golden.replay import Replay
from pytest_clearstone.observability import TracerProvider
from pytest_clearstone.tracing.span import Recorded, Span
from pytest_clearstone.tracing.trace import Trace

FROZEN = dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc)
TARGET = f"{__name__}.fetch"
LIVE: dict[str, Any] = {"raise": None}


class ToolFailed(Exception):
    """An importable exception type: a replay raises this very type again."""


def fetch(query: str) -> str:
    """The live target (record mode); replays patch it."""
    if LIVE["raise"] is not None:
        raise LIVE["raise"]
    return f"live answer to {query}"


async def afetch(query: str) -> str:
    return fetch(query)


class Agent:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def run(self, mode: str) -> str:
        self.seen += [time.time(), random.random(), str(uuid.uuid4())]
        answer = fetch("q")
        if mode == "agent-error":
            raise RuntimeError("a bug in the agent")
        if mode == "interrupt":
            raise KeyboardInterrupt
        return answer

    async def arun(self, mode: str) -> str:
        self.seen.append(time.time())
        answer = await afetch("q")
        if mode == "agent-error":
            raise RuntimeError("a bug in the async agent")
        return answer


@dataclass
class Snapshot:
    random_state: Any
    uuid_code: Any
    seed: Any
    targets: dict[str, Any]


def _snapshot() -> Snapshot:
    module = sys.modules[__name__]
    return Snapshot(
        random.getstate(),
        uuid.uuid4.__code__,
        random.Random.__dict__["seed"],
        {name: module.__dict__[name] for name in ("fetch", "afetch")},
    )


def _assert_restored(before: Snapshot) -> None:
    assert not time_machine.escape_hatch.is_travelling()
    assert time.time() > FROZEN.timestamp() + 86400 * 365  # the real clock, not 2001
    assert dt.datetime.now(dt.timezone.utc).year > FROZEN.year
    assert random.getstate() == before.random_state
    assert uuid.uuid4.__code__ is before.uuid_code
    assert not hasattr(uuid, "_clearstone_uuid4")
    assert random.Random.__dict__["seed"] is before.seed
    module = sys.modules[__name__]
    for name, original in before.targets.items():
        assert module.__dict__[name] is original, f"{name} is still patched"


@pytest.fixture
def before() -> Iterator[Snapshot]:
    random.seed(1234)  # a known state to compare with (the test's own, not a seeded replay)
    LIVE["raise"] = None
    snapshot = _snapshot()
    yield snapshot
    LIVE["raise"] = None


def _checkpoint(*, output: Any = None, error: BaseException | None = None) -> Checkpoint:
    root = Span(trace_id="a" * 32, span_id="1" * 16, parent_span_id=None, name="root",
                start_time_ns=1, end_time_ns=9)  # fmt: skip
    llm = Span(trace_id="a" * 32, span_id="2" * 16, parent_span_id="1" * 16, name="fetch",
               span_type="tool", start_time_ns=2, end_time_ns=3,
               input=Recorded.of({"query": "q"}))  # fmt: skip
    if error is not None:
        llm.record_exception(error)
    else:
        llm.set_output(output)
    return Checkpoint(
        checkpoint_id="ckpt_" + "c" * 32,
        state=Recorded.of({"seen": []}),
        agent_class_name="Agent",
        agent_module=__name__,
        trace=Trace("a" * 32, [root, llm]),
        span_id="1" * 16,
        timestamp=FROZEN,
    )


def _replay(checkpoint: Checkpoint, mode: str, *, strict: bool = False, target: str = TARGET,
            method: str = "run") -> Any:  # fmt: skip
    engine = ReplayEngine(checkpoint, strict=strict)
    return engine.replay_from_checkpoint(method, mode, mock_config={"tool": target})


def test_the_checks_see_every_patch_while_the_context_is_active(before: Snapshot) -> None:
    """The control: inside the context each restored-check would fail."""
    module = sys.modules[__name__]
    with DeterministicExecutionContext(FROZEN, {TARGET: ["x"]}):
        assert time_machine.escape_hatch.is_travelling()
        assert time.time() == FROZEN.timestamp()
        assert random.getstate() != before.random_state
        assert uuid.uuid4.__code__ is not before.uuid_code
        assert random.Random.__dict__["seed"] is not before.seed
        assert module.__dict__["fetch"] is not before.targets["fetch"]
    _assert_restored(before)


# -- one test per way of failing ------------------------------------------------------------
def test_a_recorded_exception_raised_again_by_a_target(before: Snapshot) -> None:
    with pytest.raises(ToolFailed, match="tool down"):
        _replay(_checkpoint(error=ToolFailed("tool down")), "ok")
    _assert_restored(before)


def test_an_exception_in_the_agent(before: Snapshot) -> None:
    with pytest.raises(RuntimeError, match="a bug in the agent"):
        _replay(_checkpoint(output="recorded"), "agent-error")
    _assert_restored(before)


def test_an_exception_in_an_async_agent(before: Snapshot) -> None:
    with pytest.raises(RuntimeError, match="async agent"):
        _replay(_checkpoint(output="recorded"), "agent-error", target=f"{__name__}.afetch",
                method="arun")  # fmt: skip
    _assert_restored(before)


def test_an_exception_in_user_code_inside_the_context(before: Snapshot) -> None:
    context = DeterministicExecutionContext(_checkpoint(output="x"), {TARGET: ["patched"]})
    with pytest.raises(ValueError, match="the test's own assertion"), context:
        assert fetch("q") == "patched"
        raise ValueError("the test's own assertion")
    _assert_restored(before)


def test_keyboard_interrupt_in_the_agent(before: Snapshot) -> None:
    with pytest.raises(KeyboardInterrupt):
        _replay(_checkpoint(output="recorded"), "interrupt")
    _assert_restored(before)


def test_keyboard_interrupt_raised_by_a_target(before: Snapshot) -> None:
    context = DeterministicExecutionContext(FROZEN, {TARGET: [KeyboardInterrupt()]})
    with pytest.raises(KeyboardInterrupt), context:
        fetch("q")
    _assert_restored(before)


def test_a_divergence_raised_inside_a_target(before: Snapshot) -> None:
    checkpoint = _checkpoint(output="recorded")
    checkpoint.trace.spans[1].set_input({"query": "another prompt"})
    with pytest.raises(ReplayDivergenceError):
        _replay(checkpoint, "ok", strict=True)
    _assert_restored(before)


def test_exhausted_responses_raised_inside_a_target(before: Snapshot) -> None:
    with pytest.raises(ReplayExhaustedError), DeterministicExecutionContext(FROZEN, {TARGET: []}):
        fetch("q")
    _assert_restored(before)


def test_a_failure_while_entering_undoes_what_was_already_patched(before: Snapshot) -> None:
    targets: dict[str, Any] = {TARGET: ["ok"], f"{__name__}.afetch": "not a list"}
    context = DeterministicExecutionContext(FROZEN, targets)
    with pytest.raises(TypeError, match="list of return values"), context:
        pass  # pragma: no cover - never entered
    _assert_restored(before)


@pytest.mark.parametrize("where", ["agent", "live target", "interrupt in live target"])
def test_a_failure_in_record_mode(before: Snapshot, tmp_path: Path, where: str) -> None:
    provider = TracerProvider(tmp_path / "traces.db")
    golden = Replay(tmp_path / "golden.ckpt", {"tool": TARGET}, mode="record",
                    tracer=provider.get_tracer("t"))  # fmt: skip
    error: type[BaseException] = RuntimeError
    if where != "agent":
        error = KeyboardInterrupt if where.startswith("interrupt") else ToolFailed
        LIVE["raise"] = error()
    golden.start()
    try:
        with pytest.raises(error):
            golden.run(Agent().run, "agent-error")
    finally:
        golden.stop()
        provider.shutdown()
    _assert_restored(before)
    assert not (tmp_path / "golden.ckpt").exists()


def test_a_failed_replay_through_the_golden_lifecycle(before: Snapshot, tmp_path: Path) -> None:
    path = tmp_path / "golden.ckpt"
    _checkpoint(error=ToolFailed("down")).write(path, signing_key=None)
    golden = Replay(path, {"tool": TARGET}, mode="replay")
    golden.start()
    try:
        with pytest.raises(ToolFailed):
            golden.run("run", "ok")
    finally:
        golden.stop()
    _assert_restored(before)


def test_the_async_agent_replays_in_a_running_loop_and_restores(before: Snapshot) -> None:
    async def main() -> None:
        with pytest.raises(RuntimeError):
            await _replay(_checkpoint(output="r"), "agent-error", target=f"{__name__}.afetch",
                          method="arun")  # fmt: skip

    asyncio.run(main())
    _assert_restored(before)
