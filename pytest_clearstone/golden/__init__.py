"""The record/replay core: golden checkpoints, recording live calls, replaying them.

A module per concept: :mod:`.checkpoint` (the model) and :mod:`.document` (the ``.ckpt`` layout),
:mod:`.signing`, :mod:`.manager` (a directory of checkpoints), :mod:`.state` (agent state capture
and restore), :mod:`.mocks` (mock configuration, span scoping, pre-flight), :mod:`.targets`
(resolving and patching import paths), :mod:`.recorder`, :mod:`.responses` (replayed answers),
:mod:`.context` (frozen clock, seeded randomness), :mod:`.engine` (``ReplayEngine``),
:mod:`.replay` (the golden run behind the ``replay`` fixture) and :mod:`.debugger` (the
interactive pdb session, imported only when one starts).
"""

from __future__ import annotations

from ..diff import StateDelta
from .checkpoint import FORMAT_NAME, FORMAT_VERSION, Checkpoint
from .context import DeterministicExecutionContext
from .engine import ReplayEngine
from .manager import CheckpointManager
from .mocks import PreflightEntry, PreflightReport
from .responses import RecordedCall, ReplayCall, ReplaySession, Responses

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointManager",
    "DeterministicExecutionContext",
    "PreflightEntry",
    "PreflightReport",
    "RecordedCall",
    "ReplayCall",
    "ReplayEngine",
    "ReplaySession",
    "Responses",
    "StateDelta",
]
