"""Deterministic ids: uuid4/uuid1/uuid7 and the uuid7 helpers of pydantic-ai and langchain-core
repeat under the same seed, are real outside the context and inside a live call."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pytest_clearstone.golden import DeterministicExecutionContext
from pytest_clearstone.golden.ids import clock_ticks, with_time, with_version

WHEN = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.timezone.utc)

pydantic_uuid = pytest.importorskip("pydantic_ai._uuid")
langchain_uuid = pytest.importorskip("langchain_core.utils.uuid")


def _ids() -> list[uuid.UUID]:
    return [
        uuid.uuid4(),
        uuid.uuid1(),
        pydantic_uuid.uuid7(),
        langchain_uuid.uuid7(),
        langchain_uuid.uuid7(nanoseconds=5),
    ]


def test_the_same_seed_gives_the_same_ids_of_the_right_versions() -> None:
    runs = []
    for _ in range(2):
        with DeterministicExecutionContext(WHEN, seed=7):
            runs.append(_ids())
    assert runs[0] == runs[1]
    assert [u.version for u in runs[0]] == [4, 1, 7, 7, 7]
    assert all(u.variant == uuid.RFC_4122 for u in runs[0])
    with DeterministicExecutionContext(WHEN, seed=8):
        assert _ids() != runs[0]


def test_ids_are_real_again_after_the_context_and_inside_a_live_call() -> None:
    functions = [uuid.uuid4, uuid.uuid1, pydantic_uuid.uuid7, langchain_uuid.uuid7]
    codes = [f.__code__ for f in functions]
    with DeterministicExecutionContext(WHEN, seed=7) as ctx:
        seeded = _ids()
        with ctx.suspended():
            live = _ids()
    assert [f.__code__ for f in functions] == codes
    with DeterministicExecutionContext(WHEN, seed=7) as ctx:
        with ctx.suspended():
            assert _ids() != live  # real randomness, not a second seeded stream
        assert _ids() == seeded  # the live ids consumed nothing from the seeded streams
    assert _ids() != _ids()


def test_uuid4_keeps_the_ids_goldens_were_recorded_with() -> None:
    # uuid4 drew from random.Random(seed ^ 0x1D) before the other generators existed
    import random

    with DeterministicExecutionContext(WHEN, seed=3):
        got = uuid.uuid4()
    assert got == uuid.UUID(int=random.Random(3 ^ 0x0001D).getrandbits(128), version=4)


def test_with_version_sets_version_and_variant() -> None:
    u = with_version((1 << 128) - 1, 7)
    assert u.version == 7 and u.variant == uuid.RFC_4122


@pytest.mark.parametrize("version", [1, 6, 7])
def test_with_time_sets_version_and_variant_whatever_the_random_bits(version: int) -> None:
    # (a live call's ids take 64 random bits: only their low 62 are used)
    u = with_time(clock_ticks(1_700_000_000 * 10**9, version), version, (1 << 64) - 1)
    assert u.version == version and u.variant == uuid.RFC_4122


def test_a_patch_point_that_is_a_closure_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # (a library that wrapped uuid4 in a decorator: its code cannot be swapped for the shim's)
    real = uuid.uuid4

    def wrapped() -> uuid.UUID:
        return real()

    code = wrapped.__code__
    monkeypatch.setattr(uuid, "uuid4", wrapped)
    with DeterministicExecutionContext(WHEN, seed=3):
        assert uuid.uuid4().version == 4
    assert wrapped.__code__ is code


def test_langgraph_uuid6_repeats_under_the_same_seed() -> None:
    id_module = pytest.importorskip("langgraph.checkpoint.base.id")
    import datetime as dt

    from pytest_clearstone.golden.context import DeterministicExecutionContext

    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    runs = []
    for _ in range(2):
        with DeterministicExecutionContext(start, seed=7):
            runs.append([id_module.uuid6() for _ in range(3)])
        id_module.uuid6()  # the module's clock sequence moves on between runs
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 3


def test_time_based_ids_carry_the_frozen_time_and_sort_in_the_order_they_were_made() -> None:
    id_module = pytest.importorskip("langgraph.checkpoint.base.id")
    makers = {
        "uuid1": uuid.uuid1,
        "pydantic-ai uuid7": pydantic_uuid.uuid7,
        "langchain uuid7": langchain_uuid.uuid7,
        "langgraph uuid6": id_module.uuid6,
    }
    unix_100ns = int(WHEN.timestamp()) * 10_000_000
    with DeterministicExecutionContext(WHEN, seed=7):
        made = {name: [make() for _ in range(5000)] for name, make in makers.items()}
    for name, ids in made.items():
        first = ids[0]
        # the 60-bit time field (Python 3.11 reads UUID.time in the version-1 layout only)
        times = [u.time if u.version == 1 else u.int >> 80 << 12 | u.int >> 64 & 0xFFF for u in ids]
        if first.version == 7:  # milliseconds since 1970 in the first 48 bits
            assert times[0] >> 12 == int(WHEN.timestamp()) * 1000, name
        else:  # 100-ns intervals since 1582
            assert times[0] - 0x01B21DD213814000 == unix_100ns, name
        # each later than the one before (more than 4096 in one millisecond, too)
        assert times == sorted(set(times)), name
        if first.version != 1:  # versions 6 and 7 also sort as text by time
            assert [str(u) for u in ids] == sorted(str(u) for u in ids), name
        assert {u.version for u in ids} == {first.version} and len(set(ids)) == 5000, name


def test_a_live_call_makes_time_based_ids_of_the_real_clock() -> None:
    import time

    with DeterministicExecutionContext(WHEN, seed=7) as ctx, ctx.suspended():
        before = time.time_ns() // 1_000_000
        live = pydantic_uuid.uuid7()
    assert live.int >> 80 >= before > int(WHEN.timestamp()) * 1000


def test_every_generator_keeps_the_ids_goldens_were_recorded_with() -> None:
    # a golden holds the ids its agent made: each generator's stream (its seed salt) and each
    # version's layout of the time field stay what they were, or every golden's ids change
    id_module = pytest.importorskip("langgraph.checkpoint.base.id")
    with DeterministicExecutionContext(WHEN, seed=3):
        made = [
            str(make())
            for make in (
                uuid.uuid4,
                uuid.uuid1,
                pydantic_uuid.uuid7,
                langchain_uuid.uuid7,
                id_module.uuid6,
            )
        ]
    assert made == [
        "9c6ab710-4a08-4720-8ede-24428a013fda",
        "9bc9e000-b39d-11ee-84df-15ab8c5187c1",
        "018d0cfe-2a00-7000-9576-b2e38c773fe6",
        "018d0cfe-2a00-7000-96da-44f387684f34",
        "1eeb39d9-bc9e-6000-8ab4-491792010b38",
    ]


def test_the_agents_sdk_tracing_ids_keep_their_form_and_values() -> None:
    provider = pytest.importorskip("agents.tracing.provider")
    with DeterministicExecutionContext(WHEN, seed=3):
        tracer = provider.DefaultTraceProvider()
        made = [tracer.gen_trace_id(), tracer.gen_span_id(), tracer.gen_group_id()]
    assert made == [
        "trace_2507759b36af471ead2ef1c113d1e9e3",
        "span_06a3f5be62a9401b82795307",
        "group_c12776e46dd441b2abcefab3",
    ]


def test_ids_made_in_a_task_are_later_than_those_its_flow_made_before() -> None:
    # the main flow and its asyncio tasks share one clock: on a frozen clock, a task's ids
    # still sort after the ones made before it (LangGraph resumes from the greatest uuid6)
    import asyncio

    async def main() -> list[uuid.UUID]:
        made = [pydantic_uuid.uuid7(), pydantic_uuid.uuid7()]

        async def task() -> list[uuid.UUID]:
            return [pydantic_uuid.uuid7(), pydantic_uuid.uuid7()]

        made += await asyncio.create_task(task())
        made.append(pydantic_uuid.uuid7())
        return made

    with DeterministicExecutionContext(WHEN, seed=7):
        made = asyncio.run(main())
    assert [str(u) for u in made] == sorted(str(u) for u in made) and len(set(made)) == 5


def test_ids_made_outside_any_branch_sort_in_the_order_they_were_made() -> None:
    # a thread started before the test (a fixture's worker) runs outside any branch; the ids
    # it makes and those the test's flow makes after them share one clock
    import threading

    go = threading.Event()
    made: list[uuid.UUID] = []

    def worker() -> None:
        go.wait(10)
        made.extend(pydantic_uuid.uuid7() for _ in range(5))

    thread = threading.Thread(target=worker)
    thread.start()
    with DeterministicExecutionContext(WHEN, seed=7):
        go.set()
        thread.join(10)
        made += [pydantic_uuid.uuid7(), pydantic_uuid.uuid7()]
    assert [str(u) for u in made] == sorted(str(u) for u in made) and len(set(made)) == 7
