"""The interactive time-travel debugging session: replay an agent's method under pdb.

Imported only when a session starts (:meth:`ReplayEngine.start_debugging_session
<pytest_clearstone.golden.engine.ReplayEngine.start_debugging_session>`): replaying a golden in
a test never loads pdb.
"""

from __future__ import annotations

import contextlib
import inspect
import pdb
import sys
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ReplayExhaustedError
from .mocks import RULE, MockConfig, normalize_mock_config

if TYPE_CHECKING:
    from .engine import ReplayEngine


class _SessionPdb(pdb.Pdb):
    """Pdb whose first stop is the first line of the replayed method's body: not its ``def``,
    nor the code that makes and drives the coroutine or generator the method returns.

    ``first_stop_in`` is the method's code (``None``: stop at the first line outside the
    skipped modules); until pdb stops there, no other frame is stopped in.
    """

    def __init__(self, first_stop_in: CodeType | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.first_stop_in = first_stop_in
        self.user_quit = False

    def set_quit(self) -> None:
        self.user_quit = True  # (q, quit, exit, end of input): the replay is cut short
        super().set_quit()

    def stop_here(self, frame: FrameType) -> bool:
        if self.first_stop_in is not None and frame.f_code is not self.first_stop_in:
            return False
        return super().stop_here(frame)

    def user_line(self, frame: FrameType) -> None:
        self.first_stop_in = None  # from here on, pdb steps as the user tells it
        super().user_line(frame)

    def user_call(self, frame: FrameType, argument_list: Any) -> None:
        return  # still stepping: the method's first 'line' event stops there


#: what the session prints when the user restarts the replay (pdb's restart or run command)
RESTARTED = "🔁 Replay restarted from the checkpoint"

#: what the session prints when the user quits the debugger before the replay ends
STOPPED = "⏹️ Replay stopped: you quit the debugger; the replay did not finish"


def banner(engine: ReplayEngine) -> str:
    """The session's welcome text: the trace, the checkpoint and the rehydrated agent."""
    checkpoint = engine.checkpoint
    return "\n".join(
        [
            "--- 🕰️ Welcome to the Clearstone Time-Travel Debugger ---",
            f"  Trace ID: {checkpoint.trace.trace_id}",
            f"  Checkpoint: {checkpoint.checkpoint_id} (at span: '{checkpoint.span.name}')",
            f"  Agent State: Rehydrated for '{checkpoint.agent_class_path}'",
            "",
            "Dropping into interactive debugger (pdb). Type 'c' to continue execution from "
            "the checkpoint.",
            RULE,
        ]
    )


def debug(
    engine: ReplayEngine,
    function_to_replay: str,
    mock_config: MockConfig | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> Any:
    """Replay ``function_to_replay`` under pdb (see ``ReplayEngine.start_debugging_session``)."""
    out = stdout or sys.stdout
    # first, so that an agent that cannot be rehydrated (its class not importable) or has no
    # such method, or a mock_config of the wrong shape, is refused before the banner says it
    # was rehydrated
    normalize_mock_config(mock_config)
    method = engine.method(engine.fresh_agent(), function_to_replay)
    print(banner(engine), file=out)
    print(file=out)
    print(engine.preflight(mock_config), file=out)
    print(file=out)
    # (the session's own code, and what it calls to drive the method's result: inspect's
    # iscoroutine, asyncio's loop; `s` past the method's end stopped in inspect.py)
    skip = ["pytest_clearstone*", "asyncio*", "inspect"]
    debugger = _SessionPdb(_body_of(method), skip=skip, stdin=stdin, stdout=stdout)
    if stdin is not None:
        debugger.use_rawinput = False  # otherwise pdb reads sys.stdin whatever it was given
    engine.last_error = None
    # (pdb's runcall ends by removing the thread's trace function: coverage.py's, a profiler's;
    # it is put back when the session ends, so the rest of the run is still measured)
    outer_trace = sys.gettrace()
    try:
        while True:
            ctx = engine.context(mock_config)
            try:
                with ctx:
                    result = debugger.runcall(_call_to_completion, method, args, kwargs)
                break
            except pdb.Restart:  # (restart, run): again from the checkpoint, breakpoints kept
                print(RULE, file=out)
                print(f"--- {RESTARTED} ---", file=out)
                method = engine.method(engine.fresh_agent(), function_to_replay)
                debugger.first_stop_in = _body_of(method)
        if debugger.user_quit:  # (pdb swallows its BdbQuit): no result, and calls not made
            print(RULE, file=out)
            print(f"--- {STOPPED} ---", file=out)
            return None
        engine.finish(ctx.session)
    except BaseException as exc:  # report, as the guide's session does, then return
        engine.last_error = exc
        print(RULE, file=out)
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
    finally:
        if sys.gettrace() is not outer_trace:
            sys.settrace(outer_trace)
    print(RULE, file=out)
    print(f"--- ✅ Replay finished. Final result: {result!r} ---", file=out)
    return result


def _body_of(method: Any) -> CodeType | None:
    """The code of the function that ``method`` runs, seen through ``functools.wraps``
    decorators (``@tracer.traced`` among them)."""
    with contextlib.suppress(ValueError):  # a __wrapped__ cycle: the method itself
        method = inspect.unwrap(method)
    code = getattr(method, "__code__", None)
    return code if isinstance(code, CodeType) else None


def _call_to_completion(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = method(*args, **kwargs)
    if inspect.iscoroutine(result) or inspect.isasyncgen(result):
        return _run_to_completion(_completed(result))
    if inspect.isgenerator(result):
        return list(result)
    return result


def _run_to_completion(awaitable: Any) -> Any:
    """Run ``awaitable`` in an event loop of its own, also where a loop already runs in this
    thread (a notebook runs its cells in one): that loop waits, as it waits while pdb reads a
    command, and is the running loop again afterwards. The replay stays in this thread, where
    pdb traces it and the deterministic context counts it as the main flow."""
    import asyncio

    outer = asyncio.events._get_running_loop()
    if outer is None:
        return asyncio.run(awaitable)
    asyncio.events._set_running_loop(None)
    loop = asyncio.new_event_loop()  # (not set as the thread's loop: the notebook's stays)
    try:
        return loop.run_until_complete(awaitable)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
            asyncio.events._set_running_loop(outer)


async def _completed(awaitable_or_stream: Any) -> Any:
    """What a coroutine returns, or the chunks an async generator yields."""
    if inspect.isasyncgen(awaitable_or_stream):
        return [chunk async for chunk in awaitable_or_stream]
    return await awaitable_or_stream
