"""library_clocks: the clock readings agent libraries write into their messages read the agent's
(frozen) clock while a test records or replays, also inside a live call, which puts the process
on the real clock; and pydantic-ai groups a streamed output item by item."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import pytest

from pytest_clearstone.golden import DeterministicExecutionContext

WHEN = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
LATER = dt.timezone(dt.timedelta(hours=5, minutes=30))


def test_pydantic_ais_message_times_and_attempt_durations_read_the_agents_clock() -> None:
    utils = pytest.importorskip("pydantic_ai._utils")
    attempts = pytest.importorskip("pydantic_ai._model_request_attempts")
    with DeterministicExecutionContext(WHEN, seed=1) as ctx:
        start = attempts.AttemptStart()
        with ctx.suspended():  # a live call: the process's clock is the real one
            time.sleep(0.01)
            assert utils.now_utc() == WHEN
            assert start.elapsed() == dt.timedelta(0)  # (no time passes on a frozen clock)
    assert utils.now_utc() > WHEN  # put back


def test_an_attempt_stamped_after_the_agents_now_or_without_a_timezone_took_no_time() -> None:
    """An attempt started before the test froze the clock earlier (its stamp is later than the
    agent's now), or stamped with a naive time, is timed as taking none, not a negative time
    nor a TypeError."""
    attempts = pytest.importorskip("pydantic_ai._model_request_attempts")
    later = attempts.AttemptStart(timestamp=WHEN + dt.timedelta(hours=1))
    naive = attempts.AttemptStart(timestamp=WHEN.replace(tzinfo=None))
    with DeterministicExecutionContext(WHEN, seed=1):
        assert later.elapsed() == dt.timedelta(0)
        assert naive.elapsed() == dt.timedelta(0)


@pytest.mark.parametrize(
    "module",
    [
        "pydantic_ai.models",
        "pydantic_ai.models._continuation",
        "pydantic_ai.models.instrumented",
        "pydantic_ai._agent_graph",
    ],
)
def test_pydantic_ais_request_timers_read_the_agents_clock(module: str) -> None:
    """pydantic-ai 2.78 times each model request with ``time.perf_counter_ns()`` into its
    answer (``ModelResponse.duration``): a live request recorded another duration on each
    re-record of an unchanged agent, in the answer and in the message history the agent kept."""
    reader = pytest.importorskip(module)
    with DeterministicExecutionContext(WHEN, seed=1) as ctx, ctx.suspended():
        began = reader.time.perf_counter_ns()
        time.sleep(0.01)
        assert reader.time.perf_counter_ns() - began == 0  # (no time passes on a frozen clock)
        assert reader.time.perf_counter() == WHEN.timestamp()
        assert reader.time.monotonic() > 0  # (the rest of the module is the real one)
    assert reader.time is time


def test_the_agents_clock_is_read_with_the_fraction_of_a_second_it_holds() -> None:
    retry = pytest.importorskip("langgraph.pregel._retry")
    models = pytest.importorskip("pydantic_ai.models")
    moment = WHEN + dt.timedelta(milliseconds=250)
    with DeterministicExecutionContext(moment, seed=1) as ctx, ctx.suspended():
        assert retry.time.time() == moment.timestamp()
        assert models.time.perf_counter() == moment.timestamp()
        assert models.time.perf_counter_ns() == 1_705_320_000_250_000_000


def test_a_streamed_output_is_grouped_item_by_item() -> None:
    utils = pytest.importorskip("pydantic_ai._utils")

    async def items() -> AsyncIterator[int]:
        for item in range(3):
            yield item

    async def groups() -> list[list[int]]:
        async with utils.group_by_temporal(items(), 10.0) as grouped:
            return [group async for group in grouped]

    with DeterministicExecutionContext(WHEN, seed=1):
        assert asyncio.run(groups()) == [[0], [1], [2]]  # (not one group of 10 s)


@pytest.mark.parametrize(
    "module", ["langgraph.pregel._retry", "langgraph.stream._convert", "langgraph.stream._mux"]
)
def test_langgraphs_time_readers_read_the_agents_clock(module: str) -> None:
    reader = pytest.importorskip(module)
    with DeterministicExecutionContext(WHEN, seed=1) as ctx, ctx.suspended():
        assert reader.time.time() == WHEN.timestamp()
        assert reader.time.monotonic() > 0  # (the rest of the module is the real one)
    assert reader.time is time


@pytest.mark.parametrize(
    "module", ["langgraph.pregel._loop", "langgraph.pregel._checkpoint", "langgraph.store.memory"]
)
def test_langgraphs_datetime_readers_read_the_agents_clock(module: str) -> None:
    reader = pytest.importorskip(module)
    with DeterministicExecutionContext(WHEN, seed=1) as ctx, ctx.suspended():
        assert reader.datetime.now(dt.timezone.utc) == WHEN
        assert reader.datetime.now(LATER) == WHEN.astimezone(LATER)
        assert reader.datetime.now(LATER).utcoffset() == dt.timedelta(hours=5, minutes=30)
        local = reader.datetime.now()
        assert local.tzinfo is None and local == WHEN.astimezone().replace(tzinfo=None)
        assert reader.datetime.fromisoformat("2024-01-01") == dt.datetime(2024, 1, 1)
    assert reader.datetime is dt.datetime


_ALONE = """
import datetime as dt, sys, time
import {module} as reader
from pytest_clearstone.golden import DeterministicExecutionContext
assert "{other}" not in sys.modules
when = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
with DeterministicExecutionContext(when, seed=1) as ctx, ctx.suspended():
    time.sleep(0.01)
    print({reading} == when)
"""


@pytest.mark.parametrize(
    ("module", "other", "reading"),
    [
        ("pydantic_ai._utils", "langgraph", "reader.now_utc()"),
        ("langgraph.pregel._loop", "pydantic_ai", "reader.datetime.now(dt.timezone.utc)"),
    ],
)
def test_one_library_imported_without_the_other_reads_the_agents_clock(
    module: str, other: str, reading: str
) -> None:
    """An agent on pydantic-ai alone (or LangGraph alone) in its process: its clock readings are
    the agent's too, not only when both libraries are imported."""
    import subprocess
    import sys

    pytest.importorskip(module)
    script = _ALONE.format(module=module, other=other, reading=reading)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert (result.returncode, result.stdout.strip()) == (0, "True"), result.stderr


def test_a_clock_reader_the_test_patched_itself_keeps_the_tests_patch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A module whose ``time`` or ``datetime`` global is no longer the real one (the test's own
    stand-in, a library version importing the function) is left as it is."""
    import types

    reader = pytest.importorskip("langgraph.pregel._retry")
    loop = pytest.importorskip("langgraph.pregel._loop")
    own_time = types.SimpleNamespace(time=lambda: 42.0)
    own_datetime = types.SimpleNamespace(now=lambda tz=None: WHEN)
    monkeypatch.setattr(reader, "time", own_time)
    monkeypatch.setattr(loop, "datetime", own_datetime)
    with DeterministicExecutionContext(WHEN, seed=1) as ctx, ctx.suspended():
        assert reader.time is own_time and reader.time.time() == 42.0
        assert loop.datetime is own_datetime
