"""A golden test: one checkpoint file, recorded live once, replayed from then on.

This is the library behind the pytest plugin's ``@pytest.mark.replay`` and ``replay`` fixture;
it knows nothing of pytest. Lifecycle: ``start()`` before the test's call, ``run()`` from the
test, ``stop()`` after it, then ``check()`` (replay) or ``save()`` (record, test passed).
"""

from __future__ import annotations

import datetime as _dt
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from ..diff import StateDelta
from ..errors import (
    CheckpointNotFoundError,
    ClearstoneError,
    GoldenMismatchError,
)
from ..tracing.span import Recorded
from ..tracing.tracer import Tracer
from .checkpoint import Checkpoint
from .context import DeterministicExecutionContext
from .engine import ReplayEngine
from .manager import new_checkpoint_id
from .mocks import MockConfig, normalize_mock_config
from .recorder import Recorder
from .responses import Matcher, ReplayCall, Transform
from .state import agent_class_of, agent_state, capture_state, load_state
from .targets import PatchStack, resolve

RECORD = "record"
REPLAY = "replay"
_NOT_RECORDING = _dt.datetime.min.replace(tzinfo=_dt.timezone.utc)


class Replay:
    """The ``replay`` fixture: record or replay one agent call against a golden checkpoint.

    ``run(target, *args, **kwargs)`` calls ``target`` (a bound method of an agent, or the name
    of a method of the agent rehydrated from the checkpoint). In record mode it saves the agent's
    state before the call, the result and the final state as the golden outcome; in replay mode
    it loads the recorded state into the agent, runs the call against the recorded responses and
    raises :class:`~pytest_clearstone.errors.GoldenMismatchError` with a state delta when the
    result or the final state differ.
    """

    def __init__(
        self,
        path: Path,
        mock: MockConfig | None,
        *,
        mode: str,
        strict: bool = True,
        node_id: str = "",
        tracer: Tracer | None = None,
        matcher: Matcher | None = None,
        transform: Transform | None = None,
    ) -> None:
        if mode not in (RECORD, REPLAY):
            raise ValueError(f"mode must be {RECORD!r} or {REPLAY!r}, not {mode!r}")
        self.path = path if isinstance(path, Path) else Path(path)
        self.mock_pairs = normalize_mock_config(mock)
        self.mock = mock
        self.mode = mode
        self.strict = strict
        self.node_id = node_id
        self.tracer = tracer
        self.matcher = matcher
        self.transform = transform
        self._checkpoint: Checkpoint | None = None
        self._engine: ReplayEngine | None = None
        self._context: DeterministicExecutionContext | None = None
        self._recorder: Recorder | None = None
        self._stack: PatchStack | None = None
        self._agent: Any = None
        self._runs: list[dict[str, Any]] = []  # record mode: one entry per replay.run()
        self._replayed_runs = 0  # replay mode: how many replay.run() calls were checked
        # record mode only: fixed before the call so that the seed and clock are known up front
        recording = mode == RECORD
        self.checkpoint_id = new_checkpoint_id() if recording else ""
        self.started_at = _dt.datetime.now(_dt.timezone.utc) if recording else _NOT_RECORDING
        self.root_span_id: str | None = None
        self.trace_id: str | None = None

    def __repr__(self) -> str:
        return f"<Replay {self.mode} {str(self.path)!r}>"

    # -- properties the test sees --------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self.mode == RECORD

    @property
    def checkpoint(self) -> Checkpoint:
        """The golden checkpoint (replay mode; in record mode the previous one, if any)."""
        if self._checkpoint is None:
            self._checkpoint = self.load()
        return self._checkpoint

    @property
    def agent(self) -> Any:
        """The agent of the last ``run()``; before it, the agent rehydrated from the checkpoint."""
        if self._agent is None:
            self._agent = self.engine.rehydrate()
        return self._agent

    @property
    def engine(self) -> ReplayEngine:
        if self._engine is None:
            self._engine = ReplayEngine(self.checkpoint, strict=self.strict, matcher=self.matcher)
        return self._engine

    @property
    def calls(self) -> list[ReplayCall]:
        """The calls made to mock targets so far (recorded live, or answered from the golden)."""
        if self._recorder is not None:
            return list(self._recorder.calls)
        if self._context is not None:
            return list(self._context.session.calls)
        return []

    @property
    def context(self) -> DeterministicExecutionContext | None:
        return self._context

    # -- lifecycle -----------------------------------------------------------------------------
    def load(self) -> Checkpoint:
        try:
            return Checkpoint.read(self.path)
        except CheckpointNotFoundError:
            pass  # raised below, outside the handler: no "during handling" chain in the report
        raise CheckpointNotFoundError(
            [self.path],
            hint=f"Record it first with: pytest --clearstone-record {self.node_id}".rstrip(),
        )

    def start(self, *, root_span_id: str | None = None, trace_id: str | None = None) -> None:
        """Enter the deterministic context and patch the targets (call before the test runs)."""
        self.root_span_id, self.trace_id = root_span_id, trace_id
        if self.mode == REPLAY:
            checkpoint = self.checkpoint
            ctx = DeterministicExecutionContext(
                checkpoint,
                self.engine.mock_targets_of(self.mock_pairs),
                strict=self.strict,
                matcher=self.matcher,
                transform=self.transform,
            )
            ctx.__enter__()
            self._context = ctx
            return
        if self.tracer is None:
            raise ClearstoneError("record mode needs a tracer to record the calls")
        ctx = DeterministicExecutionContext(self.started_at, seed=self._seed())
        targets = [(resolve(path), span_type) for span_type, path in self.mock_pairs]
        ctx.__enter__()
        stack = PatchStack()
        try:
            recorder = Recorder(self.tracer, ctx, transform=self.transform)
            for target, span_type in targets:
                recorder.patch(target, span_type, stack)
        except BaseException:
            stack.undo()
            ctx.__exit__(None, None, None)
            raise
        self._context, self._recorder, self._stack = ctx, recorder, stack

    def _seed(self) -> int:
        from .context import derive_seed

        return derive_seed(self.checkpoint_id)

    def stop(self) -> None:
        """Undo every patch and unfreeze the clock (always call, also after a failure)."""
        stack, self._stack = self._stack, None
        try:
            if stack is not None:
                stack.undo()
        finally:
            if self._context is not None and self._context.active:
                self._context.__exit__(None, None, None)

    def check(self) -> None:
        """Replay mode: raise the replay errors the agent may have swallowed, and (strict)
        fail on recorded responses left unused."""
        __tracebackhide__ = True
        if self._context is not None and self.mode == REPLAY:
            self._context.session.raise_errors(strict=self.strict, checkpoint=str(self.path))
            recorded = len(self._recorded_runs())
            # a test that never calls run() only inspects the golden: nothing to compare
            if 0 < self._replayed_runs < recorded:
                raise GoldenMismatchError(
                    "call",
                    f"the golden recorded {recorded} replay.run() call(s); this test made "
                    f"{self._replayed_runs}",
                    checkpoint=str(self.path),
                )

    # -- the call ------------------------------------------------------------------------------
    def run(self, target: Callable[..., Any] | str, *args: Any, **kwargs: Any) -> Any:
        """Record or replay ``target(*args, **kwargs)``; see the class docstring.

        For a coroutine function, returns an awaitable that does the same; for a generator (or
        async generator) function, a generator yielding the same chunks, whose list of chunks is
        the result (consume it fully). A test may call ``run`` several times (a conversation):
        the recorded state is loaded before the first call only, and each call's result and
        final state are compared with those recorded for it.
        """
        __tracebackhide__ = True
        agent, method, name = self._resolve_target(target)
        self._agent = agent
        first = not (self._runs if self.mode == RECORD else self._replayed_runs)
        replaying_first = self.mode == REPLAY and first and agent is not None
        if replaying_first and self.checkpoint.agent_module is not None:
            load_state(agent, self.checkpoint.restore_state())
        before = None
        if self.mode == RECORD and agent is not None:
            before = capture_state(agent)
            if self.transform is not None:  # redacted now, before the recording is checked
                before = Recorded.of(self.transform(before.value, "state", self.node_id))
        if inspect.iscoroutinefunction(method):
            return self._run_async(agent, method, name, before, args, kwargs)
        if inspect.isasyncgenfunction(method):
            return self._run_async_chunks(agent, method, name, before, args, kwargs)
        if inspect.isgeneratorfunction(method):
            return self._run_chunks(agent, method, name, before, args, kwargs)
        result = method(*args, **kwargs)
        self._after(agent, name, before, result)
        return result

    def _run_chunks(
        self,
        agent: Any,
        method: Callable[..., Any],
        name: str,
        before: Recorded | None,
        args: Any,
        kwargs: Any,
    ) -> Iterator[Any]:
        __tracebackhide__ = True
        chunks = []
        for chunk in method(*args, **kwargs):
            chunks.append(chunk)
            yield chunk
        self._after(agent, name, before, chunks)

    async def _run_async_chunks(
        self,
        agent: Any,
        method: Callable[..., Any],
        name: str,
        before: Recorded | None,
        args: Any,
        kwargs: Any,
    ) -> AsyncIterator[Any]:
        __tracebackhide__ = True
        chunks = []
        async for chunk in method(*args, **kwargs):
            chunks.append(chunk)
            yield chunk
        self._after(agent, name, before, chunks)

    async def _run_async(
        self,
        agent: Any,
        method: Callable[..., Awaitable[Any]],
        name: str,
        before: Recorded | None,
        args: Any,
        kwargs: Any,
    ) -> Any:
        __tracebackhide__ = True
        result = await method(*args, **kwargs)
        self._after(agent, name, before, result)
        return result

    def _resolve_target(self, target: Callable[..., Any] | str) -> tuple[Any, Any, str]:
        if isinstance(target, str):
            agent = self.agent if self.mode == REPLAY else self._previous_agent()
            try:
                return agent, getattr(agent, target), target
            except AttributeError:
                raise AttributeError(
                    f"replay.run({target!r}): the agent {type(agent).__qualname__} from "
                    f"{self.path} has no method {target!r}"
                ) from None
        if not callable(target):
            raise TypeError(
                f"replay.run() takes a bound method of an agent or a method name, not "
                f"{type(target).__name__}"
            )
        agent = getattr(target, "__self__", None)
        if inspect.ismodule(agent):
            agent = None
        name = getattr(target, "__name__", repr(target))
        return agent, target, name

    def _previous_agent(self) -> Any:
        """Record mode with a method name: the agent of the existing checkpoint."""
        if not self.path.is_file():
            raise CheckpointNotFoundError(
                [self.path],
                hint="replay.run('method_name') takes the agent from an existing checkpoint "
                "(one saved by your application); to record a new golden, pass a bound method: "
                "replay.run(agent.method, ...)",
            )
        return ReplayEngine(self.load()).rehydrate()

    def _after(self, agent: Any, name: str, before: Recorded | None, result: Any) -> None:
        __tracebackhide__ = True
        if self.mode == RECORD:
            self._runs.append(
                {
                    "agent": agent,
                    "function": name,
                    "before": before,
                    "result": self._recorded(result, "result"),
                    "final_state": None if agent is None else self._final_state(agent),
                }
            )
            return
        self._replayed_runs += 1
        recorded = self._recorded_runs()
        if not recorded:
            return  # a checkpoint made by application code: no golden outcome to compare with
        if self._replayed_runs > len(recorded):
            raise GoldenMismatchError(
                "call",
                f"the golden recorded {len(recorded)} replay.run() call(s); this test makes "
                f"call #{self._replayed_runs} ({name!r})",
                checkpoint=str(self.path),
            )
        outcome = recorded[self._replayed_runs - 1]
        if outcome.get("function") not in (None, name):
            raise GoldenMismatchError(
                "call",
                f"the golden recorded {outcome.get('function')!r}, this test runs {name!r}",
                checkpoint=str(self.path),
            )
        # compared as they are (redacted like the recording), not through a codec round trip:
        # the golden side was decoded from the file, so tuples, sets, datetimes... match
        delta = StateDelta(outcome.get("result"), self._observed(result, "result"))
        if delta:
            raise GoldenMismatchError("result", str(delta), checkpoint=str(self.path))
        if agent is not None and "final_state" in outcome:
            delta = StateDelta(outcome["final_state"], self._observed(agent_state(agent), "state"))
            if delta:
                raise GoldenMismatchError("final state", str(delta), checkpoint=str(self.path))

    def _recorded_runs(self) -> list[dict[str, Any]]:
        """The golden outcomes: the first run's, then those of later runs (``"then"``)."""
        outcome = self.checkpoint.outcome
        if not outcome:
            return []
        return [outcome, *outcome.get("then", ())]

    def _observed(self, value: Any, where: str) -> Any:
        if self.transform is not None:
            return self.transform(value, where, self.node_id)
        return value

    def _recorded(self, value: Any, where: str) -> Recorded:
        return Recorded.of(self._observed(value, where))

    def _final_state(self, agent: Any) -> Recorded:
        state = capture_state(agent)
        if self.transform is not None:
            return Recorded.of(self.transform(state.value, "state", self.node_id))
        return state

    # -- record mode: writing the golden -------------------------------------------------------
    def build_checkpoint(self, trace: Any) -> Checkpoint:
        """The golden checkpoint of a finished record-mode test."""
        run = self._runs[0] if self._runs else {}
        agent = run.get("agent")
        name, module = agent_class_of(agent)
        before: Recorded | None = run.get("before")
        if before is None:
            before = Recorded.of(None)
        outcomes = []
        for recorded in self._runs:
            entry = {"function": recorded["function"], "result": recorded["result"]}
            if recorded["final_state"] is not None:
                entry["final_state"] = recorded["final_state"]
            outcomes.append(entry)
        outcome = None
        if outcomes:
            outcome = outcomes[0]
            if len(outcomes) > 1:
                outcome["then"] = [
                    {k: v.value if isinstance(v, Recorded) else v for k, v in later.items()}
                    for later in outcomes[1:]
                ]
        span_id = self.root_span_id or (trace.root_span.span_id if trace.root_span else "")
        return Checkpoint(
            checkpoint_id=self.checkpoint_id,
            state=before,
            agent_class_name=name,
            agent_module=module,
            trace=trace,
            span_id=span_id,
            timestamp=self.started_at,
            metadata={
                "recorded_by": "pytest-clearstone",
                "test": self.node_id,
                "mock": {
                    st: [p for s, p in self.mock_pairs if s == st] for st, _ in self.mock_pairs
                },
                "strict": self.strict,
            },
            outcome=outcome,
        )

    def save(self, trace: Any, *, metadata: dict[str, Any] | None = None) -> Path:
        """Write the golden checkpoint atomically (directories created); returns its path.

        ``metadata`` is added to the golden's metadata.
        """
        checkpoint = self.build_checkpoint(trace)
        checkpoint.metadata.update(metadata or {})
        checkpoint.write(self.path)
        self._checkpoint = checkpoint
        return self.path
