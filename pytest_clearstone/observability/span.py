"""The span: one timed, typed operation of an agent's run."""

from __future__ import annotations

import os
import random
import time
from typing import Any

from .. import serialization

STATUSES = ("UNSET", "OK", "ERROR")

_MISSING: Any = object()


def _real_time_ns_anchor() -> tuple[int, int]:
    try:
        import time_machine

        if time_machine.escape_hatch.is_travelling():
            return time_machine.escape_hatch.time.time_ns(), time.perf_counter_ns()
    except ImportError:  # pragma: no cover - time-machine is a dependency
        pass
    return time.time_ns(), time.perf_counter_ns()


# Span times come from the monotonic perf counter anchored to the wall clock once, so spans keep
# real timings even inside a frozen clock (time-machine patches time.time_ns, not perf_counter).
_WALL0, _PERF0 = _real_time_ns_anchor()
_perf_counter_ns = time.perf_counter_ns


def now_ns() -> int:
    """Real wall-clock time in nanoseconds, unaffected by a frozen clock."""
    return _WALL0 + (_perf_counter_ns() - _PERF0)


# Ids come from a private generator so that tracing never consumes values from the global
# `random` stream (which the deterministic replay context seeds).
_ids = random.Random(os.urandom(16))
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(16)))
_getrandbits = _ids.getrandbits


def new_trace_id() -> str:
    return f"{_getrandbits(128):032x}"


def new_span_id() -> str:
    return f"{_getrandbits(64):016x}"


class Recorded:
    """A value recorded on a span, held as its encoded snapshot and decoded on first access.

    Encoding when the value is recorded freezes it: later mutation by the agent does not change
    what was recorded.
    """

    __slots__ = ("_decoded", "_encoded")

    def __init__(self, encoded: Any = _MISSING, decoded: Any = _MISSING) -> None:
        self._encoded = encoded
        self._decoded = decoded

    @classmethod
    def of(cls, value: Any) -> Recorded:
        return cls(encoded=serialization.encode(value))

    @property
    def encoded(self) -> Any:
        if self._encoded is _MISSING:
            self._encoded = serialization.encode(self._decoded)
        return self._encoded

    @property
    def value(self) -> Any:
        if self._decoded is _MISSING:
            self._decoded = serialization.decode(self._encoded)
        return self._decoded

    def fresh_value(self) -> Any:
        """A newly decoded copy that the caller may mutate."""
        return serialization.decode(self.encoded)


class Span:
    """One operation: a name, a type (``llm``, ``tool``, ``database``, ...), timing, status,
    attributes, and the recorded ``input``/``output``/``error``.

    Spans are created by :meth:`Tracer.span <pytest_clearstone.observability.Tracer.span>`;
    those read back from a store or a checkpoint are the same class.
    """

    __slots__ = (
        "__weakref__",
        "_error",
        "_input",
        "_output",
        "_sink",
        "_status_set",
        "attributes",
        "end_time_ns",
        "instrumentation_name",
        "instrumentation_version",
        "name",
        "parent_span_id",
        "seq",
        "span_id",
        "span_type",
        "start_time_ns",
        "status",
        "status_message",
        "trace_id",
    )

    def __init__(
        self,
        *,
        trace_id: str,
        span_id: str,
        parent_span_id: str | None,
        name: str,
        span_type: str | None = None,
        attributes: dict[str, Any] | None = None,
        start_time_ns: int = 0,
        end_time_ns: int | None = None,
        status: str = "UNSET",
        status_message: str | None = None,
        input: Recorded | None = None,
        output: Recorded | None = None,
        error: dict[str, Any] | None = None,
        instrumentation_name: str | None = None,
        instrumentation_version: str | None = None,
        seq: int = 0,
    ) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_span_id = parent_span_id
        self.name = name
        self.span_type = span_type
        self.attributes = attributes if attributes is not None else {}
        self.start_time_ns = start_time_ns
        self.end_time_ns = end_time_ns
        self.status = status
        self.status_message = status_message
        self._input = input
        self._output = output
        self._error = error
        self.instrumentation_name = instrumentation_name
        self.instrumentation_version = instrumentation_version
        self.seq = seq
        self._status_set = False
        self._sink: Any = None

    # -- reading -------------------------------------------------------------------------------
    @property
    def duration_ms(self) -> float | None:
        """Wall time of the span in milliseconds; ``None`` while it is open."""
        if self.end_time_ns is None:
            return None
        return (self.end_time_ns - self.start_time_ns) / 1e6

    @property
    def is_open(self) -> bool:
        return self.end_time_ns is None

    @property
    def input(self) -> Any:
        """The recorded input (for traced calls: a dict of argument name to value)."""
        return None if self._input is None else self._input.value

    @property
    def output(self) -> Any:
        """The recorded output (return value; for generators, the list of yielded chunks)."""
        return None if self._output is None else self._output.value

    @property
    def has_output(self) -> bool:
        return self._output is not None

    @property
    def recorded_input(self) -> Recorded | None:
        return self._input

    @property
    def recorded_output(self) -> Recorded | None:
        return self._output

    @property
    def error(self) -> dict[str, Any] | None:
        """The recorded exception: ``{"type", "module", "message", "args"}``, or ``None``."""
        return self._error

    # -- writing -------------------------------------------------------------------------------
    def set_attribute(self, key: str, value: Any) -> None:
        self.attributes[key] = value

    def set_status(self, status: str, message: str | None = None) -> None:
        """Set ``"UNSET"``, ``"OK"`` or ``"ERROR"``; an explicit status survives the block's exit."""
        status = str(status).upper()
        if status not in STATUSES:
            raise ValueError(f"span status must be one of {STATUSES}, not {status!r}")
        self.status = status
        self.status_message = message
        self._status_set = True

    def set_input(self, value: Any) -> None:
        """Record the operation's input (snapshotted now)."""
        self._input = Recorded.of(value)

    def set_output(self, value: Any) -> None:
        """Record the operation's output (snapshotted now)."""
        self._output = Recorded.of(value)

    def record_exception(self, exc: BaseException) -> None:
        """Record ``exc`` as the span's error and mark the span ERROR (unless set by hand)."""
        self._error = exception_record(exc)
        if not self._status_set:
            self.status = "ERROR"
            self.status_message = f"{type(exc).__name__}: {exc}"

    def to_dict(self) -> dict[str, Any]:
        """The span as a JSON-compatible dict (values encoded by the codec)."""
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "name": self.name,
            "span_type": self.span_type,
            "attributes": serialization.encode(self.attributes),
            "start_time_ns": self.start_time_ns,
            "end_time_ns": self.end_time_ns,
            "status": self.status,
            "status_message": self.status_message,
            "input": None if self._input is None else {"v": self._input.encoded},
            "output": None if self._output is None else {"v": self._output.encoded},
            "error": self._error,
            "instrumentation_name": self.instrumentation_name,
            "instrumentation_version": self.instrumentation_version,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, seq: int = 0, decoded: bool = False) -> Span:
        """Rebuild a span from :meth:`to_dict` output. ``decoded``: values are already decoded."""
        inp, out = d.get("input"), d.get("output")
        attrs = d.get("attributes") or {}

        def rec(box: Any) -> Recorded | None:
            if box is None:
                return None
            return Recorded(decoded=box["v"]) if decoded else Recorded(encoded=box["v"])

        return cls(
            trace_id=str(d["trace_id"]),
            span_id=str(d["span_id"]),
            parent_span_id=d.get("parent_span_id"),
            name=str(d["name"]),
            span_type=d.get("span_type"),
            attributes=attrs if decoded else serialization.decode(attrs),
            start_time_ns=int(d["start_time_ns"]),
            end_time_ns=None if d.get("end_time_ns") is None else int(d["end_time_ns"]),
            status=str(d.get("status") or "UNSET"),
            status_message=d.get("status_message"),
            input=rec(inp),
            output=rec(out),
            error=d.get("error"),
            instrumentation_name=d.get("instrumentation_name"),
            instrumentation_version=d.get("instrumentation_version"),
            seq=seq,
        )

    def __repr__(self) -> str:
        kind = f" [{self.span_type}]" if self.span_type else ""
        dur = "open" if self.end_time_ns is None else f"{self.duration_ms:.2f}ms"
        return f"<Span {self.name!r}{kind} {self.span_id} {self.status} {dur}>"


def exception_record(exc: BaseException) -> dict[str, Any]:
    """The JSON-compatible description of an exception stored on a span."""
    t = type(exc)
    try:
        args = serialization.encode(exc.args)
    except Exception:  # pragma: no cover - encode falls back to repr, never raises unstrict
        args = None
    return {"type": t.__qualname__, "module": t.__module__, "message": str(exc), "args": args}
