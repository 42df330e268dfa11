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


@pytest.hookspec(firstresult=True)
def pytest_clearstone_encode(value: Any, config: pytest.Config) -> Any:
    """Store a value of a type the codec does not know, or store a known type your way.

    :param value: A value about to be encoded that is not plain JSON or a built-in type the
        codec stores itself (``tuple``, ``datetime``, ``Decimal``, ...): called for enums,
        dataclasses, models, clients and any other object, nested ones included.
    :param config: The pytest config.
    :return: A JSON-able tree for the value (dicts, lists, strings, numbers, ``None``, or any
        value the codec can encode, which is encoded in turn), or ``None`` to leave the value to
        the codec. The tree is written as ``{"__cs__": "custom", "type": "module:QualName",
        "v": tree}`` and given back to :func:`pytest_clearstone_decode`.

    Asked after the types registered with ``pytest_clearstone.codec.register`` and before the
    codec's own detection. The first non-``None`` result wins. Return quickly for types you do
    not handle: it is called for every such value recorded.
    """


@pytest.hookspec(firstresult=True)
def pytest_clearstone_decode(type_path: str, data: Any, config: pytest.Config) -> Any:
    """Rebuild a value stored by :func:`pytest_clearstone_encode`.

    :param type_path: The class of the stored value, ``"module:QualName"``.
    :param data: The tree the encode hook returned, its nested values already decoded.
    :param config: The pytest config.
    :return: The value, or ``None`` when this implementation does not know ``type_path``.

    Asked for a stored ``custom`` value whose type has no decoder registered with
    ``pytest_clearstone.codec.register``. The first non-``None`` result wins; when every
    implementation returns ``None``, loading fails naming the type.
    """
