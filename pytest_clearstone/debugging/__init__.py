"""Checkpoints and replay: capture an agent's state at a span, replay it deterministically."""

from ..diff import StateDelta
from .checkpoint import FORMAT_NAME, FORMAT_VERSION, Checkpoint
from .context import DeterministicExecutionContext, Responses
from .manager import CheckpointManager
from .replay import PreflightEntry, PreflightReport, ReplayEngine
from .responses import RecordedCall, ReplayCall, ReplaySession

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
