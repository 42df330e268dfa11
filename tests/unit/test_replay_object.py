"""``Replay`` used directly (the object behind the ``replay`` fixture): what its properties give
a recording test before and after its runs."""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.errors import (
    CheckpointCorruptError,
    CheckpointNotFoundError,
    ClearstoneError,
    GoldenMismatchError,
    UnusedResponsesError,
)
from pytest_clearstone.golden.replay import Replay
from pytest_clearstone.tracing import TracerProvider


def complete(prompt: str) -> str:
    return prompt.upper()


class Agent:
    def __init__(self) -> None:
        self.memory: list[str] = []

    def handle(self, message: str, suffix: str = "") -> str:
        answer = complete(message) + suffix
        self.memory.append(answer)
        return answer

    def remember(self, note: str) -> int:
        self.memory.append(note)
        return len(self.memory)

    async def ahandle(self, message: str) -> str:
        return self.handle(message)

    def stream(self, message: str) -> Iterator[str]:
        yield complete(message)
        raise ValueError("the stream broke")


MOCK = {"llm": f"{__name__}.complete"}


def _record(path: Path, run: Any, *args: Any, before: Any = None) -> Replay:
    """Record ``run(*args)`` into ``path`` (``before(replay)`` first, in the test's call)."""
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("t")
    replay = Replay(path, MOCK, mode="record", node_id="t.py::test_x", tracer=tracer)
    with tracer.span("t.py::test_x") as root:
        replay.start(root_span_id=root.span_id, trace_id=root.trace_id)
        try:
            if before is not None:
                before(replay)
            replay.run(run, *args)
        finally:
            replay.stop()
    replay.save(provider.trace_store.get_trace(root.trace_id))
    provider.shutdown()
    return replay


@pytest.mark.parametrize("mode", ["record-diverged", "bogus"])
def test_a_mode_that_is_no_action_of_one_attempt_is_refused_naming_both(
    tmp_path: Path, mode: str
) -> None:
    # (record-diverged is a mode of the run: each attempt of it records or replays)
    with pytest.raises(ValueError, match=f"mode must be 'record' or 'replay', not '{mode}'"):
        Replay(tmp_path / "g.ckpt", MOCK, mode=mode)


def test_a_recordings_checkpoint_read_before_its_run_is_the_new_golden_once_saved(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.ckpt"
    _record(path, Agent().handle, "first")
    agent = Agent()
    agent.memory.append("earlier")
    seen: list[Any] = []
    replay = _record(path, agent.handle, "second", before=lambda r: seen.append(r.checkpoint))
    assert seen[0] is not None  # (the previous golden, read in the test)
    # the checkpoint and the agent rehydrated from it are the golden just written
    assert replay.checkpoint is not None and replay.checkpoint is not seen[0]
    assert replay.engine.rehydrate().memory == ["earlier"]


def test_a_recording_over_an_unreadable_golden_says_why_where_it_needs_its_agent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.ckpt"
    path.write_text("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> theirs\n")
    tracer = TracerProvider(":memory:").get_tracer("t")
    replay = Replay(path, MOCK, mode="record", node_id="t.py::test_x", tracer=tracer)
    assert replay.checkpoint is None  # (what the recording replaces)
    with pytest.raises(CheckpointCorruptError):  # (not "no golden yet")
        _ = replay.engine


@pytest.mark.parametrize("earlier_version", [False, True])
def test_a_run_generator_that_raised_is_no_unread_generator_and_the_golden_replays(
    tmp_path: Path, earlier_version: bool
) -> None:
    # (the test expected the error: the recording is saved, with no outcome for that run)
    def read_it(replay: Replay) -> None:
        with pytest.raises(ValueError, match="the stream broke"):
            list(replay.run(Agent().stream, "hi"))

    path = tmp_path / "g.ckpt"
    _record(path, Agent().handle, "after", before=read_it)
    if earlier_version:  # (which did not name the runs without outcome)
        doc = json.loads(path.read_text())
        assert doc["metadata"].pop("runs_without_outcome") == [0]
        path.write_text(json.dumps(doc))
    # it replays: the run that raised has no outcome, the next compares with the first recorded
    replay = Replay(path, MOCK, mode="replay", node_id="t.py::test_x")
    replay.start()
    try:
        read_it(replay)
        assert replay.run(Agent().handle, "after") == "AFTER"
    finally:
        replay.stop()
    replay.check()


def test_a_recording_whose_coroutine_run_was_never_awaited_is_not_saved(tmp_path: Path) -> None:
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("t")
    path = tmp_path / "g.ckpt"
    replay = Replay(path, MOCK, mode="record", node_id="t.py::test_x", tracer=tracer)
    with tracer.span("t.py::test_x") as root:
        replay.start(root_span_id=root.span_id, trace_id=root.trace_id)
        try:
            run = replay.run(Agent().ahandle, "hi")
        finally:
            replay.stop()
    run.close()  # (never awaited: its agent method did not run)
    with pytest.raises(ClearstoneError, match=r"replay.run\(ahandle\) returned a coroutine that"):
        replay.save(provider.trace_store.get_trace(root.trace_id))
    provider.shutdown()
    assert not path.exists()


def test_a_recordings_calls_are_numbered_per_target_in_the_order_made(tmp_path: Path) -> None:
    agent = Agent()
    first_turn = lambda r: r.run(agent.handle, "a")  # noqa: E731
    replay = _record(tmp_path / "g.ckpt", agent.handle, "b", before=first_turn)
    target = f"{__name__}.complete"
    assert [(call.target, call.call_number) for call in replay.calls] == [(target, 1), (target, 2)]


def _replay(path: Path, run: Any, *args: Any, strict: bool = True) -> Any:
    """Replay ``run(*args)`` against the golden at ``path``; its result, once checked."""
    replay = Replay(path, MOCK, mode="replay", strict=strict, node_id="t.py::test_x")
    replay.start()
    try:
        result = replay.run(run, *args)
    finally:
        replay.stop()
    replay.check()
    return result


def _edit(path: Path, edit: Any) -> None:
    """Edit the golden at ``path`` by hand: ``edit(doc)`` changes its JSON document."""
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc, indent=2))


def test_a_call_whose_recorded_arguments_were_deleted_replays_when_not_strict(
    tmp_path: Path,
) -> None:
    # (only a strict replay compares arguments: it refuses such a golden, test_failures.py)
    def without_input(doc: dict[str, Any]) -> None:
        del next(s for s in doc["trace"]["spans"] if s["span_type"] == "llm")["input"]

    path = tmp_path / "g.ckpt"
    _record(path, Agent().handle, "hi")
    _edit(path, without_input)
    assert _replay(path, Agent().handle, "hi", strict=False) == "HI"


def test_a_replay_that_never_runs_only_inspects_its_golden(tmp_path: Path) -> None:
    path = tmp_path / "g.ckpt"
    _record(path, Agent().remember, "note")
    replay = Replay(path, MOCK, mode="replay", node_id="t.py::test_x")
    replay.start()
    try:
        assert replay.agent.memory == []  # (the recorded state, inspected)
    finally:
        replay.stop()
    replay.check()  # (no "the golden recorded 1 replay.run() call(s); this test made 0")


class RaisingAgent(Agent):
    def handle(self, message: str, suffix: str = "") -> str:
        complete(message)
        raise ValueError("it raises now")


@pytest.mark.parametrize("returned", [0, 1])
def test_a_run_that_now_raises_where_the_golden_holds_its_outcome_fails_the_check(
    tmp_path: Path, returned: int
) -> None:
    # (the test expects the error, but the golden holds the outcome the run returned when
    # recorded: never compared, it fails the replay whether or not another run returned)
    path = tmp_path / "g.ckpt"
    agent = Agent()
    first_turn = (lambda r: r.run(agent.handle, "hi")) if returned else None
    _record(path, agent.handle, "hi", before=first_turn)
    replay = Replay(path, MOCK, mode="replay", node_id="t.py::test_x")
    replay.start()
    try:
        if returned:
            replay.run(Agent().handle, "hi")
        with pytest.raises(ValueError, match="it raises now"):
            replay.run(RaisingAgent().handle, "hi")
    finally:
        replay.stop()
    with pytest.raises(GoldenMismatchError) as caught:
        replay.check()
    assert caught.value.delta == (
        f"the golden recorded {returned + 1} replay.run() call(s); this test made {returned} "
        "that returned (and 1 that raised: a run that raised has no outcome)"
    )


def test_a_golden_outcome_without_its_function_name_is_compared_whatever_the_run_calls(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.ckpt"
    _record(path, Agent().handle, "hi")
    _edit(path, lambda doc: doc["outcome"].pop("function"))
    assert _replay(path, Agent().handle, "hi") == "HI"


def test_the_agent_after_a_run_is_the_agent_of_that_run(tmp_path: Path) -> None:
    agent = Agent()
    replay = _record(tmp_path / "g.ckpt", agent.handle, "hi")
    assert replay.agent is agent


def test_a_function_of_a_module_written_in_c_is_run_without_an_agent(tmp_path: Path) -> None:
    # (operator.add.__self__ is the operator module: no agent, no state of the module)
    replay = _record(tmp_path / "g.ckpt", operator.add, 1, 2)
    assert replay.checkpoint is not None and replay.checkpoint.agent_class_name is None


def test_a_run_of_a_method_name_the_agent_lacks_names_it_and_the_golden(tmp_path: Path) -> None:
    path = tmp_path / "g.ckpt"
    _record(path, Agent().handle, "hi")
    replay = Replay(path, MOCK, mode="replay", node_id="t.py::test_x")
    replay.start()
    try:
        with pytest.raises(AttributeError) as caught:
            replay.run("ask", "hi")
    finally:
        replay.stop()
    assert str(caught.value).startswith("replay.run('ask'): ")
    assert str(caught.value).endswith(f"(from {path})")


class SkippingAgent(Agent):
    def handle(self, message: str, suffix: str = "") -> str:
        self.memory.append(message)
        return message


def test_a_last_run_that_skipped_recorded_calls_fails_on_them_with_what_they_changed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.ckpt"
    _record(path, Agent().handle, "hi")
    with pytest.raises(UnusedResponsesError) as caught:
        _replay(path, SkippingAgent().handle, "hi")
    assert "call #1 was not made" in str(caught.value)
    assert "root: 'HI' -> 'hi'" in str(caught.value)


def test_a_reader_of_the_golden_its_own_node_recorded_is_told_to_record_it_with_mocks(
    tmp_path: Path,
) -> None:
    # (its marker lost mock= since: re-recording this test would write nothing)
    path = tmp_path / "g.ckpt"
    _record(path, Agent().handle, "hi")
    replay = Replay(path, None, mode="replay", node_id="t.py::test_x")
    replay.start()
    try:
        with pytest.raises(GoldenMismatchError) as caught:
            replay.run(Agent().handle, "hi", "!")
    finally:
        replay.stop()
    assert "record it with the test that mocks its calls" in str(caught.value)
    assert "re-record the test that records it" not in str(caught.value)


def test_a_checkpoint_saved_by_application_code_replays_with_no_outcome_to_compare(
    tmp_path: Path,
) -> None:
    # (no outcome, not the plugin's: the run is compared with nothing, not refused)
    def as_application_checkpoint(doc: dict[str, Any]) -> None:
        del doc["metadata"]["recorded_by"], doc["outcome"]

    path = tmp_path / "g.ckpt"
    _record(path, Agent().handle, "hi")
    _edit(path, as_application_checkpoint)
    assert _replay(path, Agent().handle, "hi", "!") == "HI!"


def test_a_corrupt_golden_names_the_command_that_records_the_test_again(tmp_path: Path) -> None:
    path = tmp_path / "g.ckpt"
    path.write_text("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> theirs\n")
    replay = Replay(path, MOCK, mode="replay", node_id="t.py::test_x")
    with pytest.raises(CheckpointCorruptError) as caught:
        replay.load()
    assert "pytest --clearstone-record t.py::test_x" in str(caught.value)


def test_a_golden_missing_behind_a_link_to_nothing_names_the_link(tmp_path: Path) -> None:
    (tmp_path / "goldens").symlink_to(tmp_path / "other-checkout")
    replay = Replay(tmp_path / "goldens" / "g.ckpt", MOCK, mode="replay", node_id="t.py::test_x")
    with pytest.raises(CheckpointNotFoundError) as caught:
        replay.load()
    assert f"{tmp_path / 'goldens'} is a link to " in str(caught.value)
    assert "which does not exist. Create that directory" in str(caught.value)
