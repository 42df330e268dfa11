"""ReplayEngine: response scoping, matching, exhaustion, unused responses, every kind of call."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest

from pytest_clearstone.debugging import CheckpointManager, ReplayEngine
from pytest_clearstone.errors import (
    RERECORD,
    CheckpointError,
    ClearstoneError,
    RecordedError,
    ReplayDivergenceError,
    ReplayExhaustedError,
    UnusedResponsesError,
    UnusedResponsesWarning,
)
from pytest_clearstone.observability import TracerProvider

AGENTS_DIR = Path(__file__).resolve().parent / "agents"
FETCH = {"tool": "cs_tools.fetch"}


@pytest.fixture
def mods(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    names = ("cs_tools", "cs_tool_agent", "cs_recording")
    return {name: importlib.import_module(name) for name in names}


def _two_steps(mods: dict[str, ModuleType], at: str = "step_2") -> Any:
    """step_1 fetches 'a' -> A1; step_2 fetches 'b' -> B1 then 'c' -> C1; checkpoint at ``at``."""
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec:
        with rec.step("step_1") as s1:
            rec.call("tool", "fetch", {"query": "a", "limit": 3}, "A1")
        with rec.step("step_2") as s2:
            rec.call("tool", "fetch", {"query": "b", "limit": 3}, "B1")
            rec.call("tool", "fetch", {"query": "c", "limit": 3}, "C1")
    return rec.checkpoint(agent, {"step_1": s1, "step_2": s2}[at].span_id)


def test_responses_start_at_the_checkpoint_span(mods: dict[str, ModuleType]) -> None:
    engine = ReplayEngine(_two_steps(mods, at="step_2"))
    assert engine.replay_from_checkpoint("lookup_twice", "x", "y", mock_config=FETCH) == [
        "B1",
        "C1",
    ]
    engine = ReplayEngine(_two_steps(mods, at="step_1"))
    with pytest.warns(UnusedResponsesWarning, match="cs_tools.fetch: 2 of 3 used"):
        assert engine.replay_from_checkpoint("lookup_twice", "x", "y", mock_config=FETCH) == [
            "A1",
            "B1",
        ]


def test_checkpoint_survives_a_save_and_load(mods: dict[str, ModuleType], tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path)
    checkpoint = manager.load_checkpoint(manager.save_checkpoint(_two_steps(mods)))
    engine = ReplayEngine(checkpoint)
    assert engine.replay_from_checkpoint("lookup_twice", "b", "c", mock_config=FETCH) == [
        "B1",
        "C1",
    ]
    assert engine.agent.memory == []  # the rehydrated agent, as the replay left it


def test_unused_responses_of_a_saved_checkpoint_name_its_file(
    mods: dict[str, ModuleType], tmp_path: Path
) -> None:
    manager = CheckpointManager(tmp_path)
    path = manager.save_checkpoint(_two_steps(mods, at="step_1"))
    engine = ReplayEngine(manager.load_checkpoint(path), strict=True)
    with pytest.raises(UnusedResponsesError) as info:
        engine.replay_from_checkpoint("lookup_twice", "a", "b", mock_config=FETCH)
    assert f"  checkpoint: {path}" in str(info.value).splitlines()


def test_agent_is_rehydrated_fresh_for_every_replay(mods: dict[str, ModuleType]) -> None:
    engine = ReplayEngine(_two_steps(mods))
    mock = {"tool": "cs_tools.fetch"}
    with pytest.warns(UnusedResponsesWarning):
        engine.replay_from_checkpoint("lookup", "b", mock_config=mock)
    assert engine.agent.memory == ["B1"]
    with pytest.warns(UnusedResponsesWarning):
        engine.replay_from_checkpoint("lookup", "b", mock_config=mock)
    assert engine.agent.memory == ["B1"]  # not ["B1", "B1"]: a new agent from the checkpoint


def test_trace_store_supplies_spans_recorded_after_a_mid_run_checkpoint(
    mods: dict[str, ModuleType],
) -> None:
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        checkpoint = rec.checkpoint(agent, step.span_id)  # before the tool call happened
        rec.call("tool", "fetch", {"query": "q", "limit": 3}, "late answer")

    alone = ReplayEngine(checkpoint)
    report = alone.preflight(FETCH)
    assert report.entries[0].responses == 0
    assert report.warnings == [
        "No recorded responses for span_type='tool' after the checkpoint: a call to "
        "cs_tools.fetch will raise ReplayExhaustedError. Maybe the checkpoint was taken inside "
        "its span 'step' while it ran: its trace holds only the spans opened by then. Give "
        "ReplayEngine the trace store the trace was written to (ReplayEngine(checkpoint, "
        "trace_store=provider.trace_store))."
    ]
    with pytest.raises(ReplayExhaustedError, match=r"trace_store=provider\.trace_store"):
        alone.replay_from_checkpoint("lookup", "q", mock_config=FETCH)

    engine = ReplayEngine(checkpoint, trace_store=rec.provider.trace_store)
    assert engine.replay_from_checkpoint("lookup", "q", mock_config=FETCH) == "late answer"


def test_targets_of_one_type_never_steal_each_others_responses(
    mods: dict[str, ModuleType],
) -> None:
    agent = mods["cs_tool_agent"].ToolAgent()
    target_attr = "clearstone.target"
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("tool", "fetch", {"query": "q", "limit": 3}, "F",
                 attributes={target_attr: "cs_tools.fetch"})  # fmt: skip
        rec.call("tool", "second_tool", {"x": 1}, 2,
                 attributes={target_attr: "cs_tools.second_tool"})  # fmt: skip
    checkpoint = rec.checkpoint(agent, step.span_id)
    mock = {"tool": ["cs_tools.fetch", "cs_tools.second_tool"]}
    assert ReplayEngine(checkpoint).replay_from_checkpoint("both_tools", "q", mock_config=mock) == (
        "F",
        2,
    )


def test_two_targets_of_one_type_match_spans_by_function_name(
    mods: dict[str, ModuleType],
) -> None:
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("tool", "second_tool", {"x": 1}, 2)
        rec.call("tool", "fetch", {"query": "q", "limit": 3}, "F")
    engine = ReplayEngine(rec.checkpoint(agent, step.span_id))
    mock = {"tool": ["cs_tools.fetch", "cs_tools.second_tool"]}
    assert [e.responses for e in engine.preflight(mock).entries] == [1, 1]
    assert engine.replay_from_checkpoint("both_tools", "q", mock_config=mock) == ("F", 2)


def test_a_type_with_several_targets_names_the_spans_none_of_them_takes(
    mods: dict[str, ModuleType],
) -> None:
    # (spans named otherwise than the targets' functions, @tracer.traced(name="search_api"),
    # answer none of several targets of their type: the pre-flight analysis said "No recorded
    # responses for span_type='tool' after the checkpoint", though the trace holds them)
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("tool", "second_tool", {"x": 1}, 2)
        rec.call("tool", "fetch_api", {"query": "q", "limit": 3}, "F")
        rec.call("tool", "fetch_api", {"query": "r", "limit": 3}, "G")
    engine = ReplayEngine(rec.checkpoint(agent, step.span_id))
    report = engine.preflight({"tool": ["cs_tools.fetch", "cs_tools.second_tool"]})
    assert [e.responses for e in report.entries] == [0, 1]
    assert report.warnings == [
        "No recorded responses for span_type='tool' after the checkpoint: a call to "
        "cs_tools.fetch will raise ReplayExhaustedError. The trace holds 2 response(s) of that "
        "type that no target takes, in spans named 'fetch_api': with several targets for a type, "
        "each takes the spans named after its function ('fetch', 'cs_tools.fetch'). Name the "
        "spans so (@tracer.traced names them after the function unless given name=), or give "
        "the type one target"
    ]


def test_the_live_function_is_never_called(mods: dict[str, ModuleType]) -> None:
    # cs_tools.fetch raises AssertionError when it runs for real
    engine = ReplayEngine(_two_steps(mods))
    assert engine.replay_from_checkpoint("lookup_twice", "b", "c", mock_config=FETCH)
    with pytest.raises(AssertionError, match="live fetch"):
        mods["cs_tools"].fetch("after the replay")


def test_exhaustion_is_raised_even_when_the_agent_swallows_it(
    mods: dict[str, ModuleType],
) -> None:
    engine = ReplayEngine(_two_steps(mods))
    with pytest.raises(ReplayExhaustedError) as info:
        engine.replay_from_checkpoint(
            "lookup_swallowing", "q", mock_config={"search": "cs_tools.fetch"}
        )
    assert (info.value.target, info.value.recorded, info.value.call_number) == (
        "cs_tools.fetch", 0, 1,
    )  # fmt: skip
    assert engine.last_session is not None
    assert engine.last_session.errors == [info.value]


def test_exhaustion_message_names_the_checkpoint(mods: dict[str, ModuleType]) -> None:
    engine = ReplayEngine(_two_steps(mods))
    with pytest.raises(ReplayExhaustedError) as info:
        engine.replay_from_checkpoint("lookup", "q", mock_config={"x": "cs_tools.fetch"})
    message = str(info.value)
    assert "cs_tools.fetch was called 1 time(s) but the recording has only 0 response(s)" in message
    assert f"checkpoint: {engine.checkpoint.checkpoint_id}" in message


def test_exhaustion_message_shows_long_arguments_cut_to_200_characters(
    mods: dict[str, ModuleType],
) -> None:
    from pytest_clearstone.diff import set_verbosity

    def shown_at(verbosity: int) -> str:
        restore = set_verbosity(verbosity)
        try:
            with pytest.raises(ReplayExhaustedError) as info:
                ReplayEngine(_two_steps(mods)).replay_from_checkpoint(
                    "lookup", "q" * 500, mock_config={"x": "cs_tools.fetch"}
                )
        finally:
            restore()
        line = next(x for x in str(info.value).splitlines() if "call #1 arguments: " in x)
        return line.partition("call #1 arguments: ")[2]

    for verbosity in (0, 1):  # (-v shows more tests, not longer values)
        shown = shown_at(verbosity)
        assert shown.startswith("{'query': 'qqq") and shown.endswith("q...")
        assert len(shown) == 200
    assert shown_at(2) == repr({"query": "q" * 500})  # -vv: whole


def test_exhaustion_message_shows_arguments_of_exactly_200_characters_whole(
    mods: dict[str, ModuleType],
) -> None:
    arguments = {"query": "q" * 187}
    assert len(repr(arguments)) == 200
    with pytest.raises(ReplayExhaustedError) as info:
        ReplayEngine(_two_steps(mods)).replay_from_checkpoint(
            "lookup", "q" * 187, mock_config={"x": "cs_tools.fetch"}
        )
    line = next(x for x in str(info.value).splitlines() if "call #1 arguments: " in x)
    assert line.partition("call #1 arguments: ")[2] == repr(arguments)


def test_exhaustion_message_shows_a_long_nested_list_by_its_ends(
    mods: dict[str, ModuleType],
) -> None:
    # a chat loop's history: its first and last messages tell a call apart, not its middle
    history = [[f"message {n}: " + "x" * 50 for n in range(1, 5)]]
    engine = ReplayEngine(_two_steps(mods))
    with pytest.raises(ReplayExhaustedError) as info:
        engine.replay_from_checkpoint("lookup", history, mock_config={"x": "cs_tools.fetch"})
    line = next(x for x in str(info.value).splitlines() if "call #1 arguments: " in x)
    x = "x" * 50
    assert line.partition("call #1 arguments: ")[2] == (
        f"{{'query': [['message 1: {x}', <2 more>, 'message 4: {x}']]}}"
    )


def test_exhaustion_message_shows_the_last_item_of_a_list_of_long_items(
    mods: dict[str, ModuleType],
) -> None:
    # (pydantic-ai's ModelRequest reprs, with their timestamps: the first item alone fills the
    # preview, which then cut it and never showed the last message, the one that tells a call
    # apart: its retry prompt)
    history = [[f"message {n}: " + "x" * 120 for n in range(1, 5)]]
    engine = ReplayEngine(_two_steps(mods))
    with pytest.raises(ReplayExhaustedError) as info:
        engine.replay_from_checkpoint("lookup", history, mock_config={"x": "cs_tools.fetch"})
    line = next(x for x in str(info.value).splitlines() if "call #1 arguments: " in x)
    x = "x" * 120
    assert line.partition("call #1 arguments: ")[2] == (
        f"{{'query': [[<3 more>, 'message 4: {x}']]}}"
    )


def test_strict_replay_fails_at_the_divergent_call(mods: dict[str, ModuleType]) -> None:
    checkpoint = _two_steps(mods)
    engine = ReplayEngine(checkpoint, strict=True)
    assert engine.replay_from_checkpoint("lookup_twice", "b", "c", mock_config=FETCH) == [
        "B1",
        "C1",
    ]
    c_span = next(s for s in checkpoint.trace.spans if s.input == {"query": "c", "limit": 3})
    with pytest.raises(ReplayDivergenceError) as info:
        ReplayEngine(checkpoint, strict=True).replay_from_checkpoint(
            "lookup_twice", "b", "changed", mock_config=FETCH
        )
    error = info.value
    assert (error.target, error.call_number, error.span_id) == ("cs_tools.fetch", 2, c_span.span_id)
    assert "root['query']: 'c' -> 'changed'" in str(error)
    assert f"recorded span: {c_span.span_id}" in str(error)


def test_strict_divergence_is_raised_even_when_swallowed(mods: dict[str, ModuleType]) -> None:
    engine = ReplayEngine(_two_steps(mods), strict=True)
    with pytest.raises(ReplayDivergenceError, match=r"call #1 to cs_tools\.fetch"):
        engine.replay_from_checkpoint("lookup_swallowing", "different", mock_config=FETCH)
    assert engine.last_session is not None
    assert engine.last_session.calls[0].result is None


def test_order_only_is_the_default(mods: dict[str, ModuleType]) -> None:
    engine = ReplayEngine(_two_steps(mods))
    assert engine.replay_from_checkpoint("lookup_twice", "new", "args", mock_config=FETCH) == [
        "B1",
        "C1",
    ]


def test_unused_responses_strict_raise_and_otherwise_warn(mods: dict[str, ModuleType]) -> None:
    with pytest.raises(UnusedResponsesError) as info:
        ReplayEngine(_two_steps(mods), strict=True).replay_from_checkpoint(
            "lookup", "b", mock_config=FETCH
        )
    assert info.value.unused == {"cs_tools.fetch": (1, 2)}
    assert "cs_tools.fetch: 1 of 2 recorded response(s) used" in str(info.value)

    with pytest.warns(UnusedResponsesWarning) as record:
        result = ReplayEngine(_two_steps(mods)).replay_from_checkpoint(
            "lookup", "b", mock_config=FETCH
        )
    assert result == "B1"
    assert str(record[0].message) == "recorded responses left unused: cs_tools.fetch: 1 of 2 used"


def test_recorded_exceptions_are_raised_again(mods: dict[str, ModuleType]) -> None:
    tools = mods["cs_tools"]
    for error, expected in [
        (tools.ToolFailed("quota", 7), ("quota", 7)),
        (KeyError("missing"), ("missing",)),
        (ValueError(), ()),
    ]:
        agent = mods["cs_tool_agent"].ToolAgent()
        with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
            rec.call("tool", "fetch", {"query": "q", "limit": 3}, error=error)
        engine = ReplayEngine(rec.checkpoint(agent, step.span_id))
        with pytest.raises(type(error)) as info:
            engine.replay_from_checkpoint("lookup", "q", mock_config=FETCH)
        assert type(info.value) is type(error)
        assert info.value.args == expected


def _with_error_record(mods: dict[str, ModuleType], error: dict[str, Any]) -> Any:
    """A checkpoint whose one recorded call to ``cs_tools.fetch`` raised, as ``error`` (an
    exception record written as a golden holds it)."""
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        span = rec.call("tool", "fetch", {"query": "q", "limit": 3}, "unused")
    checkpoint = rec.checkpoint(agent, step.span_id)
    recorded = checkpoint.trace.get_span(span.span_id)
    recorded._output = None
    recorded._error = error
    return checkpoint


def test_exception_of_a_type_that_cannot_be_imported(mods: dict[str, ModuleType]) -> None:
    checkpoint = _with_error_record(
        mods, {"type": "RateLimit", "module": "vendor_sdk.errors", "message": "slow down"}
    )
    with pytest.raises(RecordedError) as info:
        ReplayEngine(checkpoint).replay_from_checkpoint("lookup", "q", mock_config=FETCH)
    assert info.value.type_name == "vendor_sdk.errors.RateLimit"
    # why the recorded type was not rebuilt, what the agent will miss, and the fix
    assert str(info.value) == (
        "vendor_sdk.errors.RateLimit: slow down (recorded exception, replayed as RecordedError: "
        "its class could not be imported: No module named 'vendor_sdk'; an except clause for "
        "that class does not catch it. If the class was renamed or moved, re-record the test "
        "(pytest --clearstone-record), or keep the recorded name importable)"
    )


def test_a_recorded_exception_keeps_its_cause_and_notes(mods: dict[str, ModuleType]) -> None:
    # Expected: the exception an error was raised from (`raise X from Y`: pydantic-ai's
    # ModelHTTPError from the SDK's error) and its notes come back with it on replay.
    # Before the fix: __cause__ was None and __notes__ missing.
    tools = mods["cs_tools"]
    try:
        try:
            raise KeyError("k")
        except KeyError as inner:
            raise tools.ToolFailed("quota", 7) from inner
    except tools.ToolFailed as exc:
        if sys.version_info >= (3, 11):
            exc.add_note("while searching flights")
        else:  # (what add_note does)
            exc.__notes__ = ["while searching flights"]
        error = exc
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("tool", "fetch", {"query": "q", "limit": 3}, error=error)
    with pytest.raises(tools.ToolFailed) as info:
        ReplayEngine(rec.checkpoint(agent, step.span_id)).replay_from_checkpoint(
            "lookup", "q", mock_config=FETCH
        )
    assert info.value.__notes__ == ["while searching flights"]
    cause = info.value.__cause__
    assert type(cause) is KeyError and cause.args == ("k",)


def test_a_recorded_exception_whose_attributes_cannot_be_decoded_says_so(
    mods: dict[str, ModuleType],
) -> None:
    # Expected: a damaged attribute of a recorded error (a tag edited by hand) is told, naming
    # what failed and the fix. Before the fix: every attribute was dropped silently and the
    # agent failed later on a missing one (AttributeError: ... no attribute 'status_code').
    checkpoint = _with_error_record(
        mods,
        {
            "type": "ToolFailed",
            "module": "cs_tools",
            "message": "busy",
            "args": ["busy"],
            "attributes": {"status_code": 429, "body": {"__cs__": "no_such_tag", "v": 1}},
        },
    )
    with pytest.raises(RecordedError) as info:
        ReplayEngine(checkpoint).replay_from_checkpoint("lookup", "q", mock_config=FETCH)
    assert "its arguments or attributes could not be decoded" in str(info.value)
    assert "no_such_tag" in str(info.value) and "re-record the test" in str(info.value)


def test_a_recorded_interrupt_is_not_raised_again_and_says_what_fixes_it(
    mods: dict[str, ModuleType],
) -> None:
    # Expected: a recorded KeyboardInterrupt (a golden of an earlier version: recording one,
    # caught by the agent, is now refused) would stop the test run if raised again: it stands in
    # as RecordedError, with the fix that works. Before: "To replay it as itself, re-record the
    # test", which recorded the same golden
    checkpoint = _with_error_record(
        mods, {"type": "KeyboardInterrupt", "module": "builtins", "message": "", "args": []}
    )
    with pytest.raises(RecordedError) as info:
        ReplayEngine(checkpoint).replay_from_checkpoint("lookup", "q", mock_config=FETCH)
    assert str(info.value) == (
        "KeyboardInterrupt:  (recorded exception, replayed as RecordedError: raised again, it "
        "would stop the test run; an except clause for that class does not catch it. Mock a "
        "function of your own that catches it and returns what the agent uses (or mock the "
        "function under this one, so that this one runs and raises it at replay))"
    )


def test_a_recorded_cancellation_is_raised_again_as_itself(mods: dict[str, ModuleType]) -> None:
    # Expected: an exception outside Exception (asyncio.CancelledError, a BaseException) is
    # rebuilt as its class, so the agent's `except asyncio.CancelledError` runs on replay too.
    # Before the fix: only Exception subclasses were rebuilt; it came back as RecordedError.
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("tool", "fetch", {"query": "q", "limit": 3}, error=asyncio.CancelledError("gone"))
    with pytest.raises(asyncio.CancelledError) as info:
        ReplayEngine(rec.checkpoint(agent, step.span_id)).replay_from_checkpoint(
            "lookup", "q", mock_config=FETCH
        )
    assert info.value.args == ("gone",)


def test_class_method_static_and_class_method_targets(mods: dict[str, ModuleType]) -> None:
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("llm", "Client.complete", {"prompt": "p", "temperature": 0.5}, "completed")
        rec.call("ping", "Client.ping", {"host": "h1"}, "pong1")
        rec.call("ping", "Client.ping", {"host": "h2"}, "pong2")
        rec.call("create", "Client.create", {"model": "m"}, "created")
    checkpoint = rec.checkpoint(agent, step.span_id)
    engine = ReplayEngine(checkpoint, strict=True)
    llm = {"llm": "cs_tools.Client.complete"}
    assert engine.replay_from_checkpoint("ask", "p", mock_config=llm) == "completed"
    mock = {"ping": "cs_tools.Client.ping", "create": "cs_tools.Client.create"}
    assert engine.replay_from_checkpoint("ping_and_create", mock_config=mock) == (
        "pong1", "pong2", "created",
    )  # fmt: skip


def test_async_method_and_async_target(mods: dict[str, ModuleType]) -> None:
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("tool", "afetch", {"query": "q"}, "async answer")
    engine = ReplayEngine(rec.checkpoint(agent, step.span_id), strict=True)
    mock = {"tool": "cs_tools.afetch"}
    assert engine.replay_from_checkpoint("alookup", "q", mock_config=mock) == "async answer"

    async def inside_a_loop() -> Any:
        return await engine.replay_from_checkpoint("alookup", "q", mock_config=mock)

    assert asyncio.run(inside_a_loop()) == "async answer"


def test_generator_and_async_generator_targets(mods: dict[str, ModuleType]) -> None:
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("stream", "stream", {"prompt": "p"}, ["Hel", "lo"])
        rec.call("astream", "astream", {"prompt": "p"}, ["wor", "ld"])
    engine = ReplayEngine(rec.checkpoint(agent, step.span_id), strict=True)
    mock = {"stream": "cs_tools.stream", "astream": "cs_tools.astream"}
    with pytest.raises(UnusedResponsesError):  # astream's response is left over
        engine.replay_from_checkpoint("stream_answer", "p", mock_config=mock)
    sync_only, async_only = {"stream": "cs_tools.stream"}, {"astream": "cs_tools.astream"}
    assert engine.replay_from_checkpoint("stream_answer", "p", mock_config=sync_only) == "Hello"
    assert engine.replay_from_checkpoint("astream_answer", "p", mock_config=async_only) == "world"


def test_generator_method_is_run_to_completion(mods: dict[str, ModuleType]) -> None:
    engine = ReplayEngine(_two_steps(mods))
    assert engine.replay_from_checkpoint("numbered", mock_config=FETCH) == ["B1", "C1"]


_CUT_STREAM = """
async def achunks(prompt):
    yield "Hel"
    yield "lo"
    raise ConnectionError("stream cut")


def chunks(prompt):
    yield "Hel"
    yield "lo"
    raise ConnectionError("stream cut")


class Reader:
    def __init__(self):
        self.got = []

    def read(self, prompt):
        try:
            for chunk in chunks(prompt):
                self.got.append(chunk)
        except ConnectionError:
            self.got.append("<cut>")
        return self.got

    async def aread(self, prompt):
        try:
            async for chunk in achunks(prompt):
                self.got.append(chunk)
        except ConnectionError:
            self.got.append("<cut>")
        return self.got
"""


@pytest.mark.parametrize(("method", "target"), [("read", "chunks"), ("aread", "achunks")])
def test_a_traced_stream_that_raised_after_chunks_replays_them_before_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, target: str
) -> None:
    # a @tracer.traced generator cut off mid-stream (a dropped connection, a cancellation)
    # records the chunks it yielded and the error; the replay raised the error at the call, so
    # the agent that kept the chunks it read got none of them
    (tmp_path / "cs_cut_stream.py").write_text(_CUT_STREAM)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_cut_stream", raising=False)
    module = importlib.import_module("cs_cut_stream")
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("agent")
    monkeypatch.setattr(module, target, tracer.traced(span_type="llm")(getattr(module, target)))
    agent = module.Reader()
    with tracer.span("run") as root:
        checkpoint = CheckpointManager().create_checkpoint(
            agent, provider.trace_store.get_trace(root.trace_id), root.span_id
        )
        recorded = getattr(agent, method)("p")
        if method == "aread":
            recorded = asyncio.run(recorded)
    assert recorded == ["Hel", "lo", "<cut>"]
    engine = ReplayEngine(checkpoint, trace_store=provider.trace_store, strict=True)
    mock = {"llm": f"cs_cut_stream.{target}"}
    assert engine.replay_from_checkpoint(method, "p", mock_config=mock) == recorded
    provider.shutdown()


def test_a_plain_function_s_span_with_an_output_and_an_error_replays_the_error(
    mods: dict[str, ModuleType],
) -> None:
    # (an imported span, OpenTelemetry's, may carry both: only a generator yields the output)
    agent = mods["cs_tool_agent"].ToolAgent()
    with (
        mods["cs_recording"].Recording() as rec,
        rec.step("step") as step,
        contextlib.suppress(ValueError),
        rec.tracer.span("fetch", span_type="tool") as call,
    ):
        call.set_output(["partial"])
        raise ValueError("upstream failed")
    engine = ReplayEngine(rec.checkpoint(agent, step.span_id), trace_store=rec.provider.trace_store)
    assert engine.replay_from_checkpoint("lookup_swallowing", "x", mock_config=FETCH) == (
        "fallback (ValueError)"
    )


def test_async_generator_method_is_run_to_completion(mods: dict[str, ModuleType]) -> None:
    engine = ReplayEngine(_two_steps(mods))
    assert engine.replay_from_checkpoint("anumbered", mock_config=FETCH) == ["B1", "C1"]


def test_preflight_report_structure_and_text(mods: dict[str, ModuleType]) -> None:
    engine = ReplayEngine(_two_steps(mods))
    report = engine.preflight({"tool": "cs_tools.fetch", "llm": ["cs_tools.Client.complete"]})
    assert [(e.target, e.span_type, e.responses, e.warnings) for e in report.entries] == [
        ("cs_tools.fetch", "tool", 2, []),
        ("cs_tools.Client.complete", "llm", 0, [
            "No recorded responses for span_type='llm' after the checkpoint: a call to "
            "cs_tools.Client.complete will raise ReplayExhaustedError."
        ]),
    ]  # fmt: skip
    assert str(report).splitlines() == [
        "--- Pre-flight Mock Analysis ---",
        "  - Mocking 'cs_tools.fetch' (for span_type='tool')",
        "    - Found 2 recorded response(s) in the trace.",
        "  - Mocking 'cs_tools.Client.complete' (for span_type='llm')",
        "    - Found 0 recorded response(s) in the trace.",
        "    - WARNING: No recorded responses for span_type='llm' after the checkpoint: a call to "
        "cs_tools.Client.complete will raise ReplayExhaustedError.",
        "-" * 60,
    ]
    assert "No mock_config given" in str(engine.preflight(None))


def test_a_target_mapped_to_a_span_type_its_calls_were_not_recorded_as_is_told_the_type(
    mods: dict[str, ModuleType],
) -> None:
    # the guide's mock_config with the wrong span type for a function (a typo, or "llm" where
    # @tracer.traced recorded "tool"): the replay said only "The agent now makes more calls than
    # when it was recorded, or the mock config maps the wrong span type to this target"
    engine = ReplayEngine(_two_steps(mods))
    wrong = {"llm": "cs_tools.fetch"}
    told = (
        "The trace answers cs_tools.fetch with 2 span(s) of type 'tool' (named 'fetch') after "
        "the checkpoint, none of type 'llm': map that type to it, "
        "mock_config={'tool': 'cs_tools.fetch'}"
    )
    (warning,) = engine.preflight(wrong).warnings
    assert warning.endswith(f" {told}.")
    with pytest.raises(ReplayExhaustedError) as info:
        engine.replay_from_checkpoint("lookup", "b", mock_config=wrong)
    assert str(info.value).splitlines()[-1] == f"  {told}"
    (given_both,) = engine.preflight({"tool": "cs_tools.fetch", "llm": "cs_tools.fetch"}).warnings
    assert given_both.endswith("will raise ReplayExhaustedError.")  # (its 'tool' type is given)
    assert engine.replay_from_checkpoint("lookup_twice", "b", "c", mock_config=FETCH) == [
        "B1",
        "C1",
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (["cs_tools.fetch"], "mock_config must map a span type to an import path"),
        ({"tool": 3}, "mock_config['tool'] must be an import path or a list of import paths"),
    ],
)
def test_bad_mock_config(mods: dict[str, ModuleType], config: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ReplayEngine(_two_steps(mods)).replay_from_checkpoint("lookup", "q", mock_config=config)


def test_unknown_method_is_named(mods: dict[str, ModuleType]) -> None:
    with pytest.raises(AttributeError, match="the agent ToolAgent has no method 'nope' to replay"):
        ReplayEngine(_two_steps(mods)).replay_from_checkpoint("nope")


def test_an_attribute_that_is_not_a_method_is_named(mods: dict[str, ModuleType]) -> None:
    # Expected: naming the agent's list of messages where a method goes says so; it failed
    # with Python's "TypeError: 'list' object is not callable"
    with pytest.raises(
        AttributeError, match="the agent ToolAgent has a list, not a method, 'memory' to replay"
    ):
        ReplayEngine(_two_steps(mods)).replay_from_checkpoint("memory")


def test_an_agent_class_nested_in_another_is_named_by_its_qualified_name(
    mods: dict[str, ModuleType],
) -> None:
    class Outer:
        class Agent:
            pass

    with pytest.raises(AttributeError, match=r"the agent .*Outer\.Agent has no method 'run'"):
        ReplayEngine(_two_steps(mods)).method(Outer.Agent(), "run")


def test_responses_not_shared_are_only_those_named_after_the_target(
    mods: dict[str, ModuleType],
) -> None:
    # (the spans of a hand-made trace name no target: each answers any target of its type,
    # or, when not shared between several targets, the one whose function is the span's name)
    engine = ReplayEngine(_two_steps(mods, at="step_1"))
    assert len(engine.responses("tool", "cs_tools.search")) == 3
    assert engine.responses("tool", "cs_tools.search", shared=False) == []
    assert len(engine.responses("tool", "cs_tools.fetch", shared=False)) == 3


def test_a_target_mocked_under_a_second_span_type_without_calls_keeps_its_responses(
    mods: dict[str, ModuleType],
) -> None:
    engine = ReplayEngine(_two_steps(mods, at="step_2"))
    config = {"tool": "cs_tools.fetch", "llm": "cs_tools.fetch"}
    assert engine.replay_from_checkpoint("lookup_twice", "b", "c", mock_config=config) == [
        "B1",
        "C1",
    ]


def test_unused_responses_and_unmocked_targets_are_named_in_one_message() -> None:
    error = UnusedResponsesError(
        {"app.complete": (1, 2)}, checkpoint="g.ckpt", unmocked={"app.search": ("tool", 3)}
    )
    assert str(error).splitlines() == [
        "the replay made fewer calls than the recording:",
        "  app.complete: 1 of 2 recorded response(s) used",
        "the golden recorded calls to a target this test does not mock (a call to it now runs "
        "live):",
        "  app.search (tool): 3 recorded call(s)",
        "  checkpoint: g.ckpt",
        "  The agent now skips calls it used to make. Mock it again (the marker's mock=). If the "
        f"change is intended, {RERECORD}",
    ]
    assert error.unmocked == {"app.search": ("tool", 3)}
    only_unused = str(UnusedResponsesError({"app.complete": (0, 1)}))
    assert "does not mock" not in only_unused
    assert only_unused.endswith(
        f"The agent now skips calls it used to make. If the change is intended, {RERECORD}"
    )


def test_a_strict_replay_fails_on_recorded_calls_of_a_target_it_no_longer_mocks() -> None:
    # every response used (none left over), but the golden holds calls of a target the test
    # stopped mocking: they now run live, which strict mode fails on
    from pytest_clearstone.golden.responses import ReplaySession

    unmocked = {"app.search": ("tool", 3)}
    session = ReplaySession()
    session.raise_errors(strict=False, unmocked=unmocked)  # (not strict: no error)
    session.raise_errors(strict=True)  # (nothing recorded unmocked: no error)
    with pytest.raises(UnusedResponsesError) as info:
        session.raise_errors(strict=True, checkpoint="g.ckpt", unmocked=unmocked)
    assert "  app.search (tool): 3 recorded call(s)" in str(info.value).splitlines()


def test_a_warning_a_filter_made_an_error_is_raised_after_the_call_strict_or_not() -> None:
    # (``filterwarnings = error``: a leftover call's warning fails the test in either mode)
    from pytest_clearstone.golden.responses import ReplaySession

    session = ReplaySession()
    session.refused = UserWarning("a leftover call")
    for strict in (False, True):
        with pytest.raises(UserWarning, match="a leftover call"):
            session.raise_errors(strict=strict)


def test_the_golden_text_a_failure_reads_is_read_once_from_a_regular_file(
    tmp_path: Path,
) -> None:
    # (what the failure notes read from the golden, its ids and its mock targets, read it once;
    # a byte order mark an editor put in front is not the text, as for every reader of goldens)
    from pytest_clearstone.golden.mocks import unrecorded_target_note
    from pytest_clearstone.golden.responses import ReplaySession

    golden = tmp_path / "g.ckpt"
    text = '{"metadata": {"recorded_by": "pytest-clearstone", "mock": {"llm": "app.llm"}}}'
    golden.write_bytes(b"\xef\xbb\xbf" + text.encode())
    session = ReplaySession(golden=golden)
    assert session.golden_text() == text
    golden.unlink()  # (not read again)
    assert session.recorded_text('"app.llm"') and not session.recorded_text("app.tool")
    note = unrecorded_target_note(session.golden_text(), "app.tool", "t.py::test_a")
    assert note is not None and note.startswith("app.tool was not a mock target")
    assert unrecorded_target_note(session.golden_text(), "app.llm", "t.py::test_a") is None
    assert ReplaySession(golden=golden).golden_text() == ""  # (unreadable: nothing to tell)
    assert ReplaySession().golden_text() == ""  # (no file known)
    assert unrecorded_target_note("", "app.tool", "t.py::test_a") is None


class ModelAgent(pydantic.BaseModel):
    """An agent that is a pydantic model (as LangChain runnables are), with no get_state()."""

    memory: list[str] = []
    cost: float = 0.0
    _calls: int = pydantic.PrivateAttr(default=0)

    def step(self, text: str) -> dict[str, Any]:
        self.memory.append(text)
        self.cost += 0.5  # pydantic's __setattr__
        self._calls += 1
        return self.model_dump()


def test_an_agent_that_is_a_pydantic_model_is_rehydrated(tmp_path: Path) -> None:
    # Expected: the agent made without __init__ is a working model; it failed with
    # "AttributeError: 'ModelAgent' object has no attribute '__pydantic_fields_set__'"
    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("root") as root:
        pass
    manager = CheckpointManager(tmp_path)
    agent = ModelAgent(memory=["hi"], cost=1.0)
    checkpoint = manager.create_checkpoint(
        agent, provider.trace_store.get_trace(root.trace_id), root.span_id
    )
    engine = ReplayEngine(manager.load_checkpoint(manager.save_checkpoint(checkpoint)))
    assert engine.replay_from_checkpoint("step", "again") == {
        "memory": ["hi", "again"],
        "cost": 1.5,
    }
    assert type(engine.agent) is ModelAgent
    assert engine.agent._calls == 1
    assert engine.agent.model_fields_set == {"memory", "cost"}


def _checkpoint_then_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: str, after: str
) -> ReplayEngine:
    """A checkpoint of ``cs_changing.make()``'s agent, then the module's source is ``after``."""
    source = tmp_path / "cs_changing.py"
    source.write_text(before)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_changing", raising=False)
    module = importlib.import_module("cs_changing")
    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("root") as root:
        pass
    manager = CheckpointManager(tmp_path / "ckpt")
    checkpoint = manager.create_checkpoint(
        module.make(), provider.trace_store.get_trace(root.trace_id), root.span_id
    )
    path = manager.save_checkpoint(checkpoint)
    source.write_text(after)
    for cached in tmp_path.glob("__pycache__/cs_changing*"):
        cached.unlink()  # (written within the same second: its stamp would still match)
    del sys.modules["cs_changing"]
    importlib.invalidate_caches()
    return ReplayEngine(manager.load_checkpoint(path))


_DATACLASS_AGENT = """
from dataclasses import dataclass, field

@dataclass{options}
class Agent:
    name: str
    memory: list = field(default_factory=list)

    def step(self, text):
        self.memory.append(text)
        return len(self.memory)

def make():
    return Agent("n", ["hi"])
"""


def test_an_agent_whose_class_renamed_a_field_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: one message naming the field and the fix; it was the agent's own
    # "AttributeError: 'Agent' object has no attribute 'history'" in the middle of the replay
    before = _DATACLASS_AGENT.format(options="")
    after = before.replace("    memory: list", "    budget: float\n    memory: list")
    engine = _checkpoint_then_change(tmp_path, monkeypatch, before, after)
    with pytest.raises(CheckpointError) as info:
        engine.replay_from_checkpoint("step", "again")
    message = str(info.value)
    assert "cs_changing.Agent" in message and "'budget'" in message
    assert "save the checkpoint again" in message and "load_state(state)" in message


def test_a_field_renamed_since_the_checkpoint_names_the_old_name_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _DATACLASS_AGENT.format(options="").replace(
        "memory: list = field(default_factory=list)", "memory: list"
    )
    engine = _checkpoint_then_change(
        tmp_path, monkeypatch, before, before.replace("memory", "history")
    )
    with pytest.raises(CheckpointError, match=r"'history'.*'memory'"):
        engine.rehydrate()


def test_a_field_added_with_a_default_since_the_checkpoint_gets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: as the class's constructor (and pydantic's model_construct) would make it; a
    # default_factory field was missing: "AttributeError: 'Agent' object has no attribute 'seen'"
    before = _DATACLASS_AGENT.format(options="")
    after = before.replace(
        "    def step(self, text):\n        self.memory.append(text)",
        "    seen: set = field(default_factory=set)\n\n"
        "    def step(self, text):\n        self.seen.add(text)\n        self.memory.append(text)",
    )
    engine = _checkpoint_then_change(tmp_path, monkeypatch, before, after)
    assert engine.replay_from_checkpoint("step", "again") == 2
    assert engine.agent.seen == {"again"}


def test_a_pydantic_agent_given_a_field_with_a_default_since_the_checkpoint_gets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (
        "from pydantic import BaseModel\n\n"
        "class Agent(BaseModel):\n    memory: list = []\n\n"
        "    def step(self, text):\n        self.memory.append(text)\n"
        "        return len(self.memory)\n\n"
        "def make():\n    return Agent(memory=['hi'])\n"
    )
    after = before.replace("    memory: list = []", "    memory: list = []\n    cost: float = 0.5")
    engine = _checkpoint_then_change(tmp_path, monkeypatch, before, after)
    assert engine.replay_from_checkpoint("step", "again") == 2
    assert engine.agent.cost == 0.5
    assert engine.agent.model_fields_set == {"memory"}


def test_an_agent_whose_class_took_slots_since_the_checkpoint_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a message naming the class and the fix; it was
    # "AttributeError: 'Agent' object has no attribute '__dict__'"
    before = _DATACLASS_AGENT.format(options="")
    engine = _checkpoint_then_change(
        tmp_path, monkeypatch, before, _DATACLASS_AGENT.format(options="(slots=True)")
    )
    with pytest.raises(ClearstoneError, match=r"cannot restore .*Agent.*__dict__.*load_state"):
        engine.rehydrate()


def test_a_field_renamed_with_a_default_warns_naming_both_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the replay runs with the default, and says the state's 'memory' is not read
    before = _DATACLASS_AGENT.format(options="")
    engine = _checkpoint_then_change(
        tmp_path, monkeypatch, before, before.replace("memory", "history")
    )
    with pytest.warns(UserWarning, match=r"'history'.*defaults.*'memory'.*save the checkpoint"):
        assert engine.replay_from_checkpoint("step", "again") == 1


def test_a_dataclass_field_set_only_later_is_not_asked_of_the_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a field(init=False) without a default is set by a method, not by __init__: a state
    # captured before that call lacks it, and the unchanged class still rehydrates
    before = _DATACLASS_AGENT.format(options="").replace(
        "    memory: list = field(default_factory=list)\n",
        "    memory: list = field(default_factory=list)\n    session: str = field(init=False)\n",
    )
    engine = _checkpoint_then_change(tmp_path, monkeypatch, before, before)
    assert engine.replay_from_checkpoint("step", "again") == 2
    assert not hasattr(engine.agent, "session")


ALIAS_TOOLS = """
LIVE = []


def fetch(query):
    LIVE.append(query)
    return "live answer"
"""

ALIAS_AGENT = """
from cs_alias_tools import fetch


class AliasAgent:
    def lookup(self, query):
        return fetch(query)
"""


@pytest.fixture
def alias_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """An agent that imported its tool by name (``from cs_alias_tools import fetch``)."""
    (tmp_path / "cs_alias_tools.py").write_text(ALIAS_TOOLS, encoding="utf-8")
    (tmp_path / "cs_alias_agent.py").write_text(ALIAS_AGENT, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("cs_alias_tools", "cs_alias_agent"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module("cs_alias_agent")
    monkeypatch.setitem(sys.modules, "cs_alias_agent", module)  # removed afterwards
    monkeypatch.setitem(sys.modules, "cs_alias_tools", sys.modules["cs_alias_tools"])
    return module


@pytest.mark.parametrize("strict", [False, True])
def test_a_target_the_agent_calls_under_another_name_is_named(
    alias_agent: ModuleType, mods: dict[str, ModuleType], strict: bool
) -> None:
    # Expected: the function decorated where it is defined (cs_alias_tools.fetch) is the one the
    # agent imported by name, so mocking that path leaves the agent's own name live: the call
    # ran live and the replay said only "0 of 1 used" (strict: "The agent now skips calls it
    # used to make", and to re-record); now it names the path the agent looks it up under
    with mods["cs_recording"].Recording() as rec, rec.step("lookup") as step:
        rec.call("tool", "fetch", {"query": "q"}, "recorded answer")
    engine = ReplayEngine(rec.checkpoint(alias_agent.AliasAgent(), step.span_id), strict=strict)
    config = {"tool": "cs_alias_tools.fetch"}
    hint = r"did you mean `cs_alias_agent\.fetch`\? \(the same object as `cs_alias_tools\.fetch`"
    if strict:
        with pytest.raises(UnusedResponsesError, match=hint) as info:
            engine.replay_from_checkpoint("lookup", "q", mock_config=config)
        assert "The agent now skips calls it used to make" not in str(info.value)
    else:
        with pytest.warns(UnusedResponsesWarning, match=hint):
            engine.replay_from_checkpoint("lookup", "q", mock_config=config)
    assert (
        engine.replay_from_checkpoint("lookup", "q", mock_config={"tool": "cs_alias_agent.fetch"})
        == "recorded answer"
    )


def test_a_target_called_at_least_once_is_not_given_its_other_names(
    alias_agent: ModuleType, mods: dict[str, ModuleType]
) -> None:
    # (called once of twice, the agent reaches it under the path mocked: no other name to try)
    with mods["cs_recording"].Recording() as rec, rec.step("lookup") as step:
        rec.call("tool", "fetch", {"query": "q"}, "recorded answer")
    engine = ReplayEngine(rec.checkpoint(alias_agent.AliasAgent(), step.span_id))
    assert engine.uncalled_aliases({"cs_alias_tools.fetch": (1, 2)}) == {}
    assert engine.uncalled_aliases({"cs_alias_tools.fetch": (0, 2)}) == {
        "cs_alias_tools.fetch": ["cs_alias_agent.fetch"]
    }


def test_a_checkpoint_taken_inside_a_running_span_names_the_trace_store_it_needs(
    mods: dict[str, ModuleType],
) -> None:
    # Expected: a checkpoint taken at the start of a step (the guide's "checkpoint before
    # critical operations") holds the trace as it stood then, without the step's calls; replayed
    # without the trace store, the replay said "The agent now makes more calls than when it was
    # recorded", and the pre-flight analysis only that none was found
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("agent")
    manager = CheckpointManager()
    agent = mods["cs_tool_agent"].ToolAgent()
    with tracer.span("run") as root, tracer.span("critical") as step:
        checkpoint = manager.create_checkpoint(
            agent, provider.trace_store.get_trace(root.trace_id), step.span_id
        )
        with tracer.span("fetch", span_type="tool") as call:
            call.set_input({"query": "x"})
            call.set_output("A1")
    note = (
        "the checkpoint was taken inside its span 'critical' while it ran: its trace holds only "
        "the spans opened by then. Give ReplayEngine the trace store the trace was written to "
        "(ReplayEngine(checkpoint, trace_store=provider.trace_store))"
    )
    engine = ReplayEngine(checkpoint)
    (warning,) = engine.preflight(FETCH).warnings
    assert note in warning
    with pytest.raises(ReplayExhaustedError) as info:
        engine.replay_from_checkpoint("lookup", "x", mock_config=FETCH)
    assert note in str(info.value)
    assert "The agent now makes more calls" not in str(info.value)
    engine = ReplayEngine(checkpoint, trace_store=provider.trace_store)
    assert engine.preflight(FETCH).warnings == []
    assert engine.replay_from_checkpoint("lookup", "x", mock_config=FETCH) == "A1"
    provider.shutdown()


def test_a_mock_config_with_type_and_path_swapped_is_named_so(mods: dict[str, ModuleType]) -> None:
    # Expected: the swap named; it said "mock target 'tool' cannot be patched: it is not a
    # dotted import path", naming the span type as the target
    from pytest_clearstone.errors import MockTargetError

    engine = ReplayEngine(_two_steps(mods))
    swapped = {"cs_tools.fetch": "tool"}
    for call in (
        lambda: engine.replay_from_checkpoint("lookup", "x", mock_config=swapped),
        lambda: engine.preflight(swapped),
    ):
        with pytest.raises(MockTargetError) as info:
            call()
        message = str(info.value)
        assert "maps a span type to an import path" in message
        assert "{'tool': 'cs_tools.fetch'}" in message


def test_a_trace_store_without_the_checkpoints_trace_is_named(
    mods: dict[str, ModuleType],
) -> None:
    # the store given is another one (a second ':memory:' provider): the note names it
    provider, other = TracerProvider(":memory:"), TracerProvider(":memory:")
    tracer = provider.get_tracer("agent")
    with tracer.span("run") as root, tracer.span("critical") as step:
        checkpoint = CheckpointManager().create_checkpoint(
            mods["cs_tool_agent"].ToolAgent(),
            provider.trace_store.get_trace(root.trace_id),
            step.span_id,
        )
    engine = ReplayEngine(checkpoint, trace_store=other.trace_store)
    (warning,) = engine.preflight(FETCH).warnings
    assert "the trace store the trace was written to (the one given, ':memory:', does not" in (
        warning
    )
    provider.shutdown()
    other.shutdown()


def test_an_untrusted_checkpoint_naming_an_installed_class_is_refused(
    mods: dict[str, ModuleType],
) -> None:
    # a checkpoint file edited to name a class of the standard library: its methods would run
    # on the state the file chose, unless the checkpoint is trusted (allow_pickle)
    checkpoint = _two_steps(mods)
    checkpoint.agent_module, checkpoint.agent_class_name = "collections", "OrderedDict"
    with pytest.raises(CheckpointError, match="a class of the standard library"):
        ReplayEngine(checkpoint).agent_class()
    import collections

    assert ReplayEngine(checkpoint, allow_pickle=True).agent_class() is collections.OrderedDict


def test_the_engines_matcher_decides_what_matches(mods: dict[str, ModuleType]) -> None:
    checkpoint = _two_steps(mods)
    engine = ReplayEngine(checkpoint, strict=True, matcher=lambda *given: True)
    assert engine.replay_from_checkpoint("lookup_twice", "x", "y", mock_config=FETCH) == [
        "B1",
        "C1",
    ]


def test_the_unused_responses_warning_points_at_the_replaying_line(
    mods: dict[str, ModuleType],
) -> None:
    engine = ReplayEngine(_two_steps(mods, at="step_1"))
    with pytest.warns(UnusedResponsesWarning) as caught:
        engine.replay_from_checkpoint("lookup_twice", "a", "b", mock_config=FETCH)
    assert [Path(w.filename) for w in caught] == [Path(__file__)]


def test_the_context_of_a_replay_takes_the_seed_and_tick_given(
    mods: dict[str, ModuleType],
) -> None:
    engine = ReplayEngine(_two_steps(mods))
    context = engine.context(FETCH, seed=5, tick=True)
    assert (context.seed, context.tick) == (5, True)
    default = engine.context(FETCH)
    assert (default.seed, default.tick) != (5, True)


def test_a_method_without_arguments_is_debugged_without_input(
    mods: dict[str, ModuleType],
) -> None:
    import io

    engine = ReplayEngine(_two_steps(mods))
    out = io.StringIO()
    result = engine.start_debugging_session("numbered", FETCH, stdin=io.StringIO("c\n"), stdout=out)
    assert result == ["B1", "C1"], out.getvalue()


def test_a_field_renamed_with_a_default_warns_at_the_line_that_rehydrates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _DATACLASS_AGENT.format(options="")
    engine = _checkpoint_then_change(
        tmp_path, monkeypatch, before, before.replace("memory", "history")
    )
    with pytest.warns(UserWarning, match="'history'") as caught:
        engine.rehydrate()
    assert [Path(w.filename) for w in caught] == [Path(__file__)]


def test_a_class_that_gained_a_required_field_and_one_with_a_default_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _DATACLASS_AGENT.format(options="")
    after = before.replace(
        "    memory: list = field(default_factory=list)",
        "    budget: float\n    memory: list = field(default_factory=list)\n    seen: int = 0",
    )
    engine = _checkpoint_then_change(tmp_path, monkeypatch, before, after)
    with pytest.raises(CheckpointError, match=r"lacks its required field.*'budget'"):
        engine.rehydrate()


def test_a_get_state_taking_only_optional_or_variadic_arguments_is_the_agents_own() -> None:
    # its TypeError is the agent's own error, not "needs arguments"
    from pytest_clearstone.golden.agent_classes import not_a_state_method

    class Agent:
        def get_state(self, *args: Any, verbose: bool = False, **kwargs: Any) -> Any:
            raise TypeError("the agent's own")

        def thread_state(self, config: Any, *rest: Any) -> Any:
            pass

    agent = Agent()
    assert not_a_state_method(agent, agent.get_state) is None
    assert "needs arguments (config)" in str(not_a_state_method(agent, agent.thread_state))


def test_a_target_without_recorded_calls_names_the_target_the_recording_holds(
    mods: dict[str, ModuleType],
) -> None:
    # the function renamed or moved: its calls are recorded under its old path, which the
    # error on the first call names (ReplayEngine's own replay, as the plugin's)
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("tool", "second_tool", {"x": 1}, 2,
                 attributes={"clearstone.target": "cs_tools.second_tool"})  # fmt: skip
        rec.call("llm", "complete", {"prompt": "p"}, "A",
                 attributes={"clearstone.target": "cs_tools.client.complete"})  # fmt: skip
    engine = ReplayEngine(rec.checkpoint(agent, step.span_id))
    with pytest.raises(ReplayExhaustedError) as info:
        engine.replay_from_checkpoint("lookup", "q", mock_config=FETCH)
    assert "complete" not in str(info.value)  # (a call of another span type)
    assert (
        "The recording holds no call to cs_tools.fetch; it holds tool calls to a target "
        "this test does not mock: cs_tools.second_tool (1 recorded call(s))"
    ) in str(info.value)


def test_each_target_of_several_left_without_responses_is_warned_of_with_its_own_names(
    mods: dict[str, ModuleType],
) -> None:
    # (the checkpoint taken inside its running span: the note on a partial trace is not added
    # where the spans no target takes are the reason)
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        rec.call("llm", "chat_api", {"prompt": "p"}, "A")
        checkpoint = rec.checkpoint(agent, step.span_id)
    report = ReplayEngine(checkpoint).preflight(
        {"llm": ["cs_tools.Client.complete", "cs_tools.fetch"]}
    )
    assert [e.responses for e in report.entries] == [0, 0]
    assert [w.split(". ", 1)[1] for w in report.warnings] == [
        f"The trace holds 1 response(s) of that type that no target takes, in spans named "
        f"'chat_api': with several targets for a type, each takes the spans named after its "
        f"function ({own}). Name the spans so (@tracer.traced names them after the function "
        "unless given name=), or give the type one target"
        for own in ("'complete', 'Client.complete'", "'fetch', 'cs_tools.fetch'")
    ]


def test_several_targets_with_no_response_of_their_type_are_told_why_the_trace_may_lack_them(
    mods: dict[str, ModuleType],
) -> None:
    agent = mods["cs_tool_agent"].ToolAgent()
    with mods["cs_recording"].Recording() as rec, rec.step("step") as step:
        checkpoint = rec.checkpoint(agent, step.span_id)
        rec.call("tool", "fetch", {"query": "q", "limit": 3}, "late answer")
    report = ReplayEngine(checkpoint).preflight(
        {"tool": ["cs_tools.fetch", "cs_tools.second_tool"]}
    )
    assert len(report.warnings) == 2
    for warning in report.warnings:
        assert " Maybe the checkpoint was taken inside its span 'step' while it ran" in warning
        assert "no target takes" not in warning
