"""ReplayEngine: rehydrate an agent from a checkpoint and replay one of its methods."""

from __future__ import annotations

import inspect
import sys
import warnings
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import TraceNotFoundError, UnusedResponsesWarning, alias_lines
from ..tracing.span import Span
from ..tracing.trace import Trace
from . import mocks
from .checkpoint import Checkpoint, refuse_not_a_checkpoint
from .completion import CompletionOrder, completion_order
from .context import DeterministicExecutionContext
from .mocks import MockConfig, normalize_mock_config
from .ordering import call_order, span_branch, span_places
from .replayed_effects import LISTED_TOOLS_ATTRIBUTE
from .responses import Matcher, RecordedCall, ReplaySession, Responses
from .state import import_agent_class, rehydrate
from .threads import in_trio_run

if TYPE_CHECKING:
    from ..tracing.store import TraceStore
    from .preflight import PreflightReport


class ReplayEngine:
    """Restores an agent from a checkpoint and replays its methods with recorded responses.

    With a ``trace_store`` the full trace is read from it (a checkpoint may have been taken
    before its trace finished). ``strict=True`` also compares each call's arguments with the
    recorded input and fails when responses are left unused. ``allow_pickle``: whether the
    recorded exceptions may hold pickled values (pass what the checkpoint was loaded with;
    the trace store never holds pickles), and the checkpoint is trusted to name an agent class
    of the standard library or of an installed package.
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        trace_store: TraceStore | None = None,
        *,
        strict: bool = False,
        matcher: Matcher | None = None,
        allow_pickle: bool = False,
    ) -> None:
        refuse_not_a_checkpoint(checkpoint, "ReplayEngine()")
        self.checkpoint = checkpoint
        self.strict = strict
        self.allow_pickle = allow_pickle
        self.matcher = matcher
        self.trace: Trace = checkpoint.trace
        #: the database of the trace store given, when it does not hold the checkpoint's trace
        self._store_without_trace: str | None = None
        if trace_store is not None:
            # without it in the store, the checkpoint's own copy of the trace is all there is
            try:
                self.trace = trace_store.get_trace(checkpoint.trace.trace_id)
            except TraceNotFoundError:
                self._store_without_trace = trace_store.db_path
        self._agent: Any = None
        self._scoped: list[Span] | None = None
        self.last_session: ReplaySession | None = None
        self.last_error: BaseException | None = None

    # -- the agent -----------------------------------------------------------------------------
    @property
    def agent(self) -> Any:
        """The rehydrated agent (after a replay: as the replay left it)."""
        if self._agent is None:
            self._agent = self.rehydrate()
        return self._agent

    def agent_class(self) -> type[Any]:
        """The checkpoint's agent class, imported (one of the standard library or of an
        installed package only from a trusted checkpoint: ``allow_pickle``)."""
        return import_agent_class(
            self.checkpoint.agent_module,
            self.checkpoint.agent_class_name,
            trusted=self.allow_pickle,
            path=self.checkpoint.path,
        )

    def rehydrate(self) -> Any:
        """A new agent: the class created without ``__init__``, then its state restored."""
        return rehydrate(self.agent_class(), self.checkpoint.restore_state())

    def fresh_agent(self) -> Any:
        """A newly rehydrated agent, which :attr:`agent` then returns."""
        self._agent = self.rehydrate()
        return self._agent

    def method(self, agent: Any, function_name: str) -> Any:
        """``agent.function_name``, with an error naming the agent's class when it has no such
        method (no attribute of that name, or one that cannot be called: a list of messages)."""
        method = getattr(agent, function_name, None)
        if method is None:
            what = "no method"
        elif not callable(method):
            what = f"a {type(method).__name__}, not a method,"
        else:
            return method
        raise AttributeError(
            f"the agent {type(agent).__qualname__} has {what} {function_name!r} to replay"
        )

    # -- responses -----------------------------------------------------------------------------
    def responses(self, span_type: str, target: str, *, shared: bool = True) -> list[Span]:
        """Spans answering ``target`` (see :func:`pytest_clearstone.golden.mocks.answering_spans`),
        starting at or after the checkpoint's span."""
        return mocks.answering_spans(self._scope(), span_type, target, shared=shared)

    def _scope(self) -> list[Span]:
        """The spans at or after the checkpoint's, in call order (made once: the trace does not
        change)."""
        if self._scoped is None:
            scoped = mocks.scope(self.trace.spans, self.checkpoint.span.start_time_ns)
            self._scoped = call_order(scoped, span_branch, span_places)
        return self._scoped

    def preflight(self, mock_config: MockConfig | None) -> PreflightReport:
        """Which targets will be mocked, for which span type, with how many responses."""
        from .preflight import preflight

        scope = self._scope()
        planned = mocks.plan(scope, normalize_mock_config(mock_config))
        return preflight(planned, self.partial_trace_note(), scope)

    def partial_trace_note(self) -> str | None:
        """Why the trace may lack responses: the checkpoint was taken while its span ran, and
        its own copy of the trace (no trace store given, or one without it) is all there is."""
        span = self.checkpoint.span
        if self.trace is not self.checkpoint.trace or span.end_time_ns is not None:
            return None
        given = (
            f" (the one given, {self._store_without_trace!r}, does not hold it)"
            if self._store_without_trace is not None
            else ""
        )
        return (
            f"the checkpoint was taken inside its span {span.name!r} while it ran: its trace "
            f"holds only the spans opened by then. Give ReplayEngine the trace store the trace "
            f"was written to{given} (ReplayEngine(checkpoint, trace_store=provider.trace_store))"
        )

    def mock_targets(self, mock_config: MockConfig | None) -> dict[str, Responses]:
        """``{target: Responses}`` for :class:`DeterministicExecutionContext`."""
        return self.mock_targets_of(normalize_mock_config(mock_config))

    def mock_targets_of(self, pairs: list[tuple[str, str]]) -> dict[str, Responses]:
        """:meth:`mock_targets` for ``[(span_type, import path), ...]`` (as
        :func:`normalize_mock_config` returns them)."""
        targets: dict[str, Responses] = {}
        scope = self._scope()
        note = self.partial_trace_note()
        positions = {id(span): i for i, span in enumerate(scope)}
        started = self.checkpoint.span.start_time_ns
        for span_type, target, spans in mocks.plan(scope, pairs):
            if not spans and target not in targets:
                # nothing recorded for it: the calls of a renamed or moved function may be
                # recorded under its old path, which the error on its first call then names
                unmocked = {
                    other: found
                    for other, found in mocks.unmocked(scope, pairs).items()
                    if found[0] == span_type
                }
                told = (
                    note
                    or mocks.other_type_note(scope, span_type, target, pairs)
                    or mocks.silent_spans_note(scope, span_type, target)
                )
                targets[target] = Responses([], unmocked=unmocked or None, note=told)
                continue
            calls = []
            # (a session's call_tool: what the tools' listing inside it left, given back)
            lists_tools = target.endswith("ClientSession.call_tool")
            for span in spans:
                call = RecordedCall.from_span(
                    span, allow_pickle=self.allow_pickle, run_started_ns=started
                )
                call.branch = str(span.attributes.get(mocks.BRANCH_ATTRIBUTE) or "")
                call.position = positions[id(span)]
                call.started = (span.start_time_ns, span.seq)  # (start order: Trace's key)
                if lists_tools:
                    call.listed_tools = span.attributes.get(LISTED_TOOLS_ATTRIBUTE)
                calls.append(call)
            if target in targets:
                calls = targets[target].calls + calls
            targets[target] = Responses(calls, note=note)
        return targets

    def unmocked_of(self, pairs: list[tuple[str, str]]) -> dict[str, tuple[str, int]]:
        """The targets whose calls the recording answered and ``pairs`` does not mock:
        ``{target: (span_type, recorded calls)}``."""
        return mocks.unmocked(self._scope(), pairs)

    def context(
        self, mock_config: MockConfig | None = None, *, seed: int | None = None, tick: bool = False
    ) -> DeterministicExecutionContext:
        """The deterministic context a replay of this checkpoint runs in."""
        targets = self.mock_targets(mock_config)
        context = DeterministicExecutionContext(
            self.checkpoint,
            targets,
            seed=seed,
            tick=tick,
            strict=self.strict,
            matcher=self.matcher,
        )
        context.session.completion = self.completion_of(targets)
        return context

    def completion_of(self, targets: dict[str, Responses]) -> CompletionOrder | None:
        """The order the concurrent async calls ``targets`` answer completed in when recorded,
        which a replay reproduces (see :mod:`.completion`); ``None``: no call waits for
        another."""
        return completion_order(
            ((c.position, c.branch, c.span_id) for r in targets.values() for c in r.calls),
            self.trace.spans,
        )

    # -- replaying -----------------------------------------------------------------------------
    def replay_from_checkpoint(
        self,
        function_name: str,
        *args: Any,
        mock_config: MockConfig | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run ``agent.function_name(*args, **kwargs)`` on a freshly rehydrated agent, with the
        targets in ``mock_config`` answered from the recording; return its result.

        Coroutine methods are run to completion (inside a running event loop or trio run, an
        awaitable is returned instead). Replay errors the agent swallowed are raised afterwards.
        """
        __tracebackhide__ = True
        method = self.method(self.fresh_agent(), function_name)
        ctx = self.context(mock_config)
        if inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method):
            import asyncio  # only for async agents: importing it costs ~20 ms

            if asyncio._get_running_loop() is None and not in_trio_run():
                return asyncio.run(self._run_async(ctx, method, args, kwargs))
            return self._run_async(ctx, method, args, kwargs)
        with ctx:
            result = method(*args, **kwargs)
            if inspect.isgenerator(result):
                result = list(result)
        self.finish(ctx.session)
        return result

    async def _run_async(
        self, ctx: DeterministicExecutionContext, method: Any, args: Any, kwargs: Any
    ) -> Any:
        __tracebackhide__ = True
        with ctx:
            if inspect.isasyncgenfunction(method):
                result: Any = [chunk async for chunk in method(*args, **kwargs)]
            else:
                result = await method(*args, **kwargs)
        self.finish(ctx.session)
        return result

    def finish(self, session: ReplaySession) -> None:
        """After a replay: raise the errors the agent may have swallowed (and, strict, fail on
        unused responses); otherwise warn about unused responses."""
        __tracebackhide__ = True
        self.last_session = session
        session.raise_errors(strict=False)
        unused = session.unused()
        if not unused:
            return
        aliases = self.uncalled_aliases(unused)
        if self.strict:
            label = str(self.checkpoint.path or self.checkpoint.checkpoint_id)
            error = session.unused_error(checkpoint=label, aliases=aliases)
            if error is not None:
                raise error
        detail = ", ".join(
            "; ".join([f"{t}: {u} of {r} used", *alias_lines(t, aliases)])
            for t, (u, r) in unused.items()
        )
        warnings.warn(
            f"recorded responses left unused: {detail}", UnusedResponsesWarning, stacklevel=3
        )

    def uncalled_aliases(self, unused: dict[str, tuple[int, int]]) -> dict[str, list[str]]:
        """Of the targets never called (``unused``: ``{target: (used, recorded)}``), the other
        import paths of the same function in the agent's module and the modules it uses: the
        agent may have called it under one of them (``from app.llm import complete``), live."""
        never = [("", target) for target, (used, _) in unused.items() if used == 0]
        near = sys.modules.get(self.checkpoint.agent_module or "")
        if not never or near is None:
            return {}
        from .aliases import uncalled_aliases  # (only when a replay left a target uncalled)

        try:
            found = uncalled_aliases(never, (), near)
        except Exception:  # (a hint never takes the place of the replay's own report)
            return {}
        return {path: others for _, path, others in found}

    def start_debugging_session(
        self,
        function_to_replay: str,
        mock_config: MockConfig | None = None,
        input_data: Any = None,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        **kwargs: Any,
    ) -> Any:
        """Replay ``function_to_replay`` under pdb, stopping at its first line in the agent's
        own source.

        Prints the banner and the pre-flight analysis first, then the final result or why the
        replay failed. ``input_data``, when given, is passed as the first positional argument;
        other keyword arguments are passed through. Returns the result (``None`` on failure; the
        error is kept in :attr:`last_error`).
        """
        from .debugger import debug  # pdb is imported only when a session starts

        args = () if input_data is None else (input_data,)
        return debug(
            self, function_to_replay, mock_config, args, kwargs, stdin=stdin, stdout=stdout
        )
