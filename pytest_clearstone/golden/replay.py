"""The ``replay`` fixture's object: one golden test, recorded live once, replayed from then on.

This is the library behind the pytest plugin's ``@pytest.mark.replay`` and ``replay`` fixture;
it knows nothing of pytest. Lifecycle: ``start()`` before the test's call, ``run()`` from the
test, ``stop()`` after it, then ``check()`` (replay) or ``save()`` (record, test passed). The
work is done by one of two halves, chosen by the mode of the attempt:
:class:`~pytest_clearstone.golden.recording.RecordingRun` or
:class:`~pytest_clearstone.golden.replaying.ReplayingRun`.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from ..callables import Kind, kind_of, wrap
from ..errors import (
    RUN_ARGUMENTS,
    CheckpointCorruptError,
    CheckpointNotFoundError,
    ClearstoneError,
    GoldenMismatchError,
    MutatedArgumentWarning,
    ReplayError,
    UnmockedCallWarning,
)
from ..frames import call_keeping_frame
from ..tracing.trace import Trace
from .caller import Caller, end_traceback_in
from .checkpoint import Checkpoint
from .context import DeterministicExecutionContext
from .engine import ReplayEngine
from .ignore import IgnoreConfig, ignore_state_paths
from .mocks import MockConfig, normalize_mock_config
from .mode import Mode
from .processes import told
from .replaying import ReplayingRun, load_golden
from .responses import Matcher, ReplayCall, Transform
from .spec import GoldenSpec
from .state import load_state

if TYPE_CHECKING:  # imported when recording: a replaying run never needs them
    from ..tracing.tracer import Tracer
    from .recording import RecordingRun


class Replay:
    """The ``replay`` fixture: record or replay one agent call against a golden checkpoint.

    ``run(target, *args, **kwargs)`` calls ``target`` (a bound method of an agent, or the name
    of a method of the agent rehydrated from the checkpoint). In record mode it saves the agent's
    state before the call, the result and the final state as the golden outcome; in replay mode
    it loads the recorded state into the agent, runs the call against the recorded responses and
    raises :class:`~pytest_clearstone.errors.GoldenMismatchError` with a state delta when the
    result or the final state differ. ``given_by``: where the ``mock`` and ``ignore`` keywords
    come from when not the test's marker (``{"mock": "the ini option clearstone_mock"}``), as
    the fixes in messages name them. ``note_secrets``: recording, what notes the secrets among
    the arguments given to ``run()`` (not recorded, but the agent may keep them), as
    :meth:`~pytest_clearstone.redaction.Redactor.note_secrets` does.
    """

    def __init__(
        self,
        path: Path,
        mock: MockConfig | None,
        *,
        mode: Mode | str,
        strict: bool = True,
        node_id: str = "",
        tracer: Tracer | None = None,
        matcher: Matcher | None = None,
        transform: Transform | None = None,
        shown: Transform | None = None,
        previous: Checkpoint | None = None,
        allow_pickle: bool = False,
        ignore: list[str] | dict[str, list[str]] | None = None,
        ignore_state: list[str] | None = None,
        fresh: bool = False,
        given_by: Mapping[str, str] | None = None,
        note_secrets: Callable[[Any, str], None] | None = None,
    ) -> None:
        if mode not in (Mode.RECORD, Mode.REPLAY):
            raise ValueError(f"mode must be 'record' or 'replay', not {mode!r}")
        self.path = path if isinstance(path, Path) else Path(path)
        self.mock = mock
        self.mock_pairs = normalize_mock_config(mock)
        #: the action of this attempt: ``"record"`` or ``"replay"``
        self.mode = Mode(mode)
        self.strict = strict
        self.node_id = node_id
        self._agent: Any = None
        #: the frame that made the last run() call (where a failure found after it is shown)
        self._caller: Caller | None = None
        self._recording: RecordingRun | None = None
        self._replaying: ReplayingRun | None = None
        #: record mode: the runs of generators, each of which must be read to its end
        self._generator_runs: list[_RunOutcome] = []
        #: the runs of coroutine functions (each awaited, or not)
        self._async_runs: list[_RunOutcome] = []
        self._previous = previous
        #: recording, where the secrets in the arguments given to run() are noted (the
        #: recording's redactor's :meth:`~pytest_clearstone.redaction.Redactor.note_secrets`)
        self._note_secrets = note_secrets
        self.allow_pickle = allow_pickle
        self._keeps_frames = False
        spec = GoldenSpec(
            self.path,
            self.mock_pairs,
            strict,
            node_id,
            transform,
            shown,
            allow_pickle,
            IgnoreConfig(ignore, (given_by or {}).get("ignore", "")),
            ignore_state_paths(ignore_state),
            fresh,
            mock is None,
            (given_by or {}).get("mock", ""),
        )
        self._spec = spec
        if self.mode is Mode.RECORD:
            from .recording import RecordingRun

            self._recording = RecordingRun(spec, tracer=tracer)
        else:
            self._replaying = ReplayingRun(spec, matcher=matcher)

    def __repr__(self) -> str:
        return f"<Replay {self.mode} {str(self.path)!r}>"

    # -- properties the test sees --------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self._recording is not None

    @property
    def reads_only(self) -> bool:
        """The marker has no ``mock=``: the test only reads its golden and never records it."""
        return self._spec.reads_only

    @property
    def checkpoint(self) -> Checkpoint | None:
        """The golden checkpoint; in record mode the previous one (the one just written, once
        saved), or ``None`` when there is none yet, nor a readable one: a file that is not a
        readable golden (merge-conflict markers, truncated) is what the recording replaces."""
        if self._replaying is not None:
            return self._replaying.checkpoint
        if self._previous is None and os.path.isfile(self.path):
            try:
                self._previous = self.load()
            except CheckpointCorruptError:
                return None
        return self._previous

    @property
    def engine(self) -> ReplayEngine:
        """The :class:`ReplayEngine` of the golden checkpoint."""
        if self._replaying is not None:
            return self._replaying.engine
        previous = self.checkpoint
        if previous is None and os.path.isfile(self.path):
            previous = self.load()  # (not a readable golden: raises why)
        if previous is None:
            raise CheckpointNotFoundError(
                [self.path],
                hint="This test is recording and has no golden yet: the agent rehydrated from "
                "one (replay.agent before run(), replay.run('method_name')) needs an existing "
                "checkpoint (one saved by your application); to record a new golden, pass a "
                "bound method: replay.run(agent.method, ...)",
            )
        return ReplayEngine(previous, allow_pickle=self.allow_pickle)

    @property
    def agent(self) -> Any:
        """The agent of the last ``run()``; before it, the agent rehydrated from the checkpoint."""
        if self._agent is None:
            self._agent = self.engine.rehydrate()
        return self._agent

    @property
    def calls(self) -> list[ReplayCall]:
        """The calls made to mock targets so far (recorded live, or answered from the golden)."""
        if self._recording is not None:
            return self._recording.calls
        assert self._replaying is not None
        return self._replaying.calls

    @property
    def changed_in_place(self) -> list[MutatedArgumentWarning]:
        """Recording: a warning for each call that changed an argument in place, which a
        replay, not running the target, cannot do (replaying: none)."""
        return [] if self._recording is None else self._recording.changed_in_place

    def unwritten_places(self, target: str, call: int) -> list[str]:
        """Recording: the places in the arguments of call ``call`` to ``target`` whose values
        the golden records only as a placeholder naming their type (replaying: none)."""
        return [] if self._recording is None else self._recording.unwritten_places(target, call)

    @staticmethod
    def told_by_children() -> list[BaseException]:
        """The errors processes the test forked told since the last call (a mocked call
        refused there, a connection blocked there: :func:`.processes.told`)."""
        return told()

    @property
    def refusal(self) -> ClearstoneError | Warning | None:
        """Recording: the first call the recording refused, raised to the agent at the call
        (an argument nested too deep), or the first warning about a call that a
        warnings filter made an error (``filterwarnings = error``), raised after the test's
        call; or ``None`` (replaying: always)."""
        return None if self._recording is None else self._recording.refusal

    @property
    def replaced_test(self) -> str:
        """Recording: the node id of the test that recorded the golden this recording writes
        again (``""``: none, its file does not say, or replaying)."""
        return "" if self._recording is None else self._recording.replaced_test

    @property
    def unmocked_calls(self) -> list[UnmockedCallWarning]:
        """Recording: a warning for each method of a mock target's class that made the
        target's request live, not calling it (replaying: none)."""
        return [] if self._recording is None else self._recording.unmocked_calls

    @property
    def called_instead(self) -> dict[str, str]:
        """Recording: each method the recording watched beside a mock target (its twin, its
        class's other methods for the same request) that the agent called and that recorded
        no call, with that target's path (replaying: none)."""
        return {} if self._recording is None else self._recording.called_instead

    @property
    def context(self) -> DeterministicExecutionContext | None:
        """The deterministic context while the test runs (``None`` before ``start()``)."""
        half = self._recording or self._replaying
        assert half is not None
        return half.context

    # -- lifecycle -----------------------------------------------------------------------------
    def attempt(self) -> None:
        """Make this replay an attempt that a live run may follow (record-diverged): the state
        an agent held before the golden's was loaded into it is kept, for
        :meth:`give_back_found_state`."""
        if self._replaying is not None:
            self._replaying.keep_found_state = True

    def keep_agent_frames(self) -> None:
        """Keep the frame of the agent's function each run ran, for ``--pdb``: a
        :class:`~pytest_clearstone.errors.GoldenMismatchError`, found after the run returned,
        holds it as ``agent_frame``, where the debugger opens (``p self.memory``)."""
        self._keeps_frames = True

    def give_back_found_state(self) -> None:
        """Give the agent of this attempt back the state it held before the golden's was
        loaded into it: an agent a fixture of a wider scope made is the live run's too, which
        records it from there (not from the old golden's state and what the attempt added)."""
        found = None if self._replaying is None else self._replaying.found_state
        if found is not None:
            load_state(*found)

    def load(self) -> Checkpoint:
        """Read the golden checkpoint (a missing one names the command that records it)."""
        return load_golden(
            self.path,
            self.node_id,
            allow_pickle=self.allow_pickle,
            reads_only=self.reads_only,
        )

    def start(self, *, root_span_id: str | None = None, trace_id: str | None = None) -> None:
        """Enter the deterministic context and patch the targets (call before the test runs).

        ``root_span_id``: the test's root span, where a recorded golden's checkpoint is taken.
        """
        if self._recording is not None:
            self._recording.start(root_span_id)
        else:
            assert self._replaying is not None
            self._replaying.start()

    def stop(self) -> None:
        """Undo every patch and unfreeze the clock (always call, also after a failure)."""
        half = self._recording or self._replaying
        assert half is not None
        half.stop()

    def check(self) -> None:
        """Replay mode: fail on a ``run()`` never awaited or a generator it returned not read
        to its end (nothing of it was compared), raise the replay errors the agent may have
        swallowed, and (strict) fail on recorded responses left unused."""
        __tracebackhide__ = True
        if self._replaying is not None:
            try:
                unread = self.unawaited() or self.unread_generator()
                if unread is not None:
                    raise ClearstoneError(unread)
                self._replaying.check()
            except ReplayError as exc:  # (--pdb opens in the test, not in pluggy)
                # (not for a run never awaited: the test's frame would keep its coroutine, and
                # its "never awaited" warning, for a later test's garbage collection)
                if self._caller is not None:
                    end_traceback_in(exc, self._caller)
                raise
            finally:
                self._caller = None  # (its frame holds this object: no cycle left behind)

    def calls_not_made_before(self, failure: BaseException) -> ReplayError | None:
        """Replay mode, strict: when the test failed with ``failure`` on a recorded answer (a
        recorded error raised again, or an SDK's error made from a recorded response) before
        making recorded calls, the error naming those calls and that answer; else ``None``."""
        if self._replaying is None:
            return None
        return self._replaying.calls_not_made_before(failure)

    def uncalled_callbacks(self) -> str:
        """Replay mode, when the test failed with no replay error: the callbacks the replayed
        calls were given and the replay did not call (the handler of ``astream_events``...),
        and the fix; ``""``: none."""
        if self._replaying is None:
            return ""
        return self._replaying.uncalled_callbacks()

    def unmatched_paths(self) -> tuple[dict[str, list[str]], list[str]]:
        """The ``ignore`` paths that matched nothing in the arguments of the calls they were
        applied to (``{path: [targets]}``), and the ``ignore_state`` paths that matched nothing
        in the outcomes they were applied to (replay compares outcomes; recording does not)."""
        return self._spec.ignore.unmatched(), self._spec.ignore_state.unmatched()

    def save(self, trace: Trace, *, metadata: dict[str, Any] | None = None) -> Path:
        """Record mode: write the golden checkpoint atomically (directories created); returns
        its path. ``metadata`` is added to the golden's metadata."""
        assert self._recording is not None, "save() is for record mode"
        unread = self.unread_generator() or self.unawaited()
        if unread is not None:
            raise ClearstoneError(unread)
        self._previous = self._recording.save(trace, metadata)
        return self.path

    def unread_generator(self) -> str | None:
        """Why the golden cannot be written (recording), or the outcome was not compared
        (replaying), when a generator ``run()`` returned was not read to its end (the fix
        included), else ``None``."""
        for run in self._generator_runs:
            if not run.read_to_end:
                return run.not_read_to_end()
        return None

    def unawaited(self) -> str | None:
        """Why the test is wrong when a coroutine ``run()`` returned was never awaited (the
        agent's method did not run: nothing of it was recorded or compared), else ``None``."""
        for run in self._async_runs:
            if not run.awaited:
                return run.never_awaited(recording=self._recording is not None)
        return None

    @property
    def change(self) -> str:
        """Record mode, after :meth:`save`: what changed against the previous golden
        (``new``, ``unchanged``, ``llm call #1 to app.complete arguments, final state``)."""
        assert self._recording is not None, "change is for record mode"
        return self._recording.change

    @property
    def previous_text(self) -> str | None:
        """Record mode: the text of the golden this run records again, as it was before
        (``None``: there was none)."""
        assert self._recording is not None, "previous_text is for record mode"
        return self._recording.previous_text

    def build_checkpoint(self, trace: Trace) -> Checkpoint:
        """Record mode: the golden checkpoint of the finished test (not written)."""
        assert self._recording is not None, "build_checkpoint() is for record mode"
        return self._recording.build_checkpoint(trace)

    # -- the call ------------------------------------------------------------------------------
    def run(self, target: Callable[..., Any] | str, /, *args: Any, **kwargs: Any) -> Any:
        """Record or replay ``target(*args, **kwargs)``; see the class docstring.

        For a coroutine function, returns an awaitable that does the same; for a generator (or
        async generator) function, a generator yielding the same chunks, whose list of chunks is
        the result (consume it fully). A test may call ``run`` several times (a conversation):
        the recorded state is loaded before the first call only, and each call's result and
        final state are compared with those recorded for it.

        Only between :meth:`start` and :meth:`stop` (in the plugin: in the test function, not
        in a fixture's set-up or teardown), where the mock targets are patched: elsewhere it
        raises :class:`~pytest_clearstone.errors.ClearstoneError` before the agent runs.
        """
        __tracebackhide__ = True
        half = self._recording or self._replaying
        assert half is not None
        if half.context is None or not half.context.active:
            raise ClearstoneError(self._outside_call(started=half.context is not None))
        if self._replaying is not None:  # (check() lets go of it)
            caller = sys._getframe(1)
            self._caller = (caller, caller.f_lasti)
        agent, method, name = self._resolve_target(target)
        self._agent = agent
        if self._recording is not None and self._note_secrets is not None:
            from .recording import run_arguments  # (recording only)

            self._note_secrets(run_arguments(method, args, kwargs), RUN_ARGUMENTS.format(name))
        outcome = _RunOutcome(half, agent, name, half.before_run(agent))
        outcome.keeps_frame = self._keeps_frames
        kind = kind_of(method)
        if kind is Kind.ASYNC:
            outcome.awaited = False
            self._async_runs.append(outcome)
        elif outcome.watch_generator(kind):
            self._generator_runs.append(outcome)
        return wrap(method, outcome)(*args, **kwargs)

    def _outside_call(self, *, started: bool) -> str:
        """Why ``run()`` is refused before :meth:`start` or after :meth:`stop`: the targets
        are not patched there, and the agent would run live (recording nothing, or replaying
        nothing)."""
        when = (
            "after the test's call, from a fixture's teardown (using Replay directly: after stop())"
            if started
            else "before the test's call, from a fixture's set-up (using Replay directly: "
            "before start())"
        )
        return (
            f"{self.node_id or 'this test'}: replay.run() was called {when}: the mock targets "
            "are patched only while the test function runs, so the agent would run live. Call "
            "replay.run() in the test function, or have the fixture return the agent and let "
            "the test call replay.run(agent.method, ...)"
        )

    def _resolve_target(self, target: Callable[..., Any] | str) -> tuple[Any, Any, str]:
        if isinstance(target, str):
            # the agent of the last run, or the one rehydrated from the golden before the
            # first: a conversation's later turns continue it, recording as replaying
            agent = self.agent
            try:
                return agent, self.engine.method(agent, target), target
            except AttributeError as exc:
                raise AttributeError(f"replay.run({target!r}): {exc} (from {self.path})") from None
        if not callable(target):
            raise TypeError(
                f"replay.run() takes a bound method of an agent or a method name, not "
                f"{type(target).__name__}"
            )
        called: Any = target
        while isinstance(called, functools.partial):  # (partial(agent.ask, lang="fr"))
            called = called.func
        agent = getattr(called, "__self__", None)
        name = getattr(called, "__name__", None)
        if name is None and not isinstance(called, type):  # an agent called itself
            agent, name = called, "__call__"
        if inspect.ismodule(agent) or isinstance(agent, type):
            agent = None  # (a function of a module, a classmethod: no agent, no state)
        return agent, target, name or repr(target)


class _RunOutcome:
    """Around one ``replay.run()`` call (see :mod:`pytest_clearstone.callables`): when the call
    returns (for generators: when its chunks are exhausted) the half records or compares its
    outcome.

    A watched generator (recording) that ends before its chunks are exhausted (the test broke
    out of its loop, or left it to the event loop to close) records no outcome: it is
    :attr:`read_to_end` only once exhausted, and the golden is not written without it.
    """

    __slots__ = (
        "agent",
        "awaited",
        "exhausted",
        "frame",
        "half",
        "items",
        "keeps_frame",
        "name",
        "number",
        "read_to_end",
    )

    def __init__(
        self, half: RecordingRun | ReplayingRun, agent: Any, name: str, number: int
    ) -> None:
        self.half = half
        self.agent = agent
        self.name = name
        #: the run's place among the test's replay.run() calls, in the order they were made
        self.number = number
        self.read_to_end = True
        #: whether the run started (a coroutine function's run: once awaited)
        self.awaited = True
        #: what a step of the watched generator raises at its end (nothing: not watched)
        self.exhausted: tuple[type[Exception], ...] = ()
        #: the chunks read before a watched generator ended early (``None``: still open)
        self.items: int | None = None
        #: whether to keep the frame of the function run (``--pdb``), and the frame kept
        self.keeps_frame = False
        self.frame: FrameType | None = None

    def watch_generator(self, kind: Kind) -> bool:
        """Watch the run of a generator (or async generator) function for an early end."""
        if kind is Kind.GEN:
            self.exhausted = (StopIteration,)
        elif kind is Kind.ASYNCGEN:
            self.exhausted = (StopAsyncIteration,)
        else:
            return False
        self.read_to_end = False
        return True

    def not_read_to_end(self) -> str:
        """Why a watched generator's run has no outcome to record, and the fix."""
        how = "was left open" if self.items is None else f"was closed after {self.items} item(s)"
        return (
            f"replay.run({self.name}) returned a generator that {how}, before its end: the "
            "golden outcome (the list of all its items and the agent's final state) is taken "
            "when it ends, so consume it fully (no break out of its for/async for loop); to "
            "test a preview, read it all and check its first items"
        )

    def never_awaited(self, *, recording: bool) -> str:
        """Why a coroutine function's run that was never awaited fails the test, and the fix."""
        done = "recorded" if recording else "replayed or compared"
        return (
            f"replay.run({self.name}) returned a coroutine that was never awaited: "
            f"{self.name}() did not run, so nothing of it was {done}. Await it: "
            "`await replay.run(...)` in an async test (pytest-asyncio, anyio), or "
            "asyncio.run(replay.run(...)) in a sync one"
        )

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.awaited = True
        return None

    def source(self, token: None, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        __tracebackhide__ = True
        if not self.keeps_frame:
            return fn(*args, **kwargs)
        result, self.frame = call_keeping_frame(fn, args, kwargs)
        return result

    def step(self, token: None, advance: Callable[[], Any]) -> Any:
        __tracebackhide__ = True
        try:
            return advance()
        except self.exhausted:
            self.read_to_end = True
            raise

    def end(self, token: None, outcome: Any, error: BaseException | None) -> Any:
        __tracebackhide__ = True
        if not self.read_to_end:
            if isinstance(error, Exception):  # it raised: no outcome, as for any run
                self.read_to_end = True
            else:  # closed early (GeneratorExit, or the loop cancelling the task closing it)
                self.items = len(outcome) if isinstance(outcome, list) else 0
        elif error is None:
            try:
                self.half.after_run(self.agent, self.name, outcome, self.number)
            except GoldenMismatchError as mismatch:
                mismatch.agent_frame = self.frame
                raise
            return outcome
        if isinstance(error, Exception) and isinstance(self.half, ReplayingRun):
            self.half.note_raised(self.agent, error, self.number)
        self.half.without_outcome(self.number)
        return outcome
