"""CheckpointManager: create, save, load and list checkpoints in one directory."""

from __future__ import annotations

import datetime as _dt
import errno
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CheckpointNotFoundError, CheckpointPathError, SerializationError
from ..tracing.trace import Trace
from . import signing
from .checkpoint import Checkpoint, refuse_not_a_checkpoint
from .state import agent_class_of, capture_state

CHECKPOINT_SUFFIX = ".ckpt"


def new_checkpoint_id() -> str:
    """``ckpt_<32 hex>``, from the OS random source (never the seeded ``random``/``uuid4``)."""
    return "ckpt_" + os.urandom(16).hex()


class CheckpointManager:
    """Creates, saves, loads and lists checkpoints under ``checkpoint_dir``.

    The directory is created on the first save, not here.
    """

    def __init__(self, checkpoint_dir: str | os.PathLike[str] = ".checkpoints") -> None:
        self.checkpoint_dir = Path(checkpoint_dir)

    def create_checkpoint(
        self,
        agent: Any,
        trace: Trace,
        span_id: str,
        *,
        metadata: dict[str, Any] | None = None,
    ) -> Checkpoint:
        """Capture ``agent``'s state now, at span ``span_id`` of ``trace``.

        Raises :class:`~pytest_clearstone.errors.SpanNotFoundError` when the span is not in the
        trace and :class:`~pytest_clearstone.errors.SerializationError` naming the attribute
        that cannot be encoded.
        """
        if not isinstance(trace, Trace):
            given = f"the string {trace!r}" if isinstance(trace, str) else type(trace).__name__
            raise TypeError(
                f"create_checkpoint() takes a Trace, not {given}: pass "
                f"provider.trace_store.get_trace(trace_id)"
            )
        if metadata is not None and not isinstance(metadata, Mapping):
            raise TypeError(f"metadata must be a dict, not {type(metadata).__name__}")
        if not isinstance(span_id, str) and isinstance(getattr(span_id, "span_id", None), str):
            raise TypeError(
                f"create_checkpoint() takes the span's id (a str), not a "
                f"{type(span_id).__name__}: pass span.span_id"
            )
        trace.get_span(span_id)  # fail early, naming the span and the trace
        name, module = agent_class_of(agent)
        return Checkpoint(
            checkpoint_id=new_checkpoint_id(),
            state=capture_state(agent),
            agent_class_name=name,
            agent_module=module,
            trace=trace,
            span_id=span_id,
            timestamp=_dt.datetime.now(_dt.timezone.utc),
            metadata=dict(metadata) if metadata else {},
        )

    def _target(self, filename: str | os.PathLike[str]) -> Path:
        directory = self.checkpoint_dir.resolve()
        candidate = (directory / filename).resolve()
        if candidate == directory or directory not in candidate.parents:
            raise CheckpointPathError(
                str(filename), self.checkpoint_dir, itself=candidate == directory
            )
        return candidate

    def save_checkpoint(
        self,
        checkpoint: Checkpoint,
        filename: str | os.PathLike[str] | None = None,
        *,
        allow_pickle: bool = False,
        signing_key: signing.SigningKey = signing.FROM_ENV,
    ) -> Path:
        """Write ``checkpoint`` atomically and return its path.

        A value only a pickle could store raises
        :class:`~pytest_clearstone.errors.SerializationError` (nothing is written) unless
        ``allow_pickle``. With a signing key (default: ``CLEARSTONE_SIGNING_KEY`` when set) the
        file is signed, see :mod:`pytest_clearstone.golden.signing`.

        The default name is ``{trace_id}_{checkpoint_id}.ckpt``; a ``filename`` without a suffix
        (or ending in a dot and digits: ``before_payment_12.5``) gets ``.ckpt`` (as
        :meth:`load_checkpoint` finds it). A ``filename`` that would land
        outside the checkpoint directory is refused with
        :class:`~pytest_clearstone.errors.CheckpointPathError`.
        """
        refuse_not_a_checkpoint(checkpoint, "save_checkpoint()")
        if filename is None:
            filename = f"{checkpoint.trace.trace_id}_{checkpoint.checkpoint_id}{CHECKPOINT_SUFFIX}"
        if self.checkpoint_dir.exists() and not self.checkpoint_dir.is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR,
                "the checkpoint directory is not a directory: give CheckpointManager a "
                "directory, or move the file away",
                str(self.checkpoint_dir),
            )
        path = self._target(filename)
        # a bare name, as load_checkpoint takes it, is listed too; so is one whose last dot is
        # followed by a number (an amount, a version, a date: "before_payment_12.5"), not a type
        if not path.suffix or path.suffix[1:].isdigit():
            path = path.with_name(path.name + CHECKPOINT_SUFFIX)
        try:
            checkpoint.write(path, allow_pickle=allow_pickle, signing_key=signing_key)
        except SerializationError as exc:  # (a value only a pickle could store, refused)
            raise exc.saving(path) from None
        return self.checkpoint_dir / path.relative_to(self.checkpoint_dir.resolve())

    def candidates(self, path_or_name: str | os.PathLike[str]) -> list[Path]:
        """The paths :meth:`load_checkpoint` tries, in order."""
        given = Path(path_or_name)
        tried = [given]
        if not given.is_absolute():
            tried.append(self.checkpoint_dir / given)
        if given.suffix != CHECKPOINT_SUFFIX:
            tried += [p.with_name(p.name + CHECKPOINT_SUFFIX) for p in list(tried)]
        return list(dict.fromkeys(tried))

    def load_checkpoint(
        self,
        path_or_name: str | os.PathLike[str],
        *,
        allow_pickle: bool = False,
        signing_key: signing.SigningKey = signing.FROM_ENV,
    ) -> Checkpoint:
        """Load a checkpoint by path, or by name inside the checkpoint directory.

        Raises :class:`~pytest_clearstone.errors.CheckpointNotFoundError` naming every path
        tried, and :class:`~pytest_clearstone.errors.CheckpointError` subclasses for a corrupt
        file or another format or version. Pickles are opt-in: a file holding pickled values
        raises :class:`~pytest_clearstone.errors.UntrustedCheckpointError` before anything is
        decoded unless ``allow_pickle=True``, and with a signing key (default:
        ``CLEARSTONE_SIGNING_KEY`` when set) also unless it carries a valid signature.
        """
        given = Path(path_or_name)
        if given.is_file():  # the usual call, and the first candidate: skip building the rest
            return Checkpoint.read(given, allow_pickle=allow_pickle, signing_key=signing_key)
        tried = self.candidates(path_or_name)
        for path in tried:
            if path.is_file():
                return Checkpoint.read(path, allow_pickle=allow_pickle, signing_key=signing_key)
        # a directory, a device or a FIFO where the checkpoint would be: refused, named as such
        # (the path given, else where the name's checkpoint file would be)
        for path in (given, *(p for p in tried if p.name.endswith(CHECKPOINT_SUFFIX))):
            if path.exists():
                return Checkpoint.read(path, allow_pickle=allow_pickle, signing_key=signing_key)
        raise CheckpointNotFoundError(tried, hint=f"Saved checkpoints: {self._listing()}")

    def _listing(self) -> str:
        """The first saved checkpoints, each by the name that loads it (a subdirectory's with
        its path in the directory), and how many more there are."""
        saved = self.list_checkpoints()
        if not saved:
            return f"none in {self.checkpoint_dir}"
        names = ", ".join(p.relative_to(self.checkpoint_dir).as_posix() for p in saved[:5])
        if len(saved) <= 5:
            return names
        return (
            f"{names} and {len(saved) - 5} more in {self.checkpoint_dir} "
            "(manager.list_checkpoints() lists them all)"
        )

    def list_checkpoints(self) -> list[Path]:
        """The ``.ckpt`` files in the checkpoint directory and below, sorted by path.

        Hidden files (a name starting with ``.``, such as the temporary file of an interrupted
        atomic save) are not listed.
        """
        if not self.checkpoint_dir.is_dir():
            return []
        return sorted(
            p
            for p in self.checkpoint_dir.rglob(f"*{CHECKPOINT_SUFFIX}")
            if p.is_file() and not p.name.startswith(".")
        )

    def __repr__(self) -> str:
        return f"<CheckpointManager {str(self.checkpoint_dir)!r}>"
