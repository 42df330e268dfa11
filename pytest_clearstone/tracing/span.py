"""The span: one timed, typed operation of an agent's run."""

from __future__ import annotations

import contextlib
import itertools
import operator
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .. import codec
from ..codec.nesting import retried
from ..errors import NestingTooDeepError, describe

STATUSES = ("UNSET", "OK", "ERROR")

# attribute values of these types are encoded by the writer without the codec's Python walk
PLAIN_TYPES = frozenset({str, int, bool, float, type(None)})

_MISSING: Any = object()
#: what :meth:`Recorded.read` holds as the stored form of a value its file's index called plain:
#: the value itself, once it is seen to hold no tag key (looked for when first asked for)
_PLAIN: Any = object()


def _real_clocks() -> tuple[Callable[[], int], Callable[[], int]]:
    """The real ``time.time_ns`` and ``time.perf_counter_ns``, also when this module is imported
    under a frozen clock. Both clock libraries are looked up, not imported: tracing must not
    import them (nor, through time-machine, pytest); one not imported yet froze nothing.
    freezegun, while active, has put its frozen functions in ``time`` (its ``api`` module keeps
    the real ones); time-machine patches ``time_ns``, not ``perf_counter_ns``."""
    time_ns, perf_counter_ns = time.time_ns, time.perf_counter_ns
    freezegun: Any = sys.modules.get("freezegun.api")
    if freezegun is not None:
        time_ns = getattr(freezegun, "real_time_ns", time_ns)
        perf_counter_ns = getattr(freezegun, "real_perf_counter_ns", perf_counter_ns)
    time_machine: Any = sys.modules.get("time_machine")
    if time_machine is not None and time_machine.escape_hatch.is_travelling():
        time_ns = time_machine.escape_hatch.time.time_ns
    return time_ns, perf_counter_ns


def _span_clock() -> Callable[[], int]:
    """The clock of span times: the monotonic perf counter anchored to the wall clock once, so
    spans keep real timings inside a frozen clock. The real ``perf_counter_ns`` is held in a
    closure, not a module global: freezegun, while active, replaces every module's attribute
    that is the real function with its frozen one (spans then lasted 0 ms, dated the frozen
    time past the real one)."""
    time_ns, perf_counter_ns = _real_clocks()
    wall0, perf0 = time_ns(), perf_counter_ns()

    def now_ns() -> int:
        """Real wall-clock time in nanoseconds, unaffected by a frozen clock."""
        return wall0 + (perf_counter_ns() - perf0)

    return now_ns


now_ns = _span_clock()


# Ids come from a private generator so that tracing never consumes values from the global
# `random` stream (which the deterministic replay context seeds).
#
# Ids are a random per-process prefix followed by a counter (trace ids: 64 random bits and a
# 64-bit counter; span ids: 40 random bits and a 24-bit counter, with a new prefix every 2**24
# spans). Consecutive ids therefore land next to each other in the store's indexes, so a batch
# of inserts touches a few B-tree pages instead of one random page per span (which made every
# commit rewrite most of the index). A forked child draws new prefixes. The ids come from C-level
# iterators, so taking one is a single atomic ``next()``.
_ids = random.Random(os.urandom(16))
_getrandbits = _ids.getrandbits
_SPAN_COUNTER_BITS = 24
_id_lock = threading.Lock()


_tail = operator.itemgetter(slice(3, None))  # hex(1 << 64 | n) is "0x1" + 16 fixed digits


def _span_id_block() -> Iterator[str]:
    start = 1 << 64 | _getrandbits(64 - _SPAN_COUNTER_BITS) << _SPAN_COUNTER_BITS
    return map(_tail, map(hex, range(start, start + (1 << _SPAN_COUNTER_BITS))))


def _trace_id_stream() -> Iterator[str]:
    return map(_tail, map(hex, itertools.count(1 << 128 | _getrandbits(64) << 64)))


_span_ids = _span_id_block()
_trace_ids = _trace_id_stream()


def _reseed_after_fork() -> None:
    global _span_ids, _trace_ids
    _ids.seed(os.urandom(16))
    _span_ids = _span_id_block()
    _trace_ids = _trace_id_stream()


os.register_at_fork(after_in_child=_reseed_after_fork)


def new_trace_id() -> str:
    """A fresh 128-bit trace id (32 hex digits)."""
    return next(_trace_ids)


def new_span_id() -> str:
    """A fresh 64-bit span id (16 hex digits), unique within a process: increasing under one
    random prefix, drawn again when its counter is used up and in a forked child."""
    global _span_ids
    ids = _span_ids
    span_id = next(ids, None)
    if span_id is None:  # this prefix's counter is used up
        with _id_lock:
            if _span_ids is ids:
                _span_ids = _span_id_block()
        return new_span_id()
    return span_id


class Recorded:
    """A value recorded on a span, held as its encoded snapshot and decoded on first access.

    Encoding when the value is recorded freezes it: later mutation by the agent does not change
    what was recorded.

    The encoded tree is trusted: it was encoded by this process, or read from a file or store
    whose trust was decided when it was read (a checkpoint refuses pickles unless allowed, the
    trace store replaces them by placeholders), so decoding it may unpickle. A value given
    ``decoded`` is never decoded again: :meth:`fresh_value` encodes it and decodes that (one
    :meth:`read` as plain JSON is copied as it is).
    """

    __slots__ = ("_decoded", "_encoded", "_spare")

    def __init__(self, encoded: Any = _MISSING, decoded: Any = _MISSING) -> None:
        self._encoded = encoded
        self._decoded = decoded
        self._spare: list[Any] | None = None

    @classmethod
    def of(cls, value: Any) -> Recorded:
        return cls(encoded=codec.encode(value))

    @classmethod
    def of_storable(cls, value: Any) -> Recorded:
        """:meth:`of`, or a placeholder naming ``value``'s type and depth when it is nested
        deeper than the codec stores (:func:`storable`): what a tracer records of the agent's
        values must not fail the agent's code."""
        try:
            return cls.of(value)
        except NestingTooDeepError as exc:
            return cls.of(too_deep_placeholder(value, exc))

    @classmethod
    def loaded(cls, encoded: Any, decoded: Any) -> Recorded:
        """``decoded``, decoded from ``encoded`` by a loader and held by nothing else: the
        first copy asked for (:meth:`fresh_value`, or :attr:`value`) is that value itself;
        later ones are decoded from ``encoded``."""
        recorded = cls(encoded=encoded)
        recorded._spare = [decoded]
        return recorded

    @classmethod
    def read(cls, value: Any, *, plain: bool = False) -> Recorded:
        """``value`` as a loader decoded it from a file. ``plain``: the file's tag index says
        its part of the file held no tag, so ``value`` is plain JSON, copied as it is (a tag
        key in it is data: an index that left it out did not have it decoded), and its own
        encoded tree when it holds no tag key (looked for when the stored form is first asked
        for: comparing or saving it; else the key is escaped, by encoding the value)."""
        return cls(encoded=_PLAIN if plain else _MISSING, decoded=value)

    @property
    def encoded(self) -> Any:
        encoded = self._encoded
        if encoded is _MISSING or encoded is _PLAIN:
            value = self._decoded
            # (a value read from a file may nest up to MAX_DEPTH levels: looked into with room)
            plain = encoded is _PLAIN and not retried(lambda: codec.holds_tag(value))
            self._encoded = encoded = value if plain else codec.encode(value)
        return encoded

    def encoded_if_known(self, default: Any) -> Any:
        """The encoded tree when it is at hand (read from a file or made when recorded), else
        ``default``: nothing is encoded to answer, except a value :meth:`read` as plain JSON
        that holds a tag key its file's index left out (which escapes the key)."""
        encoded = self._encoded
        if encoded is _PLAIN:
            return self.encoded  # (the value itself, once looked into for a tag key)
        return default if encoded is _MISSING else encoded

    @property
    def value(self) -> Any:
        if self._decoded is _MISSING:
            self._decoded = self.fresh_value()
        return self._decoded

    def fresh_value(self) -> Any:
        """A newly decoded copy that the caller may mutate."""
        spare = self._spare
        if spare:
            try:
                return spare.pop()  # (atomic: two threads never get the same one)
            except IndexError:
                pass
        encoded = self._encoded
        if encoded is _PLAIN:  # (a tag key in it is data: copied, not looked for)
            return codec.copy_tree(self._decoded)
        if encoded is _MISSING:
            encoded = self.encoded
        if type(encoded) in PLAIN_TYPES:  # nothing to copy or decode
            return encoded
        return codec.decode(encoded, allow_pickle=True)

    def __reduce__(self) -> tuple[Any, ...]:
        # copies and pickles carry the encoded snapshot (the _MISSING sentinel does not survive
        # a copy: a copied sentinel would be taken for a value)
        return (Recorded, (self.encoded,))


#: the text of the trace store's placeholder of an integer longer than Python writes as text,
#: given its number of digits (a golden whose call held one refuses it: ``golden.long_integers``)
LONG_INTEGER_TEXT = "<int of about {} digits: longer than Python writes as text>"
#: the text of the trace store's placeholder of a value longer than SQLite stores in one string
#: (``SQLITE_LIMIT_LENGTH``), given its kind, its size and the limit (a golden whose call held
#: one refuses it: ``golden.too_long``)
TOO_LONG_TEXT = (
    "<{} of {} bytes as JSON: more than the trace store holds (SQLite's limit: {} bytes)>"
)
#: the part of :data:`TOO_LONG_TEXT` that every such placeholder holds
TOO_LONG_MARK = "bytes as JSON: more than the trace store holds"


def long_integer_digits(value: Any) -> int:
    """About how many digits ``value`` has when it is an integer longer than Python writes as
    text (``sys.get_int_max_str_digits()``); ``0`` for any other value."""
    if not isinstance(value, int) or isinstance(value, bool):
        return 0
    try:
        str(value)
    except ValueError:
        import math  # (only for such an integer)

        return math.floor(math.log10(abs(value))) + 1
    return 0


def too_deep_placeholder(value: Any, exc: NestingTooDeepError) -> codec.StoredRepr:
    """What a span stores in place of ``value``, nested deeper than the codec stores (``exc``
    says how deep): a placeholder naming its type and depth."""
    kind = describe(value)
    return codec.StoredRepr(
        kind, f"<{kind} nested {exc.depth} levels deep, more than the {exc.limit} levels stored>"
    )


def storable_attributes(attributes: Mapping[Any, Any]) -> dict[Any, Any]:
    """``attributes`` with each value nested deeper than the codec stores replaced by its
    :func:`too_deep_placeholder`: the span, and the batch of spans written with it, is stored
    ("no span is ever dropped silently"). Asked only when encoding them all failed."""
    out = {}
    for key, value in attributes.items():
        try:
            codec.Encoder(warn=False, allow_pickle=False).encode(value)
        except NestingTooDeepError as exc:
            value = too_deep_placeholder(value, exc)
        out[key] = value
    return out


def _recorded(value: Any, decoded: bool, plain: bool = False, encoded: Any = _MISSING) -> Recorded:
    if encoded is not _MISSING:
        return Recorded.loaded(encoded, value)
    if decoded:  # Recorded.read, inline: a call for each value of a golden's spans costs ~7 M
        return Recorded(encoded=_PLAIN if plain else _MISSING, decoded=value)  # per 500 tests
    return Recorded(encoded=value)


class Span:
    """One operation: a name, a type (``llm``, ``tool``, ``database``, ...), timing, status,
    attributes, and the recorded ``input``/``output``/``error``.

    Spans are created by :meth:`Tracer.span <pytest_clearstone.tracing.Tracer.span>`;
    those read back from a store or a checkpoint are the same class.
    """

    __slots__ = (
        "__weakref__",
        "_attrs_tree",
        "_error",
        "_input",
        "_output",
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

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    span_type: str | None
    attributes: dict[str, Any]
    start_time_ns: int
    end_time_ns: int | None
    status: str
    status_message: str | None
    instrumentation_name: str | None
    instrumentation_version: str | None
    seq: int
    _input: Recorded | None
    _output: Recorded | None
    _error: dict[str, Any] | None
    _status_set: bool
    _attrs_tree: Any

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
        init_slots(
            self,
            trace_id,
            span_id,
            parent_span_id,
            name,
            span_type,
            attributes if attributes is not None else {},
            start_time_ns,
            end_time_ns,
            status,
            status_message,
            input,
            output,
            error,
            instrumentation_name,
            instrumentation_version,
            seq,
        )

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
        """Set one attribute (any value the codec can store)."""
        self.attributes[key] = value
        self._attrs_tree = None

    def replace_attributes(self, attributes: dict[str, Any]) -> None:
        """Set all attributes at once (encoded again now if the span has ended)."""
        self.attributes = attributes
        self._attrs_tree = None
        if self.end_time_ns is not None:
            self.freeze_attributes()

    def freeze_attributes(self) -> None:
        """Encode the attributes now, in the caller's thread (so a codec warning is raised
        where the span ends, not in the writer), unless they are plain JSON scalars."""
        attrs = self.attributes
        if attrs and not PLAIN_TYPES.issuperset(map(type, attrs.values())):
            try:
                self._attrs_tree = codec.encode(attrs)
            except NestingTooDeepError:
                self._attrs_tree = codec.encode(storable_attributes(attrs))

    @property
    def attributes_tree(self) -> Any:
        """The attributes as encoded when the span ended (``None``: not encoded yet, or plain
        JSON scalars that need no encoding)."""
        return self._attrs_tree

    def finish(self, exc: BaseException | None = None) -> None:
        """End the span now: ``exc`` is recorded as its error (status ``ERROR``), else the
        status becomes ``OK`` unless set by hand; the attributes are frozen.

        A ``GeneratorExit`` is not an error: it is how a generator's consumer that stops
        reading early closes it (``@tracer.traced`` records such a call ``OK`` too)."""
        if exc is not None and not isinstance(exc, GeneratorExit):
            self.record_exception(exc)
        elif not self._status_set and self._error is None:  # (set_error marked it ERROR)
            self.status = "OK"
        self.freeze_attributes()
        self.end_time_ns = now_ns()

    def set_status(self, status: str, message: str | None = None) -> None:
        """Set ``"UNSET"``, ``"OK"`` or ``"ERROR"``; an explicit status survives the block's
        exit."""
        named = status.upper() if isinstance(status, str) else None
        if named not in STATUSES:
            raise ValueError(
                f"span status must be one of 'UNSET', 'OK' or 'ERROR' (any case), not {status!r}"
            )
        self.status = named
        self.status_message = message
        self._status_set = True

    def set_input(self, value: Any) -> None:
        """Record the operation's input (snapshotted now)."""
        self._input = Recorded.of(value)

    def set_recorded_input(self, recorded: Recorded) -> None:
        """Record the operation's input as already snapshotted (its encoded form)."""
        self._input = recorded

    def set_output(self, value: Any) -> None:
        """Record the operation's output (snapshotted now)."""
        self._output = Recorded.of(value)

    def set_recorded_output(self, recorded: Recorded) -> None:
        """Record the operation's output as already snapshotted (its encoded form)."""
        self._output = recorded

    def record_exception(self, exc: BaseException) -> None:
        """Record ``exc`` as the span's error and mark the span ERROR (unless set by hand)."""
        self.set_error(exception_record(exc), exception_message(exc))

    def set_error(self, record: dict[str, Any], message: str | None) -> None:
        """Store an exception record (as :func:`exception_record` makes it, possibly redacted)
        and mark the span ERROR with ``message`` (unless its status was set by hand)."""
        self._error = record
        if not self._status_set:
            self.status = "ERROR"
            self.status_message = message

    def to_dict(self) -> dict[str, Any]:
        """The span as a JSON-compatible dict (values encoded by the codec)."""
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "name": self.name,
            "span_type": self.span_type,
            "attributes": codec.encode(self.attributes),
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
    def from_dict(
        cls,
        d: dict[str, Any],
        *,
        seq: int = 0,
        decoded: bool = False,
        plain: bool = False,
        encoded: Mapping[str, Any] | None = None,
    ) -> Span:
        """Rebuild a span from :meth:`to_dict` output. ``decoded``: values are already decoded;
        ``plain`` (with ``decoded``): its input and output were not decoded, so those holding no
        tag key are their own encoded trees (nothing to encode again to copy or compare them);
        one holding a tag key anyway (an index that left it out) keeps it as data.
        ``encoded`` (with ``decoded``): the encoded trees of the ``"input"``/``"output"``
        values where they are known and trusted as the values were: answering or comparing a
        call decodes them, not the values encoded again."""
        # built field by field, not through __init__'s 16 keywords: replaying a golden builds
        # every span of its trace, and this is the larger part of loading one
        get = d.get
        attrs = get("attributes") or {}
        end = get("end_time_ns")
        inp, out = get("input"), get("output")
        trees = encoded if decoded and encoded else {}
        span: Span = _new_object(cls)
        init_slots(
            span,
            str(d["trace_id"]),
            str(d["span_id"]),
            get("parent_span_id"),
            str(d["name"]),
            get("span_type"),
            attrs if decoded else codec.decode(attrs),
            int(d["start_time_ns"]),
            None if end is None else int(end),
            str(get("status") or "UNSET"),
            get("status_message"),
            None
            if inp is None
            else _recorded(inp["v"], decoded, plain, trees.get("input", _MISSING)),
            None
            if out is None
            else _recorded(out["v"], decoded, plain, trees.get("output", _MISSING)),
            get("error"),
            get("instrumentation_name"),
            get("instrumentation_version"),
            seq,
        )
        return span

    def __repr__(self) -> str:
        kind = f" [{self.span_type}]" if self.span_type else ""
        dur = "open" if self.end_time_ns is None else f"{self.duration_ms:.2f}ms"
        return f"<Span {self.name!r}{kind} {self.span_id} {self.status} {dur}>"


_new_object = object.__new__


def init_slots(
    span: Span,
    trace_id: str,
    span_id: str,
    parent_span_id: str | None,
    name: str,
    span_type: str | None,
    attributes: dict[str, Any],
    start_time_ns: int,
    end_time_ns: int | None,
    status: str,
    status_message: str | None,
    input: Recorded | None,
    output: Recorded | None,
    error: dict[str, Any] | None,
    instrumentation_name: str | None,
    instrumentation_version: str | None,
    seq: int,
) -> None:
    """Set every slot of ``span``: the one place a span's fields are laid out, used by
    ``Span()``, :meth:`Span.from_dict` and :meth:`Tracer.span
    <pytest_clearstone.tracing.Tracer.span>` (positional arguments: the tracer's hot path)."""
    span.trace_id = trace_id
    span.span_id = span_id
    span.parent_span_id = parent_span_id
    span.name = name
    span.span_type = span_type
    span.attributes = attributes
    span.start_time_ns = start_time_ns
    span.end_time_ns = end_time_ns
    span.status = status
    span.status_message = status_message
    span._input = input
    span._output = output
    span._error = error
    span.instrumentation_name = instrumentation_name
    span.instrumentation_version = instrumentation_version
    span.seq = seq
    span._status_set = False
    span._attrs_tree = None


#: the address in a default repr within an exception's text (tenacity's ``RetryError[<Future
#: at 0x7f... state=finished raised ValueError>]``): another at every run, left out as the
#: codec leaves it out of a stored repr (:data:`~pytest_clearstone.codec.tags.ADDRESS`)
_REPR_ADDRESS = r"(<[^<>]*?) at 0x[0-9a-fA-F]+"


def exception_text(exc: BaseException) -> str:
    """``str(exc)``, without the addresses of the default reprs in it (:data:`_REPR_ADDRESS`);
    a placeholder naming its type when its ``__str__`` fails (recording an exception must
    never raise in its place, nor leave its span open)."""
    try:
        text = str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__} object>"
    if " at 0x" in text:
        import re  # (only for a text holding one)

        text = re.sub(_REPR_ADDRESS, r"\1", text)
    return text


def exception_message(exc: BaseException) -> str:
    """A span's status message for ``exc``: ``"Type: text"``."""
    return f"{type(exc).__name__}: {exception_text(exc)}"


#: how many exceptions of a ``raise ... from`` chain a record keeps (the error and its causes)
CAUSE_DEPTH = 4
#: fields of built-in exceptions kept neither in ``args`` nor in ``__dict__``, recorded with the
#: attributes (an OSError's text names its files)
_FIELDS = ((OSError, ("filename", "filename2")), (ImportError, ("name", "path")))


def group_members(exc: BaseException) -> tuple[BaseException, ...] | None:
    """The exceptions an exception group (``BaseExceptionGroup``, or the ``exceptiongroup``
    backport's on Python 3.10) holds, as it was made from them (``Group(message,
    exceptions)``); ``None`` for another exception."""
    members = getattr(exc, "exceptions", None)
    if (
        not isinstance(members, tuple)
        or not callable(getattr(exc, "derive", None))
        or len(exc.args) != 2
        or not isinstance(exc.args[1], Sequence)  # (a group is made from a sequence)
        or tuple(exc.args[1]) != members
    ):
        return None
    return members


def _slot_values(exc: BaseException) -> dict[str, Any]:
    """The values ``exc`` keeps in the ``__slots__`` of its classes (kept in no ``__dict__``),
    by name: those that are set."""
    values: dict[str, Any] = {}
    for cls in type(exc).__mro__:
        slots = vars(cls).get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if not name.startswith("__") and name not in values:
                with contextlib.suppress(Exception):  # (a slot never set: AttributeError)
                    values[name] = getattr(exc, name)
    return values


def _importable_base(cls: type[BaseException]) -> type | None:
    """The nearest base class of ``cls`` that its module's name reaches, when ``cls`` itself
    is not reached so (a class made at run time, or inside a function); ``None`` when it is."""
    from ..codec.naming import findable  # (only when one raised)

    if findable(cls):
        return None
    return next(
        (base for base in cls.__mro__[1:] if issubclass(base, BaseException) and findable(base)),
        None,
    )


def _class_record(cls: type) -> dict[str, Any]:
    """``{"type", "module"}`` of an exception record: ``cls`` named as a golden names a class
    (:func:`~pytest_clearstone.codec.findable_path`: by the package exporting it, not the private
    module it is written in)."""
    module, _, name = codec.findable_path(cls).partition(":")
    return {"type": name, "module": module}


def exception_record(exc: BaseException, depth: int = 1) -> dict[str, Any]:
    """The JSON-compatible description of an exception stored on a span.

    ``{"type", "module", "message", "args"}`` and, when the exception has any,
    ``"attributes"``, ``"notes"`` (``add_note``) and ``"cause"`` (the record of the exception it
    was raised from, up to :data:`CAUSE_DEPTH` in all) with ``"cause_attributes"``, the names
    of the attributes holding that exception (left out of ``"attributes"``), ``"base"`` (the
    type and module of its nearest importable base class) when no import path reaches its
    class, for an exception
    group ``"exceptions"``
    (the records of the exceptions it holds; its ``args`` then hold its message only), and for
    pydantic's ``ValidationError``
    ``"validation"`` (:mod:`~pytest_clearstone.codec.validation_errors`); values in ``args``,
    ``attributes`` and ``validation`` are codec-encoded, without pickles: a value only a pickle
    could store is a placeholder naming its type (as the trace store, which never holds a
    pickle, would write it; a pickle's text would also be taken for a secret by the recording's
    scan). A span's record stays encoded wherever the span comes from (recorded live, the
    trace store, a checkpoint file):
    :func:`~pytest_clearstone.golden.recorded_errors.rebuild_exception` decodes them, once.
    """
    t = type(exc)
    encoder = codec.Encoder(allow_pickle=False, warn=False)
    grouped = group_members(exc)
    try:
        # (a group's exceptions are records of their own, below: its args keep its message)
        args = encoder.encode(exc.args if grouped is None else exc.args[:1])
    except Exception:  # pragma: no cover - encode falls back to repr, never raises unstrict
        args = None
    record = {**_class_record(t), "message": exception_text(exc), "args": args}
    base = _importable_base(t)
    if base is not None:  # (a class made at run time: botocore's s3.exceptions.NoSuchKey)
        record["base"] = _class_record(base)
    # (pydantic's ValidationError is made from its title and line errors, not from its args)
    from ..codec.validation_errors import validation_error_state  # (only when one raised)

    made_of = validation_error_state(
        exc, encoder.encode, lambda raised: exception_record(raised, depth + 1)
    )
    if made_of is not None:
        record["validation"] = made_of
    if grouped is not None:  # (an asyncio.TaskGroup's: made from its message and exceptions)
        record["exceptions"] = [exception_record(member, depth) for member in grouped]
    attributes = {k: v for k, v in getattr(exc, "__dict__", {}).items() if not k.startswith("__")}
    for base, fields in _FIELDS:
        if isinstance(exc, base):
            attributes.update({k: getattr(exc, k) for k in fields if getattr(exc, k) is not None})
    attributes.update(_slot_values(exc))
    cause = exc.__cause__ if depth < CAUSE_DEPTH else None
    # (SQLAlchemy's DBAPIError keeps the driver's error it was raised from in ``orig``: named
    # here, rebuilt as the cause, where only its repr could be stored)
    cause_at = [k for k, v in attributes.items() if cause is not None and v is cause]
    for name in cause_at:
        del attributes[name]
    if attributes:  # e.g. an SDK error's status code: the agent may branch on it
        # (an SDK error's request and response: stored without the request headers naming
        # the machine and the SDK release, as a stream's are)
        from ..codec.http import answered_without_machine  # (only when one raised)

        answered = {k: answered_without_machine(v) for k, v in attributes.items()}
        record["attributes"] = encoder.encode(answered)
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list) and notes:
        record["notes"] = [str(note) for note in notes]
    if cause is not None:  # (pydantic-ai: the SDK's error)
        record["cause"] = exception_record(cause, depth + 1)
        if cause_at:
            record["cause_attributes"] = cause_at
    return record
