"""Checkpoints and replay under their first import path (kept for compatibility).

The record/replay core lives in :mod:`pytest_clearstone.golden`; this package re-exports its
public names so that ``from pytest_clearstone.debugging import CheckpointManager`` keeps working.
"""

from __future__ import annotations

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
    "ReplayEngine",
    "ReplaySession",
    "Responses",
    "StateDelta",
]
