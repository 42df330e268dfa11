"""ContextPropagation: thread-pool jobs and threads run in the context of the code that made
them, and every branch of execution gets a key that is the same on every run."""

from __future__ import annotations

import asyncio
import contextvars
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import pytest

from pytest_clearstone.golden import threads
from pytest_clearstone.golden.threads import (
    ContextPropagation,
    current_branch,
    install_task_branches,
)

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


@pytest.fixture
def propagation() -> Iterator[ContextPropagation]:
    token = request_id.set("test-1")
    try:
        with ContextPropagation() as p:
            yield p
    finally:
        request_id.reset(token)


def _seen() -> tuple[str, str]:
    return request_id.get(), current_branch()


# -- the context reaches the threads -------------------------------------------------------
def test_without_propagation_a_pool_job_does_not_see_the_context() -> None:
    token = request_id.set("test-1")
    try:
        with ThreadPoolExecutor(2) as pool:
            assert pool.submit(_seen).result() == ("unset", "")
    finally:
        request_id.reset(token)


def test_pool_jobs_see_the_submitters_context(propagation: ContextPropagation) -> None:
    assert current_branch() == "0"
    with ThreadPoolExecutor(2) as pool:
        assert pool.submit(_seen).result() == ("test-1", "0/_seen#0")
        assert list(pool.map(lambda _: _seen(), range(2))) == [
            ("test-1", "0/<lambda>#0"),
            ("test-1", "0/<lambda>#1"),
        ]
        assert pool.submit(lambda *a, **k: (a, k, _seen()), 1, fn=2).result() == (
            (1,),
            {"fn": 2},
            ("test-1", "0/<lambda>#2"),
        )
        assert pool.submit(_seen).result() == ("test-1", "0/_seen#1")


def test_a_job_changing_the_context_changes_only_its_copy(
    propagation: ContextPropagation,
) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(request_id.set, "changed").result()
        assert pool.submit(request_id.get).result() == "test-1"
    assert request_id.get() == "test-1"


def test_threads_see_the_starters_context(propagation: ContextPropagation) -> None:
    seen: list[tuple[str, str]] = []
    thread = threading.Thread(target=lambda: seen.append(_seen()))
    thread.start()
    thread.join()
    assert seen == [("test-1", "0/<lambda>#0")]
    assert "run" not in vars(thread)  # the wrapper is gone once the thread has run


def test_a_thread_subclass_overriding_run_keeps_it(propagation: ContextPropagation) -> None:
    class Worker(threading.Thread):
        def __init__(self) -> None:
            super().__init__()
            self.seen: tuple[str, str] | None = None

        def run(self) -> None:
            self.seen = _seen()

    worker = Worker()
    worker.start()
    worker.join()
    assert worker.seen == ("test-1", "0/Worker#0")
    timer_seen: list[tuple[str, str]] = []
    timer = threading.Timer(0, lambda: timer_seen.append(_seen()))  # a subclass with run
    timer.start()
    timer.join()
    assert timer_seen == [("test-1", "0/Timer#0")]

    class Logged(threading.Thread):  # (runs its target through Thread.run: keyed by its class)
        def run(self) -> None:
            super().run()

    logged_seen: list[tuple[str, str]] = []
    logged = Logged(target=lambda: logged_seen.append(_seen()))
    logged.start()
    logged.join()
    assert logged_seen == [("test-1", "0/Logged#0")]


def test_a_thread_of_the_users_with_a_queue_is_a_branch_not_an_anyio_worker(
    propagation: ContextPropagation,
) -> None:
    """Only anyio's own worker class is taken for one of its workers: a consumer thread of the
    agent's that keeps a ``queue`` runs in the starter's context, in a branch of its own."""
    from queue import Queue

    class Consumer(threading.Thread):
        def __init__(self) -> None:
            super().__init__()
            self.queue: Queue[int] = Queue()
            self.seen: tuple[str, str] | None = None

        def run(self) -> None:
            self.seen = _seen()

    consumer = Consumer()
    consumer.start()
    consumer.join()
    assert consumer.seen == ("test-1", "0/Consumer#0")


def test_jobs_of_anyio_worker_threads_are_branches_whichever_worker_runs_them() -> None:
    """``anyio.to_thread.run_sync`` (Starlette's ``run_in_threadpool``) on asyncio: each job is
    the next child of the task that hands it out, the worker reused for the second is none."""
    anyio = pytest.importorskip("anyio")

    async def main() -> list[str]:
        return [await anyio.to_thread.run_sync(current_branch) for _ in range(2)]

    with ContextPropagation():
        assert anyio.run(main) == ["0/current_branch#0", "0/current_branch#1"]


def test_starting_a_thread_twice_still_fails_and_leaves_it_alone(
    propagation: ContextPropagation,
) -> None:
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    with pytest.raises(RuntimeError, match="only be started once"):
        thread.start()
    assert "run" not in vars(thread)


def test_run_in_executor_and_to_thread_see_the_context(propagation: ContextPropagation) -> None:
    async def main() -> list[tuple[str, str]]:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1) as pool:
            own = await loop.run_in_executor(pool, _seen)
        default = await loop.run_in_executor(None, _seen)
        to_thread = await asyncio.to_thread(_seen)
        return [own, default, to_thread]

    assert asyncio.run(main()) == [
        ("test-1", "0/_seen#0"),
        ("test-1", "0/_seen#1"),
        ("test-1", "0/_seen#2"),
    ]


def test_pool_worker_threads_are_not_branches(propagation: ContextPropagation) -> None:
    # the pool starts a worker on some submits only, depending on timing: keys must not move
    with ThreadPoolExecutor(4) as pool:
        keys = [pool.submit(current_branch).result() for _ in range(3)]
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    assert keys == ["0/current_branch#0", "0/current_branch#1", "0/current_branch#2"]
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda: current_branch(legacy=True)).result() == "0/4"  # thread: 0/3


# -- branch keys are deterministic ---------------------------------------------------------
def _fan_out(seed: int) -> dict[str, str]:
    """Jobs that finish in an order set by ``seed`` and submit jobs of their own; -> job: key."""
    rng = random.Random(seed)
    delays = {name: rng.random() / 200 for name in ("a", "b", "c", "a1", "a2", "c1", "t", "t1")}
    seen: dict[str, str] = {}
    lock = threading.Lock()

    def job(name: str, pool: ThreadPoolExecutor, children: tuple[str, ...] = ()) -> None:
        time.sleep(delays[name])
        with lock:
            seen[name] = current_branch()
        wait([pool.submit(job, child, pool) for child in children])

    with ThreadPoolExecutor(4) as pool:
        futures = [
            pool.submit(job, "a", pool, ("a1", "a2")),
            pool.submit(job, "b", pool),
            pool.submit(job, "c", pool, ("c1",)),
        ]
        thread = threading.Thread(target=job, args=("t", pool, ("t1",)))
        thread.start()
        wait(futures)
        thread.join()
    return seen


def test_branch_keys_are_the_same_on_every_run_whatever_finishes_first() -> None:
    runs = []
    for seed in range(5):
        with ContextPropagation():
            runs.append(_fan_out(seed))
    expected = {
        "a": "0/job#0",
        "b": "0/job#1",
        "c": "0/job#2",
        "t": "0/job#3",
        "a1": "0/job#0/job#0",
        "a2": "0/job#0/job#1",
        "c1": "0/job#2/job#0",
        "t1": "0/job#3/job#0",
    }
    assert runs == [expected] * 5


def test_legacy_keys_number_a_branchs_jobs_of_every_function_together() -> None:
    """The keys of goldens recorded by earlier versions, for their replay."""
    seen: list[str] = []
    with ContextPropagation(), ThreadPoolExecutor(2) as pool:
        pool.submit(lambda: seen.append(current_branch(legacy=True))).result()
        pool.submit(_helper).result()
        thread = threading.Thread(
            target=lambda: seen.append(pool.submit(lambda: current_branch(legacy=True)).result())
        )
        thread.start()
        thread.join()
    assert seen == ["0/0", "0/2/0"]
    assert threads.is_legacy_key("0/2/0") and not threads.is_legacy_key("0/job#2/job#0")
    assert not threads.is_legacy_key("0")


@pytest.mark.parametrize("factory", [True, False], ids=["task-factory", "create-task-patch"])
def test_asyncio_tasks_get_branches_in_creation_order(factory: bool) -> None:
    """With the loop's task factory installed (as for a loop that is no BaseEventLoop), or
    only ``BaseEventLoop.create_task`` patched (tasks made before the agent's first mocked
    call); the loop's main task goes on in the test's branch either way."""

    async def work(name: str, delay: float, seen: dict[str, str]) -> None:
        await asyncio.sleep(delay)
        seen[name] = current_branch()
        if name == "b":
            await asyncio.gather(work("b0", delay, seen), work("b1", 0, seen))
            seen["b-executor"] = await asyncio.get_running_loop().run_in_executor(
                None, current_branch
            )

    async def main(seed: int) -> dict[str, str]:
        if factory:
            install_task_branches(asyncio.get_running_loop())
        rng = random.Random(seed)
        seen: dict[str, str] = {"main": current_branch()}
        await asyncio.gather(*(work(n, rng.random() / 200, seen) for n in "abc"))
        return seen

    runs = []
    for seed in range(5):
        with ContextPropagation():
            runs.append(asyncio.run(main(seed)))
    expected = {
        "main": "0",
        "a": "0/work#0",
        "b": "0/work#1",
        "c": "0/work#2",
        "b0": "0/work#1/work#0",
        "b1": "0/work#1/work#1",
        "b-executor": "0/work#1/current_branch#0",
    }
    assert runs == [expected] * 5


@pytest.mark.skipif(sys.version_info < (3, 11), reason="create_task(context=) is 3.11+")
def test_task_branches_keep_a_context_given_to_create_task_and_the_previous_factory() -> None:
    made: list[str] = []

    def previous(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        made.append(current_branch())  # runs in the new task's context
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def probe() -> tuple[str, str]:
        return _seen()

    async def main() -> tuple[str, str]:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(previous)
        undo = install_task_branches(loop)
        context = contextvars.copy_context()
        context.run(request_id.set, "given")
        result = await loop.create_task(probe(), context=context)
        undo()
        assert loop.get_task_factory() is previous
        assert made == ["0/probe#0"]
        return result

    with ContextPropagation():
        assert asyncio.run(main()) == ("given", "0/probe#0")


def test_outside_any_propagation_there_is_no_branch() -> None:
    assert current_branch() == ""
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(current_branch).result() == ""


# -- undo ------------------------------------------------------------------------------------
def _patched() -> tuple[Any, Any]:
    return vars(ThreadPoolExecutor)["submit"], vars(threading.Thread)["start"]


def test_exit_restores_the_original_objects_and_the_branch() -> None:
    before = _patched()
    propagation = ContextPropagation()
    with propagation:
        assert propagation.active
        assert all(x is not y for x, y in zip(_patched(), before, strict=True))
    assert not propagation.active
    assert all(x is y for x, y in zip(_patched(), before, strict=True))
    assert current_branch() == ""


def test_nested_propagations_restore_in_order() -> None:
    before = _patched()
    with ContextPropagation():
        with ContextPropagation(root="x"):
            assert current_branch() == "x"
        assert current_branch() == "0"
    assert all(x is y for x, y in zip(_patched(), before, strict=True))


def test_a_failure_while_entering_undoes_what_was_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _patched()
    real = threads.PatchStack.setattr

    def failing(self: Any, owner: Any, name: str, value: Any) -> None:
        if name == "start":
            raise RuntimeError("halfway")
        real(self, owner, name, value)

    monkeypatch.setattr(threads.PatchStack, "setattr", failing)
    propagation = ContextPropagation()
    with pytest.raises(RuntimeError, match="halfway"):
        propagation.start()
    assert not propagation.active
    assert all(x is y for x, y in zip(_patched(), before, strict=True))
    assert current_branch() == ""


def test_branch_tasks_is_undone_with_the_propagation() -> None:
    async def main() -> Callable[..., Any] | None:
        loop = asyncio.get_running_loop()
        with ContextPropagation() as propagation:
            propagation.branch_tasks(loop)
            assert await asyncio.create_task(asyncio.sleep(0, "x")) == "x"
            assert loop.get_task_factory() is not None
        return loop.get_task_factory()

    assert asyncio.run(main()) is None


class _OwnCreateTaskLoop(asyncio.SelectorEventLoop):
    """A loop whose class has a ``create_task`` of its own (as uvloop's has): its tasks get
    branches from a task factory, installed at the agent's first mocked call."""

    def create_task(self, coro: Any, **kwargs: Any) -> Any:
        return super().create_task(coro, **kwargs)


async def _first_mocked_call() -> None:
    threads.branch_running_loop()


def test_a_running_loop_is_given_task_branches_by_the_innermost_propagation() -> None:
    """The task factory is undone when the propagation running at the call stops, not an
    outer one."""
    loop = _OwnCreateTaskLoop()
    try:
        with ContextPropagation():
            with ContextPropagation(root="x"):
                loop.run_until_complete(_first_mocked_call())
                assert loop.get_task_factory() is not None
            assert loop.get_task_factory() is None
    finally:
        loop.close()


def test_a_propagation_started_again_gives_the_same_loop_task_branches_again() -> None:
    propagation = ContextPropagation()
    loop = _OwnCreateTaskLoop()
    try:
        for _ in range(2):
            with propagation:
                loop.run_until_complete(_first_mocked_call())
                assert loop.get_task_factory() is not None
            assert loop.get_task_factory() is None
    finally:
        loop.close()


def test_the_trio_worker_jobs_a_live_call_starts_are_no_branches_and_take_no_number() -> None:
    trio = pytest.importorskip("trio")

    async def main() -> tuple[str, str]:
        token = threads.unbranched()
        try:
            inside = await trio.to_thread.run_sync(current_branch)
        finally:
            threads.restore_branching(token)
        after = await trio.to_thread.run_sync(current_branch)
        return inside, after

    with ContextPropagation():
        assert trio.run(main) == ("0", "0/current_branch#0")


def test_a_propagation_stopped_in_a_copy_of_its_context_leaves_no_branch_there() -> None:
    """Stopped from another context than the one it started in (a teardown run in a copy):
    code running in that context afterwards is in no branch."""

    def start_and_stop_in_a_copy() -> str:
        propagation = ContextPropagation()
        propagation.start()
        copy = contextvars.copy_context()
        copy.run(propagation.stop)
        return copy.run(current_branch)

    assert contextvars.copy_context().run(start_and_stop_in_a_copy) == ""


def test_libraries_that_copy_the_context_themselves_get_the_jobs_branch() -> None:
    """LangChain's executor (``batch`` uses it) copies the context before it submits and runs
    the job in its copy, which holds the submitter's branch: the job's own branch must win."""
    config = pytest.importorskip("langchain_core.runnables.config")
    runnables = pytest.importorskip("langchain_core.runnables")

    def probe(x: int) -> tuple[int, str, str]:
        time.sleep(random.Random(x).random() / 200)
        return (x, *_seen())

    runs = []
    for _ in range(5):
        token = request_id.set("test-1")
        try:
            with ContextPropagation():
                batch = runnables.RunnableLambda(probe).batch([1, 2, 3])
                with config.ContextThreadPoolExecutor(2) as pool:
                    submitted = pool.submit(probe, 4).result()
                    mapped = list(pool.map(probe, [5, 6]))
        finally:
            request_id.reset(token)
        runs.append((batch, submitted, mapped))
    # (submit's job is named after the function inside LangChain's partial(context.run, fn);
    # map's after the closure map wraps each call in)
    mapped_fn = "0/_wrapped_fn#"
    expected = (
        [
            (1, "test-1", mapped_fn + "0"),
            (2, "test-1", mapped_fn + "1"),
            (3, "test-1", mapped_fn + "2"),
        ],
        (4, "test-1", "0/probe#0"),
        [(5, "test-1", mapped_fn + "3"), (6, "test-1", mapped_fn + "4")],
    )
    assert runs == [expected] * 5


def test_each_propagation_patches_in_the_same_wrappers_and_undoes_them() -> None:
    """The wrappers hold no state of a propagation: made once, reused by the next one."""
    submit, start = ThreadPoolExecutor.submit, threading.Thread.start
    seen = []
    for _ in range(2):
        with ContextPropagation():
            seen.append((ThreadPoolExecutor.submit, threading.Thread.start))
        assert (ThreadPoolExecutor.submit, threading.Thread.start) == (submit, start)
    assert seen[0] == seen[1] and seen[0][0] is not submit and seen[0][1] is not start


def test_a_wrapper_is_made_again_when_another_patch_replaced_the_original() -> None:
    """Another library patching Thread.start between tests gets its patch wrapped (not the old
    original), and the old wrappers are not kept."""
    from pytest_clearstone.golden import threads

    original = threading.Thread.start

    def patched_start(self: threading.Thread) -> None:
        original(self)

    threading.Thread.start = patched_start  # type: ignore[method-assign]
    try:
        with ContextPropagation():
            assert threading.Thread.start.__wrapped__ is patched_start  # type: ignore[attr-defined]
    finally:
        threading.Thread.start = original  # type: ignore[method-assign]
    with ContextPropagation():
        assert threading.Thread.start.__wrapped__ is original  # type: ignore[attr-defined]
    # one per maker: submit, add_done_callback, start and create_task (and those of trio.run,
    # trio's start_thread_soon and anyio.run, where trio is installed; and Future.result,
    # Future.exception and Thread.join once a job or thread was handed out)
    makers = [m.__name__ for m in threads._wrappers]
    others = [m for m in makers if "trio" not in m and "anyio" not in m]
    assert len([m for m in others if not m.startswith("_observing")]) == 4


# -- a varying number of jobs of another function ------------------------------------------
def _helper() -> None:
    time.sleep(0)


def test_a_varying_number_of_other_jobs_does_not_move_a_jobs_key() -> None:
    """LangGraph's ``stream_mode="messages"`` hands its pool one or two ``SyncQueue.wait``
    jobs per step, as timing has it: a node's job must keep its key whatever their number."""

    def keys(helpers: list[int]) -> list[str]:
        found = []
        with ContextPropagation(), ThreadPoolExecutor(2) as pool:
            for count in helpers:
                for _ in range(count):
                    pool.submit(_helper)
                found.append(pool.submit(current_branch).result())
        return found

    assert keys([0, 1, 0]) == keys([2, 0, 1]) == keys([1, 1, 1])


# -- what a branch counts and keeps ------------------------------------------------------------
def test_a_branch_is_placed_after_the_calls_its_parent_made_before_handing_it_out() -> None:
    from pytest_clearstone.golden.threads import Branch

    root = Branch("0")
    assert root.count_call() == ""  # (a root has no place)
    root.count_call()
    job = root.child("work")
    assert job.place == 2
    job.count_call()
    inner = job.child("lookup")
    # the places of the branch's ancestors first: the job's among the root's calls, then its
    # own among the job's
    assert inner.count_call() == "2/1"


def test_a_logical_clock_never_reads_the_same_twice() -> None:
    from pytest_clearstone.golden.threads import Branch

    branch = Branch("0")
    assert branch.tick("clock", 5) == 5
    assert branch.tick("clock", 5) == 6
    assert branch.tick("clock", 3) == 7
    assert branch.tick("clock", 10) == 10


def test_a_parent_keeps_its_later_clock_when_a_job_that_read_less_ends() -> None:
    """A job joined back hands over only the clocks it read later than its parent: a parent
    that read its clock after handing the job out does not go back and read the same again."""
    from pytest_clearstone.golden.threads import Branch

    parent = Branch("0")
    assert parent.tick("clock", 5) == 5
    job = parent.child("work", threaded=True)  # (starts with the parent's clock: 5)
    assert parent.tick("clock", 5) == 6
    assert parent.tick("clock", 5) == 7
    parent.join(job)  # the job read nothing after 5
    assert parent.tick("clock", 5) == 8


def test_a_branch_started_from_a_threaded_one_is_threaded_too() -> None:
    from pytest_clearstone.golden.threads import Branch

    job = Branch("0").child("work", threaded=True)
    assert job.child("task").threaded
    assert not Branch("0").child("task").threaded


def test_a_hash_in_a_job_name_cannot_make_a_key_of_another_job() -> None:
    from pytest_clearstone.golden.threads import job_name

    def work() -> None:
        return None

    work.__name__ = "a/b#1"
    assert job_name(work) == "a_b_1"


def test_a_job_of_a_wrapped_context_run_given_more_arguments_is_named_after_its_function() -> None:
    """``submit(partial(context.run, fetch), "paris")``: the partial's arguments come before the
    ones submitted with it, so the job runs ``fetch``, and its key says so."""
    import functools

    from pytest_clearstone.golden.threads import job_name

    def fetch(city: str) -> str:
        return city

    wrapped = functools.partial(contextvars.copy_context().run, fetch)
    assert job_name(wrapped, ("paris",)) == "fetch"
    assert job_name(functools.partial(wrapped), ("paris",)) == "fetch"
    # a library's executor wrapping a job another library wrapped already (two Context.run)
    nested = functools.partial(contextvars.copy_context().run, wrapped.func, fetch)
    assert job_name(nested, ("paris",)) == "fetch"


def test_a_job_the_recording_lacks_among_others_of_its_function_is_an_extra_job() -> None:
    """A fan-out over more items than recorded: the job (or the task it runs in) is named with
    its function and the number of them recorded; a branch the recording has, one of a function
    it never ran there (renamed) and legacy keys are not extra jobs."""
    from pytest_clearstone.golden.threads import extra_job

    recorded = ["0", "0/run#0", "0/run#1", "0/run#1/ainvoke#0", "0/other#0/run#0"]
    assert extra_job("0/run#2", recorded) == ("0/run#2", "run", 2)
    # a task the extra job starts: the job is named
    assert extra_job("0/run#2/ainvoke#0", recorded) == ("0/run#2", "run", 2)
    # one more task inside a recorded job
    assert extra_job("0/run#1/ainvoke#1", recorded) == ("0/run#1/ainvoke#1", "ainvoke", 1)
    assert extra_job("0/other#0/run#3", recorded) == ("0/other#0/run#3", "run", 1)
    for known_or_not_of_a_kind in ("0", "0/run#1", "0/run#0/ainvoke#0", "0/renamed#0", "1/run#0"):
        assert extra_job(known_or_not_of_a_kind, recorded) is None
    assert extra_job("0/2", ["0/0", "0/1"]) is None


def test_the_jobs_a_live_call_starts_are_no_branches_and_take_no_number(
    propagation: ContextPropagation,
) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        token = threads.unbranched()
        try:
            inside = pool.submit(current_branch).result()
        finally:
            threads.restore_branching(token)
        after = pool.submit(current_branch).result()
    assert (inside, after) == ("0", "0/current_branch#0")


def test_a_jobs_done_callback_hands_its_clocks_to_the_parent(
    propagation: ContextPropagation,
) -> None:
    from concurrent.futures import Future

    seen: list[int] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        future: Future[None] = pool.submit(time.sleep, 0.05)

        def tick(done: Future[None]) -> None:
            branch = threads.running_branch()
            assert branch is not None
            seen.append(branch.tick("clock", 100))

        future.add_done_callback(tick)
        future.result()
    main = threads.running_branch()
    assert main is not None and seen == [100]
    assert main.tick("clock", 1) == 101  # (counts on from what the callback read)


def test_a_task_given_a_context_on_a_patched_loop_is_a_branch_of_its_own() -> None:
    async def probe() -> tuple[str, str]:
        return _seen()

    async def main() -> tuple[str, str]:
        context = contextvars.copy_context()
        context.run(request_id.set, "given")
        return await asyncio.get_running_loop().create_task(probe(), context=context)

    with ContextPropagation():
        assert asyncio.run(main()) == ("given", "0/probe#0")


# -- a job's name; a propagation and a loop used again ----------------------------------------
class _Lookup:
    """A tool object the agent hands its pool: called, with no ``__name__`` of its own."""

    def __call__(self) -> str:
        return current_branch()


def test_a_job_of_a_callable_object_is_named_after_its_class(
    propagation: ContextPropagation,
) -> None:
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(_Lookup()).result() == "0/_Lookup#0"


def test_a_job_of_a_bare_context_run_fails_in_its_future_as_without_the_plugin(
    propagation: ContextPropagation,
) -> None:
    """``submit(context.run)`` without the function to run: the job's own TypeError, raised
    by its future, not an error of the plugin's at submit."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(contextvars.copy_context().run)
        with pytest.raises(TypeError):
            future.result()
        assert pool.submit(current_branch).result() == "0/current_branch#0"


def test_a_propagation_started_again_makes_trio_worker_jobs_branches_again() -> None:
    trio = pytest.importorskip("trio")

    async def main() -> str:
        return await trio.to_thread.run_sync(current_branch)

    propagation = ContextPropagation()
    for _ in range(2):
        with propagation:
            assert trio.run(main) == "0/current_branch#0"


def test_a_loop_given_task_branches_at_one_mocked_call_is_not_given_them_again() -> None:
    """Every mocked call of the agent's looks the running loop up: tasks created after several
    are still one level below the flow that creates them."""

    async def probe() -> str:
        return current_branch()

    async def main() -> list[str]:
        for _ in range(3):
            await _first_mocked_call()
        return list(await asyncio.gather(probe(), probe()))

    loop = _OwnCreateTaskLoop()
    try:
        with ContextPropagation():
            assert loop.run_until_complete(main()) == ["0/probe#0", "0/probe#1"]
    finally:
        loop.close()


def test_trio_imported_after_the_propagation_began_branches_tasks_from_the_first_mocked_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An agent that imports trio itself, in the test: ``trio.run`` was not there to patch, so
    the nursery's tasks become branches at the agent's first mocked call."""
    trio = pytest.importorskip("trio")

    async def probe(seen: list[str]) -> None:
        seen.append(current_branch())

    async def main() -> list[str]:
        await _first_mocked_call()
        seen: list[str] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(probe, seen)
            nursery.start_soon(probe, seen)
        return sorted(seen)

    monkeypatch.delitem(sys.modules, "trio")
    with ContextPropagation():
        monkeypatch.setitem(sys.modules, "trio", trio)  # (imported by the agent)
        assert trio.run(main) == ["0/probe#0", "0/probe#1"]


def test_a_thread_whose_run_is_set_on_it_keeps_it(propagation: ContextPropagation) -> None:
    seen: list[tuple[str, str]] = []

    def run() -> None:
        seen.append(_seen())

    thread = threading.Thread()
    thread.run = run  # type: ignore[method-assign]
    thread.start()
    with pytest.raises(RuntimeError, match="only be started once"):
        thread.start()
    thread.join()
    assert seen == [("test-1", "0/Thread#0")]
    assert thread.run is run


def test_the_anyio_worker_jobs_a_live_call_starts_are_no_branches_and_take_no_number() -> None:
    anyio = pytest.importorskip("anyio")

    async def main() -> tuple[str, str]:
        token = threads.unbranched()
        try:
            inside = await anyio.to_thread.run_sync(current_branch)
        finally:
            threads.restore_branching(token)
        after = await anyio.to_thread.run_sync(current_branch)
        return inside, after

    with ContextPropagation():
        assert anyio.run(main) == ("0", "0/current_branch#0")


def test_a_thread_running_its_function_in_a_copied_context_is_named_after_the_function(
    propagation: ContextPropagation,
) -> None:
    """``Thread(target=context.run, args=(work,))``, the usual way to hand a thread the
    context by hand: its branch runs ``work``."""
    seen: list[tuple[str, str]] = []

    def work() -> None:
        seen.append(_seen())

    thread = threading.Thread(target=contextvars.copy_context().run, args=(work,))
    thread.start()
    thread.join()
    assert seen == [("test-1", "0/work#0")]


def test_a_task_that_is_done_hands_its_clocks_to_the_flow_that_awaits_it(
    propagation: ContextPropagation,
) -> None:
    async def read() -> int:
        branch = threads.running_branch()
        assert branch is not None and branch.key == "0/read#0"
        return branch.tick("clock", 100)

    async def main() -> tuple[int, int]:
        first = await asyncio.get_running_loop().create_task(read())
        branch = threads.running_branch()
        assert branch is not None
        return first, branch.tick("clock", 1)

    assert asyncio.run(main()) == (100, 101)  # (counts on from what the task read)


def test_the_trio_tasks_a_live_call_spawns_are_no_branches_and_take_no_number() -> None:
    trio = pytest.importorskip("trio")

    async def probe(seen: list[str]) -> None:
        seen.append(current_branch())

    async def main() -> list[str]:
        seen: list[str] = []
        async with trio.open_nursery() as nursery:
            token = threads.unbranched()
            try:
                nursery.start_soon(probe, seen)  # (an SDK's connection task)
            finally:
                threads.restore_branching(token)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(probe, seen)
        return seen

    with ContextPropagation():
        assert trio.run(main) == ["0", "0/probe#0"]


def test_a_trio_task_that_has_exited_hands_its_clocks_to_the_flow_that_spawned_it() -> None:
    trio = pytest.importorskip("trio")

    async def read(seen: list[int]) -> None:
        branch = threads.running_branch()
        assert branch is not None and branch.key == "0/read#0"
        seen.append(branch.tick("clock", 100))

    async def main() -> list[int]:
        seen: list[int] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read, seen)
        branch = threads.running_branch()
        assert branch is not None
        return [*seen, branch.tick("clock", 1)]

    with ContextPropagation():
        assert trio.run(main) == [100, 101]  # (counts on from what the task read)


def test_undoing_task_branches_keeps_a_task_factory_the_agent_set_since() -> None:
    def eager(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        undo = install_task_branches(loop)
        loop.set_task_factory(eager)  # (the agent's own, after the plugin's)
        undo()
        return loop.get_task_factory()

    with ContextPropagation():
        assert asyncio.run(main()) is eager


def test_jobs_of_an_anyio_worker_started_before_the_propagation_are_branches() -> None:
    """A module-scoped ``TestClient`` keeps its portal's loop and anyio's workers from test to
    test: a worker started before the test's propagation (a fixture's warm-up request, an
    unmarked test of a sync endpoint) runs the test's jobs in branches of their own too, as a
    worker started in the test does, or the keys (and the ids drawn there) would depend on
    whether such a worker was still idle (anyio lets one go after ten seconds)."""
    pytest.importorskip("anyio")
    from anyio import to_thread
    from anyio.from_thread import start_blocking_portal

    def branches(portal: Any) -> list[str]:
        return [portal.call(to_thread.run_sync, current_branch) for _ in range(2)]

    with start_blocking_portal() as portal, ContextPropagation():
        fresh = branches(portal)
    with start_blocking_portal() as portal:
        assert portal.call(to_thread.run_sync, current_branch) == ""  # (warm-up: no test)
        for _ in range(2):  # (and every later test)
            with ContextPropagation():
                assert branches(portal) == fresh
    assert fresh == ["0/_run_coro#0/current_branch#0", "0/_run_coro#1/current_branch#0"]


def test_a_propagation_started_again_sees_the_ends_of_its_jobs_again() -> None:
    # a job handed out after an earlier job's result was taken counts on from that job's clock,
    # in each use of the propagation (its hooks that see a job's end are installed again)
    def read() -> int:
        branch = threads.running_branch()
        assert branch is not None
        return branch.tick("clock", 100)

    propagation = ContextPropagation()
    for _ in range(2):
        with propagation, ThreadPoolExecutor(1) as pool:
            first = pool.submit(read).result()
            assert pool.submit(read).result() == first + 1


def test_a_patch_made_while_a_run_is_on_is_undone_when_its_propagation_stops() -> None:
    class Owner:
        value = "original"

    assert threads.patch_until_run_ends(Owner, "value", "patched") is False  # (no run: none)
    assert Owner.value == "original"
    with ContextPropagation():
        assert threads.patch_until_run_ends(Owner, "value", "patched") is True
        assert Owner.value == "patched"
    assert Owner.value == "original"


def test_a_patch_is_undone_when_the_innermost_propagation_stops() -> None:
    # (a golden run inside another's propagation: its patch ends with it, not with the outer)
    class Owner:
        value = "original"

    with ContextPropagation():
        with ContextPropagation():
            assert threads.patch_until_run_ends(Owner, "value", "patched") is True
        assert Owner.value == "original"
