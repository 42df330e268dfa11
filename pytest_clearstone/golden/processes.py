"""Errors raised in a process the test's process forked, told to the test's process.

A mocked call refused in a forked child (:class:`~pytest_clearstone.errors.ChildProcessCallError`),
or a connection the network guard blocked there, raises in the child. A pool hands it back to
the test, but where the child's own code swallows it (an ``os.fork()`` child that ends with
``os._exit``, a ``Process`` whose exit code nobody reads, a retry loop) the test's process would
never learn of it, and would pass, or write a golden without the call. So the child also writes
the error to a pipe that every forked process inherits, made at the first fork of the process;
the plugin reads it when a test's call ends (:func:`told`). Nothing is made or read in a process
that never forked.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys

__all__ = ["tell_parent", "told"]

#: [read end, write end] of the pipe, made just before the first fork (both non-blocking)
_pipe: list[int] = []

_HEADER = struct.Struct("!I")
#: the most bytes sent at once: one write of at most PIPE_BUF bytes is never interleaved with
#: another child's (the message is cut to fit; the test's process needs only its beginning)
_LONGEST = 3000


def _before_fork() -> None:
    if not _pipe:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)  # (a full pipe drops a message rather than hang a child)
        _pipe.extend((read, write))


if hasattr(os, "register_at_fork"):  # (not on Windows, which cannot fork)
    os.register_at_fork(before=_before_fork)


def tell_parent(error: BaseException) -> None:
    """In a forked child (the caller knows it is one): send ``error`` (its class and message)
    to the test's process, which :func:`told` gives it to. Nothing happens when the pipe is
    full."""
    if not _pipe:
        return
    cls = type(error)
    payload = "\0".join((cls.__module__, cls.__qualname__, str(error))).encode(errors="replace")
    if len(payload) > _LONGEST:
        payload = payload[:_LONGEST] + b" [...]"
    with contextlib.suppress(OSError):  # (a full pipe: the first errors told are enough)
        os.write(_pipe[1], _HEADER.pack(len(payload)) + payload)


def told() -> list[BaseException]:
    """The errors forked children sent since the last call, in order (each of the class it
    was raised as, holding its message); ``[]`` at once in a process that never forked."""
    if not _pipe:
        return []
    data = b""
    while True:
        try:
            chunk = os.read(_pipe[0], 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    errors: list[BaseException] = []
    while len(data) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(data)
        payload, data = data[_HEADER.size : _HEADER.size + size], data[_HEADER.size + size :]
        module, name, message = payload.decode(errors="replace").split("\0", 2)
        errors.append(_rebuilt(module, name, message))
    return errors


def _rebuilt(module: str, name: str, message: str) -> BaseException:
    """An error of the class named holding ``message`` (its ``__init__`` is not called: its
    parameters are not its message); a ``RuntimeError`` for a class not found."""
    cls = getattr(sys.modules.get(module), name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        return RuntimeError(message)
    error = cls.__new__(cls, message)
    error.args = (message,)
    return error
