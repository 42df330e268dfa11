"""Where a failure found after the test's last ``replay.run()`` is shown: in the frame that made
that call (the test's, or its helper's), so that ``--pdb`` opens there, with ``agent`` and
``replay`` at hand, as for a golden mismatch, not in pluggy's frame above the plugin's hidden
ones.

Recorded responses left unused, a run the golden recorded but the test did not make: the
plugin finds them after the test returned, when no frame of the user's is on the stack. The frame
that called ``run()`` last is kept (its locals outlive its return) and put at the end of such an
error's traceback.
"""

from __future__ import annotations

from types import FrameType, TracebackType

from ..frames import is_plugins

#: the frame that called ``replay.run()`` and the instruction it was at
Caller = tuple[FrameType, int]


def end_traceback_in(exc: BaseException, caller: Caller) -> None:
    """Make ``caller`` the innermost entry of ``exc``'s traceback when every frame in it is the
    plugin's (an error made after the test, not one the agent raised or swallowed, whose
    traceback already ends where it happened)."""
    last = None
    tb = exc.__traceback__
    while tb is not None:
        if not is_plugins(tb.tb_frame):
            return
        last, tb = tb, tb.tb_next
    frame, lasti = caller
    entry = TracebackType(None, frame, lasti, _line_at(frame, lasti))
    if last is None:
        exc.__traceback__ = entry
    else:
        last.tb_next = entry


def _line_at(frame: FrameType, lasti: int) -> int:
    """The source line of the instruction at ``lasti`` in ``frame`` (the ``run()`` call's)."""
    for start, end, line in frame.f_code.co_lines():
        if start <= lasti < end and line is not None:
            return line
    return frame.f_lineno
