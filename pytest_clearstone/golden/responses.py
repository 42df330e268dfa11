"""Recorded responses and the per-target replay of them: ordering, matching, exhaustion."""

from __future__ import annotations

import sys
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from .. import codec
from ..arguments import (
    EXTRA_HEADERS,
    SEND_STREAM,
    binder,
    class_as_recorded,
    headers_as_recorded,
    models_as_recorded,
    send_stream_as_recorded,
    settings_as_recorded,
    without_package_versions,
)
from ..callables import Kind, kind_of
from ..codec.nesting import retried
from ..errors import (
    KEYS_SORTED,
    ORDER_ONLY,
    OTHERWISE_CHANGED,
    TIMES_ONLY,
    CheckpointClassChangedError,
    CheckpointCorruptError,
    ClearstoneError,
    GaveUp,
    LeftoverCallWarning,
    NotMade,
    RecordedError,
    ReplayDivergenceError,
    ReplayError,
    ReplayExhaustedError,
    StoredClassError,
    UnusedResponsesError,
    article,
    class_changed_fix,
    describe,
    grouped,
    order_made_by_sdk,
    real_clock_in_threads,
    rerecord_hint,
    unmatched_paths,
    warned,
)
from ..printable import printable
from ..real_clocks import real_clock_readings
from ..tracing.span import Recorded, Span
from .callback_handlers import LANGCHAIN, InContext, context_handlers
from .cancellations import CANCEL_GRACE, is_cancelled
from .completion import CompletionOrder
from .files import read_file
from .ignore import IgnorePaths, ignore_advice
from .replayed_effects import effect_of, unlisted_tools_note
from .targets import Target, displaced_by
from .threads import (
    branch_running_loop,
    current_branch,
    ended_run,
    extra_job,
    is_legacy_key,
)

#: ``matcher(target, call_number, recorded_input, actual_input) -> bool | None``; ``None`` means
#: "no opinion": compare the encoded arguments for equality.
Matcher = Callable[[str, int, Any, Any], "bool | None"]

#: ``transform(value, where, target) -> value``: the redaction applied when recording; replay
#: applies it to the actual arguments too, so redacted paths compare equal.
Transform = Callable[[Any, str, str], Any]

_Hook = TypeVar("_Hook", bound=Callable[..., Any])


def in_effect(hook: _Hook | None) -> _Hook | None:
    """``hook`` (a matcher or transform), or ``None`` when it is switched off: an object whose
    ``active`` attribute is false when the targets are patched (the pytest plugin's redaction
    of a golden in which nothing was redacted). A replay leaves out what is not in effect, and
    then compares a call's arguments by ``==`` first."""
    if hook is None or getattr(hook, "active", True):
        return hook
    return None


def for_message(shown: Transform | None, value: Any, where: str, target: str) -> Any:
    """``value``, an actual value of a replay (a call's arguments, a run's result or final
    state; ``where``: ``"input"``, ``"result"`` or ``"state"``), as a failure message shows it:
    through ``shown`` (:attr:`ReplaySession.shown`), which hides what the recording's redaction
    would, or as it is without one. Only for a message: what is compared is not changed (a
    secret new to the recording is still a difference, shown as the placeholder), and a replay
    that passes never calls it."""
    if shown is None:
        return value
    try:
        return shown(value, where, target)
    except Exception:  # (a value it cannot walk: named by its type, never shown as it is)
        return codec.StoredRepr(describe(value), f"<{describe(value)}: not shown>")


#: The module of :class:`~pytest_clearstone.golden.streams.RecordedStream`. A recorded stream is
#: made by its recorder or decoded from its golden, both of which import that module first: a
#: replay that answers no stream never imports it (importing a module of this package through
#: pytest's assertion-rewriting hook costs ~0.25 M instructions per KB of its compiled code).
_STREAMS = f"{__package__}.streams"


@dataclass
class RecordedCall:
    """One recorded call of a target: its input (or ``None``), output and error.

    ``error`` is the span's exception record, encoded (see
    :func:`~pytest_clearstone.tracing.span.exception_record`); ``allow_pickle`` is the policy
    its ``args`` and ``attributes`` are decoded with when the call is answered.
    """

    output: Recorded | None = None
    error: dict[str, Any] | None = None
    input: Recorded | None = None
    span_id: str | None = None
    raw_value: Any = None  # a value given directly to DeterministicExecutionContext
    is_raw: bool = False
    allow_pickle: bool = False
    branch: str = ""  # the branch of execution that made the call ("": not known)
    position: int = -1  # its place among all recorded calls of the trace (-1: not known)
    ran_ms: float | None = None  # how long a call cancelled from outside ran (None: another)
    #: how long after the recorded run started a call cancelled from outside was cancelled
    #: (``None``: not known): its replay waits as long to be cancelled again (:meth:`patience`)
    cut_off_ms: float | None = None
    #: when its span started (start time, then the order spans were opened: the key of
    #: :func:`~.ordering.in_start_order`): the recorded sequence a message places it in
    #: (``(-1, -1)``: not known; ``position`` orders it then)
    started: tuple[int, int] = (-1, -1)
    #: (a ``ClientSession.call_tool``) the output schemas the live call's listing of the tools
    #: left on its session, given back on replay (:mod:`.replayed_effects`); ``None``: none
    listed_tools: Any = None

    @classmethod
    def from_span(
        cls, span: Span, *, allow_pickle: bool = False, run_started_ns: int | None = None
    ) -> RecordedCall:
        """The call recorded by ``span``; ``allow_pickle``: whether its exception record may
        hold pickles (as the checkpoint it was loaded from was allowed to); ``run_started_ns``:
        when the recorded run started (its checkpoint's span), which a call cancelled from
        outside measures its :attr:`cut_off_ms` from."""
        error = span.error
        cancelled = error is not None and is_cancelled(error)
        return cls(
            output=span.recorded_output,
            error=error,
            input=span.recorded_input,
            span_id=span.span_id,
            allow_pickle=allow_pickle,
            ran_ms=span.duration_ms if cancelled else None,
            cut_off_ms=(
                (span.end_time_ns - run_started_ns) / 1e6
                if cancelled and run_started_ns is not None and span.end_time_ns is not None
                else None
            ),
        )

    def patience(self) -> float:
        """The seconds the replay of a call cancelled from outside when recorded waits (and a
        second more) to be cancelled again: as long as it ran then, or, when longer, as long
        as the recorded run took to cancel it. A timeout set before earlier calls (the whole
        turn's deadline), which the replay answers at once, fires later after this call started
        than when recorded, but no later after the run started."""
        return max(self.ran_ms or 0.0, self.cut_off_ms or 0.0) / 1000

    @classmethod
    def of_value(cls, value: Any) -> RecordedCall:
        return cls(raw_value=value, is_raw=True)

    def respond(self, replay: TargetReplay | None = None, call: ReplayCall | None = None) -> Any:
        """Return the recorded output (a fresh copy), or raise the recorded exception.
        ``replay``, ``call``: the replay answering this call, told when a stream the recording
        read only partly is read further (:meth:`TargetReplay.read_past_end`)."""
        __tracebackhide__ = True
        if self.is_raw:
            if isinstance(self.raw_value, BaseException):
                raise self.raw_value
            return self.raw_value
        if self.error is not None:
            from .recorded_errors import replayed_error  # (a replay whose calls return: never)

            if self.output is not None:  # a stream that raised after the items the agent read
                stream = self.output.fresh_value()
                streams = sys.modules.get(_STREAMS)
                if streams is not None and type(stream) is streams.RecordedStream:
                    past_end = _past_end(replay, call)
                    try:
                        if self.ran_ms is not None and past_end is not None:
                            # cancelled while read (the agent's timeout; or the loop closed
                            # it): cancelled again, or read further than recorded
                            wait = partial(_until_cancelled_again, self.patience())
                            return stream.replayed(past_end, wait)
                        error, allow_pickle = self.error, self.allow_pickle
                        return stream.replayed(lambda _: replayed_error(error, allow_pickle))
                    except StoredClassError as exc:
                        raise _stream_class_changed(exc, replay, call) from None
                if type(stream) is list and replay is not None and _streams(replay.target):
                    # @tracer.traced's generator: the chunks it yielded, then its error
                    return _chunks_then(stream, replayed_error(self.error, self.allow_pickle))
            raise replayed_error(self.error, self.allow_pickle)
        if self.output is None:
            return None
        value = self.output.fresh_value()
        streams = sys.modules.get(_STREAMS)
        if streams is not None and type(value) is streams.RecordedStream:
            try:
                return value.replayed(None if value.complete else _past_end(replay, call))
            except StoredClassError as exc:  # (the SDK moved or renamed its stream class)
                raise _stream_class_changed(exc, replay, call) from None
        return value


def _stream_class_changed(
    exc: StoredClassError, replay: TargetReplay | None, call: ReplayCall | None
) -> Exception:
    """The error of a recorded stream whose SDK class the code no longer has (``exc``):
    naming the golden, the call's span and the fix, as a value of a changed class read from
    the golden does (``exc`` itself where the replay is not a golden's)."""
    return exc if replay is None or call is None else replay.stream_class_changed(call, exc)


def _streams(target: Target) -> bool:
    """Whether ``target`` is a generator or async generator function."""
    return kind_of(target.function) in (Kind.GEN, Kind.ASYNCGEN)


def _chunks_then(chunks: list[Any], error: BaseException) -> Iterator[Any]:
    """The chunks a traced generator yielded before it raised ``error``, then ``error``: the
    agent reads them as it did (and, stopping where it stopped, never meets the error)."""
    __tracebackhide__ = True
    yield from chunks
    raise error


def _past_end(
    replay: TargetReplay | None, call: ReplayCall | None
) -> Callable[[int], BaseException] | None:
    """What a replayed stream raises when read past the items a recording read only partly."""
    return None if replay is None or call is None else partial(replay.read_past_end, call)


class Responses:
    """Recorded calls for one target, with their inputs (built by the replay engine).

    ``unmocked``: for a target with no recorded call, the recorded calls of its span type to
    targets the test does not mock (``{target: (span type, recorded calls)}``) — where a
    renamed or moved function's calls are; told when the target is called. ``note``: why the
    recording may hold fewer calls than were made (a trace taken while it was recorded), told
    when they run out.
    """

    def __init__(
        self,
        calls: Sequence[RecordedCall],
        *,
        unmocked: dict[str, tuple[str, int]] | None = None,
        note: str | None = None,
    ) -> None:
        self.calls = list(calls)
        self.unmocked = unmocked
        self.note = note

    def __len__(self) -> int:
        return len(self.calls)


@dataclass(slots=True)
class ReplayCall:
    """One call a replay answered: target path, call number, arguments and what it returned."""

    target: str
    call_number: int
    arguments: dict[str, Any]
    #: recording, the span's id in the trace store (new each run); replaying, the recorded
    #: span's id in the golden
    span_id: str | None
    result: Any = None
    error: BaseException | None = None


@dataclass(eq=False)  # (the record of one replay: equal only to itself)
class ReplaySession:
    """What happened during one replay: the calls answered and the errors raised.

    Errors are kept here even when the agent's own ``except Exception`` swallowed them, so a
    caller can still fail afterwards with :meth:`raise_errors`.
    """

    calls: list[ReplayCall] = field(default_factory=list)
    #: the replay errors raised, and the refusal of a recorded stream whose SDK class the
    #: installed SDK no longer has (found at its call, :meth:`TargetReplay.stream_class_changed`)
    errors: list[ReplayError | CheckpointClassChangedError] = field(default_factory=list)
    #: the first warning a warnings filter made an error (``filterwarnings = error``), raised
    #: after the test's call (:meth:`raise_errors`), not where it was given
    refused: Warning | None = None
    targets: dict[str, TargetReplay] = field(default_factory=dict)
    #: per branch of execution, the recorded calls to all targets still to come, in order:
    #: ``(target, call number, position in the branch, calls in the branch)``
    order: dict[str, deque[tuple[str, int, int, int]]] = field(default_factory=dict)
    #: the test replayed (``""``: not known), whose re-recording the errors give
    node_id: str = ""
    #: where the test's mock targets come from (``""``: the marker's ``mock=``), where the
    #: errors send a target the golden recorded and the test no longer mocks
    mock_given_by: str = ""
    #: the order concurrent async calls completed in when recorded (``None``: no call waits
    #: for another), set before the targets are patched
    completion: CompletionOrder | None = None
    #: how a failure message shows an actual value (:func:`for_message`): the recording's
    #: redaction, in effect for comparing or not (``None``: as it is)
    shown: Transform | None = None
    #: the agent's ``load_state`` (``Chat.load_state``) the replay called before its first run,
    #: which a recording does not call (``""``: none): named where only random ids differ
    state_loader: str = ""
    #: the golden's spans: where a failure tells of clock readings only, which recorded live
    #: calls of sync targets ran beside calls of other threads (:meth:`with_golden_cause`)
    spans: Sequence[Span] = ()
    #: ``time.monotonic()`` and ``time.perf_counter()`` when the replay began: a number the
    #: agent wrote between then and a failure is a reading of those clocks, which stay real
    #: (:func:`~pytest_clearstone.diff.unstable_cause`)
    clocks_at_start: tuple[float, float] = field(default_factory=real_clock_readings)
    #: the golden file's text, read when a failure first asks (:meth:`golden_text`)
    _golden_text: str | None = field(default=None, repr=False)
    #: the golden's file (``None``: not known): where a failure tells of items in another order
    #: only, whether a formatter sorted its keys (:meth:`with_golden_cause`)
    golden: Path | None = None
    #: the refusal of the golden for a damaged recorded call (``False``: none; ``None``: not
    #: looked at yet), :meth:`damaged_golden`
    _damaged: CheckpointCorruptError | bool | None = field(default=None, repr=False)
    #: what the test put in place of targets that left responses unused, found before the
    #: patches were undone (:meth:`note_displaced`): named by the unused-responses error
    displaced: dict[str, Any] = field(default_factory=dict)
    #: the callbacks of the sessions of replayed ``mcp`` tool calls, which the server may call
    #: while a live call runs and a replay does not (:mod:`.replayed_effects`): by the argument
    #: that gave each (``sampling_callback``), the function and the first call made on it
    #: (``None``: none noted)
    session_callbacks: dict[str, tuple[Any, ReplayCall]] | None = None
    #: the LangChain callbacks in force where calls were made, beside their arguments
    #: (:func:`~.callback_handlers.context_handlers`), by the call's place in :attr:`calls`
    #: (``None``: none noted). Kept here, not on the call: ``replay.calls`` is compared with a
    #: snapshot taken while recording, where none are noted (:meth:`in_contexts`)
    contexts: dict[int, InContext] | None = None

    def in_contexts(self) -> list[InContext | None]:
        """The LangChain callbacks in force where each call of :attr:`calls` was made."""
        noted = self.contexts or {}
        return [noted.get(place) for place in range(len(self.calls))]

    def note_displaced(self) -> None:
        """While the targets are patched, when responses are left unused: note what the test put
        in place of their stand-ins (:func:`~.targets.displaced_by`), which answered the calls
        in place of the replay; read by :meth:`unused_error` after the patches are undone."""
        for path, (used, _) in self.unused().items():
            held = None if used else displaced_by(self.targets[path].target)
            if held is not None:
                self.displaced[path] = held

    def golden_text(self) -> str:
        """The golden file's text (``""``: no file known, or unreadable), read once, when a
        failure first asks: what it tells of a failure (:meth:`recorded_text`,
        :func:`.mocks.unrecorded_target_note`) is read from it."""
        if self._golden_text is None:
            try:
                golden = self.golden
                self._golden_text = "" if golden is None else read_file(golden).decode("utf-8")
            except (OSError, UnicodeError):
                self._golden_text = ""
        return self._golden_text

    def recorded_text(self, text: str) -> bool:
        """Whether the golden's file holds ``text`` (``False``: no file known, or unreadable):
        read when a replay fails only (:func:`~pytest_clearstone.diff.unstable_cause`)."""
        return text in self.golden_text()

    def damaged_golden(self) -> CheckpointCorruptError | None:
        """The error refusing the golden when a recorded call of it names its target or branch
        in a damaged form (:mod:`.damaged_calls`), which a replay failure is then told by;
        ``None`` when none does, or the golden is not known. (Looked at when a replay fails.)"""
        if self.golden is None:
            return None
        if self._damaged is None:
            from .damaged_calls import damaged_golden_error  # (imported only when one fails)

            self._damaged = damaged_golden_error(self.golden, self.spans, self.node_id) or False
        return self._damaged if isinstance(self._damaged, CheckpointCorruptError) else None

    def first_error(self) -> ClearstoneError:
        """The error a replay that kept errors fails with: the first one, or the refusal of its
        golden when a recorded call of it is damaged (:meth:`damaged_golden`), which the errors
        then come from."""
        return self.damaged_golden() or self.errors[0]

    def with_golden_cause(self, cause: str) -> str:
        """``cause`` (what :func:`~pytest_clearstone.diff.unstable_cause` told of a failure)
        with what the golden tells of it: where it tells of items in another order only and a
        formatter sorted the golden's keys (:mod:`.sorted_keys`), that; where it tells of clock
        readings only, the recorded live calls of sync targets that put other threads on the
        real clock (:mod:`.live_clock`), if any."""
        if cause == ORDER_ONLY and self.golden is not None:
            from .sorted_keys import keys_sorted_by_a_tool  # (imported only when a replay fails)

            return KEYS_SORTED if keys_sorted_by_a_tool(self.golden) else cause
        if TIMES_ONLY not in cause:
            return cause
        from .live_clock import overlapping_sync_calls  # (imported only when a replay fails)

        functions = {path: replay.target.function for path, replay in self.targets.items()}
        paths = overlapping_sync_calls(self.spans, functions)
        return f"{cause} {real_clock_in_threads(paths)}" if paths else cause

    def expect_in_order(self, calls: dict[str, Sequence[RecordedCall]]) -> None:
        """Record the order strict mode checks: ``{target: its recorded calls}``; calls that
        know their branch and position only."""
        placed = sorted(
            (call.branch, call.position, target, number)
            for target, recorded in calls.items()
            for number, call in enumerate(recorded, 1)
            if call.branch and call.position >= 0
        )
        branches: dict[str, list[tuple[str, int]]] = {}
        for branch, _, target, number in placed:
            branches.setdefault(branch, []).append((target, number))
        self.order.clear()  # in place: each TargetReplay holds this dict
        self.order.update(
            (branch, deque((t, n, i, len(seq)) for i, (t, n) in enumerate(seq, 1)))
            for branch, seq in branches.items()
        )

    def place_of(self, call: RecordedCall) -> tuple[int, int] | None:
        """``call``'s place (from 1) among the recorded calls of every target of this replay,
        in the order they started when recorded (as ``show --calls`` lists them), and their
        number; ``None`` when it is not known. (Worked out for a message only.)"""
        if call.position < 0:
            return None
        places = sorted(
            (c.started, c.position)
            for t in self.targets.values()
            for c in t.responses
            if c.position >= 0
        )
        return places.index((call.started, call.position)) + 1, len(places)

    def unused(self) -> dict[str, tuple[int, int]]:
        """``{target: (used, recorded)}`` for targets with responses left over."""
        return {
            path: (t.calls, len(t.responses))
            for path, t in self.targets.items()
            if t.calls < len(t.responses)
        }

    def not_made(self) -> dict[str, NotMade]:
        """The first recorded call not made, of each target with responses left over."""
        return {
            path: t.first_not_made()
            for path, t in self.targets.items()
            if t.calls < len(t.responses)
        }

    def unused_error(
        self,
        *,
        checkpoint: str | None = None,
        unmocked: dict[str, tuple[str, int]] | None = None,
        differences: Sequence[tuple[str, str]] = (),
        aliases: dict[str, list[str]] | None = None,
        gave_up: GaveUp | None = None,
    ) -> UnusedResponsesError | None:
        """The :class:`UnusedResponsesError` for responses left unused, or for the recorded
        calls of targets the test does not mock (``unmocked``: ``{target: (span type, recorded
        calls)}``), ``None`` when there are none; ``differences``: the ``(what, delta)`` of the
        outcome they changed; ``aliases``: the other import paths of targets never called;
        ``gave_up``: the recorded answer the run failed with before it made them
        (:meth:`answer_in`)."""
        unused = self.unused()
        if not (unused or unmocked):
            return None
        from .graph_cache import graph_cache_hint  # (only when calls were left out)
        from .graph_threads import left_thread_cause
        from .llm_cache import llm_cache_hint

        return UnusedResponsesError(
            unused,
            checkpoint=checkpoint,
            unmocked=unmocked,
            not_made=self.not_made(),
            differences=differences,
            node_id=self.node_id,
            aliases=aliases,
            cause=" ".join(
                filter(
                    None,
                    [
                        llm_cache_hint(unused),
                        # (told by the calls it answered; none: by the targets left out)
                        graph_cache_hint(
                            self.in_contexts() or None,
                            [self.targets[path].target for path in unused],
                        )
                        if unused
                        else "",
                        left_thread_cause(self.in_contexts()) if unused else "",
                        *self._displaced(unused),
                    ],
                )
            ),
            gave_up=gave_up,
            mock_given_by=self.mock_given_by,
        )

    def _displaced(self, unused: dict[str, tuple[int, int]]) -> list[str]:
        """For each target of ``unused`` that answered no call, what the test put in its place
        during the replay (:func:`~.targets.displaced_by`), and the fix."""
        hints = []
        for path, (used, _) in unused.items():
            held = (
                None if used else self.displaced.get(path, displaced_by(self.targets[path].target))
            )
            if held is not None:
                kind = describe(held)
                hints.append(
                    f"`{path}` holds {article(kind)} {kind} that the test put in place of the "
                    "replay (mock.patch, mocker.patch or monkeypatch.setattr in its body): it "
                    "answered the agent's calls instead of the golden. Patch it in a fixture "
                    "instead (a double in place when the test's call starts is replayed over)."
                )
        return hints

    def answer_in(self, failure: BaseException) -> GaveUp | None:
        """What ``failure`` (the test's, not a replay error) owes to the golden, when it is the
        error a replayed call raised as recorded, or holds a recorded answer (an SDK's
        ``RateLimitError`` made from a replayed 429 response), itself or in the exceptions it
        was raised from or holds: the last such call, told as the agent gave up on it
        (``app.Busy: busy, the error recorded for call #2 to app.weather``), with the
        :class:`~pytest_clearstone.errors.RecordedError` raised in that error's place, if it
        was; ``None`` when it owes nothing to it. (Worked out for a failing test only.)"""
        seen: set[int] = set()
        chain = [failure]
        while chain and len(seen) < 64:  # (a chain no real error reaches)
            exc = chain.pop()
            if id(exc) in seen:
                continue
            seen.add(id(exc))
            for call in reversed(self.calls):
                if call.error is exc and not isinstance(exc, ReplayError):
                    how = "the error recorded"
                elif _holds(exc, call.result):
                    how = "holding the answer recorded"
                else:
                    continue
                told = f"{how} for call #{call.call_number} to {call.target}"
                if isinstance(exc, RecordedError):  # (told by the class it stands in for)
                    return GaveUp(f"{exc.type_name}: {_message_line(exc.message)}, {told}", exc)
                return GaveUp(f"{describe(exc)}: {_first_line(exc)}, {told}")
            chain.extend(e for e in grouped(exc) if e is not exc)
            chain.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)
        return None

    def first_error_besides(self, failure: BaseException) -> ClearstoneError | None:
        """The first replay error raised to the agent, when the test failed with another
        exception: the agent caught it and then raised that one (a retry layer's last attempt,
        its own error wrapping it, whatever failed next after it was swallowed). ``None`` when
        no replay error was raised, or ``failure`` is the first one or holds it (an exception
        group of tasks)."""
        if not self.errors:
            return None
        first = self.first_error()
        return None if any(e is first for e in grouped(failure)) else first

    def raise_errors(
        self,
        *,
        strict: bool,
        checkpoint: str | None = None,
        unmocked: dict[str, tuple[str, int]] | None = None,
    ) -> None:
        """Raise the first replay error seen, then (``strict``) an :class:`UnusedResponsesError`
        for responses left unused, or for the recorded calls of targets the test does not mock
        (``unmocked``: ``{target: (span type, recorded calls)}``)."""
        __tracebackhide__ = True
        if self.errors:
            raise self.first_error()
        if self.refused is not None:
            raise self.refused
        if strict:
            error = self.unused_error(checkpoint=checkpoint, unmocked=unmocked)
            if error is not None:
                raise self.damaged_golden() or error


async def _cancelled_again(seconds: float, not_cancelled: Callable[[], ReplayError]) -> Any:
    """An async call that was cancelled from outside when recorded (by the caller's timeout,
    ``asyncio.wait_for`` or ``asyncio.timeout``, or a task cancelled): on replay it waits to be
    cancelled again, so that the caller's timeout fires and becomes the caller's
    ``TimeoutError`` as it did; raised at once, the recorded ``CancelledError`` would not be the
    timeout's own and would pass through it. When nothing cancels it within ``seconds`` (its
    :meth:`RecordedCall.patience`), and a second more, it raises the replay error
    ``not_cancelled()`` gives (the agent changed: a recorded ``CancelledError`` raised in a task
    nothing cancels would end it as cancelled, unseen in a task group, or fail the test naming
    nothing)."""
    __tracebackhide__ = True
    await _until_cancelled_again(seconds)
    raise not_cancelled()


def _until_cancelled_again(seconds: float) -> Awaitable[None]:
    """Wait ``seconds`` (a call's :meth:`RecordedCall.patience`), and a second more: the
    replay of a call cancelled from outside waits here to be cancelled again
    (:func:`_cancelled_again`)."""
    import asyncio

    if asyncio._get_running_loop() is None:  # (the non-raising lookup: trio's run, or none)
        trio = sys.modules.get("trio")
        if trio is not None:
            sleep: Callable[[float], Awaitable[None]] = trio.sleep
            return sleep(seconds + CANCEL_GRACE)
    return asyncio.sleep(seconds + CANCEL_GRACE)


def _caller_level() -> int:
    """The ``stacklevel`` of a warning, raised by the caller of this function, that names the
    code calling the stand-in (the first frame outside this package: how many of its frames
    lie between depends on the target's kind)."""
    level, frame = 2, sys._getframe(2)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


_PACKAGE = f"{__package__.rpartition('.')[0]}."


def _short_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)`` cut to ``limit`` characters; when it is longer, with each long list in it
    shown by its ends first (:func:`_list_ends`), or, when that is still longer (long items:
    pydantic-ai's messages), by its last item only, the one that tells a call apart."""
    text = repr(value)
    if len(text) > limit:
        text = repr(_list_ends(value))
    if len(text) > limit:
        text = repr(_list_ends(value, first=False))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _holds(exc: BaseException, answer: Any) -> bool:
    """Whether ``exc`` keeps ``answer`` (a replayed call's result, not ``None``) in one of its
    attributes: an SDK's error keeps the response it was made from (``error.response``), or a
    copy of it (openai 3.63 copies the response, to give it a request without the
    credentials' headers: :func:`_copied_response`)."""
    if answer is None:
        return False
    attributes = getattr(exc, "__dict__", None)
    return isinstance(attributes, dict) and any(
        v is answer or _copied_response(v, answer) for v in attributes.values()
    )


def _copied_response(held: Any, answer: Any) -> bool:
    """Whether ``held`` is a copy of the HTTP response ``answer`` (``copy.copy``: another
    ``httpx``/``httpx2`` ``Response`` of the same class holding the same headers object, which
    each response makes its own)."""
    t = type(answer)
    if type(held) is not t or t.__qualname__ != "Response":
        return False
    from ..codec.http import HTTP_MODULES  # (for a failing test only)

    headers = vars(answer).get("headers")
    return (
        t.__module__ in HTTP_MODULES
        and headers is not None
        and vars(held).get("headers") is headers
    )


def _first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, shortened, with control characters escaped."""
    try:
        text = str(exc)
    except Exception:  # (a message that cannot be made: its type says enough)
        return "(no message)"
    return _message_line(text)


def _message_line(text: str) -> str:
    """The first line of a message, shortened, with control characters escaped."""
    line = text.strip().partition("\n")[0]
    return printable(line if len(line) <= 200 else line[:197] + "...")


class _More:
    """What a shortened list leaves out: ``<57 more>``."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __repr__(self) -> str:
        return f"<{self.count} more>"


def _list_ends(value: Any, depth: int = 0, *, first: bool = True) -> Any:
    """``value`` with each list of more than three items in it (through dicts and lists) as its
    first item (unless not ``first``), how many are left out, and its last: every call of a chat
    loop sends the whole history, the same from its start, so its last message is what tells a
    call apart."""
    if depth > 16:
        return value
    if type(value) is dict:
        return {k: _list_ends(v, depth + 1, first=first) for k, v in value.items()}
    if type(value) is list:
        if len(value) > 3:
            last = _list_ends(value[-1], depth + 1, first=first)
            if not first:
                return [_More(len(value) - 1), last]
            return [_list_ends(value[0], depth + 1), _More(len(value) - 2), last]
        return [_list_ends(v, depth + 1, first=first) for v in value]
    return value


def _shown_arguments(arguments: Any) -> str:
    """A call's arguments as a message shows them: the settings of the instance it was made on
    (``self``: a LangChain chat model's, long) last, after what the call was given, as they are
    stored (an SDK client or resource by its class and settings, never a repr naming its memory
    address, which changes at every run); shortened unless ``-vv``."""
    from ..diff import get_verbosity  # (only for a message)

    if type(arguments) is dict and "self" in arguments:
        arguments = {
            **{k: v for k, v in arguments.items() if k != "self"},
            "self": _as_stored(arguments["self"]),
        }
    return repr(arguments) if get_verbosity() >= 2 else _short_repr(arguments)


def _as_stored(value: Any) -> Any:
    """``value`` with each value of a client library in it (an SDK client or resource, a
    pydantic model) as its stored form shows it: ``Completions(path='chat.completions',
    client=OpenAI(base_url=...))``; one the codec refuses, by its type."""
    from ..codec.views import comparable_fields  # (only for a message)

    try:
        return comparable_fields(value)
    except Exception:
        return codec.StoredRepr(describe(value), f"<{describe(value)}>")


#: how a ``unittest.mock`` double without a spec takes its calls' arguments
_A_DOUBLES = frozenset({"args", "kwargs"})


def _through_a_double(target: str, recorded: Any, actual: Any) -> str:
    """Why the arguments of a call to ``target`` differ when one side took them through a
    ``unittest.mock`` double without a spec (``{"args": (...), "kwargs": {...}}``) and the
    other through the function's named parameters, with the same values: the fix; ``""``
    otherwise."""
    if type(recorded) is not dict or type(actual) is not dict or not recorded or not actual:
        return ""
    doubled = recorded.keys() <= _A_DOUBLES
    if doubled == (actual.keys() <= _A_DOUBLES):
        return ""
    variadic, named = (recorded, actual) if doubled else (actual, recorded)
    named = {k: v for k, v in named.items() if k != "self"}
    given = variadic.get("kwargs") or {}
    try:
        same = len(variadic.get("args") or ()) + len(given) == len(named) and all(
            k in named and named[k] == v for k, v in given.items()
        )
    except Exception:  # (an __eq__ that raises: not told apart)
        return ""
    if not same:
        return ""
    double = (
        f"a unittest.mock double without a spec in place of {target} (mock.patch without "
        f"autospec=True), whose calls take (*args, **kwargs)"
    )
    if doubled:
        return (
            f"The call was recorded through {double}, and is replayed without it, through the "
            f"function's named parameters: keep the double in place when replaying, or give it "
            f"autospec=True and record again."
        )
    return (
        f"The call is replayed through {double}, and was recorded without it, through the "
        f"function's named parameters: give the double autospec=True, or leave it out when "
        f"replaying."
    )


def _argument_names(*calls: Any) -> set[str]:
    """The names of the arguments of ``calls`` (bound arguments, by name): where an ignore path
    of the ini option or the fixture must start to be taken for a typo of this call's."""
    return {name for call in calls if type(call) is dict for name in call}


def _same_arguments(arguments: dict[str, Any], recorded: Recorded) -> bool:
    return codec.same_stored_form(
        arguments, recorded.value, recorded.encoded_if_known(codec.UNKNOWN)
    )


def _is_default(value: Any, default: Any) -> bool:
    try:
        return bool(value == default) and type(value) is type(default)
    except Exception:  # an __eq__ that raises
        return False


class TargetReplay:
    """Answers the calls of one target from its recorded responses, in order."""

    def __init__(
        self,
        target: Target,
        responses: Sequence[RecordedCall],
        session: ReplaySession,
        *,
        strict: bool = False,
        matcher: Matcher | None = None,
        checkpoint: str | None = None,
        transform: Transform | None = None,
        ignore: IgnorePaths | None = None,
        unmocked: dict[str, tuple[str, int]] | None = None,
        note: str | None = None,
    ) -> None:
        self.target = target
        self.transform = in_effect(transform)
        #: why the recording may hold too few calls (:attr:`Responses.note`)
        self.note = note
        #: what :class:`ReplayExhaustedError` tells of a target with no recorded call
        #: (:attr:`Responses.unmocked`)
        self.unmocked = unmocked
        #: argument paths left out of matching (compared by their pruned stored forms)
        self.ignore = ignore if ignore else None
        self.responses = list(responses)
        # the session's lists, not the session: the session holds this object, and a reference
        # back would make a reference cycle (freed only by the cyclic gc, ~40 objects per test)
        self._calls = session.calls
        self._errors = session.errors
        self._session = weakref.ref(session)  # (for an error's message and an effect only)
        self.strict = strict
        self.matcher = in_effect(matcher)
        self.checkpoint = checkpoint
        self.calls = 0
        self.shape = binder(target.function, skip_first=target.is_method)
        self._order = session.order
        # calls recorded with their branch of execution (a thread-pool job, an asyncio task)
        # are answered per branch: jobs that ran in another order than when recorded still get
        # their own answers
        self._by_branch: dict[str, deque[int]] = {}
        for index, call in enumerate(self.responses):
            if call.branch:
                self._by_branch.setdefault(call.branch, deque()).append(index)
        #: a golden of an earlier version keys a job by its place among all its parent's jobs
        self._legacy_keys = any(is_legacy_key(key) for key in self._by_branch)
        self._used = [False] * len(self.responses)
        self._cursor = 0
        self._completion = session.completion
        #: whether this target's calls can wait to complete in their recorded order
        self._is_async = session.completion is not None and kind_of(target.function) is Kind.ASYNC
        self._comparables: dict[tuple[int, tuple[str, ...]], tuple[Recorded, Recorded]] = {}
        #: strict: the divergence raised at a call of this target, per branch of execution
        #: (:func:`~.threads.current_branch`); every later call in that branch raises it again
        #: (:meth:`_diverged_before`)
        self._diverged: dict[str, ReplayDivergenceError] = {}
        #: what the target does to its object besides answering, done again with the answer
        #: (``None`` for most: :mod:`.replayed_effects`)
        self._effect = effect_of(target.function)

    def _exhausted_branch(self) -> tuple[str, int] | None:
        """The branch of execution (thread-pool job, task) whose recorded calls ran out, and
        how many it recorded; ``None`` when the calls are not answered per branch, or all of
        them were recorded in this one (the message is the target's then)."""
        if not self._by_branch:
            return None
        key = current_branch(legacy=self._legacy_keys)
        if key not in self._by_branch:
            return None
        recorded = sum(1 for call in self.responses if call.branch == key)
        return None if recorded == len(self.responses) else (key, recorded)

    def _extra_job(self, key: str) -> tuple[str, str, int] | None:
        """When the calls are answered per branch and ``key`` is a job or task the recording
        does not have, one more of a function it recorded several of (a fan-out over more
        items): what :func:`~.threads.extra_job` tells of it. Its call has no recorded answer:
        taking the next unused one would answer it with another branch's."""
        if not self._by_branch or self._legacy_keys:
            return None
        return extra_job(key, self._by_branch)

    def _next_response(self) -> int | None:
        """The index of the response answering this call: the next of its branch when the
        recording knows the branch, else the next unused one; ``None`` when exhausted."""
        if self._by_branch:
            key = current_branch(legacy=self._legacy_keys)
            queue = self._by_branch.get(key)
            if queue is not None:
                if not queue:
                    return None
                index = queue.popleft()
                self._used[index] = True
                return index
            if self._extra_job(key) is not None:
                return None
        used = self._used
        while self._cursor < len(used) and used[self._cursor]:
            self._cursor += 1
        if self._cursor == len(used):
            return None
        used[self._cursor] = True
        return self._cursor

    def _note_context(self, in_context: InContext | None) -> None:
        """Note the LangChain callbacks in force where the call about to be added to the
        session's calls is made (:attr:`ReplaySession.contexts`)."""
        session = self._session()
        if in_context is not None and session is not None:
            if session.contexts is None:
                session.contexts = {}
            session.contexts[len(self._calls)] = in_context

    def _check_place(self, number: int, recorded: RecordedCall, arguments: Any) -> None:
        """Strict: the call must come where the recording has it in its branch's sequence of
        calls to all targets."""
        __tracebackhide__ = True
        if recorded.position < 0 or not recorded.branch:
            return
        queue = self._order.get(recorded.branch)
        if not queue:
            return
        expected = queue[0]
        if expected[0] == self.target.path:
            queue.popleft()
            return
        from .graph_cache import graph_cache_hint  # (only when a call comes out of its place)
        from .graph_threads import shared_thread_cause

        session = self._session()
        self._fail(
            ReplayDivergenceError(
                self.target.path,
                self._golden_number(recorded.span_id, number),
                recorded.span_id,
                "",
                checkpoint=self.checkpoint,
                out_of_place=(
                    f"call #{expected[1]} to {expected[0]} (call {expected[2]} of "
                    f"{expected[3]} in this branch of execution)"
                ),
                node_id=self.node_id,
                # (told by the calls made in a LangGraph node: this one, or an earlier one)
                cause=graph_cache_hint(
                    [
                        context_handlers() if LANGCHAIN in sys.modules else None,
                        *(session.in_contexts() if session is not None else ()),
                    ]
                )
                or shared_thread_cause(),
            ),
            arguments,
            recorded.span_id,
        )

    def _unrecorded_target_note(self) -> str | None:
        """(When the calls of a target with no recorded call run out.) That the golden was
        recorded without this target among its mock targets
        (:func:`.mocks.unrecorded_target_note`)."""
        session = self._session()
        if self.responses or self.unmocked or session is None:
            return None
        from .mocks import unrecorded_target_note  # (only when a replay fails)

        return unrecorded_target_note(session.golden_text(), self.target.path, self.node_id)

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        __tracebackhide__ = True
        earlier = ended_run()
        if earlier is not None:
            return self._left_over(earlier, args, kwargs)
        if self._diverged:
            diverged = self._diverged.get(current_branch())
            if diverged is not None:
                return self._diverged_before(diverged)
        number = self.calls = self.calls + 1
        branch_running_loop()
        arguments = self.shape.bind_call(args, kwargs)
        index = self._next_response()
        if index is None:
            from .graph_cache import cached_node_note  # (only when the answers ran out)
            from .graph_threads import shared_thread_cause

            return self._fail(
                ReplayExhaustedError(
                    self.target.path,
                    len(self.responses),
                    number,
                    checkpoint=self.checkpoint,
                    arguments=_shown_arguments(self._for_message(arguments)),
                    unmocked=self.unmocked,
                    note=self.note
                    or unlisted_tools_note(self.target.function, self._calls, self.node_id)
                    or cached_node_note(self.node_id)
                    or self._unrecorded_target_note()
                    or shared_thread_cause()
                    or self._kept_answer(arguments, told=True),
                    branch=self._exhausted_branch(),
                    extra_job=self._extra_job(current_branch()),
                    node_id=self.node_id,
                    retried=self._retried_error(),
                ),
                arguments,
                None,
            )
        recorded = self.responses[index]
        if self.strict:
            self._check_place(number, recorded, arguments)
            if recorded.input is not None:
                self._check(number, recorded, arguments)
        call = ReplayCall(self.target.path, number, arguments, recorded.span_id)
        if LANGCHAIN in sys.modules:  # (the handlers in force are looked for only there)
            self._note_context(context_handlers())
        self._calls.append(call)
        try:
            call.result = recorded.respond(self, call)
        except BaseException as exc:
            call.error = exc
            if recorded.ran_ms is not None and kind_of(self.target.function) is Kind.ASYNC:
                ran, waits = recorded.ran_ms / 1000, recorded.patience()
                again = _cancelled_again(waits, partial(self.not_cancelled_again, call, ran, waits))
                if self._completion is None:
                    return again
                return self._completion.cut_off(recorded.position, again)
            if self._completion is None:
                raise
            return self._completion.answered(recorded.position, None, exc, self._is_async)
        if self._effect is not None:
            self._effect(args, kwargs, call.result, self._session(), recorded)
        if self._completion is not None:  # (concurrent calls: in their recorded order)
            return self._completion.answered(recorded.position, call.result, None, self._is_async)
        return call.result

    def _retried_error(self) -> str | None:
        """When this target's last recorded call raised and the agent calls it again after
        that error was replayed to it (a retry past the recording's last attempt), the error
        as a message names it (``app.Down: no weather``); else ``None``. (Worked out when the
        calls run out only.)"""
        error = self.responses[-1].error if self.responses else None
        if error is None:
            return None
        mine = [call for call in self._calls if call.target == self.target.path]
        if not mine or mine[-1].error is None or isinstance(mine[-1].error, ReplayError):
            return None
        from .recorded_errors import recorded_name  # (only when the calls run out)

        shown, message = (
            printable(recorded_name(error)),
            _message_line(str(error.get("message", ""))),
        )
        return f"{shown}: {message}" if message else shown

    def _diverged_before(self, error: ReplayDivergenceError) -> Any:
        """A call of a target whose earlier call in the same branch of execution diverged
        (strict), which the agent caught: a retry (the agent's own loop, backoff: LangChain's,
        tenacity's and LangGraph's retries refuse a replay error, :mod:`.retries`) or the next
        call after it. The replay of that branch stopped at that first mismatch: this call is
        answered from nothing (it would take the recorded answer of the next call, and diverge
        from that call's recording with a delta the user never made) and raises the same
        divergence again, so that what the retry layer raises in the end, and the test's
        failure, is the first divergence with its own delta. Its traceback is this call's (the
        frame that made it, for ``--pdb``). Other branches (concurrent tasks and thread-pool
        jobs) go on comparing their own calls."""
        __tracebackhide__ = True
        raise error.with_traceback(None)

    def _left_over(self, earlier: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A call made by a task (or thread) an earlier test's golden run left running (named
        ``earlier``): no part of this test, it is not answered from this golden, but runs live
        (the original function), as it did when this test was recorded, with a warning naming
        the target and the test that left the task."""
        warning = LeftoverCallWarning(
            self.node_id or "this test",
            self.target.path,
            earlier or "an earlier test",
            replaying=True,
        )
        # (as an error, it fails this test after its call: the task's call runs as without)
        refused = warned(warning, stacklevel=_caller_level())
        session = self._session()
        if session is not None:
            session.refused = session.refused or refused
        return self.target.function(*args, **kwargs)

    def read_past_end(self, call: ReplayCall, items: int) -> ReplayError:
        """The error of a stream ``call`` returned, read past the ``items`` the recording read
        (it stopped there, or was cancelled): the golden has no more of it to give, strict or
        not, so the replay diverges rather than end the stream early."""
        return self._divergence(call, stream_items=items)

    def stream_class_changed(self, call: ReplayCall, exc: StoredClassError) -> Exception:
        """The error of a stream ``call`` returned whose recorded SDK stream class (its
        ``stream_class``) the installed SDK no longer has (``exc``; itself when the replay is
        not a golden's), kept to fail the test (also where the agent catches it)."""
        if not self.checkpoint:
            return exc
        where = f"in the output of span {self.target.path!r} ({call.span_id}) at its stream_class"
        error = CheckpointClassChangedError(
            self.checkpoint,
            f"{exc} ({where})",
            class_changed_fix(exc, self.node_id),
            node_id=self.node_id,
        )
        self._errors.append(error)  # (kept, as a divergence is: the agent may swallow it)
        error.kept = True
        from .retries import refuse_retries  # (only when a replay fails)

        refuse_retries()
        return error

    def not_cancelled_again(self, call: ReplayCall, ran: float, waited: float) -> ReplayError:
        """The error of an async ``call`` that was cancelled from outside after it ran ``ran``
        seconds when recorded, and that nothing cancelled on replay within ``waited`` seconds
        (and the grace) (:func:`_cancelled_again`)."""
        return self._divergence(call, not_cancelled=(ran, waited + CANCEL_GRACE))

    def _divergence(self, call: ReplayCall, **form: Any) -> ReplayError:
        """The divergence of ``call`` in the ``form`` of :class:`ReplayDivergenceError` that
        says how, kept to fail the test (also where the agent catches it)."""
        error = ReplayDivergenceError(
            self.target.path,
            self._golden_number(call.span_id, call.call_number),
            call.span_id,
            "",
            checkpoint=self.checkpoint,
            node_id=self.node_id,
            **form,
        )
        self._errors.append(error)
        error.kept = True
        call.error = error
        from .retries import refuse_retries  # (only when a replay fails)

        refuse_retries()
        return error

    def _check(self, number: int, recorded: RecordedCall, arguments: dict[str, Any]) -> None:
        __tracebackhide__ = True
        assert recorded.input is not None
        if self.transform is None and self.matcher is None and self.ignore is None:
            try:
                if arguments == recorded.input.value:  # the usual case: the same arguments
                    return
            except Exception:  # (an __eq__ that raises, or values too deep: compared below)
                pass
        if self.transform is not None:
            arguments = self.transform(arguments, "input", self.target.path)
        expected, arguments = self._comparable(recorded.input, arguments)
        wanted: Any = expected.value
        compared: Any = arguments
        if self.ignore is not None:  # compared by their stored forms, without what is ignored
            # (and a value only a pickle or a repr could store by its type, on both sides: the
            # recording holds a placeholder, the live value may pickle)
            wanted = codec.by_type_where_unreadable(self.ignore.prune(expected.encoded))
            compared = codec.by_type_where_unreadable(self.ignore.compared_form(arguments))
        verdict = None
        if self.matcher is not None:
            verdict = self.matcher(self.target.path, number, wanted, compared)
        if verdict is None:
            verdict = (
                codec.same_tree(compared, wanted)
                if self.ignore is not None
                else _same_arguments(arguments, expected)
            )
            if not verdict and self.ignore is not None:
                # (recorded before a library's class in them gained a field: the recording as
                # it reads now, the field at its default, as it is compared without paths)
                # (and shown so in a delta: no field at its default told as added)
                now = codec.by_type_where_unreadable(self.ignore.compared_form(expected.value))
                verdict = codec.same_tree(compared, now)
                wanted = now
        if not verdict:
            from ..diff import StateDelta, unstable_cause  # (imported only when one diverges)

            # (what the comparison took as equal, a placeholder against a value of its type, is
            # no difference to show)
            # (the key the plugin gave a variable in place of what was recorded is no change)
            kept = retried(lambda: codec.with_placeholder_keys(compared, wanted))
            shown, defaulted = self._with_defaults(wanted, kept)
            shown = self._for_message(shown)
            delta = StateDelta(wanted, retried(lambda: codec.placeholders_kept(wanted, shown)))
            session = self._session()
            if session is None:
                cause = unstable_cause(delta)
            else:
                cause = session.with_golden_cause(
                    unstable_cause(
                        delta, session.state_loader, session.clocks_at_start, session.recorded_text
                    )
                )
            cause = cause or _through_a_double(self.target.path, wanted, compared)
            if not cause:
                from .graph_threads import shared_thread_cause

                cause = shared_thread_cause()
            golden = self._golden_number(recorded.span_id, number)
            closest = self._recorded_elsewhere(golden, compared)
            if not cause and closest is None:  # (another test's golden has the call)
                cause = self._kept_answer(arguments)
            if cause == ORDER_ONLY:
                from .sdk_caller import sdk_method_calling

                method = sdk_method_calling(self.target.path)
                cause = f"{cause} {order_made_by_sdk(method)}" if method else cause
            if cause:
                from ..diff import swapped_id_places

                place = "" if self.ignore is None else self.ignore.place
                advice = ignore_advice(swapped_id_places(delta.changes), place)
                cause = f"{cause} {advice}" if advice else cause
            if self.ignore is not None and self.checkpoint:  # (a typo in a path, told)
                told = unmatched_paths(
                    "ignore",
                    self.ignore.surely_unmatched(_argument_names(arguments, expected.value)),
                    "the arguments of the calls compared so far",
                    str(self.checkpoint),
                )
                cause = f"{cause} {told}".strip()
            text = str(delta) if delta else "(arguments differ, but not in their values)"
            if defaulted:
                text += f"\n(not given by the call: {', '.join(defaulted)}, at the default)"
            self._fail(
                ReplayDivergenceError(
                    self.target.path,
                    golden,
                    recorded.span_id,
                    text,
                    checkpoint=self.checkpoint,
                    closest=closest,
                    sequence=self._place_of(recorded),
                    node_id=self.node_id,
                    cause=cause,
                    self_now=arguments.get("self") if type(arguments) is dict else None,
                    self_before=self._recorded_selves(golden),
                ),
                arguments,
                recorded.span_id,
            )

    def _kept_answer(self, arguments: dict[str, Any], *, told: bool = False) -> str:
        """Where another test's golden beside this one holds this target's call with
        ``arguments`` (:func:`~.kept_answers.recorded_by_another`), that the agent may keep
        what it answered between tests; ``told``: with what else may have changed and the
        re-recording (a note told in place of the usual advice)."""
        from .kept_answers import recorded_by_another  # (only when a replay fails)

        hint = recorded_by_another(self.checkpoint, self.node_id, self.target.path, arguments)
        if hint and told:
            return f"{hint} {OTHERWISE_CHANGED} {rerecord_hint(self.node_id)}"
        return hint

    def _with_defaults(self, wanted: Any, compared: Any) -> tuple[Any, list[str]]:
        """The live arguments as a delta shows them: a parameter the recording gave and the call
        left out, at its signature default (``root['limit']: 2 -> 3``, not ``removed 2``), and
        the names of those."""
        if type(wanted) is not dict or type(compared) is not dict:
            return compared, []
        defaults = self.shape.defaults
        names = [k for k in wanted if k not in compared and k in defaults]
        if not names:
            return compared, []
        return {**compared, **{k: defaults[k] for k in names}}, names

    def _place_of(self, recorded: RecordedCall) -> tuple[int, int] | None:
        session = self._session()
        return None if session is None else session.place_of(recorded)

    @property
    def node_id(self) -> str:
        """The node id of the test replaying (``""`` outside the plugin)."""
        session = self._session()
        return "" if session is None else session.node_id

    def _for_message(self, arguments: Any) -> Any:
        """A call's ``arguments`` (actual or recorded) as a message shows them
        (:func:`for_message`)."""
        session = self._session()
        shown = None if session is None else session.shown
        return for_message(shown, arguments, "input", self.target.path)

    def first_not_made(self) -> NotMade:
        """The first of the recorded calls that no call was answered from (there is one)."""
        index = self._used.index(False)
        call = self.responses[index]
        return NotMade(index + 1, self._place_of(call), self._shown_recorded(call))

    def _shown_recorded(self, call: RecordedCall) -> str | None:
        """A recorded call's arguments as a message shows them, redacted like the actual ones
        (a golden edited by hand may hold anything); ``None``: not recorded, or they cannot be
        decoded."""
        if call.input is None:
            return None
        try:
            return _shown_arguments(self._for_message(call.input.value))
        except Exception:  # (a value edited by hand, or a type gone since the recording)
            return None

    def _comparable(
        self, recorded: Recorded, arguments: dict[str, Any]
    ) -> tuple[Recorded, dict[str, Any]]:
        """The recorded and the actual arguments as they are compared: a recording without
        ``self`` (an older golden, or a ``self`` without settings) compares without it, the
        LangChain releases an older golden recorded in its ``self`` are left out, its class
        path is the live one's when both reach the same class (moved by a library release
        since the recording, :func:`class_as_recorded`), the headers of ``extra_headers``
        naming a library's release are the live ones (:func:`headers_as_recorded`), so is the
        ``stream`` of an HTTP client's ``send`` (:func:`send_stream_as_recorded`), and
        arguments an older golden recorded at their default value are left out."""
        value = recorded.value
        releases = False  # (the recorded self changed for the library's releases)
        if type(value) is dict and "self" in value:
            mine, theirs = arguments.get("self"), value["self"]
            if type(mine) is dict and type(theirs) is dict:
                older = models_as_recorded(mine, theirs)
                if older is not None:  # (the models its fields hold recorded as they were)
                    mine, theirs = older
                    value = {**value, "self": theirs}
                    recorded = Recorded(decoded=value)
                    arguments = {**arguments, "self": mine}
                if len(mine) > len(theirs):
                    arguments = {**arguments, "self": settings_as_recorded(mine, theirs)}
                kept = without_package_versions(class_as_recorded(mine, theirs))
                if kept is not theirs:
                    value, releases = {**value, "self": kept}, True
        if type(value) is dict and EXTRA_HEADERS in value:
            headers = headers_as_recorded(arguments, value)
            if headers is not value:
                value, releases = headers, True
        if type(value) is dict and (SEND_STREAM in value or SEND_STREAM in arguments):
            sent = send_stream_as_recorded(arguments, value)
            if sent is not value:
                from ..codec.clients import is_http_send  # (a stream given otherwise only)

                if is_http_send(self.target.owner, self.target.name):
                    value, releases = sent, True
        if type(value) is not dict or (value.keys() == arguments.keys() and not releases):
            return recorded, arguments  # the usual case: the same names
        if "self" in arguments and "self" not in value:
            arguments = {k: v for k, v in arguments.items() if k != "self"}
        key = (id(recorded), tuple(arguments))
        cached = self._comparables.get(key)
        if cached is not None and cached[0] is recorded:
            return cached[1], arguments
        defaults = self.shape.defaults
        dropped = {
            k
            for k in value.keys() - arguments.keys()
            if k in defaults and _is_default(value[k], defaults[k])
        }
        # decoded only: encoded lazily, when == alone cannot decide
        expected = (
            Recorded(decoded={k: v for k, v in value.items() if k not in dropped})
            if dropped or releases
            else recorded
        )
        self._comparables[key] = (recorded, expected)
        return expected, arguments

    def _golden_number(self, span_id: str | None, number: int) -> int:
        """The number the golden gives the recorded call of ``span_id`` among this target's
        (as ``show --calls`` and ``diff`` name it), which a message names the call by: calls of
        concurrent branches are numbered branch by branch, and a replay makes them in the order
        the scheduler gives, so the call's live ``number`` may be another call's. ``number``
        when the call has no span (a value given directly)."""
        if span_id is not None:
            for golden, call in enumerate(self.responses, 1):
                if call.span_id == span_id:
                    return golden
        return number

    def _recorded_selves(self, number: int) -> list[Any]:
        """The recorded ``self`` of this target's calls the golden numbers before ``number``
        (those that recorded one)."""
        selves = []
        for call in self.responses[: number - 1]:
            try:
                recorded = call.input.value if call.input is not None else None
            except Exception:  # (a value that no longer decodes: its own call tells it)
                continue
            if type(recorded) is dict and "self" in recorded:
                selves.append(recorded["self"])
        return selves

    def _recorded_elsewhere(self, number: int, arguments: Any) -> int | None:
        """The number of another recorded call with exactly these arguments (as compared:
        pruned stored forms when paths are ignored), if any."""
        for other, candidate in enumerate(self.responses, 1):
            if other == number or candidate.input is None:
                continue
            if self.ignore is not None:
                if codec.same_tree(arguments, self.ignore.prune(candidate.input.encoded)):
                    return other
            elif _same_arguments(arguments, candidate.input):
                return other
        return None

    def _fail(self, error: ReplayError, arguments: dict[str, Any], span_id: str | None) -> Any:
        __tracebackhide__ = True
        self._errors.append(error)
        error.kept = True
        self._calls.append(
            ReplayCall(self.target.path, self.calls, arguments, span_id, error=error)
        )
        if isinstance(error, ReplayDivergenceError):  # (raised by the strict checks only)
            self._diverged.setdefault(current_branch(), error)
        from .retries import refuse_retries  # (only when a replay fails)

        refuse_retries()
        session = self._session()
        damaged = None if session is None else session.damaged_golden()
        if damaged is not None:  # (the golden's fault, not the agent's)
            raise damaged from None
        raise error
