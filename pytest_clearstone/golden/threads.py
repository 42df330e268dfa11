"""Calls made in threads belong to the test: context propagation and branches of execution.

A worker thread does not inherit the ``contextvars`` context of the code that hands it work, and
that context holds what makes a call part of the test (the current span, the recording flags).
While a :class:`ContextPropagation` is active, ``ThreadPoolExecutor.submit`` runs each job in a
copy of the submitter's context, and a ``threading.Thread`` runs in a copy of the context of the
thread that started it. ``ThreadPoolExecutor.map``, ``loop.run_in_executor`` (the default
executor included), ``asyncio.to_thread``, LangChain's ``batch`` and LangGraph's parallel sync
nodes all go through ``submit``.

Each job and thread also gets a *branch*, for comparing the order of calls within each branch of
execution: a key derived from its parent's key, the name of the function the job runs and its
index among the parent's jobs of that name: ``"0"`` for the test's main flow, ``"0/fetch#1"``
for the second job running ``fetch`` submitted from it, ``"0/fetch#1/lookup#0"`` for the first
``lookup`` job that one submitted. The same code handing out the same jobs in the same order
gets the same keys on every run, whichever thread runs first; jobs of other functions handed out
in between, in a number that varies with timing (LangGraph's stream waiters), do not move them.
:func:`current_branch` reads the key. (Goldens recorded by earlier versions keyed a job by its index
among all the parent's jobs, ``"0/3"``: :func:`current_branch` gives that key with
``legacy=True``.) An asyncio task created inside a running loop is a branch too, the next child of
the branch that creates it (``BaseEventLoop.create_task`` is patched while asyncio is imported;
:func:`install_task_branches` does it for another loop at the agent's first mocked call); a
loop's main task (``asyncio.run``, ``run_until_complete``: created before the loop runs) goes on
in its creator's branch. A done callback of a job's future runs in the job's branch, whichever
thread runs it (LangGraph commits a finished task's writes there).

A branch also keeps state of its own for code that must not share it between concurrent
branches: seeded streams and logical clocks (:class:`Branch`; the seeded ids of
:mod:`pytest_clearstone.golden.ids` use them).
"""

from __future__ import annotations

import contextvars
import functools
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Queue
from typing import TYPE_CHECKING, Any, cast

from ..callables import named_after
from ..errors import CheckpointClassChangedError, ReplayError
from .targets import Patches, PatchStack

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "Branch",
    "ContextPropagation",
    "current_branch",
    "ended_run",
    "extra_job",
    "in_this_branch",
    "in_trio_run",
    "install_task_branches",
    "is_legacy_key",
    "job_name",
    "name_run",
    "patch_until_run_ends",
    "running_branch",
]

ROOT = "0"


class _Run:
    """One golden run (a test recording or replaying): the run every branch a
    :class:`ContextPropagation` roots belongs to. ``name``: the test's node id (``""``: not
    named); ``ended``: the propagation has stopped, so code still running in one of its branches
    is a task or thread the test left running."""

    __slots__ = ("ended", "name")

    def __init__(self) -> None:
        self.ended = False
        self.name = ""


class Branch:
    """A branch of execution: its key (and legacy key), its parent (``None``: a run's main
    flow), its golden run, and how many children it has handed out, in all and of each name.

    It also holds what code keeps per branch so that concurrent branches do not share it:
    ``streams`` (seeded random streams, by their owner's key) and logical clocks
    (:meth:`tick`), used by a branch that runs in a thread of its own (``threaded``: a
    thread-pool job, a thread, a trio task, or a branch started from one), whose draws follow
    the OS's (or trio's random) scheduling; the main flow and its asyncio tasks, which one
    event loop runs in an order of their code's, share the main flow's. A child starts with its
    parent's clocks as they are when it is handed out, and its parent takes them over (the
    later of each) when it ends (:meth:`join`): a clock counts on from everything that happened
    before in the flow of the code, and branches that run at the same time cannot move each
    other's. A child that ended is seen by the children handed out after it only once the
    parent's flow has seen it end (:meth:`observe`: the job's result taken, the thread joined)
    or has read a clock since: whether it ended before a sibling handed out right after it
    (``executor.map``, LangChain's ``batch()``) is the OS's scheduling, not the code's flow.
    """

    __slots__ = (
        "_children",
        "_clocks",
        "_handout",
        "_lock",
        "_named",
        "key",
        "legacy",
        "made",
        "parent",
        "place",
        "run",
        "streams",
        "threaded",
    )

    def __init__(
        self,
        key: str,
        parent: Branch | None = None,
        legacy: str | None = None,
        run: _Run | None = None,
        clocks: dict[object, int] | None = None,
        threaded: bool = False,
        place: int = -1,
    ) -> None:
        self.key = key
        #: the recorded calls this branch made itself so far (:meth:`count_call`)
        self.made = 0
        #: how many calls its parent had made when it handed this branch out (-1: a root)
        self.place = place
        self.threaded = threaded
        self.legacy = key if legacy is None else legacy
        self.parent = parent
        self.run: _Run = run if run is not None else parent.run if parent is not None else _Run()
        self.streams: dict[object, Any] = {}
        self._clocks: dict[object, int] = {} if clocks is None else clocks
        #: the clocks a child handed out now starts with, while they differ from ``_clocks``
        #: (children joined since the last reading, not yet observed); ``None``: ``_clocks``
        self._handout: dict[object, int] | None = None
        self._children = 0
        self._named: dict[str, int] = {}
        self._lock = threading.Lock()

    def child(self, name: str, *, threaded: bool = False) -> Branch:
        """The next child branch, running a function called ``name`` (``threaded``: in a
        thread of its own)."""
        with self._lock:
            index = self._children
            self._children += 1
            named = self._named.get(name, 0)
            self._named[name] = named + 1
            clocks = dict(self._clocks if self._handout is None else self._handout)
            place = self.made
        return Branch(
            f"{self.key}/{name}#{named}",
            self,
            f"{self.legacy}/{index}",
            clocks=clocks,
            threaded=threaded or self.threaded,
            place=place,
        )

    def count_call(self) -> str:
        """Count a recorded call this branch makes; returns the places of the branch and its
        ancestors (``"1/0"``: see :data:`~.mocks.PLACES_ATTRIBUTE`; ``""`` for a root). The
        place of a branch among its parent's calls is set where the parent's code handed it
        out, not by when its first call started (which the live latency of the parent's
        calls moves)."""
        with self._lock:
            self.made += 1
        places: list[str] = []
        branch: Branch | None = self
        while branch is not None and branch.parent is not None:
            places.append(str(branch.place))
            branch = branch.parent
        return "/".join(reversed(places))

    def tick(self, clock: object, now: int) -> int:
        """The next reading of this branch's logical clock ``clock``: ``now``, or one more than
        its last reading if that is not earlier."""
        with self._lock:
            last = self._clocks.get(clock)
            if last is not None and now <= last:
                now = last + 1
            self._clocks[clock] = now
            self._handout = None  # (this flow has read its clocks, joins included)
        return now

    def join(self, child: Branch) -> None:
        """Take over the clocks of ``child``, which has ended (the later reading of each)."""
        with child._lock:
            clocks = list(child._clocks.items())
        if not clocks:
            return
        with self._lock:
            if self._handout is None:
                self._handout = dict(self._clocks)
            _take_later(self._clocks, clocks)

    def observe(self, child: Branch) -> None:
        """This branch's flow has seen ``child`` end (a job's result taken, a thread joined):
        the children it hands out from now on start after ``child``'s clocks too."""
        with child._lock:
            clocks = list(child._clocks.items())
        with self._lock:
            if self._handout is not None:
                _take_later(self._handout, clocks)

    def descends_from(self, other: Branch) -> bool:
        branch = self.parent
        while branch is not None:
            if branch is other:
                return True
            branch = branch.parent
        return False


def _take_later(mine: dict[object, int], clocks: list[tuple[object, int]]) -> None:
    for clock, reading in clocks:
        if reading > mine.get(clock, reading - 1):
            mine[clock] = reading


_branch: contextvars.ContextVar[Branch | None] = contextvars.ContextVar(
    "clearstone_branch", default=None
)

#: set while the original ``submit`` runs: the worker thread it may start is the pool's, not a
#: branch (whether a worker is started depends on timing; a key must not)
_in_submit: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "clearstone_in_submit", default=False
)


class _Jobs(threading.local):
    def __init__(self) -> None:
        self.stack: list[Branch] = []


#: the branches of the jobs and threads running on each thread, innermost last
_jobs = _Jobs()


def _resolve(branch: Branch | None) -> Branch | None:
    """The branch running now, given the one in the current context.

    Libraries that propagate the context themselves (``asyncio.to_thread``, LangChain's
    ``ContextThreadPoolExecutor``) copy it before they submit and run the job inside their
    copy, which holds the submitter's branch. So in a job, a branch that is one of the job's
    ancestors (or none) means the job's own branch.
    """
    stack = _jobs.stack
    if stack:
        job = stack[-1]
        if branch is None or job.descends_from(branch):
            return job
    return branch


def running_branch() -> Branch | None:
    """The branch of execution running now (``None`` outside any: see :func:`current_branch`)."""
    return _resolve(_branch.get())


def current_branch(*, legacy: bool = False) -> str:
    """The key of the branch of execution running now: ``"0"`` for the test's main flow,
    ``"0/fetch#2"`` for the third job or thread it started that runs ``fetch``, and so on;
    with ``legacy``, the key of goldens recorded by earlier versions (``"0/2"``: the third job or
    thread of any function).

    ``""`` when the code runs outside any branch: no :class:`ContextPropagation` was active
    where this flow started (a thread started elsewhere, or a job its pool got unpropagated).
    Such calls cannot be attributed to a branch.
    """
    branch = _resolve(_branch.get())
    if branch is None:
        return ""
    return branch.legacy if legacy else branch.key


def is_legacy_key(key: str) -> bool:
    """Whether ``key`` is a branch key of goldens recorded by earlier versions (a job's place among
    all its parent's jobs: ``"0/3"``), which :func:`current_branch` gives with ``legacy``."""
    return "/" in key and "#" not in key


def extra_job(key: str, recorded: Iterable[str]) -> tuple[str, str, int] | None:
    """When the branch ``key`` (or the job or task it runs in) is one the ``recorded`` branch
    keys do not have, though they have others running the same function handed out by the same
    branch (a ``Send`` fan-out or a batch over more items than when recorded): the key of that
    job or task, the function's name and how many of them the recording has; else ``None``
    (the recording knows the branch, or nothing of its kind: a job of a renamed function).
    Legacy keys (:func:`is_legacy_key`) name no function: ``None``."""
    known = list(recorded)
    parts = key.split("/")
    for level in range(1, len(parts)):
        job = "/".join(parts[: level + 1])
        if any(other == job or other.startswith(job + "/") for other in known):
            continue
        name, mark, _ = parts[level].rpartition("#")
        if not mark:
            return None
        siblings = "/".join(parts[:level]) + "/" + name + "#"
        others = {
            other[len(siblings) :].split("/", 1)[0] for other in known if other.startswith(siblings)
        }
        return (job, name, len(others)) if others else None
    return None


def job_name(fn: Any, args: tuple[Any, ...] = ()) -> str:
    """The name of the function a job runs, in a branch key: the function inside
    ``functools.partial`` and ``Context.run`` wrappers (LangChain's and LangGraph's executors
    submit ``partial(context.run, fn, ...)``), ``"/"`` and ``"#"`` replaced."""
    for _ in range(16):  # (a bound: wrappers do not nest deeper)
        if isinstance(fn, functools.partial):
            fn, args = fn.func, (*fn.args, *args)
        elif args and isinstance(getattr(fn, "__self__", None), contextvars.Context):
            fn, args = args[0], args[1:]
        else:
            break
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        name = type(fn).__name__
    return name.replace("/", "_").replace("#", "_")


def _child_context(
    name: str, context: contextvars.Context | None = None, *, threaded: bool = False
) -> tuple[Branch | None, contextvars.Context]:
    """A copy of ``context`` (default: the current one) whose branch is the next child of the
    branch running there, running a function called ``name``, and that child; outside any
    branch, a plain copy and ``None``."""
    copy = contextvars.copy_context() if context is None else context.copy()
    parent = _resolve(copy.get(_branch))
    if parent is None or copy.get(_unbranched):
        return None, copy
    child = parent.child(name, threaded=threaded)
    copy.run(_branch.set, child)
    return child, copy


#: set while a live call runs: the tasks and threads an SDK starts inside it (connection pools,
#: anyio workers) are not the agent's branches, and must not take a branch number the replay
#: (where the live call does not run) would give to the agent's next task
_unbranched: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "clearstone_unbranched", default=False
)


def unbranched() -> contextvars.Token[bool]:
    """Until :func:`restore_branching`, tasks and threads started here get no branch."""
    return _unbranched.set(True)


def restore_branching(token: contextvars.Token[bool]) -> None:
    _unbranched.reset(token)


def _run_job(
    branch: Branch | None,
    context: contextvars.Context,
    fn: Callable[..., Any],
    /,
    *args: Any,
    **kwargs: Any,
) -> Any:
    __tracebackhide__ = True  # (a failing job shows the agent's frames and the pool's, not ours)
    if branch is None:
        return context.run(fn, *args, **kwargs)
    return context.run(_in_branch, branch, fn, *args, **kwargs)


def _in_branch(branch: Branch, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` as the job of ``branch`` on this thread."""
    __tracebackhide__ = True
    stack = _jobs.stack
    stack.append(branch)
    try:
        return fn(*args, **kwargs)
    finally:
        stack.pop()
        _join(branch)


def _join(branch: Branch) -> None:
    """``branch`` has ended: its parent takes over its clocks."""
    if branch.parent is not None:
        branch.parent.join(branch)


#: the futures ``ThreadPoolExecutor.submit`` returned for jobs of a branch, and their branches
_job_futures: weakref.WeakKeyDictionary[Future[Any], Branch] = weakref.WeakKeyDictionary()


def _run_callback(branch: Branch, fn: Callable[[Future[Any]], object], future: Future[Any]) -> None:
    __tracebackhide__ = True
    stack = _jobs.stack
    stack.append(branch)
    try:
        fn(future)
    finally:
        stack.pop()
        _join(branch)


class ContextPropagation(Patches):
    """Makes threads run in the context of the code that handed them work, while active.

    Entering sets the current context's branch to a fresh root (``root``, ``"0"`` by default)
    and patches ``ThreadPoolExecutor.submit`` and ``threading.Thread.start``; leaving undoes
    both and restores the previous branch (also when entering fails halfway). A ``Thread``
    subclass that overrides ``run`` keeps it: the method the thread would run is wrapped when
    it starts, whatever class defines it. Worker threads a pool starts for itself are not
    branches (their jobs are).

    Enter it in the thread and context that run the test (where its other ``contextvars`` are
    set); :meth:`branch_tasks` gives the tasks of an event loop branches too.
    """

    def __init__(self, root: str = ROOT) -> None:
        self.root = root
        self._loops: set[int] = set()
        self._trio = False
        self._observing = False

    def apply(self, stack: PatchStack) -> None:
        run = _Run()
        token = _branch.set(Branch(self.root, run=run))
        stack.push(lambda: _end(run, token))
        submit = cast("Callable[..., Future[Any]]", ThreadPoolExecutor.submit)
        stack.setattr(ThreadPoolExecutor, "submit", _propagating(_propagating_submit, submit))
        add = cast("Callable[..., None]", Future.add_done_callback)
        stack.setattr(Future, "add_done_callback", _propagating(_branching_add_callback, add))
        start = threading.Thread.start
        stack.setattr(threading.Thread, "start", _propagating(_propagating_start, start))
        if "anyio._backends._asyncio" in sys.modules:  # (else no anyio worker can run)
            _branch_anyio_workers()
        base_events = sys.modules.get("asyncio.base_events")  # (not imported: no loop yet)
        if base_events is not None:
            loop_class = base_events.BaseEventLoop
            create = _propagating(_branching_create_task, loop_class.create_task)
            stack.setattr(loop_class, "create_task", create)
        self._trio = False
        if "trio" in sys.modules:  # (not imported: no trio run yet)
            self._branch_trio(stack)
        elif "anyio" in sys.modules and _trio_installed():
            # anyio.run(..., backend="trio") imports trio in the test: patched then
            anyio = sys.modules["anyio"]
            if callable(getattr(anyio, "run", None)):
                stack.setattr(anyio, "run", _propagating(_branching_anyio_run, anyio.run))
        _active.append(self)
        stack.push(self._deactivate)

    def _deactivate(self) -> None:
        if self in _active:
            _active.remove(self)
        self._loops.clear()
        self._observing = False

    def observe_ends(self) -> None:
        """Make taking a job's result and joining a thread tell the branch that handed it out
        that it ended (:meth:`Branch.observe`), until this propagation stops. Once, when its
        first job or thread is handed out: a test that starts none pays nothing."""
        stack = self._stack
        if self._observing or stack is None:
            return
        self._observing = True
        result = cast("Callable[..., Any]", Future.result)
        stack.setattr(Future, "result", _propagating(_observing, result))
        exception = cast("Callable[..., Any]", Future.exception)
        stack.setattr(Future, "exception", _propagating(_observing, exception))
        join = threading.Thread.join
        stack.setattr(threading.Thread, "join", _propagating(_observing_join, join))

    def branch_trio(self) -> None:
        """Make trio's tasks and worker-thread jobs branches until this propagation stops: runs
        started with ``trio.run`` get :func:`branch_trio_tasks`'s instrument from their start,
        and each job ``trio.to_thread.run_sync`` (anyio's ``to_thread.run_sync`` on trio) hands
        trio's thread cache is one (:func:`_branching_trio_thread`). Once per propagation;
        nothing where trio's modules are not as expected."""
        if self._stack is not None:
            self._branch_trio(self._stack)

    def _branch_trio(self, stack: PatchStack) -> None:
        if self._trio:
            return
        self._trio = True
        trio = sys.modules.get("trio")
        threads = sys.modules.get("trio._threads")
        if trio is not None and callable(getattr(trio, "run", None)):
            stack.setattr(trio, "run", _propagating(_branching_trio_run, trio.run))
        start = getattr(threads, "start_thread_soon", None)
        if callable(start):
            patched = _propagating(_branching_trio_thread, start)
            stack.setattr(threads, "start_thread_soon", patched)

    def branch_tasks(self, loop: asyncio.AbstractEventLoop) -> None:
        """:func:`install_task_branches` on ``loop`` until this propagation stops."""
        assert self._stack is not None, "the ContextPropagation is not active"
        self._stack.push(install_task_branches(loop))
        self._loops.add(id(loop))


#: the active propagations (a stack: contexts may nest)
_active: list[ContextPropagation] = []


def patch_until_run_ends(owner: Any, name: str, value: Any) -> bool:
    """Set ``owner``'s attribute ``name`` to ``value`` until the innermost active propagation
    (the running golden run's) stops, which undoes it with the run's other patches; ``False``,
    nothing set, where none is active. For a patch made only once something has happened (a
    replay failed), which a run that passes never pays for."""
    stack = _active[-1]._stack if _active else None
    if stack is None:
        return False
    stack.setattr(owner, name, value)
    return True


def branch_running_loop() -> None:
    """Give the tasks of the running event loop branches from now on, if a propagation is
    active and has not done so for this loop yet.

    The recorder and the replay stand-ins call it at each call of a mock target: an agent's
    own ``asyncio.run`` loop gets branches at its first recorded call, so the tasks it then
    gathers (pydantic-ai's parallel tool calls) are answered and ordered per task, on record
    and on replay alike.
    """
    if not _active:
        return
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:  # no loop can be running
        return
    # the non-raising lookup (get_running_loop() raises where no loop runs: most calls)
    loop = asyncio._get_running_loop()
    if loop is None:
        if "trio" in sys.modules:  # (a trio run, maybe: its tasks get branches)
            branch_trio_tasks()
        return
    propagation = _active[-1]
    if id(loop) not in propagation._loops:
        if _branches_tasks(type(loop)):  # its create_task was patched before the loop ran
            propagation._loops.add(id(loop))
        else:
            propagation.branch_tasks(loop)


def _branches_tasks(loop_class: type) -> bool:
    """Whether ``loop_class.create_task`` is the branching one, or a wrapper around it (the
    recording's, which runs the tasks a live call starts live: seen through its
    ``__wrapped__``, or the recording would give the loop a task factory the replay does not,
    and its tasks other branches)."""
    made = _wrappers.get(_branching_create_task)
    if made is None:
        return False
    create = getattr(loop_class, "create_task", None)
    for _ in range(8):  # (a few layers of wrappers at most)
        if create is made[1]:
            return True
        create = getattr(create, "__wrapped__", None)
        if create is None:
            return False
    return False


def _end(run: _Run, token: contextvars.Token[Branch | None]) -> None:
    run.ended = True
    _reset(token)


def name_run(name: str) -> None:
    """Name the golden run of the branch running here (the test's node id): what
    :func:`ended_run` gives for a task the test leaves running."""
    branch = _branch.get()
    if branch is not None:
        branch.run.name = name


def in_this_branch(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, a coroutine function (an async test), made to run its coroutine in the
    branch of execution running here, wherever an asyncio loop runs it. A test runner that runs
    the test in a context of its own (anyio's: copied while an async fixture was set up, before
    the branch began, or that of the task it starts for its tests) would otherwise run the
    agent's tasks in no branch, or under a branch of the runner's task, and the golden's keys
    would change with the runner and its fixtures (``asyncio.run`` and pytest-asyncio run it in
    the branch itself). Under trio (anyio's runner there runs the test in its main task, whose
    context it copied when it started) the tasks of the nurseries are branches from then on
    (:func:`branch_trio_tasks`)."""
    branch = _branch.get()
    if branch is None:
        return function

    @functools.wraps(function)
    async def run(*args: Any, **kwargs: Any) -> Any:
        if _running_loop() is None:  # (trio's, or none)
            branch_trio_tasks()
        token = _branch.set(branch)
        try:
            return await function(*args, **kwargs)
        finally:
            _reset(token)

    return run


def ended_run() -> str | None:
    """The name of the golden run the code running now belongs to, when that run has ended
    (``""`` when it was not named): this is a task or thread an earlier test left running (a
    fire-and-forget ``asyncio.create_task`` on an event loop the tests share), no part of the
    test running now. ``None`` for code of the running golden run, or of none (a context copied
    before it began: anyio's test runner, a fixture's)."""
    branch = _branch.get()
    if branch is None or not branch.run.ended:
        return None
    return branch.run.name


def _reset(token: contextvars.Token[Branch | None]) -> None:
    try:
        _branch.reset(token)
    except (ValueError, RuntimeError):  # stopped from another context than the one it started
        _branch.set(None)


#: maker -> (the original it wrapped, the propagating wrapper): a wrapper holds no state of a
#: propagation, so it is reused while the original stays the same (a replay enters a
#: propagation for every test); another library's patch of the original replaces the entry
_wrappers: dict[Any, tuple[Any, Any]] = {}


def _propagating(make: Callable[[Any], Any], original: Any) -> Any:
    """``make(original)``, made again only when ``original`` changed."""
    made = _wrappers.get(make)
    if made is None or made[0] is not original:
        made = _wrappers[make] = (original, make(original))
    return made[1]


def _propagating_submit(original: Callable[..., Future[Any]]) -> Callable[..., Future[Any]]:
    def submit(
        self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        # now, in submission order: not when a worker runs it
        branch, context = _child_context(job_name(fn, args), threaded=True)
        token = _in_submit.set(True)
        try:
            future = original(self, _run_job, branch, context, fn, *args, **kwargs)
        finally:
            _in_submit.reset(token)
        if branch is not None:
            _job_futures[future] = branch
            _observe_ends()
        return future

    return named_after(submit, original)


def _observe_ends() -> None:
    if _active:
        _active[-1].observe_ends()


def _observing(original: Callable[..., Any]) -> Callable[..., Any]:
    """``Future.result`` or ``Future.exception`` (``original``), the job's end observed."""

    def method(self: Future[Any], timeout: float | None = None) -> Any:
        __tracebackhide__ = True
        return _observed(self, original, timeout)

    return named_after(method, original)


def _observed(
    future: Future[Any], original: Callable[..., Any], timeout: float | None = None
) -> Any:
    """``original(future, timeout)`` (``Future.result`` or ``.exception``), and the job's end
    observed by the branch that handed it out."""
    __tracebackhide__ = True
    try:
        return original(future, timeout)
    finally:
        branch = _job_futures.get(future)
        if branch is not None and future.done():
            _observe(branch)


def _observe(branch: Branch) -> None:
    """``branch`` ended, and the code running now took its result: the code that handed it
    out, a done callback of the job (in the job's branch: LangGraph commits a task's writes
    so) or the event loop handing it to the task awaiting it (in no branch: asyncio's
    ``run_in_executor``). Not another job, whose timing is not the flow's."""
    parent = branch.parent
    if parent is not None:
        running = running_branch()
        if running is None or running is parent or running is branch:
            parent.observe(branch)


#: the branches of the threads started while a propagation was active
_thread_branches: weakref.WeakKeyDictionary[threading.Thread, Branch] = weakref.WeakKeyDictionary()


def _observing_join(original: Callable[..., None]) -> Callable[..., None]:
    def join(self: threading.Thread, timeout: float | None = None) -> None:
        __tracebackhide__ = True
        original(self, timeout)
        branch = _thread_branches.get(self)
        if branch is not None and not self.is_alive():
            _observe(branch)

    return named_after(join, original)


def _branching_add_callback(original: Callable[..., None]) -> Callable[..., None]:
    def add_done_callback(self: Future[Any], fn: Callable[[Future[Any]], object]) -> None:
        # a job's done callback goes on in the job's branch (LangGraph commits a task's writes
        # there), whichever thread runs it: the worker, or the caller when the job is done
        branch = _job_futures.get(self)
        if branch is not None:
            fn = functools.partial(_run_callback, branch, fn)
        original(self, fn)

    return named_after(add_done_callback, original)


_MISSING: Any = object()


def _propagating_start(original: Callable[[threading.Thread], None]) -> Callable[..., None]:
    def start(self: threading.Thread) -> None:
        if _in_submit.get():  # a pool's worker
            original(self)
            return
        if _is_anyio_worker(self):
            _branch_anyio_jobs(self)
            original(self)
            return
        own = self.__dict__.get("run", _MISSING)
        run = self.run  # bound now: a subclass's run is the one wrapped
        branch, context = _child_context(_thread_name(self, run), threaded=True)

        def restore() -> None:
            if self.__dict__.get("run") is run_in_context:
                if own is _MISSING:
                    del self.__dict__["run"]
                else:
                    self.__dict__["run"] = own

        def run_in_context() -> None:
            __tracebackhide__ = True
            try:
                _run_job(branch, context, run)
            except (ReplayError, CheckpointClassChangedError) as error:
                if not error.kept:
                    raise
                # (the replay fails the test with it: not again, as the thread's unhandled
                # exception — a warning, an error of the test under -W error)
            finally:
                restore()  # (and no cycle thread -> closure -> thread is left behind)

        self.__dict__["run"] = run_in_context
        if branch is not None:
            _thread_branches[self] = branch
            _observe_ends()
        try:
            original(self)
        except BaseException:
            restore()
            raise

    return named_after(start, original)


def _is_anyio_worker(thread: threading.Thread) -> bool:
    """Whether ``thread`` is a worker of anyio's thread pool (``anyio.to_thread.run_sync``, and
    so Starlette's and FastAPI's ``run_in_threadpool``: sync endpoints and dependencies)."""
    kind = type(thread)
    return (
        kind.__name__ == "WorkerThread"
        and kind.__module__ == "anyio._backends._asyncio"
        and isinstance(getattr(thread, "queue", None), Queue)
    )


def _branch_anyio_workers() -> None:
    """:func:`_branch_anyio_jobs` for the anyio workers already running: started before the
    propagation (a module-scoped ``TestClient``'s, by a fixture's warm-up request or a test
    without the marker), they run this test's jobs too."""
    for thread in threading.enumerate():
        if _is_anyio_worker(thread):
            _branch_anyio_jobs(thread)


#: the queues of the anyio workers whose jobs are branches (:func:`_branch_anyio_jobs`)
_anyio_queues: weakref.WeakSet[Queue[Any]] = weakref.WeakSet()


def _branch_anyio_jobs(worker: threading.Thread) -> None:
    """Make each job handed to anyio's ``worker`` a branch, as ``ThreadPoolExecutor.submit``
    does; the worker itself is none. Once per worker: it keeps it while a propagation is
    active (in any later test too).

    anyio keeps its workers for the event loop's life and reuses an idle one for the next job,
    whichever task hands it out, also in a later test (a ``TestClient`` a module-scoped fixture
    keeps), and lets one go after ten idle seconds: a worker branch's key (and the seeded ids
    drawn in it) would depend on whether the job found a worker to reuse. A job's key is the
    next child of the branch of the task that hands it out, running its function, made when it
    is queued (in the task's order), whichever worker runs it. anyio queues ``(context, func,
    args, future, cancel_scope)`` and runs ``context.run(func, *args)``."""
    queue: Queue[Any] = getattr(worker, "queue")  # noqa: B009  (anyio's, checked above)
    if queue in _anyio_queues:
        return
    _anyio_queues.add(queue)
    put = queue.put_nowait

    def put_nowait(item: Any) -> None:
        if _active and isinstance(item, tuple) and len(item) == 5:
            context, fn, args, *rest = item
            if isinstance(context, contextvars.Context) and callable(fn):
                branch, context = _child_context(job_name(fn, args), context, threaded=True)
                if branch is not None:
                    item = (context, functools.partial(_in_branch, branch, fn), args, *rest)
        put(item)

    queue.put_nowait = put_nowait  # type: ignore[method-assign]


def _thread_name(thread: threading.Thread, run: Any) -> str:
    """A thread's :func:`job_name`: its target's for a plain ``Thread``, else its class's."""
    if getattr(run, "__func__", None) is threading.Thread.run:
        target = getattr(thread, "_target", None)  # (the stdlib's: Thread has no public one)
        if target is not None:
            return job_name(target, tuple(getattr(thread, "_args", ())))
    return job_name(type(thread))


def _branching_create_task(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_task(self: asyncio.AbstractEventLoop, coro: Any, /, **kwargs: Any) -> Any:
        if _running_loop() is None or self.get_task_factory() in _factories:
            # a loop's main task (the loop does not run yet) goes on in its creator's branch; a
            # task factory of install_task_branches gives the branch itself
            return original(self, coro, **kwargs)
        given = kwargs.get("context")  # (3.11+) the context the caller wants: branch a copy
        branch, context = _child_context(job_name(coro), given)
        if given is not None:
            kwargs["context"] = context
            task = original(self, coro, **kwargs)
        else:
            task = context.run(original, self, coro, **kwargs)  # the task copies this context
        return _joined_when_done(task, branch)

    return named_after(create_task, original)


def _joined_when_done(task: Any, branch: Branch | None) -> Any:
    """``task``, whose branch's parent takes over its clocks when it is done (before the code
    awaiting it goes on: this callback comes first)."""
    if branch is not None and branch.parent is not None:
        task.add_done_callback(functools.partial(_join_task, branch))
    return task


def _join_task(branch: Branch, task: Any) -> None:
    _join(branch)


class _TrioTaskBranches:
    """A trio instrument (trio looks its hooks up by name) that makes each task spawned in a
    branch the next child of that branch, as :func:`install_task_branches` does for asyncio's
    tasks: ``nursery.start_soon(ask)`` (anyio's ``start_soon`` on trio) from the main flow
    ``"0"`` gives ``"0/ask#0"``, ``"0/ask#1"``, ... in the order the tasks are started, whichever
    trio runs first (its scheduler runs the tasks that are ready in a random order). trio calls
    ``task_spawned`` in the spawning code, before the task first runs, with the task's context
    (a copy of the spawner's) made: the branch is set in it. A task spawned outside any branch,
    or by a live call (an SDK's connection tasks), gets none, and so do the tasks trio's run
    spawns itself (its main task goes on in the branch that started the run). A task's branch
    has seeded streams of its own (``threaded``)."""

    __slots__ = ("_branches",)

    def __init__(self) -> None:
        self._branches: dict[Any, Branch] = {}

    def task_spawned(self, task: Any) -> None:
        context = getattr(task, "context", None)
        if not isinstance(context, contextvars.Context) or _spawned_by_trio(task):
            return
        parent = _resolve(context.get(_branch))
        if parent is None or context.get(_unbranched):
            return
        # (``threaded``: trio runs them in an order of its own, not of their code's, so each
        # draws its seeded ids from streams of its own, as a job in a thread does)
        child = parent.child(job_name(getattr(task, "coro", None)), threaded=True)
        context.run(_branch.set, child)
        self._branches[task] = child

    def task_exited(self, task: Any) -> None:
        branch = self._branches.pop(task, None)
        if branch is not None:
            _join(branch)


_trio_branches = _TrioTaskBranches()


def _spawned_by_trio(task: Any) -> bool:
    """Whether trio's run spawned ``task`` itself: its root task, and the tasks the root task
    spawns (the run's main task, which goes on in its creator's branch as a loop's main task
    does; system tasks)."""
    nursery = getattr(task, "parent_nursery", None)
    parent = getattr(nursery, "parent_task", None)
    return parent is None or getattr(parent, "parent_nursery", None) is None


def branch_trio_tasks() -> None:
    """Give the tasks the running trio run spawns from now on branches, and the jobs of trio's
    worker threads too (:meth:`ContextPropagation.branch_trio`: trio may have been imported
    after the propagation started). Nothing outside a trio run; again in the same run, nothing
    more."""
    if not in_trio_run():
        return
    try:
        sys.modules["trio"].lowlevel.add_instrument(_trio_branches)  # (no-op: there already)
    except RuntimeError:  # no trio run here (a trio without in_trio_run)
        return
    if _active:
        _active[-1].branch_trio()


def in_trio_run() -> bool:
    """Whether this code may run inside a trio run (``trio.run``, anyio's trio backend): trio is
    imported and says so (one that cannot tell, older than 0.23: when imported)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    in_run = getattr(trio.lowlevel, "in_trio_run", None)  # (no exception per sync call)
    return True if in_run is None else bool(in_run())


def _branching_trio_thread(original: Callable[..., None]) -> Callable[..., None]:
    """trio's ``start_thread_soon(fn, deliver, name)``, as ``to_thread.run_sync`` calls it in
    the task that hands out the job: the job is the next child branch of that task's branch,
    running the sync function (``run_sync(lookup, ...)`` from ``"0"``: ``"0/lookup#0"``, as
    on asyncio), whichever worker runs it; a worker it starts is no branch (trio reuses an idle
    one, also in a later test: whether a job finds one depends on what ran before)."""

    def start_thread_soon(fn: Callable[[], Any], deliver: Any, name: Any = None) -> None:
        parent = running_branch()
        if parent is not None and not _unbranched.get():
            child = parent.child(job_name(_trio_sync_function(fn)), threaded=True)
            fn = functools.partial(_in_branch, child, fn)
        token = _in_submit.set(True)
        try:
            original(fn, deliver, name)
        finally:
            _in_submit.reset(token)

    return named_after(start_thread_soon, original)


def _trio_sync_function(worker: Callable[[], Any]) -> Any:
    """The sync function ``trio.to_thread.run_sync`` runs in ``worker`` (its closure's
    ``sync_fn``), and inside anyio's wrapper (``anyio.to_thread.run_sync`` on trio: its
    ``func``); ``worker`` itself where it holds none."""
    sync_fn = _closure_value(worker, "sync_fn")
    if sync_fn is None:
        return worker
    if getattr(sync_fn, "__module__", None) == "anyio._backends._trio":
        return _closure_value(sync_fn, "func") or sync_fn
    return sync_fn


def _closure_value(function: Any, name: str) -> Any:
    """The value of the free variable ``name`` of ``function`` (``None``: it has none)."""
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None)
    if code is None or not cells:
        return None
    for free, cell in zip(code.co_freevars, cells, strict=False):
        if free == name:
            try:
                return cell.cell_contents
            except ValueError:  # (an empty cell)
                return None
    return None


@functools.cache
def _trio_installed() -> bool:
    """Whether trio can be imported (looked up once per process)."""
    import importlib.util

    try:
        return importlib.util.find_spec("trio") is not None
    except (ImportError, ValueError):
        return False


def _branching_anyio_run(original: Callable[..., Any]) -> Callable[..., Any]:
    """``anyio.run``, which on its ``trio`` backend first imports trio (for the first time in
    the process, in the test): trio is imported here, and the running propagation patches it
    (:meth:`ContextPropagation.branch_trio`), before the run starts its tasks."""

    def run(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("backend") == "trio" and _active and "trio" not in sys.modules:
            import importlib

            importlib.import_module("trio")
            _active[-1].branch_trio()
        return original(*args, **kwargs)

    return named_after(run, original)


def _branching_trio_run(original: Callable[..., Any]) -> Callable[..., Any]:
    """``trio.run``, with :func:`branch_trio_tasks`'s instrument from the run's start."""

    def run(*args: Any, instruments: Any = (), **kwargs: Any) -> Any:
        return original(*args, instruments=(*instruments, _trio_branches), **kwargs)

    return named_after(run, original)


def _running_loop() -> Any:
    import asyncio

    # the non-raising lookup (get_running_loop() raises where no loop runs)
    return asyncio._get_running_loop()


#: the task factories :func:`install_task_branches` installed and has not undone
_factories: set[Any] = set()


def install_task_branches(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Give every task created on ``loop`` from now on its own branch; returns the undo.

    A task's key is the next child of the branch that creates it (``asyncio.gather(a(), b())``
    from the main flow ``"0"``: ``"0/a#0"`` and ``"0/b#0"``; ``gather(a(), a())``: ``"0/a#0"``
    and ``"0/a#1"``, in argument order on every run).
    Installs a task factory wrapping the loop's current one, which the undo puts back. Tasks
    created outside any branch get none. Call it from the test's flow: within the running loop
    (the test's own task keeps its branch) or before the loop runs the test (then the test's
    task is a child branch itself).
    """
    import asyncio

    previous: Any = loop.get_task_factory()
    task_type: Any = asyncio.Task

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        # ``context=`` (3.11+) is the context the caller wants the task to run in: branch a copy
        branch, context = _child_context(job_name(coro), kwargs.pop("context", None))
        if previous is not None:
            return _joined_when_done(context.run(previous, loop, coro, **kwargs), branch)
        # the Task copies the context it is created in (its context= argument is 3.11+)
        return _joined_when_done(context.run(task_type, coro, loop=loop, **kwargs), branch)

    loop.set_task_factory(cast(Any, factory))
    _factories.add(factory)

    def undo() -> None:
        _factories.discard(factory)
        if loop.get_task_factory() is factory:
            loop.set_task_factory(previous)

    return undo
