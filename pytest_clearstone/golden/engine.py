"""ReplayEngine: rehydrate an agent from a checkpoint and replay one of its methods."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pdb
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import (
    AgentImportError,
    ClearstoneError,
    ReplayExhaustedError,
    TraceNotFoundError,
)
from ..tracing.span import Span
from ..tracing.trace import Trace
from .checkpoint import Checkpoint
from .context import DeterministicExecutionContext
from .recorder import TARGET_ATTRIBUTE
from .responses import Matcher, RecordedCall, ReplaySession, Responses

if TYPE_CHECKING:
    from ..tracing.store import TraceStore

MockConfig = Mapping[str, str | Sequence[str]]
_RULE = "-" * 60


class UnusedResponsesWarning(UserWarning):
    """A non-strict replay left recorded responses unused."""


def normalize_mock_config(mock_config: MockConfig | None) -> list[tuple[str, str]]:
    """``{"llm": "a.b", "tool": ["c.d", "e.f"]}`` -> ``[("llm", "a.b"), ("tool", "c.d"), ...]``."""
    if mock_config is None:
        return []
    if not isinstance(mock_config, Mapping):
        raise TypeError(
            "mock_config must map a span type to an import path or a list of them, e.g. "
            "{'llm': 'my_app.llm.complete'}; got " + type(mock_config).__name__
        )
    pairs: list[tuple[str, str]] = []
    for span_type, targets in mock_config.items():
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, Sequence) or not all(isinstance(t, str) for t in targets):
            raise TypeError(
                f"mock_config[{span_type!r}] must be an import path or a list of import paths"
            )
        pairs.extend((str(span_type), t) for t in targets)
    return pairs


@dataclass
class PreflightEntry:
    """What replay will do for one target."""

    target: str
    span_type: str
    responses: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class PreflightReport:
    """The pre-flight mock analysis: per target, how many recorded responses it will get."""

    entries: list[PreflightEntry]

    @property
    def warnings(self) -> list[str]:
        return [w for e in self.entries for w in e.warnings]

    def __str__(self) -> str:
        lines = ["--- Pre-flight Mock Analysis ---"]
        if not self.entries:
            lines.append("  - No mock_config given: nothing will be mocked.")
        for e in self.entries:
            lines.append(f"  - Mocking '{e.target}' (for span_type='{e.span_type}')")
            lines.append(f"    - Found {e.responses} recorded response(s) in the trace.")
            lines.extend(f"    - WARNING: {w}" for w in e.warnings)
        lines.append(_RULE)
        return "\n".join(lines)


def _name_matches(span: Span, target: str) -> bool:
    parts = target.split(".")
    name = span.name
    return name == parts[-1] or name == ".".join(parts[-2:]) or name == target


class ReplayEngine:
    """Restores an agent from a checkpoint and replays its methods with recorded responses.

    With a ``trace_store`` the full trace is read from it (a checkpoint may have been taken
    before its trace finished). ``strict=True`` also compares each call's arguments with the
    recorded input and fails when responses are left unused.
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        trace_store: TraceStore | None = None,
        *,
        strict: bool = False,
        matcher: Matcher | None = None,
    ) -> None:
        self.checkpoint = checkpoint
        self.strict = strict
        self.matcher = matcher
        self.trace: Trace = checkpoint.trace
        if trace_store is not None:
            # without it in the store, the checkpoint's own copy of the trace is all there is
            with contextlib.suppress(TraceNotFoundError):
                self.trace = trace_store.get_trace(checkpoint.trace.trace_id)
        self._agent: Any = None
        self.last_session: ReplaySession | None = None
        self.last_error: BaseException | None = None

    # -- the agent -----------------------------------------------------------------------------
    @property
    def agent(self) -> Any:
        """The rehydrated agent (after a replay: as the replay left it)."""
        if self._agent is None:
            self._agent = self.rehydrate()
        return self._agent

    def agent_class(self) -> Any:
        module_name = self.checkpoint.agent_module
        qualname = self.checkpoint.agent_class_name
        if not module_name or not qualname:
            raise AgentImportError(str(module_name), str(qualname), "the checkpoint has no agent")
        try:
            obj: Any = importlib.import_module(module_name)
        except Exception as exc:
            raise AgentImportError(module_name, qualname, f"{type(exc).__name__}: {exc}") from None
        for part in qualname.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise AgentImportError(
                    module_name, qualname, f"the module has no attribute {part!r}"
                ) from None
        if not isinstance(obj, type):
            raise AgentImportError(module_name, qualname, "it is not a class")
        return obj

    def rehydrate(self) -> Any:
        """A new agent: the class created without ``__init__``, then its state restored."""
        cls = self.agent_class()
        agent = cls.__new__(cls)
        load_state(agent, self.checkpoint.restore_state())
        return agent

    # -- responses -----------------------------------------------------------------------------
    def _scope(self) -> list[Span]:
        start = self.checkpoint.span.start_time_ns
        return [s for s in self.trace.spans if s.start_time_ns >= start]

    def responses(
        self, span_type: str, target: str, *, shared: bool = True, _scope: list[Span] | None = None
    ) -> list[Span]:
        """Spans answering ``target``: of ``span_type``, starting at or after the checkpoint's span.

        A span recorded by the plugin names its target and answers only that one; other spans
        answer any target of their type (``shared``), or, when several targets share the type,
        the target whose function name is the span's name.
        """
        found = []
        for span in self._scope() if _scope is None else _scope:
            if span.span_type != span_type or not (span.has_output or span.error is not None):
                continue
            recorded_target = span.attributes.get(TARGET_ATTRIBUTE)
            if recorded_target is not None:
                if recorded_target == target:
                    found.append(span)
            elif shared or _name_matches(span, target):
                found.append(span)
        return found

    def _plan(self, mock_config: MockConfig | None) -> list[tuple[str, str, list[Span]]]:
        return self._plan_pairs(normalize_mock_config(mock_config))

    def _plan_pairs(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str, list[Span]]]:
        per_type: dict[str, int] = {}
        for span_type, _ in pairs:
            per_type[span_type] = per_type.get(span_type, 0) + 1
        scope = self._scope()
        return [
            (st, t, self.responses(st, t, shared=per_type[st] == 1, _scope=scope))
            for st, t in pairs
        ]

    def preflight(self, mock_config: MockConfig | None) -> PreflightReport:
        """Which targets will be mocked, for which span type, with how many responses."""
        entries = []
        for span_type, target, spans in self._plan(mock_config):
            entry = PreflightEntry(target, span_type, len(spans))
            if not spans:
                entry.warnings.append(
                    f"No recorded responses for span_type='{span_type}' after the checkpoint: "
                    f"a call to {target} will raise ReplayExhaustedError."
                )
            entries.append(entry)
        return PreflightReport(entries)

    def mock_targets(self, mock_config: MockConfig | None) -> dict[str, Responses]:
        """``{target: Responses}`` for :class:`DeterministicExecutionContext`."""
        return self.mock_targets_of(normalize_mock_config(mock_config))

    def mock_targets_of(self, pairs: list[tuple[str, str]]) -> dict[str, Responses]:
        """:meth:`mock_targets` for ``[(span_type, import path), ...]`` (as
        :func:`normalize_mock_config` returns them)."""
        targets: dict[str, Responses] = {}
        for _, target, spans in self._plan_pairs(pairs):
            calls = [RecordedCall.from_span(s) for s in spans]
            if target in targets:
                calls = targets[target].calls + calls
            targets[target] = Responses(calls)
        return targets

    def context(
        self, mock_config: MockConfig | None = None, *, seed: int | None = None, tick: bool = False
    ) -> DeterministicExecutionContext:
        """The deterministic context a replay of this checkpoint runs in."""
        return DeterministicExecutionContext(
            self.checkpoint,
            self.mock_targets(mock_config),
            seed=seed,
            tick=tick,
            strict=self.strict,
            matcher=self.matcher,
        )

    # -- replaying -----------------------------------------------------------------------------
    def _method(self, agent: Any, function_name: str) -> Any:
        try:
            return getattr(agent, function_name)
        except AttributeError:
            raise AttributeError(
                f"the agent {type(agent).__qualname__} has no method {function_name!r} to replay"
            ) from None

    def replay_from_checkpoint(
        self,
        function_name: str,
        *args: Any,
        mock_config: MockConfig | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run ``agent.function_name(*args, **kwargs)`` on a freshly rehydrated agent, with the
        targets in ``mock_config`` answered from the recording; return its result.

        Coroutine methods are run to completion (inside a running event loop, an awaitable is
        returned instead). Replay errors the agent swallowed are raised afterwards.
        """
        __tracebackhide__ = True
        agent = self._agent = self.rehydrate()
        method = self._method(agent, function_name)
        ctx = self.context(mock_config)
        if inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method):
            import asyncio  # only for async agents: importing it costs ~20 ms

            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.run(self._run_async(ctx, method, args, kwargs))
            return self._run_async(ctx, method, args, kwargs)
        with ctx:
            result = method(*args, **kwargs)
            if inspect.isgenerator(result):
                result = list(result)
        self._finish(ctx.session)
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
        self._finish(ctx.session)
        return result

    def _finish(self, session: ReplaySession) -> None:
        __tracebackhide__ = True
        self.last_session = session
        label = str(self.checkpoint.path or self.checkpoint.checkpoint_id)
        session.raise_errors(strict=self.strict, checkpoint=label)
        unused = session.unused()
        if unused:
            detail = ", ".join(f"{t}: {u} of {r} used" for t, (u, r) in unused.items())
            warnings.warn(
                f"recorded responses left unused: {detail}", UnusedResponsesWarning, stacklevel=3
            )

    def banner(self) -> str:
        span = self.checkpoint.span
        return "\n".join(
            [
                "--- 🕰️ Welcome to the Clearstone Time-Travel Debugger ---",
                f"  Trace ID: {self.checkpoint.trace.trace_id}",
                f"  Checkpoint: {self.checkpoint.checkpoint_id} (at span: '{span.name}')",
                f"  Agent State: Rehydrated for '{self.checkpoint.agent_class_path}'",
                "",
                "Dropping into interactive debugger (pdb). Type 'c' to continue execution from "
                "the checkpoint.",
                _RULE,
            ]
        )

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
        out = stdout or sys.stdout
        print(self.banner(), file=out)
        print(file=out)
        print(self.preflight(mock_config), file=out)
        print(file=out)
        agent = self._agent = self.rehydrate()
        method = self._method(agent, function_to_replay)
        args = () if input_data is None else (input_data,)
        debugger = _SessionPdb(skip=["pytest_clearstone*", "asyncio*"], stdin=stdin, stdout=stdout)
        if stdin is not None:
            debugger.use_rawinput = False  # otherwise pdb reads sys.stdin whatever it was given
        ctx = self.context(mock_config)
        self.last_error = None
        try:
            with ctx:
                result = debugger.runcall(_call_to_completion, method, args, kwargs)
            self._finish(ctx.session)
        except BaseException as exc:  # report, as the guide's session does, then return
            self.last_error = exc
            print(_RULE, file=out)
            print(f"--- ❌ Replay Failed: {type(exc).__name__} ---", file=out)
            print(str(exc), file=out)
            if isinstance(exc, (ReplayExhaustedError, StopIteration)):
                print(
                    "This usually means a mocked function was called more times than there were "
                    "recorded responses in the trace.\nPlease check the 'Pre-flight Mock "
                    "Analysis' above to see how many responses were found.",
                    file=out,
                )
            if isinstance(exc, KeyboardInterrupt):
                raise
            return None
        print(_RULE, file=out)
        print(f"--- ✅ Replay finished. Final result: {result!r} ---", file=out)
        return result


class _SessionPdb(pdb.Pdb):
    """Pdb that stops at the first line of the replayed method's body, not at its ``def``."""

    def user_call(self, frame: Any, argument_list: Any) -> None:
        return  # still stepping: the method's first 'line' event stops there


def _call_to_completion(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = method(*args, **kwargs)
    if inspect.iscoroutine(result):
        import asyncio

        return asyncio.run(result)
    if inspect.isgenerator(result):
        return list(result)
    return result


def load_state(agent: Any, state: Any) -> None:
    """Give ``state`` to ``agent``: ``load_state(state)`` when it has it, else ``__dict__``."""
    loader = getattr(agent, "load_state", None)
    if callable(loader):
        loader(state)
    elif isinstance(state, dict):
        agent.__dict__.update(state)
    else:
        raise ClearstoneError(
            f"cannot restore a {type(state).__name__} state into {type(agent).__qualname__}: "
            f"give the agent a load_state(state) method"
        )
