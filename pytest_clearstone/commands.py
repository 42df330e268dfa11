"""How messages name the command that records a test.

In a module of its own so that the plugin can set, at configure time, how a command names a
test (:func:`name_tests_in_commands`) without importing :mod:`pytest_clearstone.errors`, which a
run that uses no golden never imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: the record command, as a message names it when the test is not known (the command line)
RECORD_COMMAND = "pytest --clearstone-record"


#: how a command names a test, from its node id, and the options it repeats (the last set:
#: :func:`name_tests_in_commands`)
_command_forms: list[tuple[Callable[[str], str], str]] = []


def name_tests_in_commands(convert: Callable[[str], str], options: str = "") -> Callable[[], None]:
    """Name a test in the commands messages give as ``convert(node_id)``: the plugin sets
    pytest's form relative to the directory pytest was started in (a node id is relative to
    the rootdir), so that a command given to a run started in a subdirectory works there; and
    begin each command with ``options``, those that choose the run's configuration (``-c
    cfg/ci.ini``: without it the command reads another ini file, whose ``clearstone_mock`` may
    differ). Returns the function that puts back the form it replaced."""
    form = (convert, options)
    _command_forms.append(form)

    def restore() -> None:
        _command_forms.remove(form)

    return restore


def pytest_command(arguments: str) -> str:
    """``pytest ARGUMENTS``, with the options the run's commands repeat before them."""
    options = _command_forms[-1][1] if _command_forms else ""
    return f"pytest {options} {arguments}" if options else f"pytest {arguments}"


def record_command(node_id: str = "") -> str:
    """:data:`RECORD_COMMAND` for the test ``node_id``, its node id quoted for a shell: run as
    given, it records that test only, not every golden of the suite."""
    if not node_id:
        return pytest_command("--clearstone-record")
    import shlex  # (only for a message)

    if _command_forms:
        node_id = _command_forms[-1][0](node_id)
    return pytest_command(f"--clearstone-record {shlex.quote(node_id)}")


def review_hint(rootpath: Path) -> str:
    """How to review goldens a record run writes under ``rootpath``: ``git diff`` where a git
    checkout holds it (``.git`` in it or a folder above: a directory, or a worktree's or a
    submodule's file), else the changes the record run lists (git diff would say "not a git
    repository"). Read only when a summary suggests a record run."""
    if any((folder / ".git").exists() for folder in (rootpath, *rootpath.parents)):
        return "review with git diff"
    return "review what it lists as changed in each golden (no git checkout holds them)"


def rename_command(old: Path, new: Path, shown: Callable[[Path], str] = str) -> str:
    """The shell command that renames the golden ``old`` to ``new`` (each path as ``shown``
    gives it, relative to where the command runs), so that it works as given: ``git mv`` where
    git tracks ``old``, else ``mv`` (git refuses a file it does not track: outside a
    repository, or a golden not added yet); the folder of ``new`` made first where it is not
    there (a test moved to a module that has no goldens yet)."""
    import shlex  # (only for a message)
    import subprocess

    try:  # (a file git does not track: exit status 1)
        tracked = not subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", old.name],
            cwd=old.parent,
            capture_output=True,
            check=False,
        ).returncode
    except OSError:  # (git not installed, or the folder gone)
        tracked = False
    move = f"{'git mv' if tracked else 'mv'} {shlex.quote(shown(old))} {shlex.quote(shown(new))}"
    if new.parent.is_dir():
        return move
    return f"mkdir -p {shlex.quote(shown(new.parent))} && {move}"
