"""How much of a value a failure message shows: pytest's verbosity in a test run.

In a module of its own so that the plugin can set it at configure time without importing
anything else: :mod:`pytest_clearstone.diff`, which reads it, is only imported once a golden is
replayed or a delta is built, and a run that uses no golden never imports it.
:mod:`pytest_clearstone.diff` re-exports both functions.
"""

from __future__ import annotations

from collections.abc import Callable

_level = 0


def set_verbosity(level: int) -> Callable[[], None]:
    """Set how state deltas show values: below 2 (the default) long values are shortened around
    where they differ and only the changed lines of a text (with one line of context) are shown;
    from 2 (pytest ``-vv``) everything is shown in full. The plugin sets it from pytest's
    verbosity at configure time. Returns a function that restores the level it replaced."""
    global _level
    previous, _level = _level, int(level)

    def restore() -> None:
        global _level
        _level = previous

    return restore


def get_verbosity() -> int:
    """The level set by :func:`set_verbosity` (pytest's verbosity in a test run)."""
    return _level


_show_all = "-vv"


def set_show_all(option: str) -> Callable[[], None]:
    """Set the option a shortened delta names as showing everything: pytest's ``-vv`` (the
    default), the command line's ``-v``. Returns a function that restores the one replaced."""
    global _show_all
    previous, _show_all = _show_all, option

    def restore() -> None:
        global _show_all
        _show_all = previous

    return restore


def show_all() -> str:
    """The option set by :func:`set_show_all`."""
    return _show_all
