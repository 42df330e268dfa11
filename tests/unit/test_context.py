"""DeterministicExecutionContext: frozen clock, seeded randomness and uuid4, patched targets."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import os
import random
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_clearstone.debugging import (
    DeterministicExecutionContext,
    RecordedCall,
    Responses,
)
from pytest_clearstone.errors import (
    GaveUp,
    MockTargetError,
    ReplayDivergenceError,
    ReplayExhaustedError,
)
from pytest_clearstone.tracing.span import Recorded

AGENTS_DIR = Path(__file__).resolve().parent / "agents"
WHEN = dt.datetime(2024, 1, 15, 12, 30, 45, 123456, tzinfo=dt.timezone.utc)


@pytest.fixture
def tools(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    return importlib.import_module("cs_tools")


def test_clock_is_frozen_at_the_checkpoint_timestamp(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN):
        first = tools.snapshot()
        time.sleep(0.01)
        second = tools.snapshot()
    assert first["time"] == second["time"] == WHEN.timestamp()
    assert first["time_ns"] == second["time_ns"] == int(WHEN.timestamp() * 1e6) * 1000
    assert first["now"] == second["now"] == WHEN
    assert first["today"] == WHEN.date()
    assert time.time() > WHEN.timestamp() + 3600  # the real clock is back


def test_local_time_is_the_checkpoints_utc_time_on_any_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        with DeterministicExecutionContext(WHEN):
            naive_now, today = dt.datetime.now(), dt.date.today()
            local = time.localtime()
        assert naive_now == WHEN.replace(tzinfo=None)
        assert today == WHEN.date()
        assert local.tm_hour == WHEN.hour
        assert time.localtime().tm_zone in ("EST", "EDT")  # the machine's zone is back
    finally:
        monkeypatch.undo()
        time.tzset()


def test_ctime_and_asctime_without_a_time_read_the_frozen_clock() -> None:
    """``time.ctime()`` and ``time.asctime()`` (an agent's "Current time: ..." line) read the
    real clock inside the context (time-machine does not patch them): a golden recorded with
    them diverged on every replay a second later."""
    frozen = time.ctime(WHEN.timestamp())
    with DeterministicExecutionContext(WHEN) as context:
        assert time.ctime() == frozen
        assert time.asctime() == frozen
        assert time.ctime(0) == time.asctime(time.localtime(0))  # an argument is used as given
        with context.suspended():  # a live call reads the real clock
            assert time.ctime() != frozen
    assert time.ctime() != frozen  # the real clock is back


def test_an_explicit_context_freezes_its_clock_also_inside_a_clock_the_test_set() -> None:
    """The context's own clock, also where the test travelled with time-machine first (a golden
    test's run leaves that clock to the agent instead: tests/plugin/test_clock_of_fixtures.py)."""
    import time_machine

    with time_machine.travel(dt.datetime(2020, 5, 1, tzinfo=dt.timezone.utc), tick=False):
        with DeterministicExecutionContext(WHEN):
            assert time.time() == WHEN.timestamp()
        assert time.time() == dt.datetime(2020, 5, 1, tzinfo=dt.timezone.utc).timestamp()


def test_clock_of_a_checkpoint_object(tools: ModuleType) -> None:
    class FakeCheckpoint:  # what the context reads from a Checkpoint
        timestamp = WHEN
        checkpoint_id = "ckpt_1"
        path = None

    with DeterministicExecutionContext(FakeCheckpoint()) as ctx:  # type: ignore[arg-type]
        assert time.time() == WHEN.timestamp()
    assert ctx.checkpoint_label == "ckpt_1"


def test_naive_timestamp_is_taken_as_utc() -> None:
    with DeterministicExecutionContext(WHEN.replace(tzinfo=None)):
        assert time.time() == WHEN.timestamp()


def test_tick_lets_the_clock_run_from_the_timestamp() -> None:
    with DeterministicExecutionContext(WHEN, tick=True):
        start = time.time()
        time.sleep(0.01)
        later = time.time()
    assert WHEN.timestamp() <= start < later < WHEN.timestamp() + 3600


def test_monotonic_clocks_and_asyncio_keep_running() -> None:
    async def nap() -> str:
        await asyncio.sleep(0.01)
        return "woke"

    with DeterministicExecutionContext(WHEN):
        m1, p1 = time.monotonic(), time.perf_counter()
        assert asyncio.run(nap()) == "woke"
        assert time.monotonic() > m1
        assert time.perf_counter() > p1


def test_two_contexts_give_identical_randomness_and_ids(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN, seed=42):
        first = tools.snapshot()
        first_uuid = uuid.uuid4()
    with DeterministicExecutionContext(WHEN, seed=42):
        second = tools.snapshot()
        second_uuid = uuid.uuid4()
    assert first == second
    assert first_uuid == second_uuid
    assert first_uuid.version == 4
    assert uuid.UUID(first["uuid4"]).version == 4
    assert first["instance"] != first["random"][:2]  # Random() instances have their own stream

    with DeterministicExecutionContext(WHEN, seed=43):
        assert tools.snapshot()["random"] != first["random"]


def test_seed_defaults_to_one_derived_from_the_checkpoint(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN) as ctx:
        a = tools.snapshot()
    with DeterministicExecutionContext(WHEN):
        b = tools.snapshot()
    with DeterministicExecutionContext(WHEN + dt.timedelta(seconds=1)):
        c = tools.snapshot()
    assert a["random"] == b["random"] != c["random"]
    assert ctx.seed == DeterministicExecutionContext(WHEN).seed


def test_explicitly_seeded_instances_keep_their_seed() -> None:
    expected = random.Random(5).random()
    with DeterministicExecutionContext(WHEN, seed=1):
        assert random.Random(5).random() == expected


def test_previous_random_state_and_real_uuid4_are_restored(tools: ModuleType) -> None:
    random.seed(2024)
    before = random.getstate()
    original_code = uuid.uuid4.__code__
    with DeterministicExecutionContext(WHEN, seed=1):
        random.random()
        inside_ids = {uuid.uuid4() for _ in range(3)}
    assert random.getstate() == before
    assert uuid.uuid4.__code__ is original_code
    outside = {uuid.uuid4() for _ in range(3)}
    assert len(outside) == 3 and not outside & inside_ids
    r = random.Random()
    assert r.random() != random.Random().random()  # unseeded instances are random again


def test_random_state_is_restored_when_the_block_raises() -> None:
    random.seed(7)
    before = random.getstate()
    with pytest.raises(RuntimeError), DeterministicExecutionContext(WHEN):
        random.random()
        raise RuntimeError("boom")
    assert random.getstate() == before
    assert time.time() > WHEN.timestamp() + 3600


def test_mock_targets_return_listed_values_in_order(tools: ModuleType) -> None:
    original = tools.fetch
    targets = {"cs_tools.fetch": [{"data": "r1"}, ValueError("rate limited"), {"data": "r3"}]}
    with DeterministicExecutionContext(WHEN, targets) as ctx:
        assert tools.fetch("a") == {"data": "r1"}
        with pytest.raises(ValueError, match="rate limited"):
            tools.fetch("b")
        assert tools.fetch("c", limit=1) == {"data": "r3"}
    assert tools.fetch is original
    assert [(c.call_number, c.arguments) for c in ctx.session.calls] == [
        (1, {"query": "a"}),  # the default limit was not given
        (2, {"query": "b"}),
        (3, {"query": "c", "limit": 1}),
    ]


def test_a_base_exception_given_as_a_value_is_raised_not_returned(tools: ModuleType) -> None:
    class Stop(BaseException):
        pass

    targets = {"cs_tools.fetch": [Stop("at once")]}
    with DeterministicExecutionContext(WHEN, targets), pytest.raises(Stop, match="at once"):
        tools.fetch("a")


def _answer(gave_up: GaveUp | None) -> str:
    """How the answer the run gave up on is told (``answer_in`` found one)."""
    assert gave_up is not None
    return gave_up.answer


def test_a_failure_raised_while_handling_a_replayed_error_names_that_call(
    tools: ModuleType,
) -> None:
    # what the test's failure owes to the golden: the recorded error it was raised while
    # handling (its __context__), by its first line, cut to 200 characters
    targets = {"cs_tools.fetch": [{"data": "r1"}, ValueError("x" * 300 + "\nsecond line")]}
    with DeterministicExecutionContext(WHEN, targets) as ctx:
        tools.fetch("a")
        with pytest.raises(RuntimeError) as raised:
            try:
                tools.fetch("b")
            except ValueError:
                raise RuntimeError("the agent gave up")  # noqa: B904 (no "from": its context)
    failure = raised.value
    assert failure.__context__ is targets["cs_tools.fetch"][1]
    assert _answer(ctx.session.answer_in(failure)) == (
        f"ValueError: {'x' * 197}..., the error recorded for call #2 to cs_tools.fetch"
    )
    assert ctx.session.answer_in(RuntimeError("unrelated")) is None


def test_a_failure_raised_from_an_error_given_for_two_calls_names_the_last_of_them(
    tools: ModuleType,
) -> None:
    # (the agent gave up after its second attempt: the call it gave up on is that one)
    down = ValueError("down")
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": [down, down]}) as ctx:
        for query in ("a", "b"):
            with pytest.raises(ValueError):
                tools.fetch(query)
    assert _answer(ctx.session.answer_in(down)) == (
        "ValueError: down, the error recorded for call #2 to cs_tools.fetch"
    )


def test_a_failure_that_is_a_group_holding_a_replayed_error_names_that_call(
    tools: ModuleType,
) -> None:
    # (an asyncio.TaskGroup's failure: the recorded error is one of its tasks')
    if sys.version_info >= (3, 11):
        group_type = ExceptionGroup  # noqa: F821
    else:
        from exceptiongroup import ExceptionGroup as group_type
    down = ValueError("down")
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": ["up", down]}) as ctx:
        tools.fetch("a")
        with pytest.raises(ValueError):
            tools.fetch("b")
    group = group_type("tasks", [RuntimeError("another task"), down])
    assert _answer(ctx.session.answer_in(group)) == (
        "ValueError: down, the error recorded for call #2 to cs_tools.fetch"
    )


def test_an_error_holding_a_copy_of_an_answer_names_the_call_of_that_answer(
    tools: ModuleType,
) -> None:
    # (an SDK's error keeps a copy of the response it was made from: the call is that
    # response's, not a later one's with equal headers)
    import copy

    import httpx

    busy = [httpx.Response(429, headers={"retry-after": "1"}) for _ in range(2)]
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": busy}) as ctx:
        first = tools.fetch("a")
        tools.fetch("b")
    error = RuntimeError("rate limited")
    error.response = copy.copy(first)  # type: ignore[attr-defined]
    assert _answer(ctx.session.answer_in(error)) == (
        "RuntimeError: rate limited, holding the answer recorded for call #1 to cs_tools.fetch"
    )


def test_a_replayed_error_is_named_by_the_first_line_of_its_message_escaped_or_without_one(
    tools: ModuleType,
) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    two_lines, unprintable = ValueError("first line\nsecond line"), Unprintable()
    coloured = ValueError("red \x1b[31m text")  # (a terminal's escape, never sent to it)
    errors = [two_lines, unprintable, coloured]
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": errors}) as ctx:
        for query in ("a", "b", "c"):
            with pytest.raises(Exception):  # noqa: B017 (each error as given)
                tools.fetch(query)
    assert _answer(ctx.session.answer_in(two_lines)) == (
        "ValueError: first line, the error recorded for call #1 to cs_tools.fetch"
    )
    assert _answer(ctx.session.answer_in(unprintable)).endswith(
        ".Unprintable: (no message), the error recorded for call #2 to cs_tools.fetch"
    )
    assert _answer(ctx.session.answer_in(coloured)) == (
        "ValueError: red \\x1b[31m text, the error recorded for call #3 to cs_tools.fetch"
    )


def test_a_replay_error_is_never_told_as_an_error_the_golden_recorded(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": ["only"]}) as ctx:
        tools.fetch("a")
        with pytest.raises(ReplayExhaustedError) as exhausted:
            tools.fetch("b")
    assert ctx.session.calls[-1].error is exhausted.value
    assert ctx.session.answer_in(exhausted.value) is None


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is 3.11+")
def test_the_first_replay_error_besides_a_failure_is_none_when_the_failure_holds_it(
    tools: ModuleType,
) -> None:
    # none when the failure is it or holds it (an exception group of the agent's tasks), else
    # that error (the agent caught it and failed otherwise)
    targets: dict[str, list[Any]] = {"cs_tools.fetch": []}
    with (
        DeterministicExecutionContext(WHEN, targets) as ctx,
        pytest.raises(ReplayExhaustedError) as exhausted,
    ):
        tools.fetch("a")
    session, first = ctx.session, exhausted.value
    group = ExceptionGroup("tasks", [ValueError(), first])  # noqa: F821
    assert session.first_error_besides(first) is None
    assert session.first_error_besides(group) is None
    assert session.first_error_besides(RuntimeError("the agent gave up")) is first


def test_exhaustion_names_target_count_and_call_number(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": ["only"]}) as ctx:
        assert tools.fetch("a") == "only"
        with pytest.raises(ReplayExhaustedError) as info:
            tools.fetch("b")
    error = info.value
    assert not isinstance(error, StopIteration)
    assert (error.target, error.recorded, error.call_number) == ("cs_tools.fetch", 1, 2)
    assert str(error).startswith(
        "cs_tools.fetch was called 2 time(s) but mock_targets lists only 1 value(s) for it "
        "(call #2 has none)"
    )
    assert ctx.session.errors == [error]


def test_exhaustion_of_values_given_by_hand_names_their_list_not_a_re_record(
    tools: ModuleType,
) -> None:
    # the guide's "Direct Context Usage": values listed in mock_targets, no recording behind
    # them; the error told to re-record with pytest --clearstone-record or to check the mock
    # config's span type, neither of which the user has
    # (and its first line said "the recording has only 1 response(s)", of a recording there is
    # not: it now reads as the marker's, of the values mock_targets lists)
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": ["only"]}):
        tools.fetch("a")
        with pytest.raises(ReplayExhaustedError) as info:
            tools.fetch("b")
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "cs_tools.fetch was called 2 time(s) but mock_targets lists only 1 value(s) for it "
        "(call #2 has none)"
    )
    assert lines[-1] == (
        "  The agent now makes more calls than mock_targets lists values for cs_tools.fetch. If "
        "the change is intended, add a value to its list for each further call"
    )
    assert "re-record" not in str(info.value)
    assert "recording" not in str(info.value)


def test_exhaustion_of_an_empty_list_given_by_hand_names_the_list(tools: ModuleType) -> None:
    context = DeterministicExecutionContext(WHEN, {"cs_tools.fetch": []})
    with context, pytest.raises(ReplayExhaustedError) as info:
        tools.fetch("a")
    assert str(info.value).startswith(
        "cs_tools.fetch was called 1 time(s) but mock_targets lists only 0 value(s) for it"
    )
    assert "recording" not in str(info.value)


def test_exhaustion_of_calls_all_recorded_in_one_branch_is_told_of_the_target(
    tools: ModuleType,
) -> None:
    spec = _responses(({"query": "a"}, "A"), ({"query": "b"}, "B"))
    for call in spec.calls:
        call.branch = "0"  # (the branch a call made in the context's block runs in)
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": spec}):
        tools.fetch("a")
        tools.fetch("b")
        with pytest.raises(ReplayExhaustedError) as info:
            tools.fetch("c")
    assert info.value.branch is None
    assert str(info.value).startswith("cs_tools.fetch was called 3 time(s)")


def test_a_call_after_the_calls_ran_out_is_no_retry_of_the_recorded_error(
    tools: ModuleType,
) -> None:
    # (the retry after the recording's last, failed call is told; a call after that is not)
    failed = {"type": "ToolFailed", "module": "cs_tools", "message": "down", "args": ["down"]}
    targets = {"cs_tools.fetch": Responses([RecordedCall(error=failed, span_id="s1")])}
    retry = "the recording's last call to cs_tools.fetch raised cs_tools.ToolFailed: down"
    with DeterministicExecutionContext(WHEN, targets):
        with pytest.raises(tools.ToolFailed):
            tools.fetch("a")
        with pytest.raises(ReplayExhaustedError) as retried:
            tools.fetch("b")
        with pytest.raises(ReplayExhaustedError) as after:
            tools.fetch("c")
    assert retry in str(retried.value)
    assert retry not in str(after.value)


def test_exhaustion_shows_the_calls_arguments_as_the_recordings_redaction_would(
    tools: ModuleType,
) -> None:
    def hide(value: Any, where: str, target: str) -> Any:
        return {**value, "query": "<REDACTED>"}

    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": []}) as ctx:
        ctx.session.shown = hide
        with pytest.raises(ReplayExhaustedError) as info:
            tools.fetch("sk-live-secret")
    assert "call #1 arguments: {'query': '<REDACTED>'}" in str(info.value)
    assert "sk-live-secret" not in str(info.value)


def test_exhaustion_is_kept_even_when_swallowed(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": []}) as ctx:
        try:
            tools.fetch("a")
        except Exception as exc:  # what an agent with a catch-all handler does
            assert isinstance(exc, ReplayExhaustedError)
    with pytest.raises(ReplayExhaustedError, match="call #1 has none"):
        ctx.session.raise_errors(strict=False)


def test_a_stream_read_further_than_recorded_diverges_also_when_the_agent_swallows_it(
    tools: ModuleType,
) -> None:
    from pytest_clearstone.golden.streams import RecordedStream

    partly = Recorded.of(RecordedStream(items=["a"], complete=False))  # (the agent stopped)
    targets = {"cs_tools.stream": Responses([RecordedCall(output=partly, span_id="s1")])}
    with DeterministicExecutionContext(WHEN, targets) as ctx:
        stream = tools.stream("p")
        assert next(stream) == "a"
        with pytest.raises(ReplayDivergenceError):
            next(stream)  # (what an agent with a catch-all handler would swallow)
    with pytest.raises(ReplayDivergenceError, match=r"call #1 to cs_tools\.stream"):
        ctx.session.raise_errors(strict=False)


def _responses(*pairs: tuple[dict[str, Any], Any]) -> Responses:
    return Responses(
        [
            RecordedCall(input=Recorded.of(i), output=Recorded.of(o), span_id=f"span{n}")
            for n, (i, o) in enumerate(pairs, 1)
        ]
    )


def test_strict_matching_accepts_the_recorded_arguments(tools: ModuleType) -> None:
    spec = _responses(({"query": "a", "limit": 3}, "A"), ({"query": "b", "limit": 9}, "B"))
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": spec}, strict=True):
        assert tools.fetch("a") == "A"
        assert tools.fetch(limit=9, query="b") == "B"


def test_strict_divergence_names_target_call_span_and_delta(tools: ModuleType) -> None:
    spec = _responses(({"query": "a", "limit": 3}, "A"), ({"query": "b", "limit": 3}, "B"))
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": spec}, strict=True) as ctx:
        assert tools.fetch("a") == "A"
        with pytest.raises(ReplayDivergenceError) as info:
            tools.fetch("changed")
    error = info.value
    assert (error.target, error.call_number, error.span_id) == ("cs_tools.fetch", 2, "span2")
    message = str(error)
    assert message.splitlines()[0] == (
        "replay diverged at call #2 to cs_tools.fetch: its arguments differ from the recording"
    )
    assert "recorded span: span2" in message
    assert "root['query']: 'b' -> 'changed'" in message
    assert "re-record with: pytest --clearstone-record" in message
    assert ctx.session.errors == [error]


def test_an_argument_recorded_of_another_type_than_its_default_is_no_default_left_out(
    tools: ModuleType,
) -> None:
    # (a golden recorded limit=3.0; the call leaves limit out, at its default 3: not the same)
    spec = _responses(({"query": "a", "limit": 3.0}, "A"))
    targets = {"cs_tools.fetch": spec}
    with (
        DeterministicExecutionContext(WHEN, targets, strict=True),
        pytest.raises(ReplayDivergenceError) as info,
    ):
        tools.fetch("a")
    assert "(not given by the call: limit, at the default)" in str(info.value)


def test_arguments_recorded_through_a_double_are_not_told_as_the_same_when_more_were_given(
    tools: ModuleType,
) -> None:
    # (three positional arguments through a mock double: not the two the function takes now)
    spec = _responses(({"args": ("a", 5, "extra"), "kwargs": {}}, "A"))
    targets = {"cs_tools.fetch": spec}
    with (
        DeterministicExecutionContext(WHEN, targets, strict=True),
        pytest.raises(ReplayDivergenceError) as info,
    ):
        tools.fetch("a", 5)
    assert "unittest.mock double" not in str(info.value)


def variadic(*args: Any, **kwargs: Any) -> str:
    """A target that takes its arguments as a mock double without a spec does."""
    raise AssertionError("live variadic called during replay")


def test_a_method_call_recorded_with_its_settings_and_replayed_through_a_double_names_it() -> None:
    # (the instance's settings, ``self``, are no argument the double was given)
    spec = _responses(({"self": {"model": "m"}, "prompt": "hi"}, "A"))
    targets = {f"{__name__}.variadic": spec}
    with (
        DeterministicExecutionContext(WHEN, targets, strict=True),
        pytest.raises(ReplayDivergenceError) as info,
    ):
        variadic("hi")
    assert "The call is replayed through a unittest.mock double without a spec" in str(info.value)


def test_order_only_matching_ignores_changed_arguments(tools: ModuleType) -> None:
    spec = _responses(({"query": "a", "limit": 3}, "A"))
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": spec}):
        assert tools.fetch("something else") == "A"


def test_custom_matcher_decides(tools: ModuleType) -> None:
    seen: list[tuple[str, int, Any, Any]] = []

    def case_insensitive(target: str, number: int, recorded: Any, actual: Any) -> bool:
        seen.append((target, number, recorded, actual))
        return bool(recorded["query"].lower() == actual["query"].lower())

    spec = _responses(({"query": "A", "limit": 3}, "A"))
    with DeterministicExecutionContext(
        WHEN, {"cs_tools.fetch": spec}, strict=True, matcher=case_insensitive
    ):
        assert tools.fetch("a") == "A"
    # the recording's default limit is left out, as the call did not give it
    assert seen == [("cs_tools.fetch", 1, {"query": "A"}, {"query": "a"})]


def test_a_custom_matcher_refuses_the_recorded_arguments_themselves(tools: ModuleType) -> None:
    def refuse(target: str, number: int, recorded: Any, actual: Any) -> bool:
        return False

    spec = _responses(({"query": "a"}, "A"))
    targets = {"cs_tools.fetch": spec}
    with (
        DeterministicExecutionContext(WHEN, targets, strict=True, matcher=refuse),
        pytest.raises(ReplayDivergenceError) as info,
    ):
        tools.fetch("a")
    assert info.value.closest is None  # (its own recording is no other call's)


def test_a_bad_target_path_leaves_nothing_patched(tools: ModuleType) -> None:
    random.seed(11)
    before = random.getstate()
    original_fetch, original_code = tools.fetch, uuid.uuid4.__code__
    ctx = DeterministicExecutionContext(
        WHEN, {"cs_tools.fetch": ["x"], "cs_tools.no_such_function": ["y"]}
    )
    with pytest.raises(MockTargetError) as info, ctx:
        pytest.fail("the block must not run")
    assert "'cs_tools.no_such_function'" in str(info.value)
    assert "has no attribute 'no_such_function'" in str(info.value)
    assert isinstance(info.value, AttributeError)
    assert tools.fetch is original_fetch
    assert uuid.uuid4.__code__ is original_code
    assert random.getstate() == before
    assert random.Random.seed is random.Random.__dict__["seed"]
    assert time.time() > WHEN.timestamp() + 3600
    assert not ctx.active


def test_entering_that_fails_halfway_unwinds_every_patch(tools: ModuleType) -> None:
    original_fetch, original_second = tools.fetch, tools.second_tool
    random.seed(3)
    before = random.getstate()
    # the first target is patched, the second spec is invalid: both must end up unpatched
    ctx = DeterministicExecutionContext(
        WHEN,
        {"cs_tools.fetch": ["ok"], "cs_tools.second_tool": "not a list"},  # type: ignore[dict-item]
    )
    with pytest.raises(TypeError, match="must be a list of return values, not str"), ctx:
        pytest.fail("the block must not run")
    assert tools.fetch is original_fetch
    assert tools.second_tool is original_second
    assert random.getstate() == before
    assert time.time() > WHEN.timestamp() + 3600


def test_bytes_given_as_a_targets_values_are_refused_not_answered_byte_by_byte(
    tools: ModuleType,
) -> None:
    ctx = DeterministicExecutionContext(WHEN, {"cs_tools.fetch": b"ok"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="must be a list of return values, not bytes"), ctx:
        pytest.fail("the block must not run")


def test_a_target_patched_while_the_context_is_active_answers_and_is_undone_on_exit(
    tools: ModuleType,
) -> None:
    from pytest_clearstone.golden.targets import resolve

    original = tools.fetch
    with DeterministicExecutionContext(WHEN) as ctx:
        ctx.patch_target(resolve("cs_tools.fetch"), ["patched late"])
        assert tools.fetch("a") == "patched late"
    assert tools.fetch is original


def test_a_block_suspended_outside_the_context_runs_as_it_is() -> None:
    random.seed(5)
    expected = random.random()
    random.seed(5)
    with DeterministicExecutionContext(WHEN, seed=9).suspended():
        drawn = random.random()
    assert drawn == expected


def test_suspended_block_uses_the_real_world_and_consumes_nothing(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN, seed=9):
        plain = [random.random(), str(uuid.uuid4()), random.random()]
    with DeterministicExecutionContext(WHEN, seed=9) as ctx:
        first = random.random()
        with ctx.suspended():
            assert time.time() > WHEN.timestamp() + 3600
            random.random()
            uuid.uuid4()
        rest = [str(uuid.uuid4()), random.random()]
        assert time.time() == WHEN.timestamp()
    assert [first, *rest] == plain


def test_overlapping_live_calls_in_threads_consume_nothing_until_the_last_ends(
    tools: ModuleType,
) -> None:
    # Two live calls in two threads, the first ending while the second still runs: the second
    # went on drawing from the seeded stream and seeing the frozen clock (the first's end put
    # them back), so the agent's later draws differed between record and replay.
    import threading

    with DeterministicExecutionContext(WHEN, seed=9):
        plain = [random.random(), str(uuid.uuid4()), random.random()]
    first_done, second_in = threading.Event(), threading.Event()
    seen: dict[str, float] = {}
    with DeterministicExecutionContext(WHEN, seed=9) as ctx:
        head = random.random()

        def first() -> None:
            with ctx.suspended():
                second_in.wait(5)
                random.random()
            first_done.set()

        def second() -> None:
            with ctx.suspended():
                second_in.set()
                first_done.wait(5)
                random.random()
                uuid.uuid4()
                seen["time"] = time.time()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rest = [str(uuid.uuid4()), random.random()]
        assert time.time() == WHEN.timestamp()
    assert seen["time"] > WHEN.timestamp() + 3600
    assert [head, *rest] == plain


def test_a_clock_the_test_moves_inside_the_context_stays_moved_around_live_calls() -> None:
    # Expected: the code around a live call sees the clock the test travelled to (time-machine
    # inside the context), before and after the call; the live call sees the real clock.
    # Before the fix: suspending stopped the top traveller (the test's, not the context's), so
    # the live call saw the frozen clock and the code after it the context's time.
    import time_machine

    elsewhere = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    with DeterministicExecutionContext(WHEN, seed=9) as ctx:
        with time_machine.travel(elsewhere, tick=False):
            before = time.time()
            with ctx.suspended():
                live = time.time()
            after = time.time()
        assert time.time() == WHEN.timestamp()
    assert before == after == elsewhere.timestamp()
    assert live > WHEN.timestamp() + 3600
    assert time.time() > WHEN.timestamp() + 3600


def test_the_agents_clock_after_a_live_call_is_a_clock_the_test_then_moves_to() -> None:
    # (the time of a seeded uuid7, in its first 48 bits, is the agent's clock in milliseconds)
    import time_machine

    pydantic_uuid = pytest.importorskip("pydantic_ai._uuid")
    elsewhere = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    with DeterministicExecutionContext(WHEN, seed=9) as ctx:
        with ctx.suspended():
            pass
        with time_machine.travel(elsewhere, tick=False):
            moved = pydantic_uuid.uuid7()
    assert moved.int >> 80 == int(elsewhere.timestamp() * 1000)


def test_a_live_call_under_a_clock_that_cannot_travel_sees_that_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Expected: where time-machine cannot start a clock (freezegun active: it raises
    # RuntimeError), the live call runs under the clock there is, and leaving the context
    # restores the real clock. Before the fix: the live call failed with that RuntimeError and
    # leaving the context raised IndexError (pop from empty list).
    import time_machine

    with DeterministicExecutionContext(WHEN, seed=9) as ctx:

        def refuse(self: Any) -> None:
            raise RuntimeError("time-machine cannot start when freezegun is active.")

        monkeypatch.setattr(time_machine.travel, "start", refuse)
        with ctx.suspended():
            assert time.time() == WHEN.timestamp()
        monkeypatch.undo()
    assert time.time() > WHEN.timestamp() + 3600


def _shapes(a: Any, b: int = 2, *, c: int = 3) -> None:
    pass


def _plain(a: Any, b: int = 2, c: int = 3) -> None:
    pass


def _star(a: Any, *rest: Any, **extra: Any) -> None:
    pass


def _keywords(a: Any, *, b: int, c: int = 3) -> None:  # an SDK method's shape
    pass


def _positional(a: Any, /, b: int = 2, *, c: int = 3) -> None:
    pass


@pytest.mark.parametrize("fn", [_shapes, _plain, _star, _keywords, _positional])
@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((1,), {}),
        ((1, 5), {}),
        ((1,), {"b": 5}),
        ((1,), {"c": 6, "b": 5}),
        ((1, 5, 6), {}),
        ((), {"a": 1}),
        ((1, 5, 6, 7), {}),  # too many
        ((1,), {"zzz": 1}),  # unknown keyword
        ((1, 5), {"b": 5}),  # repeated
        ((1,), {"a": 1, "c": 6}),  # repeated, before another keyword
        ((), {"b": 5, "c": 6}),  # missing, the others given
        ((), {}),  # missing
    ],
)
def test_fast_argument_binding_agrees_with_the_signature(
    fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    import inspect

    from pytest_clearstone.arguments import Binder

    signature = inspect.signature(fn)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:  # a call that does not bind is recorded as given
        full = {"args": list(args), "kwargs": dict(kwargs)}
    else:  # the arguments as the caller gave them: defaults left out
        full = dict(bound.arguments)
    for skip_first in (False, True):
        expected = dict(full)
        if skip_first and "args" not in full:
            del expected[next(iter(signature.parameters))]
        got = Binder(fn, skip_first=skip_first).bind(args, kwargs)
        assert got == expected
        assert list(got) == list(expected)  # same order too


def test_an_sdk_method_s_arguments_bind_in_parameter_order_without_the_sentinels() -> None:
    # openai's create has 42 parameters, a call gives a few by keyword: bound in the
    # signature's order whatever the call's, an argument given as the SDK's "not given"
    # sentinel left out, an unknown keyword recorded as given
    import openai
    from openai.resources.chat.completions import Completions

    from pytest_clearstone.arguments import Binder

    binder = Binder(Completions.create, skip_first=True)
    resource = openai.OpenAI(api_key="k").chat.completions
    given = {"temperature": 0.2, "n": openai.NOT_GIVEN, "model": "m", "top_p": openai.omit}
    bound = binder.bind((resource,), {**given, "messages": []})
    assert list(bound.items()) == [("messages", []), ("model", "m"), ("temperature", 0.2)]
    assert binder.bind((resource,), {"model": "m"}) == {
        "args": [resource],
        "kwargs": {"model": "m"},
    }
    unknown = binder.bind((resource,), {"model": "m", "messages": [], "tempreature": 1})
    assert unknown == {
        "args": [resource],
        "kwargs": {"model": "m", "messages": [], "tempreature": 1},
    }


def test_strict_matching_of_objects_without_equality(tools: ModuleType) -> None:
    import cs_state  # type: ignore[import-not-found]

    spec = _responses(
        ({"query": cs_state.Handle(1), "limit": 3}, "ok"),
        ({"query": cs_state.Handle(1), "limit": 3}, "ok"),
    )
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": spec}, strict=True):
        # a different instance with the same content: == says no, the encodings say yes
        assert tools.fetch(cs_state.Handle(1)) == "ok"
        with pytest.raises(ReplayDivergenceError):
            tools.fetch(cs_state.Handle(2))


@pytest.mark.parametrize("zone", [None, "UTC", "Europe/Paris", "America/New_York"])
def test_local_time_inside_is_utc_whatever_the_machine_zone(
    monkeypatch: pytest.MonkeyPatch, zone: str | None
) -> None:
    # naive local times (datetime.now(), time.localtime()) read the same when recorded on a
    # laptop in Paris and replayed in CI in UTC
    import os

    if zone is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        with DeterministicExecutionContext(WHEN):
            assert dt.datetime.now() == WHEN.replace(tzinfo=None)
            assert time.localtime()[:6] == (2024, 1, 15, 12, 30, 45)
            assert time.strftime("%H:%M") == "12:30"
            assert dt.datetime.now().astimezone().utcoffset() == dt.timedelta(0)
        assert os.environ.get("TZ") == zone
    finally:
        monkeypatch.undo()
        time.tzset()


def test_temporary_names_are_seeded_whatever_used_tempfile_before() -> None:
    # Expected: an agent that works in a tempfile.TemporaryDirectory() and names it in a
    # prompt replays green. tempfile draws its names from a random.Random() it makes once per
    # process: made before the test (pytest, another test), its names were random, and the
    # replay diverged on /tmp/tmpcqhmhqlt -> /tmp/tmp2ilz7jd2
    import tempfile

    with tempfile.TemporaryDirectory():  # (tempfile's generator made outside any context)
        pass
    before = tempfile._get_candidate_names()  # type: ignore[attr-defined]

    def names() -> list[str]:
        with (
            DeterministicExecutionContext(WHEN, seed=7),
            tempfile.TemporaryDirectory() as d,
            tempfile.NamedTemporaryFile() as f,
        ):
            return [Path(d).name, Path(f.name).name]

    assert names() == names()
    assert tempfile._get_candidate_names() is before  # type: ignore[attr-defined]


@pytest.mark.parametrize("zone", [None, "Asia/Kolkata"])
def test_local_time_is_utc_also_for_a_clock_given_with_another_fixed_offset(
    monkeypatch: pytest.MonkeyPatch, zone: str | None
) -> None:
    # Expected: a checkpoint whose timestamp carries another offset (a golden edited by hand to
    # "2024-01-15T07:30:45-05:00", a datetime given to the library API with
    # timezone(timedelta(hours=-5))) freezes the same instant, and local time is UTC as for any
    # other, so naive times read alike on every machine. time-machine moves the zone only for
    # UTC and ZoneInfo destinations: with such an offset local time stayed the machine's
    # (17:00:45 in Kolkata, 12:30:45 in CI).
    if zone is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", zone)
    time.tzset()
    offset = WHEN.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    try:
        with DeterministicExecutionContext(offset):
            assert time.time() == WHEN.timestamp()
            assert dt.datetime.now() == WHEN.replace(tzinfo=None)
            assert time.localtime()[:6] == (2024, 1, 15, 12, 30, 45)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    "given", [".checkpoints/run.ckpt", Path("run.ckpt"), None, 1736942400, dt.date(2025, 1, 15)]
)
def test_what_is_neither_a_checkpoint_nor_a_datetime_is_named(given: Any) -> None:
    # Expected: a TypeError naming what it takes; it was "AttributeError: 'str' object has no
    # attribute 'timestamp'" (a checkpoint's path given for the checkpoint, as the guide's
    # checkpoint_path invites)
    with pytest.raises(TypeError, match=r"takes a Checkpoint .* or a timezone-aware datetime"):
        DeterministicExecutionContext(given)


def test_a_naive_timestamp_is_utc_also_on_a_machine_in_another_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a naive timestamp (a golden edited by hand) freezes the same instant on a laptop in New
    # York as in CI in UTC
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        with DeterministicExecutionContext(WHEN.replace(tzinfo=None)):
            assert time.time() == WHEN.timestamp()
    finally:
        monkeypatch.undo()
        time.tzset()


def test_local_time_is_utc_on_a_machine_whose_zone_is_not_in_tz(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a machine set to another zone without TZ (its /etc/localtime): TZ is unset, yet local
    # time is not UTC; inside, it is
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    monkeypatch.delenv("TZ")  # (the C library keeps the zone it loaded, as from /etc/localtime)
    try:
        with DeterministicExecutionContext(WHEN):
            assert time.localtime()[:6] == (2024, 1, 15, 12, 30, 45)
            assert dt.datetime.now() == WHEN.replace(tzinfo=None)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_tz_unset_before_a_context_inside_freezegun_is_unset_again_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a machine whose zone is not UTC and not in TZ: the context sets TZ=UTC while it lasts)
    from freezegun import freeze_time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    monkeypatch.delenv("TZ")
    try:
        with freeze_time(WHEN):
            with DeterministicExecutionContext(WHEN):
                assert os.environ.get("TZ") == "UTC"
            assert "TZ" not in os.environ
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_clock_given_in_a_named_zone_reads_local_time_in_that_zone() -> None:
    # a datetime in a named zone (ZoneInfo) makes that zone the local one, as time-machine does
    from zoneinfo import ZoneInfo

    paris = WHEN.astimezone(ZoneInfo("Europe/Paris"))
    try:
        with DeterministicExecutionContext(paris):
            assert time.time() == WHEN.timestamp()
            assert dt.datetime.now() == paris.replace(tzinfo=None)  # 13:30:45, Paris's time
            assert time.localtime().tm_hour == 13
    finally:
        time.tzset()


def test_random_seed_without_an_argument_seeds_the_module_from_the_context() -> None:
    # random.seed() is the module's Random bound at import: it reseeded from the system's
    # entropy inside the context, where an instance's seed() was seeded
    original = random.seed

    def draws() -> list[float]:
        random.seed()
        first = random.random()
        random.seed(None)
        return [first, random.random()]

    with DeterministicExecutionContext(WHEN, seed=9):
        recorded = draws()
    with DeterministicExecutionContext(WHEN, seed=9):
        assert draws() == recorded
    with DeterministicExecutionContext(WHEN, seed=9) as ctx:
        with ctx.suspended():
            live = draws()  # (a live call: really random, consuming no seed)
        assert draws() == recorded
    assert live != recorded
    assert random.seed is original
    random.seed()
    assert random.random() not in recorded


def test_random_instances_made_in_a_live_call_consume_no_seed() -> None:
    with DeterministicExecutionContext(WHEN, seed=9):
        plain = [random.Random().random(), random.Random().random()]
    with DeterministicExecutionContext(WHEN, seed=9) as ctx:
        first = random.Random().random()
        with ctx.suspended():
            live = [random.Random().random(), random.Random().random()]
        rest = random.Random().random()
    assert [first, rest] == plain
    assert not set(live) & set(plain)  # the live call's instances are really random


def test_the_random_numbers_a_live_call_drew_are_not_drawn_again_after_the_context() -> None:
    # the live call draws from the process's own random state, which goes on from there after
    # the context, as if the context had not been
    random.seed(2024)
    expected = [random.random(), random.random()]
    random.seed(2024)
    with DeterministicExecutionContext(WHEN, seed=9) as ctx, ctx.suspended():
        live = random.random()
    assert [live, random.random()] == expected


def test_the_seed_derived_from_a_checkpoint_is_the_same_in_every_version() -> None:
    # goldens recorded by an earlier version replay the same random numbers and ids: the seed
    # derived from a checkpoint's id, and the streams drawn from it, never change
    from pytest_clearstone.golden.context import derive_seed

    assert derive_seed("ckpt_1") == 6105724524292880739
    with DeterministicExecutionContext(WHEN, seed=1):
        drawn = [random.random(), random.Random().random()]
    assert drawn == [0.13436424411240122, 0.26583220624471016]


def _child_draw() -> float:
    """The first ``random.random()`` of a child forked now."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.write(write, repr(random.random()).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as f:
        return float(f.read())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_child_forked_after_the_context_draws_really_random_numbers() -> None:
    # after the context, a forked child's random is seeded by the OS (as CPython does), not
    # from the context that ended
    draws = []
    for _ in range(2):
        with DeterministicExecutionContext(WHEN, seed=9):
            pass
        draws.append(_child_draw())
    assert draws[0] != draws[1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_context_entered_again_seeds_its_forked_children_as_the_first_time() -> None:
    ctx = DeterministicExecutionContext(WHEN, seed=9)
    draws = []
    for _ in range(2):
        with ctx:
            draws.append(_child_draw())
    assert draws[0] == draws[1]


def test_the_machine_zone_is_back_after_a_context_inside_freezegun(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # under the test's own freezegun clock, local time inside is UTC; afterwards the machine's
    # zone reads local time again
    from freezegun import freeze_time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        with freeze_time(WHEN):
            with DeterministicExecutionContext(WHEN):
                assert time.tzname == ("UTC", "UTC")
            assert time.tzname == ("EST", "EDT")
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_children_forked_in_a_context_draw_other_numbers_than_each_other_and_the_parent() -> None:
    with DeterministicExecutionContext(WHEN, seed=9):
        first, second = _child_draw(), _child_draw()
        parent = random.random()
    assert len({first, second, parent}) == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_child_forked_in_a_live_call_draws_really_random_numbers() -> None:
    # (a live call runs with the process's own random state: a child it forks is seeded by the
    # OS, as CPython does, not from the context's seed, the same in each run)
    ctx = DeterministicExecutionContext(WHEN, seed=9)
    draws = []
    for _ in range(2):
        with ctx, ctx.suspended():
            draws.append(_child_draw())
    assert draws[0] != draws[1]
