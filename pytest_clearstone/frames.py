"""Which frames run the plugin's own code: what the debugger leaves out of the stack it walks
and of the steps it takes, and what a failure's traceback is cut after; and the frame of the
agent's function a run ran, kept under ``--pdb`` (:func:`call_keeping_frame`).

The plugin's code is a module of this package, or code of its files that runs in another
module's globals (the shim :mod:`.golden.ids` puts in place of ``uuid.uuid4``'s code, whose frame
names the ``uuid`` module).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

#: the directory of this package's files (with a separator at the end)
PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")


def is_plugins(frame: FrameType) -> bool:
    """Whether ``frame`` runs the plugin's code."""
    module = str(frame.f_globals.get("__name__", ""))
    if module == "pytest_clearstone" or module.startswith("pytest_clearstone."):
        return True
    return frame.f_code.co_filename.startswith(PACKAGE_DIR)


def call_keeping_frame(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, FrameType | None]:
    """``fn(*args, **kwargs)``, and the frame of the function of the caller's it ran, which
    keeps its locals after it returned (``self`` of an agent's method): for a coroutine,
    generator or async generator function, the frame of the object it returned, which runs
    later. ``None`` for a builtin, or where a profiler is already set (left as it is)."""
    __tracebackhide__ = True
    if sys.getprofile() is not None:
        return fn(*args, **kwargs), None
    here = sys._getframe()
    found: list[FrameType] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_back is here:
            found.append(frame)
            sys.setprofile(None)

    sys.setprofile(profile)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(None)
    if found:
        return result, found[0]
    for name in ("cr_frame", "gi_frame", "ag_frame"):
        frame = getattr(result, name, None)
        if isinstance(frame, FrameType):
            return result, frame
    return result, None
