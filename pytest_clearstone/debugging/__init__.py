"""Checkpoints and replay under their first import path (kept for compatibility).

The record/replay core lives in :mod:`pytest_clearstone.golden`; this package re-exports its
public names so that ``from pytest_clearstone.debugging import CheckpointManager`` keeps working,
and the replay errors the contract names with them (their home is :mod:`pytest_clearstone.errors`).
"""

from __future__ import annotations

from ..errors import ReplayDivergenceError, ReplayExhaustedError
from ..golden import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Checkpoint,
    CheckpointManager,
    DeterministicExecutionContext,
    PreflightEntry,
    PreflightReport,
    RecordedCall,
    ReplayCall,
    ReplayEngine,
    ReplaySession,
    Responses,
    StateDelta,
)

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
    "ReplayDivergenceError",
    "ReplayEngine",
    "ReplayExhaustedError",
    "ReplaySession",
    "Responses",
    "StateDelta",
]
