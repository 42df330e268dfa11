"""``end_traceback_in``: an error the plugin made after the test, its traceback's entries all the
plugin's, ends at the frame that called ``replay.run()`` last, at that call's line and column."""

from __future__ import annotations

import itertools
import linecache
import sys
import traceback
from types import FrameType

from pytest_clearstone.golden.caller import Caller, end_traceback_in


def _plugin_error() -> BaseException:
    """A real error raised two calls deep in the plugin's code, this test's entry taken off its
    traceback (as the plugin's own errors found after the test have only the plugin's)."""
    try:
        end_traceback_in(ValueError(), (None, 0))  # type: ignore[arg-type]
    except AttributeError as exc:
        assert exc.__traceback__ is not None
        exc.__traceback__ = exc.__traceback__.tb_next
        return exc
    raise AssertionError("no error raised")


def run() -> Caller:
    """What ``replay.run()`` keeps: the frame that called it and the instruction it was at."""
    caller: FrameType = sys._getframe(1)
    return caller, caller.f_lasti


def _entries(exc: BaseException) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(exc.__traceback__))


def test_an_error_of_the_plugins_ends_at_the_run_call_after_its_own_entries() -> None:
    exc = _plugin_error()
    before = [(e.filename, e.name) for e in _entries(exc)]
    assert len(before) == 2
    caller, line = run(), sys._getframe().f_lineno
    end_traceback_in(exc, caller)
    entries = _entries(exc)
    assert [(e.filename, e.name) for e in entries[:-1]] == before
    last = entries[-1]
    assert (last.filename, last.name, last.lineno) == (__file__, _function_name(), line)
    if sys.version_info >= (3, 11):  # (columns: 3.11+)
        assert linecache.getline(__file__, line)[last.colno : last.end_colno] == "run()"


def test_an_error_with_no_traceback_gets_the_run_call_as_its_only_entry() -> None:
    exc = RuntimeError("after the test")
    caller, line = run(), sys._getframe().f_lineno
    end_traceback_in(exc, caller)
    assert [(e.name, e.lineno) for e in _entries(exc)] == [(_function_name(), line)]


def test_an_error_raised_in_the_users_code_keeps_its_traceback() -> None:
    try:
        raise KeyError("the agent's")
    except KeyError as exc:
        error = exc
    before = _entries(error)
    end_traceback_in(error, run())
    assert _entries(error) == before


def test_the_line_is_that_of_the_instruction_at_the_start_of_its_range() -> None:
    """An instruction at the first offset of a line's range of the code is on that line, not
    on the one before (each range's start is its own, its end the next one's)."""
    frame = sys._getframe()
    ranges = [(s, e, n) for s, e, n in frame.f_code.co_lines() if n is not None and e > s]
    (start, _, first), (after, _, second) = next(
        (a, b) for a, b in itertools.pairwise(ranges) if a[1] == b[0] and a[2] != b[2]
    )
    for lasti, line in ((start, first), (after, second)):
        exc = RuntimeError()
        end_traceback_in(exc, (frame, lasti))
        assert exc.__traceback__ is not None
        assert exc.__traceback__.tb_lineno == line


def _function_name() -> str:
    return sys._getframe(1).f_code.co_name
