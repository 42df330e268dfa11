"""Record or replay: the run's mode, and what each test attempt does under it."""

from __future__ import annotations

import enum


class Mode(str, enum.Enum):
    """The mode of a run (``--clearstone-mode``); :data:`RECORD` and :data:`REPLAY` are also
    the two actions a single test attempt can take (``replay.mode``)."""

    REPLAY = "replay"
    """Every marked test replays from its golden (the default)."""
    RECORD = "record"
    """Every selected marked test runs live and writes its golden."""
    RECORD_MISSING = "record-missing"
    """Tests whose golden does not exist are recorded; the others replay."""
    RECORD_DIVERGED = "record-diverged"
    """Each test replays first; one whose golden is missing, or that fails with a divergence,
    runs again from scratch, live, and is re-recorded (if that run fails the old golden
    stays)."""

    def __str__(self) -> str:
        return self.value


def attempt_action(mode: Mode, *, golden_exists: bool, writes: bool) -> Mode:
    """Whether one test attempt records or replays (:data:`Mode.RECORD` or
    :data:`Mode.REPLAY`) under ``mode``.

    ``writes``: the test's marker names mock targets (a marker without ``mock`` only reads its
    golden and never records). ``golden_exists``: its golden file is there now.
    """
    if not writes or mode is Mode.REPLAY:
        return Mode.REPLAY
    if mode is Mode.RECORD_MISSING or mode is Mode.RECORD_DIVERGED:
        # (record-diverged: the replay attempt; the plugin runs a diverged test again, recording)
        return Mode.REPLAY if golden_exists else Mode.RECORD
    return Mode.RECORD
