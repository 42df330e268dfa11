"""DeterministicExecutionContext: frozen clock, seeded randomness, patched targets."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import functools
import hashlib
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import LISTED_BY_HAND
from .ids import branch_stream, patch_id_generators
from .ignore import IgnoreConfig
from .library_clocks import patch_library_clocks
from .responses import (
    Matcher,
    RecordedCall,
    ReplaySession,
    Responses,
    TargetReplay,
    Transform,
)
from .targets import Patches, PatchStack, Target, patch_with, resolve
from .threads import ContextPropagation, running_branch

if TYPE_CHECKING:
    from .checkpoint import Checkpoint

MockTargets = Mapping[str, Sequence[Any] | Responses]


@functools.lru_cache(maxsize=256)
def derive_seed(key: str) -> int:
    """A 64-bit seed derived from ``key`` (e.g. a checkpoint id)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


_ZERO = _dt.timedelta(0)

#: the key of the seeds of ``random.Random()`` instances in a branch's streams
_INSTANCE_SEEDS = object()

#: whether a live call runs in the current flow of code (its thread, and the threads and tasks
#: it starts): ids and ``random.Random()`` seeds drawn there are real ones; the agent's other
#: threads go on drawing seeded ones while it runs, as on replay
_live_here: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "clearstone_live_here", default=False
)


class _AlreadyLocalUTC(_dt.tzinfo):
    """UTC, for a process whose local zone is UTC already (time-machine leaves TZ alone for a
    tzinfo that is not ``datetime.UTC`` itself)."""

    def utcoffset(self, dt: _dt.datetime | None) -> _dt.timedelta:
        return _ZERO

    def dst(self, dt: _dt.datetime | None) -> _dt.timedelta:
        return _ZERO

    def tzname(self, dt: _dt.datetime | None) -> str:
        return "UTC"


_ALREADY_LOCAL_UTC = _AlreadyLocalUTC()


def _local_zone_is_utc() -> bool:
    """Whether local time is UTC now (CI machines usually): no TZ, or TZ=UTC, and the C
    library's zone as last loaded has no offset and no daylight saving time."""
    return (
        os.environ.get("TZ") in (None, "UTC")
        and time.timezone == 0
        and time.altzone == 0
        and not time.daylight
        and time.tzname == ("UTC", "UTC")
    )


def _is_zoneinfo(zone: _dt.tzinfo | None) -> bool:
    """Whether ``zone`` is a ``zoneinfo.ZoneInfo`` (a named zone, which time-machine makes the
    local one while the clock is moved)."""
    from zoneinfo import ZoneInfo  # (only for a clock given another offset than UTC's)

    return isinstance(zone, ZoneInfo)


def _in_named_zone(time_machine: Any) -> bool:
    """Whether the clock time-machine travels with now (one the test set) is in a named zone,
    which time-machine makes the local one (``TZ``); ``True`` where that cannot be told."""
    travellers = getattr(time_machine, "traveller_stack", None)
    if not travellers:
        return True
    return getattr(travellers[-1], "_destination_tzname", "") is not None


def _local_time_utc(stack: PatchStack) -> None:
    """Make local time UTC while the context lasts, as time-machine does under the
    checkpoint's clock: a clock the test set (a naive time given to time-machine, freezegun)
    leaves the machine's zone, so ``datetime.now()``, ``date.today()``, ``time.localtime()``
    and ``time.strftime()`` read other times when recorded in Paris and replayed in CI."""
    if not hasattr(time, "tzset") or _local_zone_is_utc():  # (Windows has no tzset)
        return
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()

    def restore() -> None:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()

    stack.push(restore)


class DeterministicExecutionContext(Patches):
    """Runs code as it ran when recorded: a frozen clock, seeded randomness, patched targets.

    - The clock (``time.time``, ``time.time_ns``, ``datetime.now``, ``date.today``, ...) is frozen
      at the checkpoint's timestamp by time-machine (``tick=True`` lets it run from there);
      ``time.monotonic`` and ``perf_counter`` stay real so asyncio keeps working. The times
      agent libraries write into their messages read the frozen clock, also inside a live call
      (:mod:`pytest_clearstone.golden.library_clocks`).
    - ``random`` is seeded (from the checkpoint id unless ``seed`` is given), ``random.Random()``
      instances created inside are seeded from a stream of their own (in a branch of execution
      in a thread of its own, one of that branch: :mod:`pytest_clearstone.golden.threads`),
      and ``uuid.uuid4``, ``uuid1``, ``uuid7`` and the uuid7 helpers of pydantic-ai and
      langchain-core (also where imported by name) return ids from seeded streams, per branch
      too (:mod:`pytest_clearstone.golden.ids`). The previous random state is restored on exit.
    - Each ``mock_targets`` import path returns its listed values in order (an exception in the
      list is raised); calling it once more raises :class:`ReplayExhaustedError`.

    Every patch is undone on exit, also when entering fails halfway. ``checkpoint`` may also be
    a timezone-aware ``datetime`` (then ``seed`` defaults to one derived from it).
    """

    #: (a golden test's run) leave a clock the test set with time-machine before the context to
    #: the agent, as one set with freezegun (which time-machine cannot travel over) is
    keeps_test_clock = False

    def __init__(
        self,
        checkpoint: Checkpoint | _dt.datetime,
        mock_targets: MockTargets | None = None,
        *,
        seed: int | None = None,
        tick: bool = False,
        strict: bool = False,
        matcher: Matcher | None = None,
        transform: Transform | None = None,
        ignore: IgnoreConfig | None = None,
    ) -> None:
        if isinstance(checkpoint, _dt.datetime):
            self.timestamp = checkpoint
            key = checkpoint.isoformat()
            self.checkpoint_label: str | None = None
        else:
            if not isinstance(getattr(checkpoint, "timestamp", None), _dt.datetime):
                given = type(checkpoint).__name__
                path_fix = (
                    " (for a checkpoint's file, give CheckpointManager().load_checkpoint(path))"
                    if isinstance(checkpoint, (str, os.PathLike))
                    else ""
                )
                raise TypeError(
                    f"DeterministicExecutionContext takes a Checkpoint (its timestamp is the "
                    f"frozen clock's) or a timezone-aware datetime, not a {given}{path_fix}"
                )
            self.timestamp = checkpoint.timestamp
            key = checkpoint.checkpoint_id
            self.checkpoint_label = str(checkpoint.path or checkpoint.checkpoint_id)
        if self.timestamp.tzinfo is None:
            self.timestamp = self.timestamp.replace(tzinfo=_dt.timezone.utc)
        self.seed = derive_seed(key) if seed is None else int(seed)
        self.tick = tick
        self.strict = strict
        self.matcher = matcher
        self.transform = transform
        self.ignore = ignore or IgnoreConfig(None)
        self.mock_targets = dict(mock_targets or {})
        self.session = ReplaySession()
        self._outer_random: Any = None
        self._live = 0  # live calls running now (threads may overlap them)
        self._live_lock = threading.Lock()
        self._seeded_random: Any = None
        self._stop_real_clock: Callable[[], None] | None = None
        #: the agent's clock while live calls run on the real one (``None``: it is the clock)
        self._frozen_ns: int | None = None
        self._instance_seeds: random.Random | None = None  # created on first use (~5 us each)
        self._forks = 0  # the processes forked inside (each child's random is seeded by it)
        #: whether the OpenAI Agents SDK traced a run here (its tracing is on): its processors
        #: hold the trace, which its exporter uploads later (see :func:`.network.flush_sdk_traces`)
        self.sdk_traced = False

    # -- entering and leaving ------------------------------------------------------------------
    def apply(self, stack: PatchStack) -> None:
        # resolve every path first: a bad one fails before anything is patched
        targets = [(resolve(path), spec) for path, spec in self.mock_targets.items()]
        self._freeze_clock(stack)
        self._seed_random(stack)  # (its undo first ends a live call's clock: _end_live_clock)
        patch_id_generators(
            stack, self.seed, _live_here.get, self._agent_time_ns, self._note_sdk_trace
        )
        patch_library_clocks(stack, self._agent_time_ns)
        self._propagate_to_threads(stack)
        for target, spec in targets:
            self.patch_target(target, spec, stack)
        if self.strict:
            self.session.expect_in_order(
                {path: replay.responses for path, replay in self.session.targets.items()}
            )

    # -- pieces --------------------------------------------------------------------------------
    def _freeze_clock(self, stack: PatchStack) -> None:
        import time_machine

        # (time-machine leaves these two on the real clock: they read the agent's clock here)
        stack.setattr(time, "ctime", _ctime)
        stack.setattr(time, "asctime", _asctime)
        if self.keeps_test_clock and time_machine.escape_hatch.is_travelling():
            # the test set the clock itself before the context (time-machine's marker, a
            # fixture): the agent sees that clock, as under freezegun below, in local time
            # UTC unless the test's clock is in a named zone (time-machine made it the local one)
            if not _in_named_zone(time_machine):
                _local_time_utc(stack)
            return
        when = self.timestamp
        offset = when.utcoffset()
        if offset != _ZERO and not _is_zoneinfo(when.tzinfo):
            # time-machine moves the local zone to a destination's ZoneInfo, or to UTC, but
            # leaves the machine's for another offset (a golden's timestamp edited by hand):
            # local time is UTC then too, the same on every machine
            when, offset = when.astimezone(_dt.timezone.utc), _ZERO
        if offset == _ZERO and _local_zone_is_utc():
            # time-machine sets TZ=UTC for a UTC destination, which here changes nothing but
            # costs two tzset() calls (each reads a zone file): travel without it
            when = when.replace(tzinfo=_ALREADY_LOCAL_UTC)
        traveller = time_machine.travel(when, tick=self.tick)
        try:
            traveller.start()
        except RuntimeError:  # "cannot start when freezegun is active"
            if "freezegun" not in sys.modules:
                raise
            # the test froze the clock itself (a fixture): the agent sees that clock, whose
            # time.localtime() and strftime() read the machine's zone but for this
            _local_time_utc(stack)
            return
        stack.push(traveller.stop)

    def _end_live_clock(self) -> None:
        """(On exit, before the frozen clock, or the test's own, stops.) A live call still
        running (in a thread the test did not wait for) has its real clock on top of the
        others: it stops first (time-machine stops the clock started last), and the call, when
        it ends, leaves the process's clock and ``random`` alone (:meth:`suspended`)."""
        with self._live_lock:
            stop_real, self._stop_real_clock = self._stop_real_clock, None
            self._frozen_ns = None
            if stop_real is not None:
                stop_real()

    def _seed_random(self, stack: PatchStack) -> None:
        outer = random.getstate()
        self._outer_random = outer
        random.seed(self.seed)
        self._forks = 0
        _seeding.append(self)

        def restore() -> None:
            if self in _seeding:  # (innermost last: usually the last one)
                _seeding.remove(self)
            self._end_live_clock()  # (before the frozen clock, or the test's own, stops)
            random.setstate(self._outer_random)

        stack.push(restore)
        original_seed = random.Random.seed
        context = self

        def seed(self: random.Random, a: Any = None, version: int = 2) -> None:
            if a is None and not _live_here.get():
                a = context._instance_seed()
            original_seed(self, a, version)

        stack.setattr(random.Random, "seed", seed)
        # (random.seed is the module's Random's method, bound at import to the seed above: the
        # module's seed() without an argument would reseed it from the system's entropy)
        stack.setattr(random, "seed", _module_seed)
        names = sys.modules.get("tempfile")
        if names is not None and hasattr(names, "_name_sequence"):
            # tempfile names its files and directories from a random.Random() it makes once
            # per process: a new one is made here, seeded as any other, so a temporary path
            # the agent names in a prompt is the same when recorded and replayed, whatever
            # used tempfile before the test
            stack.setattr(names, "_name_sequence", None)

    def _instance_seed(self) -> int:
        """The seed of the next ``random.Random()`` made here: from the main flow's stream, or
        in a branch of execution in a thread of its own (a job, a thread) from that branch's
        own."""
        seed = self.seed ^ 0x5EED
        branch = running_branch()
        if branch is not None and branch.threaded:
            return branch_stream(branch, _INSTANCE_SEEDS, seed).getrandbits(64)
        if self._instance_seeds is None:
            self._instance_seeds = random.Random(seed)
        return self._instance_seeds.getrandbits(64)

    def _note_sdk_trace(self) -> None:
        self.sdk_traced = True

    def _agent_time_ns(self) -> int:
        """The time the agent's clock reads: the frozen one also while a live call (in another
        thread) has the process on the real clock."""
        frozen = self._frozen_ns
        return time.time_ns() if frozen is None else frozen

    def _propagate_to_threads(self, stack: PatchStack) -> None:
        """Threads the agent starts (thread pools, ``threading.Thread``, ``run_in_executor``)
        run in the context of the code that started them: their calls are recorded into the
        test's trace under the right parent, and answered on replay."""
        propagation = ContextPropagation()
        propagation.start()
        stack.push(propagation.stop)

    def responses_for(self, spec: Sequence[Any] | Responses) -> list[RecordedCall]:
        if isinstance(spec, Responses):
            return spec.calls
        if isinstance(spec, (str, bytes)) or not isinstance(spec, Sequence):
            raise TypeError(
                f"mock target values must be a list of return values, not {type(spec).__name__}"
            )
        return [RecordedCall.of_value(v) for v in spec]

    def patch_target(
        self, target: Target, spec: Sequence[Any] | Responses, stack: PatchStack | None = None
    ) -> TargetReplay:
        """Patch ``target`` to answer from ``spec`` (while this context is active)."""
        if stack is None:  # (not `or`: an empty PatchStack is falsy)
            stack = self._stack
        assert stack is not None, "the context is not active"
        replay = TargetReplay(
            target,
            self.responses_for(spec),
            self.session,
            strict=self.strict,
            matcher=self.matcher,
            checkpoint=self.checkpoint_label,
            transform=self.transform,
            ignore=self.ignore.for_target(target.path) if self.ignore else None,
            unmocked=spec.unmocked if isinstance(spec, Responses) else None,
            note=spec.note if isinstance(spec, Responses) else LISTED_BY_HAND,
        )
        self.session.targets[target.path] = replay
        patch_with(target, replay, stack)
        return replay

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """Run a block with the real clock and the real random state (for live calls).

        The block consumes nothing from the seeded streams, so the code around it sees the same
        times, random numbers and ids whether the block ran or not. The clock and ``random``'s
        global state are the process's: other threads see them real while the block runs; the
        ids and ``random.Random()`` seeds they draw stay seeded.
        """
        if self._stack is None:
            yield
            return
        with self._live_lock:  # the first live call of overlapping ones steps out of the context
            self._live += 1
            if self._live == 1:
                self._seeded_random = random.getstate()
                random.setstate(self._outer_random)
                self._frozen_ns = time.time_ns()  # (before the real clock starts)
                self._stop_real_clock = _real_clock()
                if self._stop_real_clock is None:  # the clock stays as it is (freezegun's)
                    self._frozen_ns = None
        live = _live_here.set(True)
        try:
            yield
        finally:
            with self._live_lock:  # ... and the last one to end steps back in
                self._live -= 1
                if self._live == 0 and self._stack is not None:  # (not after the context ended)
                    if self._stop_real_clock is not None:
                        self._stop_real_clock()
                        self._stop_real_clock = None
                    self._frozen_ns = None
                    self._outer_random = random.getstate()
                    random.setstate(self._seeded_random)
            _live_here.reset(live)

    def __repr__(self) -> str:
        return (
            f"<DeterministicExecutionContext at {self.timestamp.isoformat()} seed={self.seed} "
            f"targets={list(self.mock_targets)}>"
        )


_real_ctime = time.ctime
_real_asctime = time.asctime


#: the contexts whose seeded ``random`` is in force, innermost last
_seeding: list[DeterministicExecutionContext] = []


def _module_seed(a: Any = None, version: int = 2) -> None:
    """``random.seed`` while a context seeds ``random``: the module's generator seeded through
    ``random.Random.seed`` as patched (without an argument, from the context's stream)."""
    random.Random.seed(random._inst, a, version)


def _count_fork() -> None:
    """(In the parent, before a fork.) Count the fork in the context seeding ``random``."""
    if _seeding:
        _seeding[-1]._forks += 1


def _seed_child() -> None:
    """(In a forked child, after CPython reseeded ``random`` from the OS.) A child forked while
    the context seeds ``random`` (not inside a live call) draws from a stream of its own,
    seeded from the context's seed and the fork's number: the same numbers when recorded and
    replayed, and other numbers than its parent's and its siblings'."""
    if _seeding:
        context = _seeding[-1]
        if not context._live:
            random.seed(f"{context.seed}/fork/{context._forks}")


if hasattr(os, "register_at_fork"):  # (not on Windows, which cannot fork)
    # (after `random`'s own hook, registered when it was imported: children run in order)
    os.register_at_fork(before=_count_fork, after_in_child=_seed_child)


def _ctime(secs: float | None = None) -> str:
    """``time.ctime`` of the clock ``time.time`` reads (the frozen one, the real one in a live
    call): the C function reads the real clock whatever time-machine patched."""
    return _real_ctime(time.time() if secs is None else secs)


def _asctime(t: Any = None) -> str:
    """``time.asctime`` of the clock ``time.localtime`` reads (as :func:`_ctime`)."""
    return _real_asctime(time.localtime() if t is None else t)


def _real_clock() -> Callable[[], None] | None:
    """Start a clock travelling to now and ticking on top of time-machine's stack (the
    context's frozen clock, and a clock the test itself travelled to, stay below it, each
    stopped by its owner), and give the function that stops it; or ``None`` where it cannot
    start: freezegun is active (the test froze the clock with it), and the block sees that
    clock, as without the plugin."""
    import time_machine

    if not time_machine.escape_hatch.is_travelling():  # the clock is real, or freezegun's
        return None
    real = time_machine.travel(time_machine.escape_hatch.time.time(), tick=True)
    try:
        real.start()
    except RuntimeError:  # "time-machine cannot start when freezegun is active"
        return None
    return real.stop
