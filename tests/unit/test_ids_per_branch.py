"""Seeded ids per branch of execution: a thread-pool job (and the done callbacks of its future)
draws its ids from a stream of its own branch, so concurrent jobs get the same ids on every run
whichever draws first; the test's main flow keeps the stream goldens were recorded with."""

from __future__ import annotations

import datetime as dt
import random
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from pytest_clearstone.golden import DeterministicExecutionContext

WHEN = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
WAIT = 30.0  # a bound against a hang only: every wait below is released by the other job


def _wait(event: threading.Event) -> None:
    assert event.wait(WAIT), "the other job never drew its ids"


def _ids_of(job: str) -> list[uuid.UUID]:
    return [uuid.uuid4(), uuid.uuid4(), uuid.uuid1()]


def _jobs_drawing(first: str) -> dict[str, list[uuid.UUID]]:
    """Jobs ``a`` and ``b`` submitted in that order, both running at once; ``first`` draws its
    ids before the other one does."""
    drawn = {"a": threading.Event(), "b": threading.Event()}
    go = threading.Event()
    ids: dict[str, list[uuid.UUID]] = {}

    def job(name: str) -> None:
        other = "b" if name == "a" else "a"
        _wait(go)
        if name != first:
            _wait(drawn[other])
        ids[name] = _ids_of(name)
        drawn[name].set()

    with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(job, "a"), pool.submit(job, "b")]
        go.set()
        for future in futures:
            future.result()
        ids["main"] = _ids_of("main")
    return ids


def test_concurrent_jobs_get_the_same_ids_whichever_draws_first() -> None:
    a_first = _jobs_drawing("a")
    b_first = _jobs_drawing("b")
    assert a_first == b_first
    assert a_first["a"] != a_first["b"]
    assert len({i for ids in a_first.values() for i in ids}) == 9


def test_a_job_draws_seeded_ids_while_another_jobs_call_runs_live() -> None:
    def ids_of_b(overlap: bool) -> list[uuid.UUID]:
        live, drawn = threading.Event(), threading.Event()
        with DeterministicExecutionContext(WHEN, seed=7) as context, ThreadPoolExecutor(2) as pool:

            def a() -> None:
                with context.suspended():  # what the recorder does around a live call
                    live.set()
                    _wait(drawn)
                    uuid.uuid4()  # the live call's own ids are real: they consume nothing

            def b() -> list[uuid.UUID]:
                if overlap:
                    _wait(live)
                ids = _ids_of("b")
                drawn.set()
                return ids

            if not overlap:
                drawn.set()
            pool.submit(a)
            return pool.submit(b).result()

    assert ids_of_b(overlap=True) == ids_of_b(overlap=False)


def test_ids_drawn_in_a_jobs_done_callback_belong_to_the_job() -> None:
    # LangGraph commits a finished task's writes (and gives its messages ids) in a done
    # callback of the task's future: in the worker thread, or in the submitter's thread when
    # the future is already done
    def run(first: str) -> dict[str, uuid.UUID]:
        drawn = {"a": threading.Event(), "b": threading.Event()}
        go = threading.Event()
        ids: dict[str, uuid.UUID] = {}

        def job(name: str) -> None:
            _wait(go)
            if name != first:
                _wait(drawn["b" if name == "a" else "a"])

        def on_done(name: str) -> Callable[[Future[None]], None]:
            def callback(future: Future[None]) -> None:
                ids[name] = uuid.uuid4()
                drawn[name].set()

            return callback

        with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
            futures = {name: pool.submit(job, name) for name in ("a", "b")}
            for name, future in futures.items():
                future.add_done_callback(on_done(name))
            go.set()
            for future in futures.values():
                future.result()
            _wait(drawn["a"])
            _wait(drawn["b"])
            # already done: the callback runs here, at once, and still in the job's branch
            futures["a"].add_done_callback(on_done("a again"))
        return ids

    a_first, b_first = run("a"), run("b")
    assert a_first == b_first
    assert len(set(a_first.values())) == 3


def test_the_main_flow_keeps_its_stream_whatever_the_jobs_draw() -> None:
    def main_ids(jobs: int) -> list[uuid.UUID]:
        with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
            first = uuid.uuid4()
            for _ in range(jobs):
                pool.submit(uuid.uuid4).result()
            return [first, uuid.uuid4()]

    without_jobs = main_ids(0)
    assert main_ids(3) == without_jobs
    # the stream goldens were recorded with (random.Random(seed ^ 0x1D))
    stream = random.Random(7 ^ 0x1D)
    assert [u.int & ~(0xF000 << 64) & ~(0xC000 << 48) for u in without_jobs] == [
        stream.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48) for _ in range(2)
    ]


def test_a_thread_draws_from_its_branch_and_another_seed_gives_other_ids() -> None:
    def thread_ids(seed: int) -> list[uuid.UUID]:
        out: list[uuid.UUID] = []
        with DeterministicExecutionContext(WHEN, seed=seed):
            thread = threading.Thread(target=lambda: out.extend(_ids_of("thread")))
            thread.start()
            thread.join()
        return out

    assert thread_ids(7) == thread_ids(7)
    assert thread_ids(7) != thread_ids(8)


def test_random_instances_made_in_concurrent_jobs_are_seeded_per_branch() -> None:
    def run(first: str) -> dict[str, float]:
        drawn = {"a": threading.Event(), "b": threading.Event()}
        go = threading.Event()
        values: dict[str, float] = {}

        def job(name: str) -> None:
            _wait(go)
            if name != first:
                _wait(drawn["b" if name == "a" else "a"])
            values[name] = random.Random().random()
            drawn[name].set()

        with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(job, "a"), pool.submit(job, "b")]
            go.set()
            for future in futures:
                future.result()
            values["main"] = random.Random().random()
        return values

    assert run("a") == run("b")


@pytest.mark.parametrize("first", ["a", "b"])
def test_time_based_ids_of_a_job_keep_the_frozen_time(first: str) -> None:
    ids = _jobs_drawing(first)
    unix_100ns = int(WHEN.timestamp()) * 10_000_000
    assert all(i.time - 0x01B21DD213814000 >= unix_100ns for i in (ids["a"][2], ids["b"][2]))


def test_time_based_ids_sort_in_the_order_of_the_flow_across_jobs_threads_and_tasks() -> None:
    # a conversation's turns run one after the other in jobs, threads or tasks of their own
    # (LangGraph resumes a thread from the checkpoint of the greatest uuid6)
    import asyncio

    made: list[uuid.UUID] = []

    def turn() -> None:
        made.extend(uuid.uuid1() for _ in range(3))

    async def task_turn() -> None:
        turn()

    async def tasks() -> None:
        for _ in range(2):
            await asyncio.create_task(task_turn())
            turn()

    with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
        turn()
        for _ in range(2):
            pool.submit(turn).result()
            thread = threading.Thread(target=turn)
            thread.start()
            thread.join()
        asyncio.run(tasks())
        turn()
    times = [u.time for u in made]
    assert times == sorted(set(times))


def test_jobs_handed_out_together_get_the_same_ids_whether_an_earlier_one_ended_first() -> None:
    # LangChain's batch() (executor.map) hands out every job before it waits for any: a job that
    # ends while later ones are still being handed out (a replayed call answers at once) must
    # not move their clocks, or their time-based ids (LangChain's uuid7 run ids, in the
    # AIMessage ids of a mocked _generate) differ from the recording's
    def run(first_ends_early: bool) -> list[uuid.UUID]:
        release, ended = threading.Event(), threading.Event()

        def job(i: int) -> uuid.UUID:
            if i > 0 or not first_ends_early:
                _wait(release)  # (until every job is handed out)
            return uuid.uuid1()

        with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(3) as pool:
            first = pool.submit(job, 0)
            first.add_done_callback(lambda _: ended.set())
            if first_ends_early:
                _wait(ended)
            rest = [pool.submit(job, i) for i in (1, 2)]
            release.set()
            return [future.result() for future in (first, *rest)]

    assert run(first_ends_early=True) == run(first_ends_early=False)


def test_time_based_ids_of_jobs_awaited_one_after_the_other_sort_in_that_order() -> None:
    # asyncio hands a job's result to the awaiting task from a done callback of the job's
    # future, in the job's branch: the job's end is seen there, as the job ends
    import asyncio

    made: list[uuid.UUID] = []

    def turn() -> None:
        made.extend(uuid.uuid1() for _ in range(2))

    async def turns() -> None:
        for _ in range(3):
            await asyncio.to_thread(turn)

    with DeterministicExecutionContext(WHEN, seed=7):
        asyncio.run(turns())
    times = [u.time for u in made]
    assert times == sorted(set(times))


def _ended(future: Future[uuid.UUID]) -> None:
    """Wait until ``future``'s job has ended, without taking its result (that is, unseen by the
    flow that handed it out)."""
    ended = threading.Event()
    future.add_done_callback(lambda _: ended.set())
    _wait(ended)


def test_a_job_handed_out_after_the_flow_drew_an_id_draws_later_ones() -> None:
    # an earlier job ended unseen; the flow then draws an id itself: the next job it hands out
    # counts on from that id (the flow read its clock: everything before it has been seen)
    with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
        first = pool.submit(uuid.uuid1)
        _ended(first)
        mine = uuid.uuid1()
        later = pool.submit(uuid.uuid1).result()
    assert first.result().time < mine.time < later.time


def test_a_jobs_end_is_seen_through_its_exception_as_through_its_result() -> None:
    with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
        first = pool.submit(uuid.uuid1)
        assert first.exception() is None  # (the job's end seen: it ended without one)
        second = pool.submit(uuid.uuid1).result()
    assert first.result().time < second.time


def test_time_based_ids_of_threads_joined_one_after_the_other_sort_in_that_order() -> None:
    # threads alone (no pool job first): joining a thread is seeing it end
    made: list[uuid.UUID] = []
    with DeterministicExecutionContext(WHEN, seed=7):
        for _ in range(3):
            thread = threading.Thread(target=lambda: made.append(uuid.uuid1()))
            thread.start()
            thread.join()
    times = [u.time for u in made]
    assert times == sorted(set(times))


@pytest.mark.parametrize("how", ["result", "exception", "join"])
def test_a_wait_that_timed_out_does_not_see_the_job_end(how: str) -> None:
    # a flow polling a running job (result(timeout=...), join(timeout=...)) has not seen it
    # end: the ids of the job it hands out next do not depend on how far the running one got
    def later_id(drawn_before_the_wait: bool) -> uuid.UUID:
        go, drawn, release = threading.Event(), threading.Event(), threading.Event()

        def running() -> None:
            _wait(go)
            uuid.uuid1()
            drawn.set()
            _wait(release)

        with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(3) as pool:
            first = pool.submit(uuid.uuid1)
            _ended(first)  # (ended, unseen: later jobs start where the flow last looked)
            if how == "join":
                thread = threading.Thread(target=running)
                thread.start()
            else:
                future = pool.submit(running)
            if drawn_before_the_wait:
                go.set()
                _wait(drawn)
            if how == "join":
                thread.join(timeout=0)
                assert thread.is_alive()
            elif how == "result":
                with pytest.raises(TimeoutError):
                    future.result(timeout=0)
            else:
                with pytest.raises(TimeoutError):
                    future.exception(timeout=0)
            later = pool.submit(uuid.uuid1).result()
            go.set()
            release.set()
            if how == "join":
                thread.join()
        return later

    assert later_id(drawn_before_the_wait=True) == later_id(drawn_before_the_wait=False)


def test_a_job_taking_another_jobs_result_is_not_the_flow_seeing_it_end() -> None:
    # which of two jobs takes another's result first is the OS's scheduling, not the flow's
    def later_id(taken_before_the_handout: bool) -> uuid.UUID:
        taken = threading.Event()
        with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(3) as pool:
            first = pool.submit(uuid.uuid1)
            _ended(first)

            def take() -> None:
                first.result()
                taken.set()

            if taken_before_the_handout:
                pool.submit(take)
                _wait(taken)
                return pool.submit(uuid.uuid1).result()
            later = pool.submit(uuid.uuid1)
            pool.submit(take)
            return later.result()

    assert later_id(taken_before_the_handout=True) == later_id(taken_before_the_handout=False)


def test_a_thousand_jobs_in_one_test_give_their_results() -> None:
    # (the hooks that see a job's end are installed once, not once more for each job)
    with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
        assert list(pool.map(str, range(1000))) == [str(i) for i in range(1000)]
        thread = threading.Thread(target=str)
        thread.start()
        thread.join()


def test_a_jobs_result_taken_by_its_done_callback_is_seen_by_the_flow() -> None:
    # (LangGraph takes a finished task's result in a done callback of its future, in the
    # task's branch, and the flow that handed it out goes on from there)
    with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
        taken = threading.Event()
        first = pool.submit(uuid.uuid1)

        def take(future: Future[uuid.UUID]) -> None:
            future.result()
            taken.set()

        first.add_done_callback(take)
        _wait(taken)
        second = pool.submit(uuid.uuid1).result()
    assert first.result().time < second.time


def test_a_failed_jobs_end_is_seen_when_its_result_raises() -> None:
    # (an agent retrying a tool call that failed in a job: the retry counts on from the failure)
    drawn: list[uuid.UUID] = []

    def fail() -> None:
        drawn.append(uuid.uuid1())
        raise LookupError("not found")

    with DeterministicExecutionContext(WHEN, seed=7), ThreadPoolExecutor(2) as pool:
        first = pool.submit(fail)
        with pytest.raises(LookupError):
            first.result()
        retried = pool.submit(uuid.uuid1).result()
    assert drawn[0].time < retried.time
