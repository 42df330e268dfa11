"""The interactive time-travel debugging session: replay an agent's method under pdb.

Imported only when a session starts (:meth:`ReplayEngine.start_debugging_session
<pytest_clearstone.golden.engine.ReplayEngine.start_debugging_session>`): replaying a golden in
a test never loads pdb.
"""

from __future__ import annotations

import inspect
import pdb
import sys
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ReplayExhaustedError
from .mocks import RULE, MockConfig

if TYPE_CHECKING:
    from .engine import ReplayEngine


class _SessionPdb(pdb.Pdb):
    """Pdb that stops at the first line of the replayed method's body, not at its ``def``."""

    def user_call(self, frame: Any, argument_list: Any) -> None:
        return  # still stepping: the method's first 'line' event stops there


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
    print(banner(engine), file=out)
    print(file=out)
    print(engine.preflight(mock_config), file=out)
    print(file=out)
    method = engine.method(engine.fresh_agent(), function_to_replay)
    debugger = _SessionPdb(skip=["pytest_clearstone*", "asyncio*"], stdin=stdin, stdout=stdout)
    if stdin is not None:
        debugger.use_rawinput = False  # otherwise pdb reads sys.stdin whatever it was given
    ctx = engine.context(mock_config)
    engine.last_error = None
    try:
        with ctx:
            result = debugger.runcall(_call_to_completion, method, args, kwargs)
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
    print(RULE, file=out)
    print(f"--- ✅ Replay finished. Final result: {result!r} ---", file=out)
    return result


def _call_to_completion(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = method(*args, **kwargs)
    if inspect.iscoroutine(result):
        import asyncio

        return asyncio.run(result)
    if inspect.isgenerator(result):
        return list(result)
    return result
