"""Hook specifications of pytest-clearstone: implement them in a ``conftest.py`` or a plugin."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .golden.checkpoint import Checkpoint


@pytest.hookspec(firstresult=True)
def pytest_clearstone_redact(value: Any, where: str, target: str, config: pytest.Config) -> Any:
    """Transform a value before it is recorded (record mode): return the replacement, or
    ``None`` to leave it as it is.

    :param value: The value about to be written: a call's arguments (a dict by parameter name),
        a call's return value, a recorded exception (its ``{"type", "module", "message",
        "args"}`` record, and then its status message), the agent's state, or the run's result.
    :param where: ``"input"``, ``"output"``, ``"error"``, ``"state"`` or ``"result"``.
    :param target: The mock target's import path (for ``input``/``output``) or the test's node
        id (for ``state``/``result``).
    :param config: The pytest config.

    Runs before the built-in redaction rules (ini ``clearstone_redact_*``), which then apply to
    what it returns. In replay mode it is applied to the actual call arguments too, before they
    are compared with the recording. Use it to redact secrets or drop volatile values. The first
    non-``None`` result wins.
    """


@pytest.hookspec(firstresult=True)
def pytest_clearstone_match_call(
    target: str, call_number: int, recorded: Any, actual: Any, config: pytest.Config
) -> bool | None:
    """Decide whether a replayed call matches its recording (strict mode).

    :param target: The mock target's import path.
    :param call_number: 1 for the target's first call, and so on.
    :param recorded: The recorded arguments, by parameter name.
    :param actual: The arguments of this call, by parameter name.
    :param config: The pytest config.
    :return: ``True`` (match), ``False`` (divergence), or ``None`` to fall back to equality.
    """


@pytest.hookspec
def pytest_clearstone_checkpoint_saved(
    checkpoint: Checkpoint, path: Path, item: pytest.Item
) -> None:
    """Called after record mode wrote a golden checkpoint for a passing test.

    :param checkpoint: The :class:`~pytest_clearstone.debugging.Checkpoint` written.
    :param path: Where it was written.
    :param item: The test item that recorded it.
    """
