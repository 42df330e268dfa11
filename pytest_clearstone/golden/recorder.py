"""Recording live calls of mock targets as typed spans (the record side of replay)."""

from __future__ import annotations

import contextlib
import contextvars
import copy
import inspect
import operator
import os
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from ..arguments import Binder, binder
from ..callables import PASS, Kind, drive, kind_of, named_after
from ..codec import Encoder
from ..codec.files import without_contents
from ..codec.nesting import retried
from ..errors import (
    ChildProcessCallError,
    LeftoverCallWarning,
    MutatedArgumentWarning,
    NestingTooDeepError,
    SerializationError,
    UnencodableValueWarning,
    article,
    warned,
)
from ..tracing.span import (
    Recorded,
    Span,
    exception_message,
    exception_record,
    storable_attributes,
)
from ..tracing.tracer import LiveSpan, Tracer, current_span, restore_span, use_span
from .cancellations import as_recorded
from .completion import on_asyncio_loop
from .context import DeterministicExecutionContext
from .ignore import IgnoreConfig, recorded_form
from .mocks import BRANCH_ATTRIBUTE, PLACES_ATTRIBUTE, TARGET_ATTRIBUTE
from .processes import tell_parent
from .replayed_effects import (
    CALL_TOOL,
    LISTED_TOOLS_ATTRIBUTE,
    function_path,
    listed_schemas,
    unlisted_tool,
)
from .responses import ReplayCall, Transform
from .streams import RecordedStream, StreamTap, bound_state, is_stream, tap
from .targets import PatchStack, Target, made_for, place, stand_in_maker
from .threads import (
    branch_running_loop,
    current_branch,
    ended_run,
    name_run,
    restore_branching,
    running_branch,
    unbranched,
)

if TYPE_CHECKING:
    from ..tracing.provider import TracerProvider


def _identity(value: Any, where: str, target: str) -> Any:
    return value


class _Watch:
    """What the stand-in of a watched method does around each call (:meth:`Recorder.watch`):
    the call runs as it is; at its end (a generator's when it is exhausted or closed), the
    method is noted as unmocked when the recorder recorded no call since it began. A call made
    inside the live run of a recorded call (the models a mocked ``FallbackModel.request`` sends
    through) is not: the replay answers the outer call without running it."""

    __slots__ = ("path", "recorder")

    def __init__(self, recorder: Recorder, path: str) -> None:
        self.recorder = recorder
        self.path = path

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
        return -1 if _in_recorded_call.get() else len(self.recorder.calls)

    def source(self, token: int, fn: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        __tracebackhide__ = True
        return fn(*args, **kwargs)

    def step(self, token: int, advance: Callable[[], Any]) -> Any:
        __tracebackhide__ = True
        return advance()

    def end(self, token: int, outcome: Any, error: BaseException | None) -> Any:
        if token >= 0 and len(self.recorder.calls) == token:
            self.recorder.unmocked[self.path] = token
        return outcome


class Recorder:
    """Patches targets so each live call runs for real and is recorded as a span.

    The call runs outside the deterministic context (``context.suspended()``): real clock, real
    randomness, nothing consumed from the seeded streams. Each span has the target's span type,
    the call's arguments by name as input, the return value (or the exception) as output and the
    target path in the ``clearstone.target`` attribute.

    ``root``: the test's root span. A call made where no span of its trace is current (in a
    context copied before the test began, a thread or an event loop's task started before it)
    is recorded as its child, not as the root of a trace of its own, which the golden, made of
    the test's trace, would leave out. A call made where a span of another trace is current
    that has ended is made by a task an earlier test left running (an event loop shared by
    the tests): it is no part of this test, and runs live, unrecorded, with a warning.
    """

    def __init__(
        self,
        tracer: Tracer,
        context: DeterministicExecutionContext | None = None,
        *,
        transform: Transform | None = None,
        ignore: IgnoreConfig | None = None,
        root: Span | None = None,
        shown: Transform | None = None,
    ) -> None:
        self.tracer = tracer
        self.context = context
        self.root = root
        self.transform = transform or _identity
        #: how a warning shows a recorded value (a path's keys): without the secrets seen
        self.shown = shown
        self.ignore = ignore or IgnoreConfig(None)
        self.calls: list[ReplayCall] = []
        #: the span of each recorded call, by span id, as recorded (values not yet stored)
        self.spans: dict[str, LiveSpan] = {}
        self.counts: dict[str, int] = {}
        self.streams: list[StreamTap] = []
        #: the calls that changed an argument in place, which replay cannot do (warned about
        #: once the test passed)
        self.changed_in_place: list[MutatedArgumentWarning] = []
        #: the first call the recording refused (an argument nested too deep), raised to the
        #: agent at the call: raised again after the test's call, should the agent swallow it;
        #: or the first warning about a call that a warnings filter made an error
        #: (``filterwarnings = error``), raised only after the test's call
        self.refusal: NestingTooDeepError | Warning | None = None
        #: the test's process: a call in a child it forked cannot be recorded here
        self.pid = os.getpid()
        #: the watched methods (:meth:`watch`) that ran with no mock target's call recorded
        #: meanwhile, by path, in the order of their first such call, each with the number of
        #: calls recorded when its last such call began (those after it were made later)
        self.unmocked: dict[str, int] = {}
        #: the targets with an async call made on an asyncio event loop, whose calls a replay
        #: answers in the order they completed when recorded (:mod:`.completion`)
        self.ordered_targets: set[str] = set()
        if root is not None:  # (made where the golden run started: its test's node id)
            name_run(root.name)

    def run_started_tasks_live(self, stack: PatchStack) -> None:
        """Until ``stack`` is undone, an asyncio task started inside a live call (LangChain's
        ``ainvoke`` runs its callbacks in tasks) runs each of its steps live too: it consumes
        nothing from the seeded streams, which replay, where the call's body never runs, would
        not consume either.

        ``BaseEventLoop.create_task`` is what ``asyncio.create_task``, ``gather``,
        ``ensure_future`` and task groups call; loops of other libraries are left alone.
        """
        from asyncio import base_events

        original = base_events.BaseEventLoop.create_task
        step = self.live_step

        def create_task(loop: Any, coro: Any, **kwargs: Any) -> Any:
            # a coroutine, not any awaitable asyncio takes for one: the loop's own task closing
            # an async generator dropped in the call (``agen.aclose()``, scheduled in the
            # call's context) must run as it is, or, cancelled before its first step when the
            # loop ends, it never closes the generator
            if _in_recorded_call.get() and inspect.iscoroutine(coro):
                coro = drive(coro, step)
            return original(loop, coro, **kwargs)

        # (named after it, ``__wrapped__`` included: the branching create_task under it is seen)
        stack.setattr(base_events.BaseEventLoop, "create_task", named_after(create_task, original))

    def live_step(self, advance: Callable[[], Any]) -> Any:
        """One step of a task a live call started, on the real clock and randomness."""
        with self.suspended():
            return advance()

    def patch(self, target: Target, span_type: str, stack: PatchStack) -> None:
        """Replace ``target`` (until ``stack`` is undone) with a recording wrapper."""
        around = RecordedTarget(self, target, span_type)
        # (a callable instance stays an object of its class: see targets.callable_instance)
        place(target, made_for(target, stand_in_maker(target, around)), stack)

    def watch(self, target: Target, stack: PatchStack) -> None:
        """Until ``stack`` is undone, run each call of ``target``, a method the test did not
        mock, as it is, and note its path in :attr:`unmocked` when no mock target's call was
        recorded while it ran: it then made its request live (pydantic-ai's ``request_stream``
        beside a mocked ``request``)."""
        around = _Watch(self, target.path)
        place(target, made_for(target, stand_in_maker(target, around)), stack)

    def call_span(self, path: str, span_type: str, attributes: dict[str, Any]) -> LiveSpan:
        """The span of a call of the target at ``path``: a child of the current span when that
        one belongs to the test's trace, else of the test's root span."""
        root, parent = self.root, current_span()
        if root is None or (parent is not None and parent.trace_id == root.trace_id):
            return self.tracer.span(path, span_type=span_type, attributes=attributes)
        token = use_span(root)
        try:
            return self.tracer.span(path, span_type=span_type, attributes=attributes)
        finally:
            restore_span(token, root)

    def left_by(self) -> str | None:
        """The earlier test that left the task making the current call running (its node id,
        or its trace when the ended span current here is not its root span), or ``None``.

        A task of a test that replayed (whose context holds no span of a trace) is known by its
        ended golden run (:func:`~pytest_clearstone.golden.threads.ended_run`)."""
        root, parent = self.root, current_span()
        if root is None:
            return None
        if parent is not None and not parent.is_open and parent.trace_id != root.trace_id:
            if parent.parent_span_id is None:  # the root span, named after the test
                return parent.name
            return f"the test of trace {parent.trace_id}"
        earlier = ended_run()
        return None if earlier is None else earlier or "an earlier test"

    def suspended(self) -> contextlib.AbstractContextManager[None]:
        """The real clock and random state, for the live part of a call."""
        return self.context.suspended() if self.context is not None else contextlib.nullcontext()

    def finish_streams(self) -> None:
        """Close the spans of streams the agent left unfinished, with the items it read (call
        before the test's root span closes)."""
        streams, self.streams = self.streams, []
        for stream in streams:
            stream.finish()


# A call made inside another recorded call (same task) is not recorded: replay answers the
# outer call without running its body, so the inner one never happens there.
_in_recorded_call: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "clearstone_in_recorded_call", default=False
)


class _Call:
    __slots__ = ("call", "read_to_end", "release", "span", "unlisted", "watched")

    def __init__(self, span: LiveSpan, call: ReplayCall, watched: dict[str, Any]) -> None:
        self.span = span
        self.call = call
        #: (a call of an MCP session) ends the session's callbacks running inside this call
        self.release: Callable[[], None] | None = None
        #: (a session's ``call_tool`` for a tool it holds no output schema for) the session and
        #: the tool's name: the live call lists the tools inside itself
        self.unlisted: tuple[Any, str] | None = None
        #: the arguments a call may change in place (plain containers), by name: their
        #: recorded form before the call
        self.watched = watched
        #: (a generator target) whether the agent read it to its end (a step met its end)
        self.read_to_end = False


#: the arguments whose change in place a recording looks for: the containers an agent hands
#: a tool to fill (an object's fields are its own business: a method's ``self`` is compared)
_FILLABLE = (list, dict, set, bytearray)


def _changed_beyond_files(after: Any, before: Any) -> bool:
    """Whether the stored forms of an argument differ in more than what is left to read in the
    files it holds (a list of uploads the call read, the SDK sending them)."""
    return bool(without_contents(after) != without_contents(before))


class RecordedTarget:
    """What the recording wrapper of one target does around each call (see
    :mod:`pytest_clearstone.callables`): open a span with the arguments, run the live call's
    steps on the real clock with that span current, record the result or the exception."""

    __slots__ = (
        "binder",
        "ends",
        "holds_callbacks",
        "ignore",
        "is_async",
        "lists_tools",
        "recorder",
        "span_type",
        "target",
        "warned",
    )

    def __init__(self, recorder: Recorder, target: Target, span_type: str) -> None:
        self.recorder = recorder
        self.target = target
        self.span_type = span_type
        self.binder: Binder = binder(target.function, skip_first=target.is_method)
        #: a generator function target's end when read to it (``StopIteration``, or
        #: ``StopAsyncIteration`` for an async one), met by a step; ``None`` for other targets
        kind = kind_of(target.function)
        self.ends: type[Exception] | None = (
            StopIteration
            if kind is Kind.GEN
            else StopAsyncIteration
            if kind is Kind.ASYNCGEN
            else None
        )
        self.is_async = kind is Kind.ASYNC or kind is Kind.ASYNCGEN
        self.ignore = recorder.ignore.for_target(target.path)
        #: the argument paths warned about as stored only by their repr (once each)
        self.warned: set[str] = set()
        #: the callbacks of its session run inside each call: a method of an MCP session
        #: (:mod:`.session_callbacks`)
        self.holds_callbacks: Callable[[Any, Any], Callable[[], None]] | None = None
        #: whether it is an MCP session's ``call_tool``, which may list the tools inside itself
        #: (:mod:`.replayed_effects`)
        self.lists_tools = False
        if target.is_method and "mcp" in sys.modules:
            from .session_callbacks import hold_callbacks, is_session_method

            if is_session_method(target.function):
                self.holds_callbacks = hold_callbacks
                self.lists_tools = function_path(target.function) == CALL_TOOL

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if _in_recorded_call.get():
            return PASS
        rec, path = self.recorder, self.target.path
        if os.getpid() != rec.pid:  # (a call inside a live call made in a child stays live)
            test = "" if rec.root is None else rec.root.name
            error = ChildProcessCallError(
                path, pid=os.getpid(), parent=rec.pid, action="recording", test=test
            )
            tell_parent(error)  # (also when the child's code swallows it)
            raise error
        earlier = rec.left_by()
        if earlier is not None:  # (rec.root is set: its name is the test's node id)
            assert rec.root is not None
            # (as an error, it fails this test after its call: the task's call runs as without)
            refused = warned(LeftoverCallWarning(rec.root.name, path, earlier), stacklevel=3)
            rec.refusal = rec.refusal or refused
            return PASS
        branch_running_loop()
        if self.is_async and path not in rec.ordered_targets and on_asyncio_loop():
            rec.ordered_targets.add(path)
        with rec.suspended():
            branch = running_branch()
            attributes = {TARGET_ATTRIBUTE: path, BRANCH_ATTRIBUTE: current_branch()}
            places = "" if branch is None else branch.count_call()
            if places:  # (a call of a child branch: where its parent handed it out)
                attributes[PLACES_ATTRIBUTE] = places
            span = rec.call_span(path, self.span_type, attributes)
            arguments = self.binder.bind_call(args, kwargs)
            number = rec.counts[path] = rec.counts.get(path, 0) + 1
            name = f"call #{number} to {path}"
            try:
                value = rec.transform(arguments, "input", path)
                # (an ignored value that cannot be stored readably: a placeholder; another one
                # warns, naming its path)
                try:
                    encoded = recorded_form(value, self.ignore, name, self.warned, rec.shown)
                except UnencodableValueWarning as error:
                    # a filter made the warning an error (`filterwarnings = error`): it fails
                    # the test after its call, not the call, which the agent may catch and
                    # retry without the value (its golden would record only what it does
                    # when a call fails); the form again (its paths warned about: no warning)
                    rec.refusal = rec.refusal or error.with_traceback(None)
                    encoded = recorded_form(value, self.ignore, name, self.warned, rec.shown)
            except NestingTooDeepError as exc:  # (named as the call's, with advice for it)
                refusal = exc.in_call(f"the arguments of call #{number} to {path}: ")
                rec.refusal = rec.refusal or refusal
                raise refusal from None
            span.set_recorded_input(Recorded(encoded=encoded))
            call = ReplayCall(path, number, arguments, span.span_id)
            rec.calls.append(call)
            rec.spans[span.span_id] = span
            span.open()
            watched = {
                name: self._form(name, value)
                for name, value in arguments.items()
                if type(value) in _FILLABLE and name != "self"
            }
        token = _Call(span, call, watched)
        if self.holds_callbacks is not None and args:
            token.release = self.holds_callbacks(args[0], partial(self.step, token))
            if self.lists_tools:
                token.unlisted = unlisted_tool(args, kwargs)
        return token

    def _form(self, name: str, value: Any) -> Any:
        """The compared form of the argument ``name``: redacted, encoded, the parts of the
        marker's ``ignore=`` paths left out; a value only a pickle could store, by its
        placeholder (a pickle's bytes are no measure of a change)."""
        from ..redaction import comparing

        with comparing():
            one = self.recorder.transform({name: value}, "input", self.target.path)
        tree = Encoder(allow_pickle=False, warn=False).encode(one)
        return self.ignore.prune(tree) if self.ignore else tree

    def _note_if_changed(self, token: _Call) -> None:
        """Note each watched argument of the call ``token`` that the call changed
        (:attr:`Recorder.changed_in_place`)."""
        arguments, call = token.call.arguments, token.call
        for name, before in token.watched.items():
            value = arguments[name]
            # (compared with room to recurse where the value nests deep: == on nested dicts)
            after = self._form(name, value)
            if retried(partial(operator.ne, after, before)) and retried(
                partial(_changed_beyond_files, after, before)
            ):
                root = self.recorder.root
                self.recorder.changed_in_place.append(
                    MutatedArgumentWarning(
                        "" if root is None else root.name,
                        f"call #{call.call_number} to {self.target.path}",
                        self.target.path,
                        name,
                        f"{article(type(value).__name__)} {type(value).__name__}",
                        self.ignore.place,
                    )
                )

    def source(
        self, token: _Call, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
    ) -> Any:
        __tracebackhide__ = True
        return fn(*args, **kwargs)

    def step(self, token: _Call, advance: Callable[[], Any]) -> Any:
        __tracebackhide__ = True
        with self.recorder.suspended(), _live_step(token.span):
            try:
                return advance()
            except (StopIteration, StopAsyncIteration) as end:  # (or a coroutine's return)
                if type(end) is self.ends:
                    token.read_to_end = True
                raise

    def end(self, token: _Call, outcome: Any, error: BaseException | None) -> Any:
        rec, path, span, call = self.recorder, self.target.path, token.span, token.call
        if token.release is not None:
            token.release()
        if error is None and is_stream(outcome):  # the span closes when the stream ends
            _refuse_bound_state(outcome, path)
            outcome, stream = tap(outcome, partial(self.step, token), partial(self._ended, token))
            if stream is not None:
                rec.streams.append(stream)
                return outcome
        if error is None and self.ends is not None and not token.read_to_end:
            # a generator target the agent stopped reading early: the items it read, replayed
            # to there (read further, the replay diverges)
            is_async = self.ends is StopAsyncIteration
            self._ended(token, RecordedStream(items=outcome, is_async=is_async), None)
            return outcome
        if error is not None and type(outcome) is list and outcome:
            # a generator target that raised after yielding: its chunks, then the error
            is_async = inspect.isasyncgenfunction(self.target.function)
            self._ended(token, RecordedStream(items=outcome, is_async=is_async), error)
            return outcome
        with rec.suspended():
            if error is None:
                span.set_output(rec.transform(outcome, "output", path))
                call.result = outcome
                if token.unlisted is not None:
                    self._keep_listed(token.unlisted, span)
            else:
                self._set_error(token, error)
            span.close()
            if token.watched:
                self._note_if_changed(token)
        return outcome

    def _keep_listed(self, unlisted: tuple[Any, str], span: LiveSpan) -> None:
        """(A session's ``call_tool`` ended that listed the tools inside itself.) Keep on its
        span the output schemas that listing left on the session, redacted as its attributes
        are, for its replay to give back (:data:`LISTED_TOOLS_ATTRIBUTE`)."""
        schemas = listed_schemas(*unlisted)
        if schemas is not None:
            kept = self.recorder.transform(schemas, "span attributes", self.target.path)
            span.set_attribute(LISTED_TOOLS_ATTRIBUTE, kept)

    def _ended(self, token: _Call, record: Any, error: BaseException | None) -> None:
        """A stream the call returned ended (or was closed, or the test ended, or it raised
        ``error`` while read): its span gets ``record`` as output (the items the agent read, a
        :class:`RecordedStream`; or a streamed HTTP response with the body the agent read), and
        the error, and closes."""
        rec = self.recorder
        with rec.suspended():
            token.span.set_output(rec.transform(record, "output", self.target.path))
            token.call.result = record
            if error is not None:
                self._set_error(token, error)
            token.span.close()

    def _set_error(self, token: _Call, error: BaseException) -> None:
        """The call raised ``error``: its span records it, redacted."""
        token.call.error = error
        set_redacted_error(token.span, error, self.recorder.transform, self.target.path)


def _refuse_bound_state(stream: Any, target: str) -> None:
    """Raise :class:`SerializationError` when the SDK bound state of the call's arguments to
    the ``stream`` of a subclass of its stream class it answered (:func:`bound_state`): a
    replay of its recorded events would read them without it (a session's result unparsed,
    its tool handlers not run), and pass or fail for no reason of the agent's."""
    bound = bound_state(stream)
    if not bound:
        return
    t = type(stream)
    is_async = hasattr(stream, "__aiter__")
    if not is_async:
        stream.close()  # (its connection: the agent never gets it)
    send = f"{type(stream.response).__module__}.{'AsyncClient' if is_async else 'Client'}.send"
    raise SerializationError(
        f"the answer of {target}",
        f"{t.__module__.partition('.')[0]} {t.__name__}",
        f"the SDK bound state made from the call's arguments to the stream it returned "
        f"({', '.join(bound)}), which a stream replayed from its recorded events would not "
        f"have. Mock the HTTP client's send instead ({send}), under which the SDK's own "
        f"method runs on replay, or leave those arguments out (the stream then records and "
        f"replays), or mock a function of your own that reads the stream and returns what the "
        f"agent uses",
        advice="",
    )


def set_redacted_error(span: Span, error: BaseException, transform: Transform, target: str) -> None:
    """Record ``error`` on ``span`` (status ``ERROR``) through ``transform``, the redaction
    (``where="error"``): its message and its attributes may quote a key."""
    error = as_recorded(error)
    record = transform(exception_record(error), "error", target)
    message = transform(exception_message(error), "error", target)
    span.set_error(record, message)


def redacted_span(span: Span, transform: Transform) -> Span:
    """``span`` (one the test opened itself) with its attributes, input, output, error and
    status message through ``transform``, the test's redaction, as its recorded calls' values
    go: what the trace store and the golden keep of it. It is given as a redacted copy, open or
    ended, so the span queued for the writer thread (which reads it when it writes) is never one
    the test may still give a secret to (the test keeps its span, and may set an attribute on
    it after its block)."""
    target = str(span.name)
    span = copy.copy(span)  # (a plain Span, its fields shared until replaced below)
    attributes = span.attributes  # (the test's own dict, even empty: replaced by another)
    try:
        redacted = transform(dict(attributes), "span attributes", target) if attributes else {}
    except NestingTooDeepError:  # (stored as a placeholder, as the bare tracer stores it)
        redacted = transform(storable_attributes(attributes), "span attributes", target)
    span.replace_attributes(redacted)
    for where, recorded, replace in (
        ("span input", span.recorded_input, span.set_recorded_input),
        ("span output", span.recorded_output, span.set_recorded_output),
    ):
        if recorded is not None:
            replace(Recorded.of(transform(recorded.fresh_value(), where, target)))
    message = span.status_message
    if message:
        message = transform(message, "error", target)
    if span.error is not None:
        span.set_error(transform(span.error, "error", target), message)
    span.status_message = message
    return span


def redacting_tracer(
    provider: TracerProvider, version: str, transform: Callable[[], Transform]
) -> Tracer:
    """A tracer of ``provider`` for the spans a test opens itself, each given through
    :func:`redacted_span` with the test's redaction (``transform()``, asked at each span: a
    recording's redactor is known once its replay is made) when it opens and when it ends."""

    def before_write(span: Span) -> Span:
        return redacted_span(span, transform())

    return Tracer(provider, "pytest-clearstone", version, before_write=before_write)


@contextlib.contextmanager
def _live_step(span: LiveSpan) -> Iterator[None]:
    span_token = use_span(span)
    flag_token = _in_recorded_call.set(True)
    branching = unbranched()
    try:
        yield
    finally:
        restore_branching(branching)
        _in_recorded_call.reset(flag_token)
        restore_span(span_token, span)
