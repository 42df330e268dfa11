"""The embedded SQLite trace store.

Schema version 1 (``PRAGMA user_version = 1``), one table::

    spans(span_id TEXT PRIMARY KEY, trace_id, parent_span_id, name, span_type, seq,
          start_time_ns, end_time_ns, status, status_message, attributes_json, input_json,
          output_json, error_json, instrumentation_name, instrumentation_version)

``*_json`` columns hold codec trees (see :mod:`pytest_clearstone.codec`) as JSON text, or
NULL. The store never holds a pickle: a value that only a pickle could store is written as a
placeholder naming its type (the span itself is always written), and a pickle found when
reading (an older store, or a hand-made one) becomes such a placeholder too: reading never
unpickles. An open span has ``end_time_ns`` NULL and is rewritten when it ends. The database runs in
WAL mode with a busy timeout, so several threads and processes can write one file.

The schema is checked before anything is written: a SQLite file of another program, or a store
of a newer schema, is refused and left exactly as it was (content, version, journal mode). A
``read_only`` store (the command line's) opens the file with SQLite's read-only mode and never
writes to it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import operator
import os
import sqlite3
import stat
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import codec
from ..codec.fast_json import orjson
from ..codec.nesting import retried
from ..codec.tags import replace_pickles, utf8_text
from ..descriptors import out_of_descriptors, too_many_open
from ..errors import NestingTooDeepError, TraceNotFoundError, TraceStoreError
from ..file_kinds import file_kind
from .span import (
    LONG_INTEGER_TEXT,
    PLAIN_TYPES,
    TOO_LONG_TEXT,
    Recorded,
    Span,
    long_integer_digits,
    storable_attributes,
)
from .trace import Trace

SCHEMA_VERSION = 1

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS spans (
    span_id TEXT PRIMARY KEY,
    trace_id TEXT NOT NULL,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    span_type TEXT,
    seq INTEGER NOT NULL DEFAULT 0,
    start_time_ns INTEGER NOT NULL,
    end_time_ns INTEGER,
    status TEXT NOT NULL DEFAULT 'UNSET',
    status_message TEXT,
    attributes_json TEXT NOT NULL DEFAULT '{}',
    input_json TEXT,
    output_json TEXT,
    error_json TEXT,
    instrumentation_name TEXT,
    instrumentation_version TEXT
);
CREATE INDEX IF NOT EXISTS spans_trace ON spans (trace_id, start_time_ns);
"""

# Each entry migrates a database from version N to N + 1.
_MIGRATIONS: dict[int, str] = {0: _SCHEMA_V1}

_COLUMNS = (
    "span_id, trace_id, parent_span_id, name, span_type, seq, start_time_ns, end_time_ns, "
    "status, status_message, attributes_json, input_json, output_json, error_json, "
    "instrumentation_name, instrumentation_version"
)
# inserts list the columns in the order _row() builds them
_WRITE_COLUMNS = (
    "span_id, trace_id, parent_span_id, name, span_type, seq, start_time_ns, end_time_ns, "
    "status, status_message, instrumentation_name, instrumentation_version, attributes_json, "
    "input_json, output_json, error_json"
)
_INSERT = f"INSERT OR REPLACE INTO spans ({_WRITE_COLUMNS}) VALUES ({', '.join('?' * 16)})"
_INSERT_JSON = (
    f"INSERT OR REPLACE INTO spans ({_WRITE_COLUMNS}) SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(16))
    + " FROM json_each(?)"
)
_REWRITE = (
    "UPDATE spans SET name = ?, status_message = ?, attributes_json = ?, input_json = ?, "
    "output_json = ?, error_json = ? WHERE span_id = ?"
)
_BUSY_TIMEOUT_S = 60.0
_CHUNK = 512  # spans per INSERT statement
# A row with a JSON column longer than this (characters) is bound as parameters instead:
# json_each() hands each of the 16 json_extract() calls the row's JSON afresh, so SQLite parses
# and copies a row once per column (a 20 MB audio payload: 2 s and +878 MB instead of 0.1 s and
# +57 MB). From about 4 KB a parameterized row is also faster than one in the JSON array.
_LARGE_COLUMN = 4096
# SQLite's limit on the bytes of a string and of a row in a default build, for a Python whose
# sqlite3 cannot tell the connection's (3.10); and the room left below it for a row's header
_DEFAULT_LENGTH_LIMIT = 1_000_000_000
_LIMIT_LENGTH = getattr(sqlite3, "SQLITE_LIMIT_LENGTH", 0)
_ROW_ROOM = 64 * 1024
_KEPT_MESSAGE = 4096  # characters of a too long status message kept; bytes of a value's JSON
_inherited_connections: list[sqlite3.Connection] = []  # kept open in forked children
# how a JSON array of rows spells a NUL character (text from the standard library, bytes from
# orjson); in a JSON column's text (escaped twice) it is found too: that row is bound as well
_NUL_ESCAPES: dict[type, Any] = {str: "\\u0000", bytes: b"\\u0000"}

# values orjson writes as they are: the span's plain types but floats, which may be NaN or
# infinite (tagged by the codec, since JSON cannot hold them)
_UNTAGGED_TYPES = PLAIN_TYPES - {float}
_orjson_dumps: Any = getattr(orjson, "dumps", None)
_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_plain_fields = operator.attrgetter(
    "span_id",
    "trace_id",
    "parent_span_id",
    "name",
    "span_type",
    "seq",
    "start_time_ns",
    "end_time_ns",
    "status",
    "status_message",
    "instrumentation_name",
    "instrumentation_version",
)
_NO_VALUES = (None, None, None)
_SQLITE_INTEGERS = (-(2**63), 2**63 - 1)  # the range of SQLite's INTEGER (64 bits)
_NOT_WRITTEN = "not stored: the trace store never holds pickles"
_NOT_READ = "a pickle, not unpickled: reading the trace store never runs one"


def _dumps(tree: Any) -> str:
    """``tree`` as column text, with its pickles replaced by placeholders (and its integers
    longer than Python writes as text: :func:`_long_integers_replaced`)."""
    try:
        text = codec.dumps(tree)
    except ValueError:  # an integer longer than sys.get_int_max_str_digits() allows
        tree = retried(lambda: _long_integers_replaced(tree))
        text = codec.dumps(tree)
    if codec.text_has_pickle(text):  # exact for the codec's own compact text
        text = codec.dumps(replace_pickles(tree, _NOT_WRITTEN))
    return text


def _long_integers_replaced(tree: Any) -> Any:
    """``tree`` with each integer longer than Python writes as text
    (``sys.get_int_max_str_digits()``) replaced by a placeholder giving its length: no span is
    lost for a value in it."""
    t = type(tree)
    if t is dict:
        return {k: _long_integers_replaced(v) for k, v in tree.items()}
    if t is list:
        return [_long_integers_replaced(v) for v in tree]
    digits = long_integer_digits(tree) if t is int else 0
    if digits:
        return {codec.TAG: "repr", "type": "int", "v": LONG_INTEGER_TEXT.format(digits)}
    return tree


def _tree(text: str) -> Any:
    """A column's codec tree, undecoded, its pickles replaced by placeholders (the JSON string
    ``"pickle"`` cannot be spelt without it or an escape)."""
    tree = codec.loads(text, decode_tags=False)
    if '"pickle"' in text or "\\u" in text:
        tree = replace_pickles(tree, _NOT_READ)
    return tree


def _attributes_json(span: Span) -> str:
    attrs = span.attributes
    if not attrs:
        return "{}"
    tree = span.attributes_tree
    if tree is not None:  # encoded when the span ended
        return _dumps(tree)
    # str keys and JSON scalar values need no tags. Checking and dumping run in C without
    # giving up the GIL, so a thread adding attributes meanwhile cannot interleave.
    if (
        _orjson_dumps is not None
        and _UNTAGGED_TYPES.issuperset(map(type, attrs.values()))
        and codec.TAG not in attrs
    ):
        try:
            return str(_orjson_dumps(attrs).decode())
        except TypeError:  # non-str keys, integers wider than 64 bits: the codec handles them
            pass
    # warn=False: this may run in the writer thread; the warning is raised in the recording
    # thread when the span ends (Span._freeze_attributes). No pickles: a placeholder instead.
    attrs = dict(attrs)
    try:
        return _dumps(codec.Encoder(warn=False, allow_pickle=False).encode(attrs))
    except NestingTooDeepError:  # (stored as a placeholder: the batch survives)
        attrs = storable_attributes(attrs)
        return _dumps(codec.Encoder(warn=False, allow_pickle=False).encode(attrs))


def _row(span: Span) -> tuple[Any, ...]:
    inp, out, err = span.recorded_input, span.recorded_output, span.error
    if inp is None and out is None and err is None:
        values: tuple[Any, ...] = _NO_VALUES
    else:
        dumps = _dumps
        values = (
            None if inp is None else dumps(inp.encoded),
            None if out is None else dumps(out.encoded),
            None if err is None else dumps(err),
        )
    return (*_plain_fields(span), _attributes_json(span), *values)


#: the columns of a row (see :func:`_row`) holding a name given by the caller: the span's name
#: (never null) and type, its status message, the tracer's name and version
_SPAN_NAME = 3
#: the columns of a row that may be shortened when it is longer than SQLite stores: the status
#: message, the attributes, the input, output and error
_STATUS_MESSAGE, _ATTRIBUTES, _ERROR = 9, 12, 15
_SHORTENED_COLUMNS = (_STATUS_MESSAGE, _ATTRIBUTES, 13, 14, _ERROR)
_NAME_COLUMNS = (_SPAN_NAME, 4, 9, 10, 11)
# (and their subclasses: a StrEnum span type; SQLite stores a number in a TEXT column as text,
# bytes as a BLOB, read back as bytes)
_BOUND_AS_IS = (str, int, float)


def _with_text_names(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]] | None:
    """``rows`` with each name SQLite cannot store as text (an object of another type, bytes,
    or ``None`` as the span's name) replaced by its ``str()``; ``None`` when there is none."""
    fixed = False
    result = []
    for row in rows:
        bad = [
            i
            for i in _NAME_COLUMNS
            if not isinstance(row[i], _BOUND_AS_IS) and (row[i] is not None or i == _SPAN_NAME)
        ]
        if bad:
            fixed = True
            row = tuple(_text(v) if i in bad else v for i, v in enumerate(row))
        result.append(row)
    return result if fixed else None


def _within_length_limit(rows: list[tuple[Any, ...]], limit: int) -> list[tuple[Any, ...]] | None:
    """``rows`` with the values of each row longer than SQLite stores (``limit`` bytes, for a
    string and for a whole row) replaced, largest first, by placeholders saying so (see
    :func:`_shortened`): the span, and the batch written with it, is stored ("no span is ever
    dropped silently"). ``None`` when no row is too long."""
    budget = limit - _ROW_ROOM
    fixed = False
    result = []
    for row in rows:
        sizes = {i: _byte_size(row[i]) for i in _SHORTENED_COLUMNS}
        others = sum(_byte_size(v) for i, v in enumerate(row) if i not in sizes)
        if others + sum(sizes.values()) > budget:
            fixed = True
            values = list(row)
            while sizes and others + sum(sizes.values()) > budget:
                i = max(sizes, key=sizes.__getitem__)
                values[i] = _shortened(i, values[i], sizes.pop(i), limit)
                others += _byte_size(values[i])
            row = tuple(values)
        result.append(row)
    return result if fixed else None


def _byte_size(value: Any) -> int:
    if type(value) is str:
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    return len(value) if isinstance(value, bytes) else 8


def _shortened(column: int, text: str, size: int, limit: int) -> str:
    """The column ``column`` of a row, ``text`` of ``size`` bytes, as the trace store holds it
    when the row is longer than SQLite stores: an input or output as a placeholder naming its
    kind and size, each long attribute value so, the error's message and arguments so, and
    the status message cut short."""
    if column == _STATUS_MESSAGE:
        return f"{text[:_KEPT_MESSAGE]}... ({TOO_LONG_TEXT.format('message', size, limit)})"
    tree = codec.loads(text, decode_tags=False) if column in (_ATTRIBUTES, _ERROR) else None
    if column == _ATTRIBUTES and type(tree) is dict:
        return _dumps({k: _too_long(v, _KEPT_MESSAGE, limit) for k, v in tree.items()})
    if column == _ERROR and type(tree) is dict:
        message = tree.get("message")
        shortened = dict(tree, args=[], message=_too_long(message, _KEPT_MESSAGE, limit))
        return _dumps(shortened)
    return _dumps(_placeholder(codec.loads(text, decode_tags=False), size, limit))


def _too_long(tree: Any, keep: int, limit: int) -> Any:
    """``tree`` (a value's codec tree), or its placeholder when its JSON is over ``keep``
    bytes."""
    text = _dumps(tree)
    size = _byte_size(text)
    return tree if size <= keep else _placeholder(tree, size, limit)


_KINDS: dict[type, str] = {dict: "dict", list: "list", str: "str"}


def _placeholder(tree: Any, size: int, limit: int) -> dict[str, Any]:
    if type(tree) is dict and type(tree.get(codec.TAG)) is str:
        # (a custom, repr or pickle tag names its type under "type"; a model's, its class under
        # "cls": the placeholder names what the value was, not only its kind of tag)
        kind = str(tree.get("type") or tree.get("cls") or tree[codec.TAG])
    else:
        kind = _KINDS.get(type(tree), "value")
    return {codec.TAG: "repr", "type": kind, "v": TOO_LONG_TEXT.format(kind, size, limit)}


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # (a __str__ that fails)
        return f"<{type(value).__qualname__}>"


def _runs(rows: list[tuple[Any, ...]]) -> list[tuple[bool, list[tuple[Any, ...]]]]:
    """``rows`` cut into consecutive runs of small rows and of large ones (a JSON column longer
    than :data:`_LARGE_COLUMN`), in their order: ``(large, run)`` pairs."""
    limit = _LARGE_COLUMN
    large = [
        j
        for j, r in enumerate(rows)
        if len(r[12]) > limit
        or (r[13] is not None and len(r[13]) > limit)
        or (r[14] is not None and len(r[14]) > limit)
        or (r[15] is not None and len(r[15]) > limit)
    ]
    if not large:  # the usual case
        return [(False, rows)]
    runs: list[tuple[bool, list[tuple[Any, ...]]]] = []
    start = 0
    for j in large:
        if j > start:
            runs.append((False, rows[start:j]))
        if runs and runs[-1][0]:
            runs[-1][1].append(rows[j])
        else:
            runs.append((True, [rows[j]]))
        start = j + 1
    if start < len(rows):
        runs.append((False, rows[start:]))
    return runs


def _span(row: sqlite3.Row | tuple[Any, ...], decode: Callable[[Any], Any] | None = None) -> Span:
    (
        sid,
        tid,
        parent,
        name,
        stype,
        seq,
        start,
        end,
        status,
        msg,
        attrs,
        inp,
        out,
        err,
        iname,
        iver,
    ) = row
    if not attrs or attrs == "{}":
        attributes = {}
    elif decode is None:
        attributes = codec.decode(_tree(attrs))
    else:  # the caller's policy (inspection: no imports)
        attributes = decode(_tree(attrs))
    return Span(
        trace_id=tid,
        span_id=sid,
        parent_span_id=parent,
        name=name,
        span_type=stype,
        attributes=attributes,
        start_time_ns=start,
        end_time_ns=end,
        status=status,
        status_message=msg,
        input=None if inp is None else Recorded(encoded=_tree(inp)),
        output=None if out is None else Recorded(encoded=_tree(out)),
        error=None if err is None else _tree(err),
        instrumentation_name=iname,
        instrumentation_version=iver,
        seq=seq,
    )


def _sqlite_int(value: float) -> int:
    """``value`` as an integer SQLite can bind: one beyond SQLite's 64-bit range (an infinity
    too) is taken as the bound it passes."""
    low, high = _SQLITE_INTEGERS
    return int(min(max(value, low), high))


def _check_integers(values: Iterable[Any]) -> None:
    """A ``TypeError`` unless every value read from a time or sequence column is an integer
    (text, a real: a damaged store)."""
    if not all(type(v) is int for v in values):
        raise TypeError("a time or sequence column is not an integer")


def _damaged(what: str, db_path: str, problem: BaseException, fix: str) -> TraceStoreError:
    """The error for ``what`` (``span 'ID'``, ``trace 'ID'``) found damaged in a store."""
    return TraceStoreError(f"{what} in the trace store {db_path!r} is damaged ({problem}). {fix}")


def _checked_span(
    row: sqlite3.Row | tuple[Any, ...],
    db_path: str,
    decode: Callable[[Any], Any] | None,
    fix: str,
) -> Span:
    """:func:`_span`, with a :class:`TraceStoreError` for a row that is not one we wrote."""
    try:
        span = _span(row, decode)
        ints = [span.start_time_ns, span.seq]
        if span.end_time_ns is not None:
            ints.append(span.end_time_ns)
        _check_integers(ints)
        if not isinstance(span.attributes, dict) or not isinstance(span.error, (dict, type(None))):
            raise TypeError("the attributes or error column is not a JSON object")
    except (ValueError, TypeError, RecursionError) as exc:  # not JSON, not UTF-8, wrong types
        raise _damaged(f"span {row[0]!r}", db_path, exc, fix) from None
    return span


_REQUIRED_COLUMNS = frozenset(f"{_COLUMNS}, {_WRITE_COLUMNS}".replace(",", " ").split())


def is_our_spans_table(columns: Collection[str]) -> bool:
    """Whether a ``spans`` table of these column names is a pytest-clearstone trace store's."""
    return _REQUIRED_COLUMNS.issubset(columns)


def _schema(conn: sqlite3.Connection, db_path: str, fix: str) -> Literal["empty", "current"]:
    """What ``conn``'s database is, read without writing anything: ``"empty"`` (no tables yet)
    or ``"current"`` (our schema); a :class:`TraceStoreError` for anything else."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = sorted(
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    )
    if version > SCHEMA_VERSION:
        raise TraceStoreError(
            f"the trace store {db_path!r} has schema version {version}; this pytest-clearstone "
            f"reads up to {SCHEMA_VERSION}: upgrade pytest-clearstone (the file was left as it is)"
        )
    if not tables and version == 0:
        return "empty"
    if "spans" in tables:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(spans)")}
        if is_our_spans_table(columns):
            return "current"
        if "span_type" not in columns and {"span_id", "trace_id", "name"} <= columns:
            import shlex  # (only for a message)

            raise TraceStoreError(
                f"{db_path!r} holds a 'spans' table of another tool (clearstone-sdk?); convert "
                f"it with: python -m pytest_clearstone import-clearstone {shlex.quote(db_path)} "
                "DEST_DIR"
            )
    shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "") or "none"
    raise TraceStoreError(
        f"{db_path!r} is not a pytest-clearstone trace store: it is another program's SQLite "
        f"database (tables: {shown}; user_version {version}) and was left as it is. {fix}"
    )


def _refuse_triggers(conn: sqlite3.Connection, db_path: str, fix: str) -> None:
    """Refuse to write to a database holding a trigger: pytest-clearstone creates none, and one
    (in a shared or hand-made store) runs SQL on every write, which can change the spans a
    recording's golden is built from. Reading runs no trigger: inspection reads such a store."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    if names:
        what = "a trigger" if len(names) == 1 else "triggers"
        raise TraceStoreError(
            f"the trace store {db_path!r} holds {what} ({', '.join(map(repr, names))[:200]}), "
            "which pytest-clearstone never creates: it would run on every write and could "
            f"change the spans recorded; the file was left as it is. {fix}"
        )


def _uncapitalized(fix: str) -> str:
    """``fix``, a sentence of advice, to follow "or" in another one."""
    return fix[:1].lower() + fix[1:]


def _while_locked(fn: Callable[[], Any], db_path: str, fix: str) -> Any:
    """``fn()``, called again while SQLite says the database is locked or busy, for up to the
    busy timeout (a :class:`TraceStoreError` after it, ending with ``fix``: how to point the
    store elsewhere); other errors are raised as they are."""
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise TraceStoreError(
                    f"trace store {db_path!r} stayed locked for {_BUSY_TIMEOUT_S:g}s: another "
                    "process holds a write transaction on it (a program with the file open, a "
                    f"run that hung). End it, or {_uncapitalized(fix)}"
                ) from None
            time.sleep(0.01)


def _roll_back(conn: sqlite3.Connection) -> None:
    """End the failed transaction of ``conn``, unless SQLite ended it already (it rolls back
    by itself when a write fails for a full disk or a lack of memory): the error raised is the
    write's, never a ROLLBACK's "no transaction is active"."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


_NO_FILE = "no such file"
_DIRECTORY = "it is a directory"


def _not_a_file(path: str) -> str | None:
    """What is at the store's ``path`` when it is no regular file (links followed):
    :data:`_NO_FILE`, ``"it is a directory"``, ``"it is a FIFO, not a regular file"``, a link
    to nothing; ``None``
    for a regular file, or when it cannot be told (SQLite then says why it cannot open it)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):  # (writing through it would create a file where it points)
            return "it is a link to a file that does not exist"
        return _NO_FILE
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return _DIRECTORY
    return f"it is a {file_kind(mode)}, not a regular file"


def _links_to_nothing(path: Path) -> bool:
    """Whether ``path`` is a symbolic link whose target does not exist."""
    return path.is_symlink() and not path.exists()


#: the errors of a write this user may not make: no permission, a file system mounted read-only
_NOT_ALLOWED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def unwritable(path: str | os.PathLike[str]) -> str | None:
    """What keeps this user from writing the SQLite file at ``path``: the file itself, or its
    directory, where SQLite makes the journal of a write (``-wal`` and ``-shm`` files), or
    makes the file when there is none yet; ``None`` when neither does. SQLite says only
    "attempt to write a readonly database" ("unable to open database file", of a new one)."""
    writable = os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)
    denied = f"its directory cannot be written ({os.strerror(errno.EACCES)}), where SQLite makes"
    if not os.path.lexists(path):
        return None if writable else f"{denied} the file"
    try:
        os.close(os.open(path, os.O_WRONLY))  # (opened, not written: the file stays as it is)
    except OSError as exc:
        return f"the file cannot be written ({exc.strerror})"
    journal = [f"{os.fspath(path)}-wal", f"{os.fspath(path)}-shm"]
    if all(os.access(p, os.W_OK) for p in journal):  # (the open journal of a running writer)
        return None
    return None if writable else f"{denied} the journal of a write"


def _read_only_uri(path: str, *, immutable: bool = False) -> str:
    # as_uri() percent-encodes '?', '#', '%' and spaces, so any file name is safe here
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    return uri + "&immutable=1" if immutable else uri


@dataclass(frozen=True)
class TraceSummary:
    """One line of :meth:`TraceStore.list_traces`."""

    trace_id: str
    root_name: str | None
    start_time_ns: int
    end_time_ns: int | None
    span_count: int
    error_count: int

    @property
    def duration_ms(self) -> float | None:
        if self.end_time_ns is None:
            return None
        return (self.end_time_ns - self.start_time_ns) / 1e6


#: the stores providers write through (those given a ``before_read`` that flushes them), which
#: a read of the same file through another store flushes first
_flushing_stores: weakref.WeakSet[TraceStore] = weakref.WeakSet()


def _file_key(db_path: str) -> str:
    """What identifies a database file among the paths that name it (relative, through links)."""
    return os.path.normcase(os.path.realpath(db_path))


class TraceStore:
    """Reads and writes spans in one SQLite database (``":memory:"`` allowed).

    A store obtained from :attr:`TracerProvider.trace_store` first flushes the provider's pending
    spans, so :meth:`get_trace` always sees every span opened before it was called.
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str] = "traces.db",
        *,
        read_only: bool = False,
        decode: Callable[[Any], Any] | None = None,
        before_read: Callable[[], None] | None = None,
    ) -> None:
        """``read_only``: open the file with SQLite's read-only mode; nothing is ever written
        (the file must exist and be a store of this schema). ``decode``: how the codec tree of a
        span's attributes becomes values (default: :func:`codec.decode`; pickles are replaced by
        placeholders before either sees them); inspection passes one that never imports.
        ``before_read``: called before each read (a provider flushes its pending spans)."""
        self.db_path = str(db_path)
        self.read_only = read_only
        self._decode = decode
        self._empty = False  # a read-only store on a database with no tables yet
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._before_read = before_read
        #: the database file as the stores of this process that write it are keyed (``None``:
        #: in memory, its own database)
        self._file_key = None if self.is_memory else _file_key(self.db_path)
        if before_read is not None and self._file_key is not None:
            _flushing_stores.add(self)
        self._json_insert: bool | None = None  # whether SQLite has json_each (JSON1)
        #: how to point the store at another file, told when its file is not a usable store
        #: (the pytest plugin names its options)
        self.elsewhere = "another db_path"

    @property
    def is_memory(self) -> bool:
        return self.db_path == ":memory:" or self.db_path.startswith("file::memory:")

    # -- connection ----------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        conn = self._conn
        if conn is None:
            conn = self._conn = self._open()
        return conn

    @property
    def _fix(self) -> str:
        """The advice ending a message about a file that is not a usable store."""
        if self.read_only:
            return "Inspection reads trace stores written by pytest-clearstone only"
        return f"{self._elsewhere_fix}, or move the file away"

    @property
    def _elsewhere_fix(self) -> str:
        return f"Point the trace store elsewhere ({self.elsewhere})"

    @property
    def _damaged_fix(self) -> str:
        if self.read_only:  # a read-only command never advises deleting a file
            return "Inspection leaves the file as it is"
        return "Delete or move the file to start a new store"

    def _failed_to_open(
        self, conn: sqlite3.Connection | None, exc: BaseException, verb: str
    ) -> TraceStoreError:
        """Close a connection that could not be set up; the error to raise for ``exc``."""
        # (looked at before the connection frees its file; SQLite says only "unable to open
        # database file" when the process has as many files open as it may)
        starved = not isinstance(exc, TraceStoreError) and out_of_descriptors()
        if conn is not None:
            conn.close()
        if isinstance(exc, TraceStoreError):
            return exc
        problem = too_many_open() if starved else self._unwritable(exc)
        if problem is None:
            problem = f"{exc}. {self._fix}"
        return TraceStoreError(f"cannot {verb} the trace store {self.db_path!r}: {problem}")

    def _unwritable(self, exc: BaseException) -> str | None:
        """What this user cannot write, and the fix, when ``exc`` refused a write of the store:
        SQLite's "readonly database", or a directory of it that could not be made (a read-only
        checkout: there, nothing can be moved away); ``None`` for any other error."""
        if self.read_only:
            return None
        if isinstance(exc, OSError) and exc.errno in _NOT_ALLOWED:
            return f"{exc}. {self._elsewhere_fix}"
        refused = ("readonly database", "unable to open database file")
        what = unwritable(self.db_path) if any(r in str(exc) for r in refused) else None
        return None if what is None else f"{what}. {self._elsewhere_fix}"

    def _open_read_only(self) -> sqlite3.Connection:
        what = _not_a_file(self.db_path)
        if what is not None:
            raise TraceStoreError(f"cannot open the trace store {self.db_path!r}: {what}")
        conn: sqlite3.Connection | None = None
        try:
            try:
                conn = self._connect_read_only(immutable=False)
                kind = _schema(conn, self.db_path, self._fix)
            except sqlite3.OperationalError:
                # a WAL database in a directory we cannot write to (no -shm file can be made):
                # with no -wal file there is no writer, and the file alone is the whole store
                if Path(f"{self.db_path}-wal").exists():
                    raise
                if conn is not None:
                    conn.close()
                conn = self._connect_read_only(immutable=True)
                kind = _schema(conn, self.db_path, self._fix)
        except (TraceStoreError, sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise self._failed_to_open(conn, exc, "read") from None
        self._empty = kind == "empty"
        return conn

    def _connect_read_only(self, *, immutable: bool) -> sqlite3.Connection:
        return sqlite3.connect(
            _read_only_uri(self.db_path, immutable=immutable),
            uri=True,
            timeout=_BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
        )

    def _open(self) -> sqlite3.Connection:
        if self.read_only:
            return self._open_read_only()
        conn: sqlite3.Connection | None = None
        what = None if self.is_memory else _not_a_file(self.db_path)
        if what is not None and what != _NO_FILE:  # (SQLite would wait on a FIFO or fail)
            fix = self._fix
            if what == _DIRECTORY:  # (its name is the store's own: point elsewhere, not move it)
                what, fix = f"{what}, not a trace store file", self._elsewhere_fix
            raise TraceStoreError(f"cannot open the trace store {self.db_path!r}: {what}. {fix}")
        try:
            if not self.is_memory:  # (a read-only checkout: PermissionError, said as the rest)
                self._make_directory()
            conn = sqlite3.connect(
                self.db_path,
                timeout=_BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
            )
            opened = conn

            def set_up() -> None:
                # before any write: a foreign or newer file is refused exactly as it was
                _schema(opened, self.db_path, self._fix)
                _refuse_triggers(opened, self.db_path, self._fix)
                if not self.is_memory:
                    opened.execute("PRAGMA journal_mode=WAL")
                    opened.execute("PRAGMA synchronous=NORMAL")

            # another process setting up the same new file (pytest-xdist workers starting
            # together) holds it for a moment: switching it to WAL then fails at once with
            # "database is locked", without waiting for the busy timeout
            _while_locked(set_up, self.db_path, self._elsewhere_fix)
            self._migrate(conn)
            if self._json_insert is None:
                try:
                    conn.execute("SELECT count(*) FROM json_each('[1]')").fetchone()
                    self._json_insert = True
                except sqlite3.OperationalError:  # SQLite built without JSON1
                    self._json_insert = False
        except (TraceStoreError, sqlite3.DatabaseError, UnicodeDecodeError, OSError) as exc:
            raise self._failed_to_open(conn, exc, "open") from None
        return conn

    def _make_directory(self) -> None:
        """Make the directories of the store's file; a :class:`TraceStoreError` naming a link
        among them to a directory that does not exist (nothing is made through it)."""
        directory = Path(self.db_path).parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            link = next((p for p in (directory, *directory.parents) if _links_to_nothing(p)), None)
            if link is None:
                raise
            raise TraceStoreError(
                f"cannot open the trace store {self.db_path!r}: {str(link)!r} is a link to "
                f"{os.readlink(link)!r}, which does not exist. Create that directory, or "
                f"{_uncapitalized(self._elsewhere_fix)}"
            ) from None

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        self._retry(lambda: self._migrate_locked(conn))

    def _migrate_locked(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise TraceStoreError(
                    f"the trace store {self.db_path!r} has schema version {version}; this "
                    f"pytest-clearstone reads up to {SCHEMA_VERSION}: upgrade pytest-clearstone"
                )
            if version == 0 and _schema(conn, self.db_path, self._fix) == "current":
                version = SCHEMA_VERSION  # a store of before the version number
            while version < SCHEMA_VERSION:
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                version += 1
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            _roll_back(conn)
            raise

    def _retry(self, fn: Callable[[], Any]) -> Any:
        try:
            return _while_locked(fn, self.db_path, self._elsewhere_fix)
        except sqlite3.OperationalError as exc:
            refused = self._unwritable(exc)
            if refused is not None:
                raise TraceStoreError(
                    f"cannot write the trace store {self.db_path!r}: {refused}"
                ) from None
            fix, text = "", str(exc)
            if ("disk is full" in text or "disk I/O error" in text) and not self.read_only:
                check = (
                    "Free space on its disk"
                    if "full" in text
                    else "Check its disk (free space, a file size limit)"
                )
                fix = f". {check}, or {_uncapitalized(self._fix)}"
            raise TraceStoreError(f"trace store {self.db_path!r}: {exc}{fix}") from None
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a damaged file
            raise TraceStoreError(
                f"the trace store {self.db_path!r} is damaged ({exc}). {self._damaged_fix}"
            ) from None

    # -- writing -------------------------------------------------------------------------------
    def _opened_read_only(self) -> TraceStoreError:
        return TraceStoreError(f"the trace store {self.db_path!r} was opened read-only")

    def write_spans(self, spans: Iterable[Span]) -> int:
        """Insert or update ``spans`` in one transaction; returns how many were written."""
        spans = list(spans)
        if not spans:
            return 0
        if self.read_only:
            raise self._opened_read_only()
        rows = [_row(s) for s in spans]
        try:
            return self._write_rows(rows)
        except UnicodeEncodeError:  # a lone surrogate in a name or a message: as its escape
            return self._write_rows(
                [tuple(utf8_text(v) if type(v) is str else v for v in row) for row in rows]
            )
        except (TraceStoreError, OverflowError):  # (OverflowError: a text over 2 GB)
            # looked for only once a write failed: a name SQLite cannot store, or a value longer
            # than it stores, would otherwise fail this batch, and every later one, for good
            named = _with_text_names(rows)
            limited = _within_length_limit(named or rows, self._length_limit())
            storable = limited or named
            if storable is None:
                raise
            return self._write_rows(storable)

    def rewrite_texts(self, trace_ids: Iterable[str], change: Callable[[str, bool], str]) -> int:
        """Rewrite the stored spans of the traces ``trace_ids``: their name (a test's node id,
        which holds its parameters), their status message and the JSON text of their
        attributes, input, output and error become ``change(text, is_json)``. Returns how
        many spans changed (only those are written). The space the old texts took is
        overwritten with zeros (SQLite's ``secure_delete``), not left in the file's pages."""
        ids = list(dict.fromkeys(trace_ids))
        rows: list[Any] = []
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            rows += self._query(
                "SELECT span_id, name, status_message, attributes_json, input_json, "
                "output_json, error_json FROM spans "
                f"WHERE trace_id IN ({', '.join('?' * len(chunk))})",
                tuple(chunk),
            )
        updates = []
        for span_id, *texts in rows:
            new = [
                change(text, i > 1) if type(text) is str else text for i, text in enumerate(texts)
            ]
            if new != texts:
                updates.append((*new, span_id))
        if not updates:
            return 0
        with self._lock:
            conn = self._connection()

            def tx() -> None:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(_REWRITE, updates)
                    conn.execute("COMMIT")
                except BaseException:
                    _roll_back(conn)
                    raise

            was = int(conn.execute("PRAGMA secure_delete").fetchone()[0])
            conn.execute("PRAGMA secure_delete = 1")
            try:
                self._retry(tx)
            finally:
                conn.execute(f"PRAGMA secure_delete = {was}")
        return len(updates)

    def _length_limit(self) -> int:
        """The most bytes SQLite stores in one string, and in one row (``SQLITE_LIMIT_LENGTH``)."""
        with self._lock:
            getlimit = getattr(self._connection(), "getlimit", None)  # (Python 3.11+)
            return _DEFAULT_LENGTH_LIMIT if getlimit is None else int(getlimit(_LIMIT_LENGTH))

    def _write_rows(self, all_rows: list[tuple[Any, ...]]) -> int:
        # Each chunk of small rows goes to SQLite as one JSON array expanded by json_each(): one
        # statement, so the GIL is released once per chunk instead of once per row. Chunks bound
        # the memory of a large backlog (rows, JSON text, SQLite's parse of it). Large rows are
        # bound as parameters (see _LARGE_COLUMN), in their place in the order of the rows.
        chunks: list[tuple[str, Any]] = []
        for i in range(0, len(all_rows), _CHUNK):
            for large, rows in _runs(all_rows[i : i + _CHUNK]):
                payload: str | bytes | None = None
                if not large and self._json_insert is not False:
                    try:
                        payload = _orjson_dumps(rows) if _orjson_dumps else _json_dumps(rows)
                    except (TypeError, ValueError):  # integers wider than 64 bits, surrogates
                        payload = None
                    # a text holding a NUL character: json_extract's text would end there
                    if payload is not None and _NUL_ESCAPES[type(payload)] in payload:
                        payload = None
                if payload is None:  # (bytes, which JSON cannot hold, may be among the names)
                    chunks.append(("rows", _with_text_names(rows) or rows))
                else:
                    chunks.append(("json", payload))
        with self._lock:
            conn = self._connection()

            def tx() -> None:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for kind, data in chunks:
                        if kind == "json":
                            conn.execute(_INSERT_JSON, (data,))
                        else:
                            conn.executemany(_INSERT, data)
                    conn.execute("COMMIT")
                except BaseException:
                    _roll_back(conn)
                    raise

            self._retry(tx)
        return len(all_rows)

    # -- reading -------------------------------------------------------------------------------
    def _no_file(self) -> bool:
        """Whether the store is a file not made yet (not opened, and not on disk)."""
        return self._conn is None and not self.is_memory and not Path(self.db_path).exists()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        if self._before_read is not None:
            self._before_read()
        if self._file_key is not None and _flushing_stores:
            self._flush_others()
        with self._lock:
            if self._no_file() and not self.read_only:
                return []
            conn = self._connection()
            if self._empty:
                return []
            return list(self._retry(lambda: conn.execute(sql, params).fetchall()))

    def _flush_others(self) -> None:
        """Write the spans the other providers of this process queued for this database file
        (two providers on one file, or a store opened on a provider's file): a read sees every
        span opened so far. A provider whose write fails keeps its spans and raises the error
        from its own next flush, not from this read."""
        for store in list(_flushing_stores):
            if store is not self and store._file_key == self._file_key:
                flush = store._before_read
                if flush is not None:
                    with contextlib.suppress(Exception):
                        flush()

    def get_trace(self, trace_id: str) -> Trace:
        """The trace with ``trace_id``, open spans included (``end_time_ns`` is ``None``).

        Raises :class:`~pytest_clearstone.errors.TraceNotFoundError` (a ``LookupError``) naming
        the id and the database when no span of that trace is stored.
        """
        rows = self._query(f"SELECT {_COLUMNS} FROM spans WHERE trace_id = ?", (trace_id,))
        if not rows:
            # a span's id given for its trace's (span.span_id for span.trace_id)?
            span = self._query("SELECT name, trace_id FROM spans WHERE span_id = ?", (trace_id,))
            raise TraceNotFoundError(
                trace_id,
                self.db_path,
                in_memory=self.is_memory,
                span_of=span[0] if span else None,
                no_file=self._no_file(),
            )
        fix = self._damaged_fix
        return Trace(trace_id, [_checked_span(r, self.db_path, self._decode, fix) for r in rows])

    def list_traces(
        self, limit: int | None = 20, *, slower_than_ms: float | None = None
    ) -> list[TraceSummary]:
        """The ``limit`` most recently started traces, newest first (``None``, or a limit past
        SQLite's integers: all of them); with ``slower_than_ms``, the ``limit`` most recent of
        the ended traces that took longer than that."""
        slow = ""
        params: tuple[Any, ...] = ()
        if slower_than_ms is not None:
            slow = (
                "HAVING SUM(end_time_ns IS NULL) = 0 AND MAX(end_time_ns) - MIN(start_time_ns) > ?"
            )
            params = (float(slower_than_ms) * 1e6,)
        rows = self._query(
            f"""
            SELECT trace_id, MIN(start_time_ns),
                   CASE WHEN SUM(end_time_ns IS NULL) > 0 THEN NULL ELSE MAX(end_time_ns) END,
                   COUNT(*), SUM(status = 'ERROR'),
                   (SELECT name FROM spans r WHERE r.trace_id = s.trace_id
                      AND r.parent_span_id IS NULL ORDER BY start_time_ns LIMIT 1)
            FROM spans s GROUP BY trace_id {slow} ORDER BY MIN(start_time_ns) DESC LIMIT ?
            """,
            (*params, -1 if limit is None else _sqlite_int(limit)),  # (a negative LIMIT: none)
        )
        for r in rows:
            start, end = r[1], r[2]  # (its spans' first start, last end or NULL: one is open)
            try:
                _check_integers([start] if end is None else [start, end])
            except TypeError as exc:
                raise _damaged(f"trace {r[0]!r}", self.db_path, exc, self._damaged_fix) from None
        return [
            TraceSummary(
                trace_id=r[0],
                root_name=r[5],
                start_time_ns=r[1],
                end_time_ns=r[2],
                span_count=r[3],
                error_count=r[4] or 0,
            )
            for r in rows
        ]

    def delete_traces_before(self, cutoff_ns: float, *, dry_run: bool = False) -> tuple[int, int]:
        """Delete the traces whose every span started (and ended) before ``cutoff_ns``; returns
        ``(traces, spans)`` deleted, or that would be with ``dry_run``. Whole traces only. A
        cutoff past SQLite's integers (an infinity too) is taken as the bound it passes: before
        every time a store can hold, nothing is deleted. A store opened read-only answers a
        dry run only (a :class:`TraceStoreError` otherwise, as :meth:`write_spans`)."""
        cutoff_ns = _sqlite_int(cutoff_ns)
        old = (
            "SELECT trace_id FROM spans GROUP BY trace_id "
            "HAVING MAX(MAX(start_time_ns, COALESCE(end_time_ns, 0))) < ?"
        )
        counts = f"SELECT COUNT(DISTINCT trace_id), COUNT(*) FROM spans WHERE trace_id IN ({old})"
        if dry_run:
            rows = self._query(counts, (cutoff_ns,))
            return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)
        if self.read_only:
            raise self._opened_read_only()
        if not self.is_memory and self._conn is None and not Path(self.db_path).exists():
            return 0, 0
        with self._lock:
            conn = self._connection()

            def tx() -> tuple[int, int]:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    traces, spans = conn.execute(counts, (cutoff_ns,)).fetchone()
                    conn.execute(f"DELETE FROM spans WHERE trace_id IN ({old})", (cutoff_ns,))
                    conn.execute("COMMIT")
                except BaseException:
                    _roll_back(conn)
                    raise
                return int(traces), int(spans)

            result: tuple[int, int] = self._retry(tx)
        return result

    def count_spans(self) -> int:
        """How many spans the database holds."""
        rows = self._query("SELECT COUNT(*) FROM spans")
        return int(rows[0][0]) if rows else 0  # no rows: the database file does not exist yet

    def _before_fork(self) -> None:
        # SQLite must not carry an open connection across fork(): its per-process lock table
        # would be shared with the child. Close it (reopened on next use) and hold the lock so
        # that no thread is inside a transaction at the moment of the fork.
        self._lock.acquire()
        if self._conn is not None and not self.is_memory:
            self._conn.close()
            self._conn = None

    def _after_fork_in_parent(self) -> None:
        self._lock.release()

    def _after_fork_in_child(self) -> None:
        # never use (nor close: closing could remove the parent's WAL) an inherited connection
        if self._conn is not None:
            _inherited_connections.append(self._conn)
        self._conn = None
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the connection (a later read or write opens it again)."""
        with self._lock:
            if self._conn is not None and not self.is_memory:
                self._conn.close()
                self._conn = None

    def __del__(self) -> None:
        # a store dropped with its connection open (one reopened after close(), a ":memory:"
        # one) closes it: Python 3.13 warns of an unclosed database at its collection
        conn = getattr(self, "_conn", None)
        if conn is not None:
            # (no module global here: at interpreter exit they may be None already)
            try:  # noqa: SIM105
                conn.close()
            except Exception:
                pass

    def __repr__(self) -> str:
        return f"<TraceStore {self.db_path!r}>"
