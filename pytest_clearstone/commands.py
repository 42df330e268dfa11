"""How messages name the command that records a test.

In a module of its own so that the plugin can set, at configure time, how a command names a
test (:func:`name_tests_in_commands`) without importing :mod:`pytest_clearstone.errors`, which a
run that uses no golden never imports.
"""

from __future__ import annotations

from collections.abc import Callable

#: the record command, as a message names it when the test is not known (the command line)
RECORD_COMMAND = "pytest --clearstone-record"


#: how a command names a test, from its node id (the last set: :func:`name_tests_in_commands`)
_command_names: list[Callable[[str], str]] = []


def name_tests_in_commands(convert: Callable[[str], str]) -> Callable[[], None]:
    """Name a test in the commands messages give as ``convert(node_id)``: the plugin sets
    pytest's form relative to the directory pytest was started in (a node id is relative to
    the rootdir), so that a command given to a run started in a subdirectory works there.
    Returns the function that puts back the form it replaced."""
    _command_names.append(convert)

    def restore() -> None:
        _command_names.remove(convert)

    return restore


def record_command(node_id: str = "") -> str:
    """:data:`RECORD_COMMAND` for the test ``node_id``, its node id quoted for a shell: run as
    given, it records that test only, not every golden of the suite."""
    if not node_id:
        return RECORD_COMMAND
    import shlex  # (only for a message)

    if _command_names:
        node_id = _command_names[-1](node_id)
    return f"{RECORD_COMMAND} {shlex.quote(node_id)}"
