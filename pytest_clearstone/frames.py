"""Which frames run the plugin's own code: what the debugger leaves out of the stack it walks
and of the steps it takes, and what a failure's traceback is cut after; and the frame of the
agent's function a run ran, kept under ``--pdb`` (:func:`call_keeping_frame`).

The plugin's code is a module of this package, or code of its files that runs in another
module's globals (the shim :mod:`.golden.ids` puts in place of ``uuid.uuid4``'s code, whose frame
names the ``uuid`` module).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
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


def is_users_file(filename: str, rootdir: str = "") -> bool:
    """Whether code in ``filename`` is the user's, not a library's: not installed (in a
    ``site-packages`` directory, the standard library, a frozen module), whether under the
    ``rootdir`` (ending with a separator; ``""``: not known) or not (a monorepo's package
    installed editable, pytest run from a tests directory with no ini file, where the rootdir
    is that directory). The standard library of an environment inside the project (pixi's
    ``.pixi/envs``, conda's ``--prefix``) is a library's; a rootdir inside a library's
    directory holds the user's files."""
    if filename.startswith("<") or any(part in filename for part in _INSTALLED_PARTS):
        return False
    library = max((d for d in _library_dirs() if filename.startswith(d)), key=len, default="")
    return not library or (len(rootdir) > len(library) and filename.startswith(rootdir))


#: what the path of an installed package holds
_INSTALLED_PARTS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    """The directories of the standard library and of installed packages (with a separator at
    the end): code in them is not the user's."""
    import sysconfig

    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    return tuple(os.path.join(os.path.abspath(path), "") for path in sorted(found))


def users_call(
    frame: FrameType | None, *, last: FrameType | None = None, then: Iterable[FrameType] = ()
) -> str:
    """From ``frame`` outwards, the first frame of the user's code and the library function it
    called (a decorator's wrapper passed over for the function it wraps): ``"socket.create_
    connection, called at app.py:14 (in Agent.handle)"``; ``""`` when no frame is the user's, or
    the user's code is ``frame``'s own. The plugin's frames are passed over. ``last``: the
    frame after which the walk goes on to the frames ``then`` (innermost first) instead of its
    caller's (a task's first frame, then what the tasks that started it await). (Walks the
    stack: for a failure's message only.)"""
    inner: list[FrameType] = []  # (the library's frames met, the outermost last)
    rest, past_last = iter(then), False
    while frame is not None:
        if not is_plugins(frame):
            code = frame.f_code
            if is_users_file(code.co_filename):
                if not inner:
                    return ""
                callee = next(
                    (f for f in reversed(inner) if "<locals>" not in _qualified(f.f_code)),
                    inner[-1],
                )
                name = f"{callee.f_globals.get('__name__', '?')}.{_qualified(callee.f_code)}"
                shown = os.path.relpath(code.co_filename)
                if shown.startswith(os.pardir):
                    shown = code.co_filename
                return f"{name}, called at {shown}:{frame.f_lineno} (in {_qualified(code)})"
            inner.append(frame)
        past_last = past_last or frame is last
        frame = next(rest, None) if past_last else frame.f_back
    return ""


def _qualified(code: Any) -> str:
    """The qualified name of the function of ``code`` (its name only before Python 3.11)."""
    return str(getattr(code, "co_qualname", code.co_name))


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
