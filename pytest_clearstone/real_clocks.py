"""The clocks the deterministic context leaves real, read together: ``time.monotonic()`` and
``time.perf_counter()`` (asyncio's loop time is the first), which timeouts and durations need.
A replay reads them when it begins, so that a failure can tell a number the agent wrote since
then as a reading of them (:func:`pytest_clearstone.diff.unstable_cause`), without importing
the delta on a passing replay."""

from __future__ import annotations

import time


def real_clock_readings() -> tuple[float, float]:
    """``(time.monotonic(), time.perf_counter())`` now."""
    return time.monotonic(), time.perf_counter()
