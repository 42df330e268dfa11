"""The record/replay core: golden checkpoints, recording live calls, replaying them.

A module per concept: :mod:`.checkpoint` (the model) and :mod:`.document` (the ``.ckpt`` layout),
:mod:`.signing`, :mod:`.manager` (a directory of checkpoints), :mod:`.state` (agent state capture
and restore), :mod:`.mocks` (mock configuration, span scoping), :mod:`.preflight` (what a replay
will mock), :mod:`.targets` (resolving and patching import paths), :mod:`.recorder`,
:mod:`.responses` (replayed answers), :mod:`.context` (frozen clock, seeded randomness),
:mod:`.engine` (``ReplayEngine``), :mod:`.replay` (the golden run behind the ``replay``
fixture) and :mod:`.debugger` (the interactive pdb session, imported only when one starts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# name -> module, imported on first use: the plugin imports golden.mode and golden.paths at
# start-up, and a run that uses no golden must not pay for the rest
_EXPORTS = {
    "FORMAT_NAME": "document",
    "FORMAT_VERSION": "document",
    "Checkpoint": "checkpoint",
    "CheckpointManager": "manager",
    "DeterministicExecutionContext": "context",
    "Mode": "mode",
    "PreflightEntry": "preflight",
    "PreflightReport": "preflight",
    "RecordedCall": "responses",
    "Replay": "replay",
    "ReplayCall": "responses",
    "ReplayEngine": "engine",
    "ReplaySession": "responses",
    "Responses": "responses",
    "StateDelta": "..diff",
}

if TYPE_CHECKING:
    from ..diff import StateDelta as StateDelta
    from .checkpoint import Checkpoint as Checkpoint
    from .context import DeterministicExecutionContext as DeterministicExecutionContext
    from .document import FORMAT_NAME as FORMAT_NAME
    from .document import FORMAT_VERSION as FORMAT_VERSION
    from .engine import ReplayEngine as ReplayEngine
    from .manager import CheckpointManager as CheckpointManager
    from .mode import Mode as Mode
    from .preflight import PreflightEntry as PreflightEntry
    from .preflight import PreflightReport as PreflightReport
    from .replay import Replay as Replay
    from .responses import RecordedCall as RecordedCall
    from .responses import ReplayCall as ReplayCall
    from .responses import ReplaySession as ReplaySession
    from .responses import Responses as Responses

__all__ = sorted(_EXPORTS)


def __dir__() -> list[str]:
    """The module's names with those exported on first use (:func:`__getattr__`)."""
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    if module.startswith(".."):
        return getattr(importlib.import_module(module[1:], "pytest_clearstone"), name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
