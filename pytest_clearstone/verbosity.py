"""How much of a value a failure message shows: pytest's verbosity in a test run.

In a module of its own so that the plugin can set it at configure time without importing
anything else: :mod:`pytest_clearstone.diff`, which reads it, is only imported once a golden is
replayed or a delta is built, and a run that uses no golden never imports it.
:mod:`pytest_clearstone.diff` re-exports both functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Setting(Generic[T]):
    """A process-wide setting whose :meth:`set` returns the function that puts back the value it
    replaced."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def set(self, value: T) -> Callable[[], None]:
        previous, self.value = self.value, value

        def restore() -> None:
            self.value = previous

        return restore


_level = _Setting(0)
_show_all = _Setting("-vv")


def set_verbosity(level: int) -> Callable[[], None]:
    """Set how state deltas show values: below 2 (the default) long values are shortened around
    where they differ and only the changed lines of a text (with one line of context) are shown;
    from 2 (pytest ``-vv``) everything is shown in full. The plugin sets it from pytest's
    verbosity at configure time. Returns a function that restores the level it replaced."""
    return _level.set(int(level))


def get_verbosity() -> int:
    """The level set by :func:`set_verbosity` (pytest's verbosity in a test run)."""
    return _level.value


def set_show_all(option: str) -> Callable[[], None]:
    """Set the option a shortened delta names as showing everything: pytest's ``-vv`` (the
    default), the command line's ``-v``. Returns a function that restores the one replaced."""
    return _show_all.set(option)


def show_all() -> str:
    """The option set by :func:`set_show_all`."""
    return _show_all.value
