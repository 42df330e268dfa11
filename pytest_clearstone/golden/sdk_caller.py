"""The SDK method the agent called that made a mocked call of the same SDK itself.

openai's ``client.vector_stores.file_batches.upload_and_poll(...)`` uploads the files in a
thread pool and calls ``FileBatches.create_and_poll`` with their ids in the order
``concurrent.futures.as_completed`` yields them (a set's order, another on each run). Mocked at
``create_and_poll``, such a call's arguments can differ from the recording in an order the agent
cannot set; the method the agent called can be mocked in its place, its arguments the agent's
own. Looked for only when a replay fails on such a difference, never on a passing replay.
"""

from __future__ import annotations

import inspect
import sys
from types import FrameType

from .state import installed_package

_PLUGIN = "pytest_clearstone"


def sdk_method_calling(target: str) -> str | None:
    """The import path of the public method of ``target``'s own top-level package (``openai``)
    that the agent's code called and that, through that package's code only, made the current
    call of the mocked ``target`` (``openai.resources.vector_stores.file_batches.FileBatches.
    upload_and_poll`` for ``...FileBatches.create_and_poll``); ``None`` when the agent made the
    call itself, or the outermost such frame is not a public function its path reaches, or
    ``target``'s package is not installed (the project's own code: ``app.llm`` called by
    ``app.agent.Agent.run``, whose order the agent's author can set)."""
    package = target.partition(".")[0]
    if not installed_package(package):
        return None
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _top_package(frame) == _PLUGIN:  # the patched target's own
        frame = frame.f_back
    outer = None
    while frame is not None and _top_package(frame) == package:
        outer, frame = frame, frame.f_back
    return None if outer is None else _path_of(outer)


def _top_package(frame: FrameType) -> str:
    return str(frame.f_globals.get("__name__", "")).partition(".")[0]


def _path_of(frame: FrameType) -> str | None:
    """``module.Class.method`` of the function running in ``frame``, when that path is public
    and reaches it (a wrapper, a ``lambda`` or a private helper has none to mock)."""
    module = str(frame.f_globals.get("__name__", ""))
    code = frame.f_code
    qualname = getattr(code, "co_qualname", None)  # (Python 3.11+)
    if qualname is None:
        owner = frame.f_locals.get("self")
        qualname = code.co_name if owner is None else f"{type(owner).__qualname__}.{code.co_name}"
    parts = [*module.split("."), *qualname.split(".")]
    if any(part.startswith(("_", "<")) for part in parts):  # (private, <locals>, <lambda>)
        return None
    found: object = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    try:
        function = inspect.unwrap(found)  # type: ignore[arg-type]
    except ValueError:  # (a cycle of __wrapped__)
        return None
    return f"{module}.{qualname}" if getattr(function, "__code__", None) is code else None
